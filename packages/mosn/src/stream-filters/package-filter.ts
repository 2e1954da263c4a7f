import { MosnError, type StreamFilterFactory } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';
import type { StreamFilterBuildContext, StreamFilterExtension, StreamFilterPlugin } from './types.js';

const PHASES: readonly string[] = ['before_route', 'after_route'];

/** What is missing for `x` to be a StreamFilterPlugin; empty when it is one. */
export function pluginShapeProblems(x: unknown): string[] {
  if (x === null || typeof x !== 'object') return [`it is ${x === null ? 'null' : typeof x}, not an object`];
  const p = x as Record<string, unknown>;
  const out: string[] = [];
  if (typeof p.name !== 'string' || p.name === '') out.push('"name" is not a non-empty string');
  for (const f of ['read', 'build'] as const) if (typeof p[f] !== 'function') out.push(`"${f}" is not a function`);
  if (typeof p.perRoute !== 'boolean') out.push('"perRoute" is not a boolean');
  return out;
}

/** What is wrong with what a plugin's `build` returned, for a filter type `name`; empty when it is a factory. */
function factoryShapeProblems(x: unknown, name: string): string[] {
  if (x === null || typeof x !== 'object') return [`it returned ${x === null ? 'null' : typeof x}, not an object`];
  const f = x as Record<string, unknown>;
  const out: string[] = [];
  if (f.name !== name) out.push(`its "name" is ${JSON.stringify(f.name)}, not "${name}" (a route's per_filter_config is looked up by it)`);
  if (typeof f.phase !== 'string' || !PHASES.includes(f.phase)) out.push(`its "phase" is ${JSON.stringify(f.phase)}, not "before_route" or "after_route"`);
  if (typeof f.createFilter !== 'function') out.push('its "createFilter" is not a function');
  return out;
}

/**
 * A filter type loaded from a package, as the registry holds it. The reader and the factory are the package's
 * code, so what they do wrong is reported as theirs: a reader that throws, or that returns no config without
 * reporting a problem, is a config error at that config's path; a `build` that throws or makes no factory fails
 * the listener with MOSN_ERR_FILTER_PACKAGE (at start: mosn does not start).
 */
export class PackageStreamFilter<C> implements StreamFilterExtension<C> {
  readonly perRoute: boolean;
  readonly #plugin: StreamFilterPlugin<C>;
  /** `"<name>" (from "<package>")`, for messages. */
  readonly #label: string;

  constructor(plugin: StreamFilterPlugin<C>, source: string) {
    this.#plugin = plugin;
    this.perRoute = plugin.perRoute;
    this.#label = `stream filter "${plugin.name}" (from "${source}")`;
  }

  read(c: ConfigReader): C | undefined {
    const errorsBefore = c.problems.errors.length;
    let value: C | undefined;
    try {
      value = this.#plugin.read(c);
    } catch (e) {
      c.problems.error(c.path, `the ${this.#label} threw while reading its config: ${(e as Error)?.message ?? String(e)}`);
      return undefined;
    }
    if (value === undefined && c.problems.errors.length === errorsBefore) {
      c.problems.error(c.path, `the ${this.#label} read no config and reported no problem (a bug in the package)`);
    }
    return value;
  }

  build(config: C, ctx: StreamFilterBuildContext): StreamFilterFactory<C> {
    let factory: unknown;
    try {
      factory = this.#plugin.build(config, ctx);
    } catch (e) {
      throw new MosnError('MOSN_ERR_FILTER_PACKAGE', `the ${this.#label} threw while building its factory: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    const problems = factoryShapeProblems(factory, this.#plugin.name);
    if (problems.length > 0) throw new MosnError('MOSN_ERR_FILTER_PACKAGE', `the ${this.#label} built no filter factory: ${problems.join('; ')}`);
    return factory as StreamFilterFactory<C>;
  }
}
