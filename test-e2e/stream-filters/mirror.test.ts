import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend, waitUntil } from '../helpers.js';
import { mosnJson, proxyListener, router, serviceRouter, startMosnProcess } from '../reload/support.js';
import { rpcClient, startRpcServer } from '../bolt/peers.js';

// The `mirror` stream filter and routes' `request_mirror_policies`, with mosn as its own process (the built CLI):
// clients (node:http, sofa-rpc-node) → mosn → the route's backend, and copies to a shadow cluster whose backends
// record what reaches them. The copies never change what the client gets.

const cleanups = cleanupAfterEach();

/** What a backend saw of one request. */
interface Seen {
  method: string;
  url: string;
  header: string | undefined;
  bodySha: string;
  bodyBytes: number;
}

/** A node:http backend answering `<name> <url>` (once `gate` resolves), recording every request it read whole. */
async function recordingBackend(name: string, o: { gate?: Promise<void> } = {}) {
  const seen: Seen[] = [];
  const b = await httpBackend((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, header: req.headers['x-mark'] as string | undefined, bodySha: hash.digest('hex'), bodyBytes: bytes });
      if (o.gate) void o.gate.then(() => res.end(`${name} ${req.url}`));
      else res.end(`${name} ${req.url}`);
    });
  });
  cleanups.push(b.close);
  return { ...b, seen };
}

