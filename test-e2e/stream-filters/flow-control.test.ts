import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend, waitUntil } from '../helpers.js';
import { BoltConn, OTHER_SERVICE, rawCall, rpcClient, SERVICE, startRpcServer } from '../bolt/peers.js';
import { mosnJson, proxyListener, router, runCli, serviceRouter, startMosnProcess, toCluster } from '../reload/support.js';

// flowControlFilter with mosn as its own process (`mosn start -c`):
//   MOSN's flowcontrol-sample/server_config.json: node:http client → mosn (PATH /test, 1 per second) → node:http
//   a larger threshold over a 10 s window: node:http → mosn → node:http
//   Bolt: sofa-rpc-node (and raw sofa-bolt-node frames) → mosn (service TestService, 3 per 10 s) → sofa-rpc-node
//
// How many requests a burst may get through. sentinel's window (and mosn-ts's) is made of 500 ms buckets: with a
// window of W buckets, the requests that pass in any W consecutive buckets are at most the threshold. A burst
// that lasts D ms touches at most floor(D / 500) + 2 buckets, so at most threshold × ceil(that / W) of it pass;
// and since the window starts empty, at least the threshold passes. The bound is taken from the burst's own
// measured duration: a slow machine widens it, it never fails the test.

const CORPUS = [new URL('../../fixtures/mosn-configs/', import.meta.url), new URL('../../../shared/mosn-configs/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(d));
const cleanups = cleanupAfterEach();

/** The most a burst of `durationMs` can get through a rule of `threshold` per `windowMs` (a multiple of 500, ≤ 10 s). */
function maxAllowed(threshold: number, windowMs: number, durationMs: number): number {
  const touched = Math.floor(durationMs / 500) + 2;
  return threshold * Math.ceil(touched / (windowMs / 500));
}

/** A node:http backend answering `ok <path>`, recording each path it served. */
async function backend() {
  const seen: string[] = [];
  const b = await httpBackend((req, res) => {
    seen.push(req.url ?? '');
    res.end(`ok ${req.url}`);
  });
  cleanups.push(b.close);
  return { ...b, seen };
}

/** `n` concurrent GETs of `path` on keep-alive connections: each one's status and body, and how long the burst took. */
async function burst(p: number, path: string, n: number): Promise<{ answers: Array<{ status: number; body: string }>; durationMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n });
  cleanups.push(() => agent.destroy());
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: n }, () => get(p, path, { agent })));
  return { answers: answers.map(({ status, body }) => ({ status, body })), durationMs: performance.now() - started };
}

const countOf = <T>(xs: T[], pred: (x: T) => boolean) => xs.filter(pred).length;

