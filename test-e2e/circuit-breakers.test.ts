import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BoltFrame, BoltStatus, boltCodec, buildFrame } from '@mosn/protocol-bolt';
import { IoBuffer } from 'mosn';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend, httpProxyConfig, port, startMosn } from './helpers.js';
import * as bolt from './bolt/peers.js';
import * as dubbo from './dubbo/peers.js';

const cleanups = cleanupAfterEach();

const until = async (cond: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** mosn proxying HTTP/1 on `/` to cluster `c` over `hosts` with the cluster settings given. */
async function httpMosn(hosts: string[], settings: Record<string, unknown>, route: Record<string, unknown> = {}): Promise<{ mosn: Mosn; p: number }> {
  const mosn = await startMosn(
    httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', ...route } }], clusters: [cluster('c', hosts, settings)] }),
  );
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')) };
}

describe('circuit_breakers', () => {
  it('max_requests: HTTP requests past the limit get 503 at once', async () => {
    let reached = 0;
    const b = await httpBackend((_req, res) => {
      reached++;
      setTimeout(() => res.end('ok'), 300);
    });
    cleanups.push(b.close);
    const mosn = await startMosn(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [cluster('c', [b.address], { circuit_breakers: [{ max_requests: 2 }] })],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const statuses = await Promise.all([0, 1, 2, 3].map(() => get(p, '/').then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(reached).toBe(2); // the overflowing requests never reached the backend
    // the budget comes back when requests end
    expect((await get(p, '/')).status).toBe(200);
  });

  it('max_requests: Bolt requests past the limit get status 4 (SERVER_THREADPOOL_BUSY)', async () => {
    const server = net.createServer((s) => {
      const buf = new IoBuffer();
      s.on('data', (c: Buffer) => {
        buf.append(c);
        for (let f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 }); f instanceof BoltFrame; f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 })) {
          const req = f;
          setTimeout(() => s.write(Buffer.concat(boltCodec.encode(buildFrame({ version: 1, kind: 'response', requestId: req.requestId, status: 0 })))), 200);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => void server.close());
    const upstream = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const mosn = await startMosn({
      servers: [
        {
          routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*' }] }, route: { cluster_name: 'c' } }] }] }],
          listeners: [{ name: 'l', address: '127.0.0.1:0', filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'bolt', router_config_name: 'r' } }] }] }],
        },
      ],
      cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', hosts: [{ address: upstream }], circuit_breakers: [{ max_requests: 1 }] }] },
    });
    cleanups.push(() => mosn.stop(0));
    const client = net.connect(port(mosn.listenerAddress('l')), '127.0.0.1');
    cleanups.push(() => void client.destroy());
    const frames: BoltFrame[] = [];
    const buf = new IoBuffer();
    const done = new Promise<void>((resolve) =>
      client.on('data', (c: Buffer) => {
        buf.append(c);
        for (let f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 }); f instanceof BoltFrame; f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 })) frames.push(f);
        if (frames.length === 2) resolve();
      }),
    );
    for (const id of [1, 2]) {
      client.write(Buffer.concat(boltCodec.encode(buildFrame({ version: 1, kind: 'request', requestId: id, timeout: 3000, header: [['service', 's']] }))));
    }
    await done;
    // the second is refused at once, so it is answered first
    expect(frames.map((f) => [f.requestId, f.status])).toEqual([
      [2, BoltStatus.SERVER_THREADPOOL_BUSY],
      [1, 0],
    ]);
  });

  it('max_pending_requests: an HTTP request past the requests waiting for a connection gets 503 at once', async () => {
    let reached = 0;
    const b = await httpBackend((_req, res) => {
      reached++;
      setTimeout(() => res.end('ok'), 300);
    });
    cleanups.push(b.close);
    const { mosn, p } = await httpMosn([b.address], { circuit_breakers: [{ max_connections: 1, max_pending_requests: 1 }] });
    const resources = mosn.clusters.get('c')!.resources;
    const first = get(p, '/1');
    await until(() => reached === 1, 'the first request at the backend');
    const second = get(p, '/2'); // waits for the one connection
    await until(() => resources.pendingRequests.used === 1, 'the second request waiting');
    expect((await get(p, '/3')).status).toBe(503);
    expect(reached).toBe(1);
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
    expect(reached).toBe(2);
    expect(b.connections()).toBe(1);
    expect(resources.pendingRequests.used).toBe(0);
  });

  it('max_connections: HTTP requests past it wait for the cluster\'s connection; a host that can get none answers 503 at once', async () => {
    let reached = 0;
    const slow = (name: string) => (_req: unknown, res: { end(s: string): void }) => {
      reached++;
      setTimeout(() => res.end(name), 200);
    };
    const a = await httpBackend(slow('a'));
    const b = await httpBackend(slow('b'));
    cleanups.push(a.close, b.close);
    // one host: the requests queue for its one connection and are all served on it
    const one = await httpMosn([a.address], { circuit_breakers: [{ max_connections: 1 }] });
    expect((await Promise.all([1, 2, 3].map(() => get(one.p, '/')))).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(a.connections()).toBe(1);
    // two hosts: a's connection holds the whole budget; a request for b, whose pool has no connection and
    // may make none, is refused at once rather than left waiting for a connection that never comes
    const two = await httpMosn([a.address, b.address], { circuit_breakers: [{ max_connections: 1 }] });
    reached = 0;
    const first = get(two.p, '/');
    await until(() => reached === 1, 'the first request at a');
    const second = await get(two.p, '/');
    expect(second.status).toBe(503);
    const served = (await first).body; // round robin starts at either host
    expect(reached).toBe(1);
    expect([a.connections(), b.connections()]).toEqual(served === 'a' ? [2, 0] : [1, 1]);
  });

  it('max_retries: a retry past the budget is not made; the request gets its own failure at once (Envoy, MOSN)', async () => {
    const hits = new Map<string, number>();
    const b = await httpBackend((req, res) => {
      const n = (hits.get(req.url!) ?? 0) + 1;
      hits.set(req.url!, n);
      if (n === 1) return void res.writeHead(500).end('first try fails');
      setTimeout(() => res.end('retried'), 300);
    });
    cleanups.push(b.close);
    const { mosn, p } = await httpMosn([b.address], { circuit_breakers: [{ max_retries: 1 }] }, { retry_policy: { retry_on: '5xx', num_retries: 1 } });
    const a = get(p, '/a');
    await until(() => hits.get('/a') === 2, '/a retried (holding the one retry)');
    const second = await get(p, '/b');
    expect([second.status, second.body]).toEqual([500, 'first try fails']);
    expect(hits.get('/b')).toBe(1);
    expect((await a).body).toBe('retried');
    expect(mosn.stats.get('cluster.c.upstream_rq_retry_overflow')).toBe(1);
    // the budget is back: /c is retried
    expect((await get(p, '/c')).body).toBe('retried');
  });
});

