import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanupAfterEach, closedPort, cluster, get, httpBackend } from '../helpers.js';
import { BoltConn, OTHER_SERVICE, SERVICE, rawCall, rpcClient, startRpcServer, type RawFrame } from '../bolt/peers.js';
import { mosnJson, pathRouter, proxyListener, runCli, serviceRouter, startMosnProcess, waitUntil } from '../reload/support.js';

// Stream filters loaded from npm by the config (`third_part_stream_filter`), with mosn as its own process (the
// built CLI): node:http client → mosn → node:http backend, and sofa-rpc-node (or raw sofa-bolt-node frames) →
// mosn → sofa-rpc-node server. The configs live in a folder under test-e2e/, so that `@mosn/filter-example`
// resolves from the config's folder as a user's own package would; other filters are files beside the configs.

const cleanups = cleanupAfterEach();
const DIST = join(REPO_ROOT, 'packages/filter-example/dist/index.js');
/** Bolt response statuses (a filter's reply and a filter's throw both answer UNKNOWN: MOSN's mapping of 403 and 500). */
const BOLT = { SUCCESS: 0, UNKNOWN: 3 } as const;

let scratch: string;
beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build it first (npx tsc -b)`);
  scratch = mkdtempSync(join(REPO_ROOT, 'test-e2e', 'stream-filters', '.tmp-filter-package-'));
  // A filter that throws on the requests whose header `header` has `value` (any value when unset).
  writeFileSync(
    join(scratch, 'explosive.mjs'),
    `export const filter = {
  name: 'explosive',
  perRoute: false,
  read(c) { const header = c.str('header', { required: true }); const value = c.str('value'); c.finish(); return header === undefined ? undefined : { header, value }; },
  build: (config) => ({
    name: 'explosive', phase: 'after_route', config,
    createFilter: ({ header, value }) => ({
      onRequestHeaders(h, headers) {
        const v = headers.get(header);
        if (v !== undefined && (value === undefined || v === value)) throw new Error('kaboom on ' + v);
        return 'continue';
      },
    }),
  }),
};\n`,
  );
  writeFileSync(join(scratch, 'not-a-filter.mjs'), "export const filter = { name: 'half', read() { return {}; } };\n");
  writeFileSync(join(scratch, 'throws-at-import.mjs'), "throw new Error('no licence key found');\n");
  writeFileSync(join(scratch, 'fault-again.mjs'), "export const filter = { name: 'fault', perRoute: true, read: () => ({}), build: () => ({}) };\n");
  writeFileSync(join(scratch, 'no-factory.mjs'), "export const filter = { name: 'no_factory', perRoute: false, read: () => ({}), build: () => ({ name: 'other' }) };\n");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `third_part_stream_filter` entries; a path starting with `./` is a file of the scratch folder, seen from a config's folder. */
function filterPackages(...paths: string[]) {
  return { filters: paths.map((path) => ({ enable: true, type: 'npm', path: path.startsWith('./') ? `.${path}` : path })) };
}

/** A Bolt response frame's header map, decoded by sofa-bolt-node's own serializer (v1: fixed 20 bytes, then class, header). */
function boltResponseHeaders(f: RawFrame): Record<string, string> {
  const classLen = f.raw.readUInt16BE(12);
  const headerLen = f.raw.readUInt16BE(14);
  const serializer = createRequire(import.meta.url)('sofa-bolt-node/lib/simple_map_serializer') as { decode(b: Buffer): Record<string, string> };
  return serializer.decode(f.raw.subarray(20 + classLen, 20 + classLen + headerLen));
}

/**
 * mosn as its own process with an HTTP/1 listener `http` (router `rh` → cluster `web`) and a Bolt listener `bolt`
 * (router `rb` → cluster `rpc`), each with the stream filters given, and the filter packages given.
 */
async function startMosn(o: { packages: unknown; httpFilters: unknown[]; boltFilters: unknown[]; httpRoutes?: unknown[] }) {
  const web = await httpBackend((req, res) => req.resume().on('end', () => res.end(`ok ${req.url}`)));
  cleanups.push(web.close);
  const rpc = await startRpcServer('A');
  cleanups.push(() => rpc.close());
  const [admin, httpPort, boltPort] = [await closedPort(), await closedPort(), await closedPort()];
  const config = {
    ...mosnJson({
      admin,
      routers: [o.httpRoutes ? { router_config_name: 'rh', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: o.httpRoutes }] } : pathRouter('rh', 'web'), serviceRouter('rb', 'rpc')],
      listeners: [
        { ...proxyListener('http', httpPort, 'Http1', 'rh'), stream_filters: o.httpFilters },
        { ...proxyListener('bolt', boltPort, 'bolt', 'rb', { upstream: 'bolt' }), stream_filters: o.boltFilters },
      ],
      clusters: [cluster('web', [web.address]), cluster('rpc', [rpc.address])],
    }),
    third_part_stream_filter: o.packages,
  };
  const mosn = await startMosnProcess(config, cleanups, { parent: scratch });
  const bolt = await BoltConn.connect(boltPort);
  cleanups.push(() => bolt.close());
  return { mosn, httpPort, boltPort, bolt, rpc, config };
}

describe('a filter package named in the config', () => {
  it('@mosn/filter-example by package name: require_header on HTTP/1 (a route turns it off) and on Bolt', async () => {
    const { mosn, httpPort, boltPort, bolt, rpc } = await startMosn({
      packages: { filters: [{ enable: true, type: 'npm', path: '@mosn/filter-example' }] },
      httpRoutes: [
        { match: { prefix: '/public' }, route: { cluster_name: 'web' }, per_filter_config: { require_header: { disabled: true } } },
        { match: { prefix: '/' }, route: { cluster_name: 'web' } },
      ],
      httpFilters: [{ type: 'require_header', config: { header: 'x-tenant', values: ['acme'], response_header: 'x-tenant-checked' } }],
      boltFilters: [{ type: 'require_header', config: { header: 'service', values: [SERVICE], response_header: 'x-service-checked' } }],
    });

    // HTTP/1 (node:http)
    const missing = await get(httpPort, '/orders');
    expect([missing.status, missing.body]).toEqual([403, 'header x-tenant is required\n']);
    expect((await get(httpPort, '/orders', { headers: { 'x-tenant': 'initech' } })).status).toBe(403);
    const allowed = await get(httpPort, '/orders', { headers: { 'x-tenant': 'acme' } });
    expect([allowed.status, allowed.body, allowed.headers['x-tenant-checked']]).toEqual([200, 'ok /orders', 'acme']);
    const open = await get(httpPort, '/public/logo.png');
    expect([open.status, open.body, open.headers['x-tenant-checked']]).toEqual([200, 'ok /public/logo.png', undefined]);

    // Bolt: sofa-rpc-node calls the listed service; a raw call to another service gets Bolt's error and goes nowhere
    const client = rpcClient(`127.0.0.1:${boltPort}`);
    cleanups.push(() => client.close());
    expect(await client.invoke('echo', ['through'])).toBe('through');
    const other = await rawCall(bolt, 21, { method: 'echo', args: ['never'], service: OTHER_SERVICE });
    expect([other.frame.requestId, other.frame.status]).toEqual([21, BOLT.UNKNOWN]);
    const listed = await rawCall(bolt, 22, { method: 'echo', args: ['raw'] });
    expect([listed.frame.status, listed.appResponse, boltResponseHeaders(listed.frame)['x-service-checked']]).toEqual([BOLT.SUCCESS, 'raw', SERVICE]);
    expect(rpc.requests.map((r) => r.args[0])).toEqual(['through', 'raw']);

    const stats = await mosn.stats();
    expect([stats['listener.http.stream_filter_local_reply'], stats['listener.bolt.stream_filter_local_reply']]).toEqual([2, 1]);
  });

  it('a file path; a filter that throws answers that request with an internal error, and the others go on', async () => {
    const example = relative(join(scratch, 'x'), DIST); // from a config's folder (one level under the scratch folder)
    expect(example.startsWith('..')).toBe(true);
    const { mosn, httpPort, boltPort, bolt, rpc } = await startMosn({
      packages: filterPackages(example, './explosive.mjs'),
      httpFilters: [{ type: 'explosive', config: { header: 'x-boom' } }, { type: 'require_header', config: { header: 'x-tenant' } }],
      boltFilters: [{ type: 'explosive', config: { header: 'service', value: OTHER_SERVICE } }, { type: 'require_header', config: { header: 'service' } }],
    });

    // HTTP/1: the throw is a 500 naming the filter; 20 requests after it are served, one without x-tenant refused
    const boom = await get(httpPort, '/a', { headers: { 'x-boom': '1', 'x-tenant': 't' } });
    expect([boom.status, boom.body]).toEqual([500, expect.stringContaining('stream filter "explosive" threw: kaboom on 1')]);
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => get(httpPort, `/ok${i}`, { headers: { 'x-tenant': 't' } })));
    expect(after.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await get(httpPort, '/no-tenant')).status).toBe(403);

    // Bolt: the throw answers that call with Bolt's error on its own id; the same connection serves the next call
    const failed = await rawCall(bolt, 31, { method: 'echo', args: ['never'], service: OTHER_SERVICE });
    expect([failed.frame.requestId, failed.frame.status]).toEqual([31, BOLT.UNKNOWN]);
    const next = await rawCall(bolt, 32, { method: 'echo', args: ['still'] });
    expect([next.frame.requestId, next.frame.status, next.appResponse]).toEqual([32, BOLT.SUCCESS, 'still']);
    const client = rpcClient(`127.0.0.1:${boltPort}`);
    cleanups.push(() => client.close());
    expect(await client.invoke('echo', ['sofa'])).toBe('sofa');
    expect(rpc.requests.map((r) => r.args[0])).toEqual(['still', 'sofa']);

    const stats = await mosn.stats();
    expect([stats['listener.http.stream_filter_error'], stats['listener.bolt.stream_filter_error']]).toEqual([1, 1]);
    expect(mosn.running()).toBe(true);
  });

  it('a changed third_part_stream_filter is refused by a reload (restart to load others); the filters keep working', async () => {
    const packages = { filters: [{ enable: true, type: 'npm', path: '@mosn/filter-example' }] };
    const { mosn, httpPort, config } = await startMosn({ packages, httpFilters: [{ type: 'require_header', config: { header: 'x-tenant' } }], boltFilters: [] });
    expect((await get(httpPort, '/x')).status).toBe(403);
    const mark = mosn.output().length;
    mosn.write({ ...config, third_part_stream_filter: filterPackages('@mosn/filter-example', './explosive.mjs') });
    mosn.hup();
    const line = await mosn.waitLog((l) => l.path === 'third_part_stream_filter', mark, 5000, 'the refusal');
    expect(line.msg).toBe('config: third_part_stream_filter: changed: stream filter packages are loaded once, at start; restart mosn to load others');
    await waitUntil(() => mosn.output().slice(mark).includes('new config refused'), 5000, 'the reload refused');
    expect((await get(httpPort, '/x')).status).toBe(403);
    expect((await get(httpPort, '/x', { headers: { 'x-tenant': 'acme' } })).status).toBe(200);
  });
});

describe('a config naming what cannot be a filter', () => {
  it('mosn start exits 1 with each problem at its path: a package that is no filter, a throw at import, a taken name, a missing package', async () => {
    const dir = mkdtempSync(join(scratch, 'cfg-'));
    const file = join(dir, 'mosn.json');
    const config = mosnJson({ admin: await closedPort(), routers: [pathRouter('r', 'c')], listeners: [proxyListener('l', await closedPort(), 'Http1', 'r')], clusters: [cluster('c', ['127.0.0.1:1'])] });
    const packages = filterPackages('@mosn/protocol-example', './not-a-filter.mjs', './throws-at-import.mjs', './fault-again.mjs', '@mosn/filter-nonexistent');
    writeFileSync(file, JSON.stringify({ ...config, third_part_stream_filter: packages }, null, 2));
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    const at = (i: number) => `error: ${file}: third_part_stream_filter.filters[${i}].path: `;
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(new RegExp(`^${escape(at(0))}"@mosn/protocol-example" has no export "filter" \\(its exports: .*codec.*\\)`));
    expect(errors[1]).toBe(`${at(1)}"../not-a-filter.mjs" export "filter" is not a stream filter (a StreamFilterPlugin: name, read, build, perRoute): "build" is not a function; "perRoute" is not a boolean`);
    expect(errors[2]).toBe(`${at(2)}cannot load stream filter package "../throws-at-import.mjs": no licence key found`);
    expect(errors[3]).toMatch(new RegExp(`^${escape(at(3))}stream filter "fault" of "../fault-again.mjs" has the name of a filter type mosn-ts has already`));
    expect(errors[4]).toMatch(new RegExp(`^${escape(at(4))}cannot load stream filter package "@mosn/filter-nonexistent": Cannot find package`));
    expect(r.stderr).toContain('config error(s); nothing was started');
  });

  it('a package whose build makes no factory: mosn start exits 1 with MOSN_ERR_FILTER_PACKAGE, binding nothing', async () => {
    const dir = mkdtempSync(join(scratch, 'cfg-'));
    const file = join(dir, 'mosn.json');
    const port = await closedPort();
    const listener = { ...proxyListener('l', port, 'Http1', 'r'), stream_filters: [{ type: 'no_factory' }] };
    const config = mosnJson({ admin: await closedPort(), routers: [pathRouter('r', 'c')], listeners: [listener], clusters: [cluster('c', ['127.0.0.1:1'])] });
    writeFileSync(file, JSON.stringify({ ...config, third_part_stream_filter: filterPackages('./no-factory.mjs') }));
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'mosn: MOSN_ERR_FILTER_PACKAGE: the stream filter "no_factory" (from "../no-factory.mjs") built no filter factory: its "name" is "other", not "no_factory"',
    );
    await expect(get(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a listener naming a Go plugin is pointed to third_part_stream_filter', async () => {
    const dir = mkdtempSync(join(scratch, 'cfg-'));
    const file = join(dir, 'mosn.json');
    const listener = { ...proxyListener('l', await closedPort(), 'Http1', 'r'), stream_filters: [{ type: 'loadso', go_plugin_config: { so_path: './simple_so.so' } }] };
    writeFileSync(file, JSON.stringify(mosnJson({ admin: await closedPort(), routers: [pathRouter('r', 'c')], listeners: [listener], clusters: [cluster('c', ['127.0.0.1:1'])] })));
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('servers[0].listeners[0].stream_filters[0].go_plugin_config: Go plugins (.so) cannot be loaded by mosn-ts; a filter of your own is an npm package: list it in the top-level "third_part_stream_filter"');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
