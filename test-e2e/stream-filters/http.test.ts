import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, startMosnWithCleanup, waitUntil } from '../helpers.js';

// Stream filters on HTTP/1 and HTTP/2 listeners: client (node:http, node:http2) → mosn (in this process) → a
// node:http backend that counts what reaches it. Listener `l`, router `r`, clusters as each test says.

const cleanups = cleanupAfterEach();

/** A backend answering 200 `ok <path>` and counting requests (and the body bytes it read). */
async function backend() {
  let requests = 0;
  let bodyBytes = 0;
  const b = await httpBackend((req, res) => {
    requests++;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  cleanups.push(b.close);
  return { ...b, requests: () => requests, bodyBytes: () => bodyBytes };
}

type StreamFilters = Array<{ type: string; config?: unknown }>;

/** mosn with `stream_filters` on listener `l`, routing `/` (or `routes`) to cluster `c` at `address`. */
async function mosnWith(streamFilters: StreamFilters, address: string, o: { routes?: unknown[]; clusters?: unknown[]; downstreamProtocol?: string } = {}) {
  const config = httpProxyConfig({
    routes: o.routes ?? [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
    clusters: o.clusters ?? [cluster('c', [address])],
    listener: { stream_filters: streamFilters },
    ...(o.downstreamProtocol ? { downstreamProtocol: o.downstreamProtocol } : {}),
  });
  return startMosnWithCleanup(config, cleanups);
}

/** `n` requests over `lanes` keep-alive connections; the status of each. */
async function statuses(p: number, n: number, lanes = 20): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: lanes });
  cleanups.push(() => agent.destroy());
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) {
        next++;
        out.push((await get(p, '/x', { agent })).status);
      }
    }),
  );
  return out;
}

describe('fault', () => {
  it('aborts the configured share of 1,000 requests with the configured status (binomial, 5 sigma)', async () => {
    const b = await backend();
    const { p } = await mosnWith([{ type: 'fault', config: { abort: { status: 503, percentage: 30 } } }], b.address);
    const n = 1000;
    const got = await statuses(p, n);
    const aborted = got.filter((s) => s === 503).length;
    expect(got.filter((s) => s !== 503 && s !== 200)).toEqual([]);
    // Binomial(1000, 0.3): mean 300, sigma 14.5; 5 sigma is 72.5
    const sigma = Math.sqrt(n * 0.3 * 0.7);
    expect(Math.abs(aborted - 300)).toBeLessThan(5 * sigma);
    // an aborted request never reaches the backend
    expect(b.requests()).toBe(n - aborted);
  });

  it('delays a request by fixed_delay before it goes upstream (at least the delay)', async () => {
    const b = await backend();
    const { p } = await mosnWith([{ type: 'fault', config: { delay: { fixed_delay: '300ms', percentage: 100 } } }], b.address);
    const started = performance.now();
    const r = await get(p, '/slow');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok /slow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });

  it('delays a request with a body: the body is held while paused and arrives whole', async () => {
    const b = await backend();
    const { p } = await mosnWith([{ type: 'fault', config: { delay: { fixed_delay: '100ms', percentage: 100 } } }], b.address);
    const body = Buffer.alloc(256 * 1024, 'a');
    const r = await get(p, '/upload', { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(b.bodyBytes()).toBe(body.length);
  });

  it('matches headers and upstream_cluster as MOSN: only matching requests are aborted', async () => {
    const b = await backend();
    const { p } = await mosnWith(
      [{ type: 'fault', config: { abort: { status: 500, percentage: 100 }, upstream_cluster: 'c', headers: [{ name: 'x-chaos', value: 'on' }] } }],
      b.address,
      {
        routes: [
          { match: { prefix: '/other' }, route: { cluster_name: 'd' } },
          { match: { prefix: '/' }, route: { cluster_name: 'c' } },
        ],
        clusters: [cluster('c', [b.address]), cluster('d', [b.address])],
      },
    );
    expect((await get(p, '/a', { headers: { 'x-chaos': 'on' } })).status).toBe(500);
    expect((await get(p, '/a', { headers: { 'x-chaos': 'off' } })).status).toBe(200);
    expect((await get(p, '/a')).status).toBe(200);
    expect((await get(p, '/other', { headers: { 'x-chaos': 'on' } })).status).toBe(200);
  });

  it("a route's per_filter_config replaces the listener's config for that route", async () => {
    const b = await backend();
    const { p } = await mosnWith([{ type: 'fault', config: { abort: { status: 500, percentage: 100 } } }], b.address, {
      routes: [
        { match: { prefix: '/calm' }, route: { cluster_name: 'c' }, per_filter_config: { fault: {} } },
        { match: { prefix: '/teapot' }, route: { cluster_name: 'c' }, per_filter_config: { fault: { abort: { status: 418, percentage: 100 } } } },
        { match: { prefix: '/' }, route: { cluster_name: 'c' } },
      ],
    });
    expect((await get(p, '/calm')).status).toBe(200);
    expect((await get(p, '/teapot')).status).toBe(418);
    expect((await get(p, '/any')).status).toBe(500);
  });

  it('a client that goes away during a delay: the request never goes upstream (the delay timer is cleared)', async () => {
    const b = await backend();
    const { mosn, p } = await mosnWith([{ type: 'fault', config: { delay: { fixed_delay: '300ms', percentage: 100 } } }], b.address);
    const s = net.connect(p, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('GET /gone HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitUntil(() => (mosn.stats.snapshot()['listener.l.downstream_rq_total'] ?? 0) === 1, 3000, 'the request reached mosn');
    s.destroy();
    await waitUntil(() => (mosn.stats.snapshot()['listener.l.downstream_rq_reset'] ?? 0) === 1, 3000, 'mosn saw the client go');
    // past the delay: a timer left running would have sent the request on by now
    await sleep(600);
    expect(b.requests()).toBe(0);
  });
});

describe('payload_limit', () => {
  it('answers 413 to a body over max_entity_size (content-length or chunked), passes a smaller one', async () => {
    const b = await backend();
    const { p } = await mosnWith([{ type: 'payload_limit', config: { 'max_entity_size ': 1024 } }], b.address);
    expect((await get(p, '/big', { method: 'POST', body: Buffer.alloc(2048) })).status).toBe(413);
    expect(b.requests()).toBe(0);
    // chunked: no content-length, counted as it comes
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: p, path: '/chunks', method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(512));
      req.end();
    });
    expect(chunked).toBe(413);
    const small = await get(p, '/small', { method: 'POST', body: Buffer.alloc(1000) });
    expect([small.status, small.body]).toEqual([200, 'ok /small']);
  });
});

describe('ip_access', () => {
  it('denies by CIDR with 403 and allows others (default_action), by the connection address', async () => {
    const b = await backend();
    const deny = await mosnWith([{ type: 'ip_access', config: { default_action: 'allow', ips: [{ action: 'deny', addrs: ['127.0.0.0/8'] }] } }], b.address);
    expect((await get(deny.p, '/')).status).toBe(403);
    const allow = await mosnWith([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['127.0.0.1/32'] }] } }], b.address);
    expect((await get(allow.p, '/')).status).toBe(200);
    const other = await mosnWith([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['10.0.0.0/8'] }] } }], b.address);
    expect((await get(other.p, '/')).status).toBe(403);
    expect(b.requests()).toBe(1);
  });

  it('reads the client from the configured header (X-Forwarded-For, its first address) when present', async () => {
    const b = await backend();
    const { p } = await mosnWith(
      [{ type: 'ip_access', config: { header: 'X-Forwarded-For', default_action: 'allow', ips: [{ action: 'deny', addrs: ['203.0.113.0/24'] }] } }],
      b.address,
    );
    expect((await get(p, '/', { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } })).status).toBe(403);
    expect((await get(p, '/', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(200);
    // no header: the connection's address (127.0.0.1, allowed)
    expect((await get(p, '/')).status).toBe(200);
  });
});