describe('circuit_breakers with an HTTP/2 (h2c) upstream (503)', () => {
  /** An h2c backend named `name` that answers after `ms`, allowing `streams` concurrent streams per session. */
  async function h2Backend(name: string, ms: number, streams = 100) {
    const server = http2.createServer({ settings: { maxConcurrentStreams: streams } });
    const state = { streams: 0, sessions: 0 };
    server.on('session', () => state.sessions++);
    server.on('stream', (stream) => {
      state.streams++;
      setTimeout(() => {
        if (!stream.destroyed) stream.respond({ ':status': 200 }), stream.end(name);
      }, ms);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, state };
  }
  /** HTTP/1 in, HTTP/2 to cluster `c` over `hosts`. */
  async function h2Mosn(hosts: string[], settings: Record<string, unknown>) {
    const config = httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', hosts, settings)] }) as {
      servers: Array<{ listeners: Array<{ filter_chains: Array<{ filters: Array<{ config: Record<string, unknown> }> }> }> }>;
    };
    config.servers[0]!.listeners[0]!.filter_chains[0]!.filters[0]!.config.upstream_protocol = 'Http2';
    const mosn = await startMosn(config);
    cleanups.push(() => mosn.stop(0));
    return { mosn, p: port(mosn.listenerAddress('l')) };
  }

  it('max_pending_requests: a request past those waiting for stream room gets 503 at once', async () => {
    const b = await h2Backend('b', 300, 1);
    const { mosn, p } = await h2Mosn([b.address], { circuit_breakers: [{ max_pending_requests: 1 }] });
    const resources = mosn.clusters.get('c')!.resources;
    const first = get(p, '/1');
    await until(() => b.state.streams === 1, 'the first stream at the backend');
    const second = get(p, '/2'); // waits: the server allows one stream at a time
    await until(() => resources.pendingRequests.used === 1, 'the second request waiting');
    expect((await get(p, '/3')).status).toBe(503);
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
    expect(b.state.streams).toBe(2);
    expect(resources.pendingRequests.used).toBe(0);
  });

  it('max_connections: a request for a host whose pool may not open a session gets 503 at once', async () => {
    const a = await h2Backend('a', 200);
    const b = await h2Backend('b', 200);
    const { mosn, p } = await h2Mosn([a.address, b.address], { circuit_breakers: [{ max_connections: 1 }] });
    const first = get(p, '/');
    await until(() => a.state.streams + b.state.streams === 1, 'the first request at a backend');
    expect((await get(p, '/')).status).toBe(503);
    expect((await first).status).toBe(200);
    expect(a.state.sessions + b.state.sessions).toBe(1);
    expect(mosn.clusters.get('c')!.resources.connections.used).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// RPC: sofa-rpc-node (Bolt) and apache-dubbo-service / dubbo2.js (Dubbo) peers; raw frames where the status
// byte itself is checked. Overflow answers: Bolt 4 SERVER_THREADPOOL_BUSY, Dubbo 40 BAD_REQUEST with MOSN's
// message "503|upstream overflow" or mosn's reason.

const anyService = { headers: [{ name: 'service', value: '.*', regex: true }] };

/** mosn with one `protocol` listener routing every service to cluster `c` over `hosts`. */
async function rpcMosn(protocol: 'bolt' | 'dubbo', hosts: string[], settings: Record<string, unknown>): Promise<{ mosn: Mosn; p: number }> {
  const mosn = await startMosn({
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: anyService, route: { cluster_name: 'c' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: protocol, upstream_protocol: protocol, router_config_name: 'r' } }] }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [cluster('c', hosts, settings)] },
  });
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')) };
}

