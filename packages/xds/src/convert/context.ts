import { unpackAny, type AnyMessage, type Message } from '../proto.js';

/** One problem found while converting a resource, at a path inside it (`filter_chains[0].filters[1].typed_config`). */
export interface ConvertProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * What converters report. An error makes the whole response it came in NACKed (nothing of it is applied); a
 * warning is logged and the resource is applied without the field. Nothing unsupported is dropped silently: every
 * field a converter does not take is either an error or a warning.
 */
export class ConvertProblems {
  readonly errors: ConvertProblem[] = [];
  readonly warnings: ConvertProblem[] = [];
  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }
  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }
}

/** Where a converter is and what it reports to: paths are built with `at`. */
export class ConvertContext {
  constructor(
    readonly problems: ConvertProblems,
    /** The path of the value being converted, e.g. `Listener "ingress"` or `Listener "ingress".filter_chains[0]`. */
    readonly path: string,
  ) {}

  /** A context for a field (`at('filters[0]')`). */
  at(field: string): ConvertContext {
    return new ConvertContext(this.problems, field.startsWith('[') ? `${this.path}${field}` : `${this.path}.${field}`);
  }

  error(message: string): void {
    this.problems.error(this.path, message);
  }

  warn(message: string): void {
    this.problems.warn(this.path, message);
  }

  /** Unpack an `Any` (typed_config, transport socket): undefined and an error at this path when it cannot be decoded. */
  unpack(any: AnyMessage | undefined): { typeUrl: string; value: Message } | undefined {
    if (!any) {
      this.error('missing typed_config');
      return undefined;
    }
    try {
      return unpackAny(any);
    } catch (e) {
      this.error((e as Error).message);
      return undefined;
    }
  }
}

/** MOSN's JSON for one config section (a cluster, a router, a listener, a host): what the runtime's readers take. */
export type MosnJson = Record<string, unknown>;

/** A protobuf Duration as decoded (`{ seconds: "5", nanos: 0 }`; `{}` is 0s) → milliseconds, undefined when absent. */
export function durationMs(d: unknown): number | undefined {
  if (d === null || typeof d !== 'object') return undefined;
  const { seconds, nanos } = d as { seconds?: string | number; nanos?: number };
  return Number(seconds ?? 0) * 1000 + Number(nanos ?? 0) / 1e6;
}

/** A protobuf Duration as decoded → MOSN's duration string (`"5s"`, `"1.5s"`, `"250ms"`), to the millisecond. */
export function durationString(d: unknown): string | undefined {
  const exact = durationMs(d);
  if (exact === undefined) return undefined;
  const ms = Math.round(exact);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
