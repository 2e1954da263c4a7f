import { describe, expect, it } from 'vitest';
import { Mosn, defaultExtensions, silentLogger, type StreamFilter, type StreamFilterExtension } from 'mosn';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, port } from '../helpers.js';

// Filters registered by the embedding program (the runtime's extension registry), through a real mosn:
// a filter that throws fails its own request only; a response filter changes headers; five no-op filters
// leave requests as they were.

const cleanups = cleanupAfterEach();

/** A filter type with no config whose per-request filter `make` returns. */
function simpleFilter(name: string, make: () => StreamFilter): StreamFilterExtension<Record<string, never>> {
  return {
    perRoute: false,
    read: (c) => (c.finish(), {}),
    build: (config) => ({ name, phase: 'after_route', config, createFilter: make }),
  };
}

async function mosnWith(streamFilters: Array<{ type: string }>, register: (ext: ReturnType<typeof defaultExtensions>) => void) {
  const b = await httpBackend((req, res) => res.end(`ok ${req.url}`));
  cleanups.push(b.close);
  const extensions = defaultExtensions();
  register(extensions);
  const config = httpProxyConfig({
    routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
    clusters: [cluster('c', [b.address])],
    listener: { stream_filters: streamFilters },
  });
  const mosn = new Mosn({ config, logger: silentLogger, extensions });
  await mosn.start();
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')) };
}

describe('user stream filters', () => {
  it('a filter that throws answers 500 to that request, is counted, and disturbs no other request', async () => {
    const { mosn, p } = await mosnWith([{ type: 'picky' }], (ext) =>
      ext.streamFilters.register(
        'picky',
        simpleFilter('picky', () => ({
          onRequestHeaders(_h, headers) {
            if (headers.get('x-bad') !== undefined) throw new Error('cannot stand x-bad');
            return 'continue';
          },
        })),
      ),
    );
    const bad = await get(p, '/one', { headers: { 'x-bad': '1' } });
    expect(bad.status).toBe(500);
    expect(bad.body).toContain('stream filter "picky" threw: cannot stand x-bad');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(p, `/ok${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(mosn.stats.snapshot()['listener.l.stream_filter_error']).toBe(1);
  });

  it('a response filter changes the response headers; five no-op filters change nothing', async () => {
    const noop = simpleFilter('noop', () => ({}));
    const { p } = await mosnWith([{ type: 'stamp' }, ...Array.from({ length: 5 }, () => ({ type: 'noop' }))], (ext) => {
      ext.streamFilters.register('noop', noop);
      ext.streamFilters.register(
        'stamp',
        simpleFilter('stamp', () => ({ onResponseHeaders: (h, headers, status) => headers.set('x-stamped', `${status} ${h.clusterName} ${h.upstreamHost !== undefined}`) })),
      );
    });
    const r = await get(p, '/hello');
    expect([r.status, r.body, r.headers['x-stamped']]).toEqual([200, 'ok /hello', '200 c true']);
  });

  it('the require_header example of docs/filters.md: 400 without the header, and a route may turn it off', async () => {
    const requireHeader: StreamFilterExtension<{ name: string }> = {
      perRoute: true,
      read(c) {
        const name = c.str('name', { required: true, nonEmpty: true });
        c.finish();
        return name === undefined ? undefined : { name };
      },
      build: (config) => ({
        name: 'require_header',
        phase: 'after_route',
        config,
        createFilter: ({ name }) => ({
          onRequestHeaders(h, headers) {
            if (headers.get(name) !== undefined) return 'continue';
            h.sendLocalReply(400, `${name} is required`);
            return 'stop';
          },
        }),
      }),
    };
    const b = await httpBackend((req, res) => res.end(`ok ${req.url}`));
    cleanups.push(b.close);
    const extensions = defaultExtensions();
    extensions.streamFilters.register('require_header', requireHeader);
    const config = httpProxyConfig({
      routes: [
        { match: { prefix: '/open' }, route: { cluster_name: 'c' }, per_filter_config: { require_header: { name: 'x-anything' } } },
        { match: { prefix: '/' }, route: { cluster_name: 'c' } },
      ],
      clusters: [cluster('c', [b.address])],
      listener: { stream_filters: [{ type: 'require_header', config: { name: 'x-tenant' } }] },
    });
    const mosn = new Mosn({ config, logger: silentLogger, extensions });
    await mosn.start();
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const refused = await get(p, '/x');
    expect([refused.status, refused.body]).toEqual([400, 'x-tenant is required\n']);
    expect((await get(p, '/x', { headers: { 'x-tenant': 't1' } })).status).toBe(200);
    expect((await get(p, '/open', { headers: { 'x-anything': '1' } })).status).toBe(200);
  });
});