/** A TCP server that accepts connections and never reads from them (a frozen upstream). */
async function frozenServer(): Promise<string> {
  const sockets: net.Socket[] = [];
  const s = net.createServer((c) => {
    c.pause();
    sockets.push(c);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const c of sockets) c.destroy();
    return new Promise<void>((r) => s.close(() => r()));
  });
  return `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
}

/** mosn (its own process) with the mirror filter on HTTP/1 listener `l`; `/` goes to cluster `app`, copies to `shadow`. */
async function mosnMirroring(app: string[], shadow: string[], o: { filter?: Record<string, unknown>; policy?: Record<string, unknown>; routeTimeout?: string; bufferLimit?: number } = {}) {
  const port = await closedPort();
  const admin = await closedPort();
  const route = { match: { prefix: '/' }, route: { cluster_name: 'app', ...(o.routeTimeout ? { timeout: o.routeTimeout } : {}) }, request_mirror_policies: o.policy ?? { cluster: 'shadow', percent: 100 } };
  // `bufferLimit`: how far a copy may fall behind (queued while connecting, or in its connection's send buffer)
  const limits = o.bufferLimit ? { listener: { per_connection_buffer_limit_bytes: o.bufferLimit }, cluster: { conn_buffer_limit_bytes: o.bufferLimit } } : { listener: {}, cluster: {} };
  const listener = { ...proxyListener('l', port, 'Http1', 'r'), ...limits.listener, stream_filters: [{ type: 'mirror', config: o.filter ?? {} }] };
  const mosn = await startMosnProcess(mosnJson({ admin, listeners: [listener], routers: [router('r', [route])], clusters: [cluster('app', app), cluster('shadow', shadow, limits.cluster)], logLevel: 'WARN' }), cleanups);
  return { mosn, port };
}

/** POST `body` (sent in `chunks` writes, chunked when more than one) and read the answer. */
function post(port: number, path: string, body: Buffer, chunks = 1, agent?: http.Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: agent ?? false, headers: { 'x-mark': path, ...(chunks === 1 ? { 'content-length': body.length } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    const step = Math.ceil(body.length / chunks);
    for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
    req.end();
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('mirror (HTTP/1)', () => {
  it('sends `amplification` copies of each request (head, streamed body) to the shadow; the client gets the real answer', async () => {
    const app = await recordingBackend('app');
    const shadow = await recordingBackend('shadow');
    // copies that fall behind are dropped by design; a loaded machine must not make these 2 MiB ones fall behind
    const { mosn, port } = await mosnMirroring([app.address], [shadow.address], { filter: { amplification: 2 }, bufferLimit: 64 << 20 });
    const bodies = [Buffer.alloc(0), Buffer.from('small body'), Buffer.alloc(300_000, 7), Buffer.alloc(2 * 1024 * 1024).fill('0123456789abcdef')];
    for (const [i, body] of bodies.entries()) {
      // the larger bodies arrive in several writes (chunked): the copies get them as they stream
      const r = await post(port, `/r${i}`, body, i >= 2 ? 8 : 1);
      expect(r).toEqual({ status: 200, text: `app /r${i}` });
    }
    await waitUntil(() => shadow.seen.length === 2 * bodies.length, 15_000, 'every copy reached the shadow', async () => JSON.stringify({ seen: shadow.seen.map((s) => s.url), stats: await mosn.stats() }));
    expect(app.seen.map((s) => s.url)).toEqual(bodies.map((_, i) => `/r${i}`));
    for (const [i, body] of bodies.entries()) {
      const copies = shadow.seen.filter((s) => s.url === `/r${i}`);
      expect(copies).toEqual([0, 1].map(() => ({ method: 'POST', url: `/r${i}`, header: `/r${i}`, bodySha: sha(body), bodyBytes: body.length })));
    }
    const stats = await mosn.waitStats((s) => s['listener.l.mirror_rq_completed'] === 2 * bodies.length, 15_000, 'copies answered');
    expect([stats['listener.l.mirror_rq_total'], stats['listener.l.mirror_rq_failed'] ?? 0, stats['listener.l.mirror_rq_dropped'] ?? 0]).toEqual([2 * bodies.length, 0, 0]);
  });

  it("copies the route's percent of 1,000 requests (binomial, 5 sigma)", async () => {
    const app = await recordingBackend('app');
    const shadow = await recordingBackend('shadow');
    const { mosn, port } = await mosnMirroring([app.address], [shadow.address], { policy: { cluster: 'shadow', percent: 30 } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    cleanups.push(() => agent.destroy());
    const n = 1000;
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < n) {
          next++;
          statuses.push((await get(port, '/p', { agent })).status);
        }
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const stats = await mosn.waitStats((s) => (s['listener.l.mirror_rq_completed'] ?? 0) === (s['listener.l.mirror_rq_total'] ?? -1), 15_000, 'copies answered');
    const copies = stats['listener.l.mirror_rq_total']!;
    expect(shadow.seen.length).toBe(copies);
    expect(app.seen.length).toBe(n);
    expect(Math.abs(copies - 300)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
  });

  it('a shadow that is down or does not answer changes nothing for the client; its copies are counted as they end', async () => {
    const app = await recordingBackend('app');
    // the slow shadow holds every answer until the clients have theirs: a mosn that waited for copies would hang here
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await recordingBackend('slow', { gate });
    const down = `127.0.0.1:${await closedPort()}`;
    // round robin over two hosts, two copies: one to each
    const { mosn, port } = await mosnMirroring([app.address], [down, slow.address], { filter: { amplification: 2 }, routeTimeout: '60s' });
    const answers = await Promise.all([post(port, '/a', Buffer.from('x')), post(port, '/b', Buffer.alloc(500_000, 2), 4), post(port, '/c', Buffer.from('y'))]);
    expect(answers).toEqual(['a', 'b', 'c'].map((x) => ({ status: 200, text: `app /${x}` })));
    const before = await mosn.waitStats((s) => s['listener.l.mirror_rq_failed'] === 3, 15_000, "the down host's copies failed");
    expect([before['listener.l.mirror_rq_total'], before['listener.l.mirror_rq_completed'] ?? 0]).toEqual([6, 0]);
    release();
    await mosn.waitStats((s) => s['listener.l.mirror_rq_completed'] === 3, 15_000, "the slow shadow's copies answered");
    expect(slow.seen.map((s) => s.url).sort()).toEqual(['/a', '/b', '/c']);
  });

  it('a copy to a shadow that never reads is dropped when its send buffer fills; the request is served whole', async () => {
    const app = await recordingBackend('app');
    const frozen = await frozenServer();
    const { mosn, port } = await mosnMirroring([app.address], [frozen], { routeTimeout: '5s' });
    const big = Buffer.alloc(16 * 1024 * 1024, 1);
    expect(await post(port, '/big', big, 64)).toEqual({ status: 200, text: 'app /big' });
    expect(app.seen.find((s) => s.url === '/big')?.bodySha).toBe(sha(big));
    // a small request's copy waits for its answer until the route's timeout
    expect(await post(port, '/small', Buffer.from('z'))).toEqual({ status: 200, text: 'app /small' });
    const stats = await mosn.waitStats((s) => s['listener.l.mirror_rq_failed'] === 1, 15_000, "the small copy's timeout");
    expect([stats['listener.l.mirror_rq_total'], stats['listener.l.mirror_rq_dropped'], stats['listener.l.mirror_rq_completed'] ?? 0]).toEqual([2, 1, 0]);
  });

  it('broadcast: one copy to each healthy shadow host, and mosn answers 200 itself without the route\'s cluster', async () => {
    const app = await recordingBackend('app');
    const shadows = await Promise.all([recordingBackend('s1'), recordingBackend('s2'), recordingBackend('s3')]);
    const { mosn, port } = await mosnMirroring(
      [app.address],
      shadows.map((s) => s.address),
      { filter: { broadcast: true } },
    );
    const body = Buffer.alloc(100_000, 3);
    expect(await post(port, '/all', body, 4)).toEqual({ status: 200, text: '' });
    await waitUntil(() => shadows.every((s) => s.seen.length === 1), 15_000, 'each shadow host got its copy');
    for (const s of shadows) expect(s.seen[0]).toMatchObject({ url: '/all', bodySha: sha(body) });
    expect(app.seen).toEqual([]);
    await mosn.waitStats((s) => s['listener.l.mirror_rq_completed'] === 3, 15_000, 'copies answered');
  });
});

describe('mirror (Bolt)', () => {
  it('copies each SOFARPC call to the shadow cluster; the client gets the real server\'s answer', async () => {
    const real = await startRpcServer('A');
    const shadow = await startRpcServer('B');
    cleanups.push(() => real.close(), () => shadow.close());
    const port = await closedPort();
    const admin = await closedPort();
    const listener = { ...proxyListener('l', port, 'bolt', 'r', { upstream: 'bolt' }), stream_filters: [{ type: 'mirror', config: { amplification: 2 } }] };
    const rt = serviceRouter('r', 'app') as { virtual_hosts: Array<{ routers: Array<Record<string, unknown>> }> };
    rt.virtual_hosts[0]!.routers[0]!.request_mirror_policies = { cluster: 'shadow', percent: 100 };
    const mosn = await startMosnProcess(mosnJson({ admin, listeners: [listener], routers: [rt], clusters: [cluster('app', [real.address]), cluster('shadow', [shadow.address])], logLevel: 'WARN' }), cleanups);
    const client = rpcClient(`127.0.0.1:${port}`);
    cleanups.push(() => client.close());
    for (let i = 0; i < 5; i++) expect(await client.invoke('echo', [`call ${i}`])).toBe(`call ${i}`);
    await waitUntil(() => shadow.requests.length === 10, 15_000, 'the copies reached the shadow server');
    expect(real.requests.map((r) => r.args[0])).toEqual([0, 1, 2, 3, 4].map((i) => `call ${i}`));
    expect(shadow.requests.map((r) => r.args[0]).sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4].map((i) => `call ${i}`));
    await mosn.waitStats((s) => s['listener.l.mirror_rq_completed'] === 10, 15_000, 'copies answered');
  });
});