async function rpcServer(name: string): Promise<bolt.TestServer> {
  const s = await bolt.startRpcServer(name);
  cleanups.push(s.close);
  return s;
}
async function boltConn(p: number): Promise<bolt.BoltConn> {
  const c = await bolt.BoltConn.connect(p);
  cleanups.push(() => c.close());
  return c;
}
async function provider(name: string): Promise<dubbo.TestProvider> {
  const s = await dubbo.startProvider(name);
  cleanups.push(s.close);
  return s;
}
function consumer(p: number): dubbo.TestConsumer {
  const c = dubbo.dubboConsumer(`127.0.0.1:${p}`, { timeoutSec: 5 });
  cleanups.push(() => c.close());
  return c;
}
async function dubboConn(p: number): Promise<dubbo.DubboConn> {
  const c = await dubbo.DubboConn.connect(p);
  cleanups.push(() => c.close());
  return c;
}
const BUSY = BoltStatus.SERVER_THREADPOOL_BUSY;
const OVERFLOW = dubbo.STATUS.BAD_REQUEST;
const statusById = (frames: Array<{ requestId: number; status?: number | undefined }>) => Object.fromEntries(frames.map((f) => [f.requestId, f.status]));

describe('circuit_breakers over Bolt (status 4) with sofa-rpc-node', () => {
  it('max_pending_requests: requests past those waiting for the connection get status 4 at once', async () => {
    const A = await rpcServer('A');
    const { p } = await rpcMosn('bolt', [A.address], { circuit_breakers: [{ max_pending_requests: 1 }] });
    const c = await boltConn(p);
    // three requests in one write: all three reach the pool before its first connection is up
    c.write(Buffer.concat([1, 2, 3].map((id) => bolt.encodeRequest(id, { method: 'whoami' }))));
    await c.until(() => c.frames.length === 3, 3000, 'three answers');
    expect(statusById(c.frames)).toEqual({ 1: 0, 2: BUSY, 3: BUSY });
    expect(c.frames.map((f) => f.requestId).slice(0, 2), 'refused at once, before the first is answered').toEqual([2, 3]);
    expect(A.requests).toHaveLength(1);
  });

  it('max_connections: a request for a host whose pool may not connect gets status 4 at once', async () => {
    const A = await rpcServer('A');
    const B = await rpcServer('B');
    const { p } = await rpcMosn('bolt', [A.address, B.address], { circuit_breakers: [{ max_connections: 1 }] });
    const c = await boltConn(p);
    const first = await bolt.rawCall(c, 1, { method: 'whoami' });
    const second = await bolt.rawCall(c, 2, { method: 'whoami' }); // round robin: the other host
    expect([first.frame.status, second.frame.status]).toEqual([0, BUSY]);
    expect(A.connections + B.connections).toBe(1);
    expect(A.requests.length + B.requests.length).toBe(1);
  });

  it('max_retries: a connect retry past the budget is not made; the request gets its own failure (status 6) at once', async () => {
    const A = await rpcServer('A');
    const dead = `127.0.0.1:${await closedPort()}`;
    const { mosn, p } = await rpcMosn('bolt', [dead, A.address], { circuit_breakers: [{ max_retries: 0 }] });
    const c = await boltConn(p);
    const statuses: number[] = [];
    for (let id = 1; id <= 6; id++) statuses.push((await bolt.rawCall(c, id, { method: 'whoami' })).frame.status!);
    // round robin: three calls went to the dead host; with no retry allowed they fail as the connect did
    expect(statuses.filter((s) => s === BoltStatus.NO_PROCESSOR)).toHaveLength(3);
    expect(statuses.filter((s) => s === 0)).toHaveLength(3);
    expect(mosn.stats.get('cluster.c.upstream_rq_retry_overflow')).toBe(3);
    expect(A.requests).toHaveLength(3);
  });
});