describe('flowControlFilter, mosn as its own process', () => {
  it("runs MOSN's flowcontrol-sample/server_config.json: /test gets 1 request per second through, the rest 500 \"blocked\"; other paths pass", async () => {
    if (!CORPUS) throw new Error("MOSN's config corpus (fixtures/mosn-configs or ../shared/mosn-configs) was not found");
    const b = await backend();
    // the sample with its addresses rewritten: listener and admin on free ports, the cluster's host → the backend
    const config = loadConfigFile(join(CORPUS, 'examples/codes/flowcontrol-sample/server_config.json')) as Record<string, any>;
    const [listenerPort, adminPort] = [await closedPort(), await closedPort()];
    expect(config.servers[0].listeners).toHaveLength(1);
    config.servers[0].listeners[0].address = `127.0.0.1:${listenerPort}`;
    config.cluster_manager.clusters[0].hosts = [{ address: b.address }];
    config.admin.address.socket_address = { address: '127.0.0.1', port_value: adminPort };
    expect(config.servers[0].listeners[0].stream_filters[0]).toMatchObject({
      type: 'flowControlFilter',
      config: { global_switch: true, limit_key_type: 'PATH', action: { status: 500, body: 'blocked' }, rules: [{ resource: '/test', threshold: 1 }] },
    });

    // it validates (a warning for log_path, which mosn-ts does not write)
    const dir = mkdtempSync(join(tmpdir(), 'mosn-flowcontrol-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'server_config.json');
    writeFileSync(file, JSON.stringify(config));
    const validated = await runCli(['validate', '-c', file]);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stderr).toContain('stream_filters[0].config.log_path: ignored: mosn-ts writes no sentinel logs');

    const mosn = await startMosnProcess(config, cleanups, { adminPort });
    const n = 20;
    const { answers, durationMs } = await burst(listenerPort, '/test', n);
    const allowed = countOf(answers, (a) => a.status === 200);
    const blocked = answers.filter((a) => a.status !== 200);
    expect(allowed, `${durationMs} ms`).toBeGreaterThanOrEqual(1);
    expect(allowed, `${durationMs} ms`).toBeLessThanOrEqual(maxAllowed(1, 1000, durationMs));
    // each blocked one gets the sample's action: 500 and its body (mosn-ts's local replies end in a newline)
    expect(new Set(blocked.map((a) => `${a.status} ${a.body}`))).toEqual(new Set(['500 blocked\n']));
    expect(b.seen).toEqual(Array(allowed).fill('/test'));

    // another path is not limited
    const other = await burst(listenerPort, '/other', n);
    expect(other.answers.every((a) => a.status === 200 && a.body === 'ok /other')).toBe(true);

    // counted per listener
    const stats = await mosn.stats();
    expect([stats['listener.serverListener.flow_control_pass'], stats['listener.serverListener.flow_control_block']]).toEqual([allowed, n - allowed]);

    // once the window has moved on, /test passes again
    await waitUntil(async () => (await get(listenerPort, '/test')).status === 200, 5000, '/test passes again after the window');
  }, 60_000);

  it('lets exactly the threshold through a 10 s window over a burst (5 of 40), by the normalized path', async () => {
    const b = await backend();
    const [listenerPort, admin] = [await closedPort(), await closedPort()];
    const config = mosnJson({
      admin,
      routers: [router('r', [toCluster('/', 'c')])],
      listeners: [
        {
          ...proxyListener('l', listenerPort, 'Http1', 'r'),
          stream_filters: [
            {
              type: 'flowControlFilter',
              config: { global_switch: true, action: { status: 429, body: 'slow down' }, rules: [{ resource: '/api/items', threshold: 5, statIntervalInMs: 10_000 }] },
            },
          ],
        },
      ],
      clusters: [cluster('c', [b.address])],
    });
    const mosn = await startMosnProcess(config, cleanups, { adminPort: admin });
    // the resource spelled three ways: one resource
    const paths = ['/api/items', '/api//items', '/api/%69tems'];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    cleanups.push(() => agent.destroy());
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(listenerPort, `${paths[i % 3]}?i=${i}`, { agent })));
    const durationMs = performance.now() - started;
    const allowed = countOf(answers, (a) => a.status === 200);
    expect(allowed, `${durationMs} ms`).toBeGreaterThanOrEqual(5);
    expect(allowed, `${durationMs} ms`).toBeLessThanOrEqual(maxAllowed(5, 10_000, durationMs));
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 429 && a.body === 'slow down\n')).toBe(true);
    expect(b.seen).toHaveLength(allowed);
    const stats = await mosn.stats();
    expect([stats['listener.l.flow_control_pass'], stats['listener.l.flow_control_block']]).toEqual([allowed, 40 - allowed]);
  }, 60_000);

  it("answers a blocked Bolt request with Bolt's error response (UNKNOWN for 509); another service is not limited", async () => {
    const server = await startRpcServer('S');
    cleanups.push(server.close);
    const [listenerPort, admin] = [await closedPort(), await closedPort()];
    const config = mosnJson({
      admin,
      routers: [serviceRouter('r', 'a')],
      listeners: [
        {
          ...proxyListener('l', listenerPort, 'bolt', 'r', { upstream: 'bolt' }),
          stream_filters: [{ type: 'flowControlFilter', config: { global_switch: true, rules: [{ resource: SERVICE, threshold: 3, statIntervalInMs: 10_000 }] } }],
        },
      ],
      clusters: [cluster('a', [server.address])],
    });
    const mosn = await startMosnProcess(config, cleanups, { adminPort: admin });

    // sofa-rpc-node: 3 of 8 calls are answered, the others fail at the client
    const client = rpcClient(`127.0.0.1:${listenerPort}`);
    cleanups.push(() => client.close());
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => client.invoke('echo', [`call-${i}`])));
    const answered = results.filter((r) => r.status === 'fulfilled');
    expect(answered).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(5);

    // a raw frame sees Bolt's response: its request id and status UNKNOWN (MOSN maps 509 to UNKNOWN too)
    const conn = await BoltConn.connect(listenerPort);
    cleanups.push(() => conn.close());
    const blocked = await rawCall(conn, 41, { method: 'echo', args: ['raw'] });
    expect([blocked.frame.requestId, blocked.frame.status]).toEqual([41, 0x03]);

    // another service is not limited
    for (let i = 0; i < 5; i++) expect(await client.invoke('echo', [`other-${i}`], { service: OTHER_SERVICE })).toBe(`other-${i}`);
    expect(server.requests.filter((r) => r.service === SERVICE)).toHaveLength(3);

    const stats = await mosn.stats();
    expect([stats['listener.l.flow_control_pass'], stats['listener.l.flow_control_block']]).toEqual([3, 6]);
  }, 60_000);
});
