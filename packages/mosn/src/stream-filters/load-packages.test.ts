import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Stats, silentLogger } from '@mosn/proxy';
import { readSection } from '../config/testing.js';
import { defaultExtensions, type Extensions } from '../extensions.js';
import { loadThirdPartStreamFilters } from './load-packages.js';
import { readPerFilterConfig, readStreamFilters } from './read.js';

// Filter packages as files beside the config (real modules, imported as mosn imports a package): what loads, and
// each way a package can be wrong, reported at the entry's path.

const dir = mkdtempSync(join(tmpdir(), 'mosn-filter-packages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A module `<name>.mjs` in the config's folder with `source` as its text. */
function module(name: string, source: string): string {
  writeFileSync(join(dir, `${name}.mjs`), source);
  return `./${name}.mjs`;
}

/** A plugin module exporting `filter`: type `name`; `read` keeps `config.tag`; `build` as given (default: a right factory, which notes the listener's stat prefix). */
const plugin = (name: string, build = `(config, ctx) => ({ name: ${JSON.stringify(name)}, phase: 'after_route', config, createFilter: () => ({}), builtFor: ctx.statPrefix })`) => `
export const filter = {
  name: ${JSON.stringify(name)},
  perRoute: true,
  read(c) { const tag = c.str('tag', { required: true }); c.finish(); return tag === undefined ? undefined : { tag }; },
  build: ${build},
};`;

const GOOD = module('good', plugin('tagger'));

async function load(filters: unknown[], ext: Extensions = defaultExtensions()) {
  const problems = await loadThirdPartStreamFilters({ third_part_stream_filter: { filters } }, ext, dir);
  return { ext, errors: problems.errors.map((p) => `${p.path}: ${p.message}`) };
}

/** What mosn gives a filter's build for listener `l`. */
const BUILD_CONTEXT = { listenerName: 'l', stats: new Stats(), logger: silentLogger, statPrefix: 'listener.l.' };

const entry = (path: string, extra: Record<string, unknown> = {}) => ({ enable: true, type: 'npm', path, ...extra });

describe('loadThirdPartStreamFilters', () => {
  it("registers a package's filter under its name: listeners and routes read its config with its reader", async () => {
    const { ext, errors } = await load([entry(GOOD)]);
    expect(errors).toEqual([]);
    const listener = readSection({ stream_filters: [{ type: 'tagger', config: { tag: 'a' } }] }, 'l', (r) => readStreamFilters(r, ext));
    expect([listener.result, listener.errors]).toEqual([[{ type: 'tagger', config: { tag: 'a' } }], []]);
    const route = readSection({ per_filter_config: { tagger: { tag: 'b' } } }, 'r', (r) => readPerFilterConfig(r, ext));
    expect([route.result, route.errors]).toEqual([{ tagger: { tag: 'b' } }, []]);
    // its build gets mosn's build context
    const factory = ext.streamFilters.get('tagger')!.build({ tag: 'a' }, BUILD_CONTEXT);
    expect([factory.name, factory.phase, factory.config, (factory as unknown as { builtFor: string }).builtFor]).toEqual(['tagger', 'after_route', { tag: 'a' }, 'listener.l.']);
    // the package's reader reports its own problems with their paths
    expect(readSection({ stream_filters: [{ type: 'tagger', config: { tag: 7 } }] }, 'l', (r) => readStreamFilters(r, ext)).errors).toEqual([
      'l.stream_filters[0].config.tag: expected a string, got number 7',
    ]);
  });

  it('takes another export with loader_func_name, and the default export when none is named', async () => {
    const named = module('named', plugin('named_one').replace('export const filter', 'export const mine'));
    const byDefault = module('by-default', plugin('default_one').replace('export const filter =', 'export default'));
    const { ext, errors } = await load([entry(named, { loader_func_name: 'mine' }), entry(byDefault)]);
    expect(errors).toEqual([]);
    expect(['named_one', 'default_one'].map((n) => ext.streamFilters.has(n))).toEqual([true, true]);
  });

  it('skips a disabled entry and one of another type (readConfig reports that one)', async () => {
    const { ext, errors } = await load([entry(GOOD, { enable: false }), { type: 'go-plugin', path: 'x.so' }]);
    expect(errors).toEqual([]);
    expect(ext.streamFilters.has('tagger')).toBe(false);
  });

  it('reports a package that cannot be found, or that throws at import, at its path', async () => {
    const throws = module('throws', "throw new Error('no licence key');\nexport const filter = {};");
    const { errors } = await load([entry('@mosn/filter-nonexistent'), entry(throws)]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^third_part_stream_filter\.filters\[0\]\.path: cannot load stream filter package "@mosn\/filter-nonexistent": Cannot find package/);
    expect(errors[1]).toBe('third_part_stream_filter.filters[1].path: cannot load stream filter package "./throws.mjs": no licence key');
  });

  it('reports an export that is missing, or that is not a filter, naming what is wrong', async () => {
    const notFilter = module('not-filter', "export const filter = { name: '', read: 1, perRoute: 'yes' };\nexport const other = 2;");
    const { errors } = await load([entry(GOOD, { loader_func_name: 'nope' }), entry(notFilter), entry(notFilter, { loader_func_name: 'other' })]);
    expect(errors).toEqual([
      'third_part_stream_filter.filters[0].path: "./good.mjs" has no export "nope" (its exports: filter); name the filter\'s export in "loader_func_name"',
      'third_part_stream_filter.filters[1].path: "./not-filter.mjs" export "filter" is not a stream filter (a StreamFilterPlugin: name, read, build, perRoute): "name" is not a non-empty string; "read" is not a function; "build" is not a function; "perRoute" is not a boolean',
      'third_part_stream_filter.filters[2].path: "./not-filter.mjs" export "other" is not a stream filter (a StreamFilterPlugin: name, read, build, perRoute): it is number, not an object',
    ]);
  });

  it('refuses a name a built-in (or retired) filter has, and one an earlier package took', async () => {
    const fault = module('fault', plugin('fault'));
    const healthcheck = module('healthcheck', plugin('healthcheck'));
    const again = module('again', plugin('tagger'));
    const { ext, errors } = await load([entry(fault), entry(healthcheck), entry(GOOD), entry(again)]);
    expect(errors).toEqual([
      `third_part_stream_filter.filters[0].path: stream filter "fault" of "./fault.mjs" has the name of a filter type mosn-ts has already (known: ${defaultExtensions().streamFilters.names().join(', ')}); the package's filter needs another name`,
      `third_part_stream_filter.filters[1].path: stream filter "healthcheck" of "./healthcheck.mjs" has the name of a filter type mosn-ts has already (known: ${defaultExtensions().streamFilters.names().join(', ')}); the package's filter needs another name`,
      'third_part_stream_filter.filters[3].path: stream filter "tagger" of "./again.mjs" is already loaded from "./good.mjs" (third_part_stream_filter.filters[2].path): two packages cannot share a type name',
    ]);
    expect(ext.streamFilters.get('fault')).toBe(defaultExtensions().streamFilters.get('fault'));
  });
});

describe("a package's filter: its own mistakes are reported as its own", () => {
  it('a reader that throws, or returns nothing without a problem, is a config error at that config', async () => {
    const reads = module('reads', `
export const filter = {
  name: 'moody', perRoute: true,
  read(c) { if (c.raw.boom) throw new Error('boom'); return undefined; },
  build: (config) => ({ name: 'moody', phase: 'after_route', config, createFilter: () => ({}) }),
};`);
    const { ext } = await load([entry(reads)]);
    const { errors } = readSection({ stream_filters: [{ type: 'moody', config: { boom: true } }, { type: 'moody' }] }, 'l', (r) => readStreamFilters(r, ext));
    expect(errors).toEqual([
      'l.stream_filters[0].config: the stream filter "moody" (from "./reads.mjs") threw while reading its config: boom',
      'l.stream_filters[1].config: the stream filter "moody" (from "./reads.mjs") read no config and reported no problem (a bug in the package)',
    ]);
  });

  it('a build that throws or makes no factory fails with MOSN_ERR_FILTER_PACKAGE', async () => {
    const throws = module('build-throws', plugin('build_throws', "() => { throw new Error('no factory today'); }"));
    const misnamed = module('misnamed', plugin('misnamed', "(config) => ({ name: 'other', phase: 'sometime', config })"));
    const { ext, errors } = await load([entry(throws), entry(misnamed)]);
    expect(errors).toEqual([]);
    expect(() => ext.streamFilters.get('build_throws')!.build({ tag: 'a' }, BUILD_CONTEXT)).toThrow(
      expect.objectContaining({ code: 'MOSN_ERR_FILTER_PACKAGE', message: 'the stream filter "build_throws" (from "./build-throws.mjs") threw while building its factory: no factory today' }),
    );
    expect(() => ext.streamFilters.get('misnamed')!.build({ tag: 'a' }, BUILD_CONTEXT)).toThrow(
      expect.objectContaining({
        code: 'MOSN_ERR_FILTER_PACKAGE',
        message:
          'the stream filter "misnamed" (from "./misnamed.mjs") built no filter factory: its "name" is "other", not "misnamed" (a route\'s per_filter_config is looked up by it); its "phase" is "sometime", not "before_route" or "after_route"; its "createFilter" is not a function',
      }),
    );
  });
});