describe('circuit_breakers over Dubbo (status 40) with dubbo2.js and apache-dubbo-service', () => {
  it('max_requests: calls past the limit get status 40 at once; dubbo2.js sees them fail', async () => {
    const A = await provider('A');
    const { p } = await rpcMosn('dubbo', [A.address], { circuit_breakers: [{ max_requests: 2 }] });
    const cons = consumer(p);
    expect((await cons.call('whoami')).res).toBe('A');
    const results = await Promise.all([0, 1, 2, 3].map(() => cons.call<string>('slow', [dubbo.java.Integer(300)])));
    expect(results.filter((r) => r.res === 'A')).toHaveLength(2);
    const refused = results.filter((r) => r.err);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.err!.message).toContain('max_requests');
    expect(A.requests).toHaveLength(3);
    // the status byte, on raw frames
    const c = await dubboConn(p);
    c.write(Buffer.concat([1, 2, 3].map((id) => dubbo.encodeRequest(id, { method: 'slow', args: [dubbo.java.Integer(200)] }))));
    await c.until(() => c.frames.length === 3, 3000, 'three answers');
    expect(statusById(c.frames)).toEqual({ 1: dubbo.STATUS.OK, 2: dubbo.STATUS.OK, 3: OVERFLOW });
    expect(dubbo.decodeResponse(c.frames[0]!).error).toMatch(/max_requests/);
  });

  it('max_pending_requests: calls queued past it while the upstream connection opens get status 40 at once', async () => {
    const A = await provider('A');
    const { p } = await rpcMosn('dubbo', [A.address], { circuit_breakers: [{ max_pending_requests: 1 }] });
    // dubbo2.js writes the calls made before its own connection is up together, once it is: they reach
    // mosn's pool before its upstream connection is up
    const cons = consumer(p);
    const results = await Promise.all([0, 1, 2].map(() => cons.call<string>('whoami')));
    expect(results.filter((r) => r.res === 'A')).toHaveLength(1);
    expect(results.filter((r) => r.err?.message.includes('overflow'))).toHaveLength(2);
    expect(A.requests).toHaveLength(1);
  });

  it('max_connections: a call for a provider whose pool may not connect gets status 40 at once', async () => {
    const A = await provider('A');
    const B = await provider('B');
    const { p } = await rpcMosn('dubbo', [A.address, B.address], { circuit_breakers: [{ max_connections: 1 }] });
    const cons = consumer(p);
    const first = await cons.call<string>('whoami');
    const second = await cons.call<string>('whoami'); // round robin: the other provider
    expect(first.res === 'A' || first.res === 'B').toBe(true);
    expect(second.err?.message).toContain('overflow');
    const c = await dubboConn(p);
    const raw = [await dubbo.rawCall(c, 1, { method: 'whoami' }), await dubbo.rawCall(c, 2, { method: 'whoami' })];
    expect(raw.map((r) => r.frame.status)).toEqual([dubbo.STATUS.OK, OVERFLOW]);
    expect(A.connections + B.connections).toBe(1);
    expect(A.requests.length + B.requests.length).toBe(2);
  });

  it('max_retries: a connect retry past the budget is not made; the call gets its own failure (status 60) at once', async () => {
    const A = await provider('A');
    const dead = `127.0.0.1:${await closedPort()}`;
    const { mosn, p } = await rpcMosn('dubbo', [dead, A.address], { circuit_breakers: [{ max_retries: 0 }] });
    const cons = consumer(p);
    const results: Array<{ res: string | null; err: Error | null }> = [];
    for (let i = 0; i < 6; i++) results.push(await cons.call<string>('whoami'));
    expect(results.filter((r) => r.res === 'A')).toHaveLength(3);
    expect(results.filter((r) => r.err?.message.includes('connection_failure'))).toHaveLength(3);
    expect(mosn.stats.get('cluster.c.upstream_rq_retry_overflow')).toBe(3);
    const c = await dubboConn(p);
    const raw = [await dubbo.rawCall(c, 1, { method: 'whoami' }), await dubbo.rawCall(c, 2, { method: 'whoami' })];
    expect(raw.map((r) => r.frame.status).sort()).toEqual([dubbo.STATUS.OK, dubbo.STATUS.SERVICE_NOT_FOUND]);
  });
});
