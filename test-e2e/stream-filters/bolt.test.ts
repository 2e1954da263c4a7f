import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, startMosnWithCleanup, waitUntil } from '../helpers.js';
import { BoltConn, encodeRequest, rawCall, rpcClient, SERVICE, startRpcServer, type TestServer } from '../bolt/peers.js';

// Stream filters on a Bolt listener: sofa-rpc-node client (or raw sofa-bolt-node frames) → mosn (in this
// process) → sofa-rpc-node server. A filter's reply is Bolt's own error response, never forwarded.

const cleanups = cleanupAfterEach();

/** Bolt's response statuses that mosn answers with (MOSN's hijack mapping). */
const BOLT = { SUCCESS: 0, SERVER_THREADPOOL_BUSY: 4, UNKNOWN: 0x03 } as const;

async function server(): Promise<TestServer> {
  const s = await startRpcServer('A');
  cleanups.push(() => s.close());
  return s;
}

/** mosn on Bolt with `stream_filters`, every service routed to cluster `a` at `address`. */
async function mosnWith(streamFilters: unknown[], address: string) {
  const config = {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*', regex: true }] }, route: { cluster_name: 'a' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'bolt', upstream_protocol: 'bolt', router_config_name: 'r' } }] }],
            stream_filters: streamFilters,
          },
        ],
      },
    ],
    cluster_manager: { clusters: [cluster('a', [address])] },
  };
  return startMosnWithCleanup(config, cleanups);
}

async function boltConn(p: number): Promise<BoltConn> {
  const conn = await BoltConn.connect(p);
  cleanups.push(() => conn.close());
  return conn;
}

describe('stream filters on Bolt', () => {
  it('payload_limit: a request body over the limit gets a Bolt error, a small one is served', async () => {
    const s = await server();
    const { p } = await mosnWith([{ type: 'payload_limit', config: { max_entity_size: 1000 } }], s.address);
    const c = rpcClient(`127.0.0.1:${p}`);
    cleanups.push(() => c.close());
    expect(await c.invoke('echo', ['small'])).toBe('small');
    await expect(c.invoke('echo', ['x'.repeat(2000)])).rejects.toThrow();
    const conn = await boltConn(p);
    const big = await rawCall(conn, 1, { method: 'echo', args: ['y'.repeat(2000)] });
    expect(big.frame.status).toBe(BOLT.UNKNOWN);
    expect(s.requests.map((r) => r.args[0])).toEqual(['small']);
  });

  it('fault abort: the Bolt error for the status (503: server busy); the request never reaches the server', async () => {
    const s = await server();
    const { p } = await mosnWith([{ type: 'fault', config: { abort: { status: 503, percentage: 100 } } }], s.address);
    const conn = await boltConn(p);
    const r = await rawCall(conn, 7, { method: 'echo', args: ['hi'] });
    expect([r.frame.requestId, r.frame.status]).toEqual([7, BOLT.SERVER_THREADPOOL_BUSY]);
    expect(s.requests).toEqual([]);
  });

  it('fault delay: the call is answered after at least the delay; a connection closed meanwhile sends nothing on', async () => {
    const s = await server();
    const { mosn, p } = await mosnWith([{ type: 'fault', config: { delay: { fixed_delay: '300ms', percentage: 100 }, headers: [{ name: 'service', value: SERVICE }] } }], s.address);
    const c = rpcClient(`127.0.0.1:${p}`);
    cleanups.push(() => c.close());
    const started = performance.now();
    expect(await c.invoke('echo', ['late'])).toBe('late');
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    // closed while paused
    const conn = await boltConn(p);
    conn.write(encodeRequest(9, { method: 'echo', args: ['never'] }));
    await waitUntil(() => (mosn.stats.snapshot()['listener.l.downstream_rq_total'] ?? 0) === 2, 3000, 'the request reached mosn');
    conn.close();
    await sleep(600);
    expect(s.requests.map((r) => r.args[0])).toEqual(['late']);
  });

  it('gzip: calls go through untouched (the filter compresses HTTP responses only)', async () => {
    const s = await server();
    const { p } = await mosnWith([{ type: 'gzip', config: { content_length: 0, content_types: ['text/html', 'application/octet-stream'] } }], s.address);
    const c = rpcClient(`127.0.0.1:${p}`);
    cleanups.push(() => c.close());
    const big = '<p>compressible</p>'.repeat(4096);
    expect(await c.invoke('echo', [big])).toBe(big);
  });

  it('ip_access: a denied client gets a Bolt error', async () => {
    const s = await server();
    const { p } = await mosnWith([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['10.0.0.0/8'] }] } }], s.address);
    const conn = await boltConn(p);
    const r = await rawCall(conn, 3, { method: 'echo', args: ['hi'] });
    expect(r.frame.status).toBe(BOLT.UNKNOWN);
    expect(s.requests).toEqual([]);
    // an allowed client is served
    const allowed = await mosnWith([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['127.0.0.1'] }] } }], s.address);
    const ok = await rawCall(await boltConn(allowed.p), 4, { method: 'echo', args: ['in'] });
    expect([ok.frame.status, ok.appResponse]).toEqual([BOLT.SUCCESS, 'in']);
  });
});