describe('HTTP/2 and gRPC', () => {
  it('a stream reset by the client during a delay never goes upstream', async () => {
    const b = await backend();
    const { mosn, p } = await mosnWith([{ type: 'fault', config: { delay: { fixed_delay: '300ms', percentage: 100 } } }], b.address, { downstreamProtocol: 'Http2' });
    const client = http2.connect(`http://127.0.0.1:${p}`);
    cleanups.push(() => client.close());
    const req = client.request({ ':path': '/cancelled' });
    req.on('error', () => {});
    await waitUntil(() => (mosn.stats.snapshot()['listener.l.downstream_rq_total'] ?? 0) === 1, 3000, 'the request reached mosn');
    req.close(http2.constants.NGHTTP2_CANCEL);
    await waitUntil(() => (mosn.stats.snapshot()['listener.l.downstream_rq_reset'] ?? 0) === 1, 3000, 'mosn saw the stream reset');
    await sleep(600);
    expect(b.requests()).toBe(0);
    // the connection serves the next request (after its own delay)
    const next = client.request({ ':path': '/next' });
    const status = await new Promise((resolve) => next.on('response', (h) => (next.resume(), resolve(h[':status']))));
    expect(status).toBe(200);
  });

  it('a filter reply is an HTTP/2 status, and a gRPC request gets grpc-status', async () => {
    const b = await backend();
    const { p } = await mosnWith([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['10.0.0.0/8'] }] } }], b.address, {
      downstreamProtocol: 'Http2',
    });
    const client = http2.connect(`http://127.0.0.1:${p}`);
    cleanups.push(() => client.close());
    const ask = (headers: http2.OutgoingHttpHeaders) =>
      new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const req = client.request(headers);
        req.on('response', (h) => {
          req.resume();
          req.on('end', () => resolve(h));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await ask({ ':path': '/' }))[':status']).toBe(403);
    const grpc = await ask({ ':path': '/pkg.Svc/Call', ':method': 'POST', 'content-type': 'application/grpc' });
    expect([grpc[':status'], grpc['grpc-status'], grpc['grpc-message']]).toEqual([200, '7', 'denied%20by%20ip_access']);
    expect(b.requests()).toBe(0);
  });
});
