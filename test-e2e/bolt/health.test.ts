import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, httpProxyConfig, port, startMosn } from '../helpers.js';
import { rpcClient, SERVICE, startRpcServer, testMethods, type TestClient, type TestServer, waitFor } from './peers.js';

// Host health over Bolt, with sofa-rpc-node servers and client through mosn: the active heartbeat check
// (`health_check.protocol: "bolt"`) and outlier detection (`outlier_detection`) on Bolt answers.

const cleanups = cleanupAfterEach();

const anyService = { headers: [{ name: 'service', value: '.*', regex: true }] };

const boltConfig = (clusters: unknown[]): unknown =>
  httpProxyConfig({ downstreamProtocol: 'bolt', upstreamProtocol: 'bolt', routes: [{ match: anyService, route: { cluster_name: 'c' } }], clusters });

async function server(name: string, opts: Parameters<typeof startRpcServer>[1] = {}): Promise<TestServer> {
  const s = await startRpcServer(name, opts);
  cleanups.push(s.close);
  return s;
}

/** mosn with cluster `c` over A and B (in that order) and the cluster settings given. */
async function proxyTo(A: TestServer, B: TestServer, settings: Record<string, unknown>) {
  const mosn: Mosn = await startMosn(boltConfig([cluster('c', [A.address, B.address], settings)]));
  cleanups.push(() => mosn.stop(0));
  const client = rpcClient(`127.0.0.1:${port(mosn.listenerAddress('l'))}`);
  cleanups.push(client.close);
  const [hostA, hostB] = mosn.clusters.get('c')!.hosts;
  return { mosn, client, hostA: hostA!, hostB: hostB!, stats: mosn.stats };
}

/** One call of whoami: the answering server's name, or `error: ...`. */
const whoami = (c: TestClient): Promise<string> =>
  c.invoke<string>('whoami', [], { service: SERVICE, timeout: 3000 }).then(String, (e: Error) => `error: ${e.message}`);
const calls = async (c: TestClient, n: number): Promise<string[]> => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await whoami(c));
  return out;
};
/** The sum of every stat whose name ends with `suffix` (listener- or cluster-scoped names). */
const statSum = (stats: { snapshot(): Record<string, number> }, suffix: string) =>
  Object.entries(stats.snapshot()).reduce((n, [k, v]) => (k.endsWith(suffix) ? n + v : n), 0);

describe('Bolt heartbeat health check (health_check.protocol: bolt)', () => {
  it('a server killed under load is marked unhealthy, gets no more traffic, and is taken back when it returns', async () => {
    const A = await server('A');
    const B = await server('B');
    const { client, hostA, hostB, stats, mosn } = await proxyTo(A, B, {
      health_check: {
        protocol: 'bolt',
        timeout: '300ms',
        interval: '40ms',
        interval_jitter: '0s',
        initial_delay_seconds: '0s',
        unhealthy_threshold: 2,
        healthy_threshold: 3,
      },
    });
    expect(mosn.clusters.get('c')!.healthChecker?.kind).toBe('rpc');
    await waitFor(() => A.heartbeats >= 3 && B.heartbeats >= 3, 5000, 'heartbeats at both servers');
    expect([hostA.healthy, hostB.healthy]).toEqual([true, true]);

    // load: 4 callers in a loop (bounded), each answer tagged with whether A was marked unhealthy at its start
    let stop = false;
    const answers: Array<{ who: string; afterMark: boolean }> = [];
    const doneAfterMark = [0, 0, 0, 0]; // per caller: calls started after the mark and answered
    const caller = async (n: number) => {
      for (let i = 0; i < 5000 && !stop; i++) {
        const afterMark = !hostA.healthy;
        answers.push({ who: await whoami(client), afterMark });
        if (afterMark) doneAfterMark[n]!++;
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(caller));
    await waitFor(() => A.requests.length >= 20 && B.requests.length >= 20, 5000, 'load on both servers');
    A.kill();
    await waitFor(() => !hostA.healthy, 5000, 'killed server A marked unhealthy');
    // once every caller finished a call started after the mark, no call from before the mark is in flight
    await waitFor(() => doneAfterMark.every((n) => n >= 1), 5000, 'each caller past the mark');
    const retriesAtMark = statSum(stats, 'upstream_rq_retry');
    await waitFor(() => answers.filter((a) => a.afterMark).length >= 100, 10_000, '100 calls after the mark');
    stop = true;
    await load;
    const after = answers.filter((a) => a.afterMark);
    expect(new Set(after.map((a) => a.who)), 'every call after the mark answered by B').toEqual(new Set(['B']));
    // no call after the mark was even tried on A (a try on the dead A would be a connect failure and a retry)
    expect(statSum(stats, 'upstream_rq_retry')).toBe(retriesAtMark);
    expect(hostB.healthy).toBe(true);

    // A returns on its port: the checks reach it, but it gets no calls until healthy_threshold checks passed
    const A2 = await server('A2', { port: A.port });
    await waitFor(() => A2.heartbeats >= 1, 5000, 'a heartbeat at the restarted A');
    const whileUnhealthy: string[] = [];
    let seenByA2WhileUnhealthy = 0;
    for (let i = 0; i < 1000 && !hostA.healthy; i++) {
      const who = await whoami(client);
      if (!hostA.healthy) {
        // sent and answered while A was still marked unhealthy
        whileUnhealthy.push(who);
        seenByA2WhileUnhealthy = A2.requests.length;
      }
    }
    expect(whileUnhealthy.length).toBeGreaterThan(0);
    expect(new Set(whileUnhealthy)).toEqual(new Set(['B']));
    expect(seenByA2WhileUnhealthy, 'calls at the restarted A while it was marked unhealthy').toBe(0);
    await waitFor(() => hostA.healthy, 5000, 'A healthy again');
    expect(A2.heartbeats).toBeGreaterThanOrEqual(3);
    expect(await calls(client, 6)).toContain('A2');
    expect(A2.requests.length).toBeGreaterThan(0);
  }, 30_000);
});

describe('outlier detection over Bolt (outlier_detection)', () => {
  const OUTLIER = { consecutive_5xx: 3, interval: '30ms', base_ejection_time: '300ms', max_ejection_percent: 50 };

  it('a server answering with SERVER_EXCEPTION (status 2, a thrown error) is ejected, gets no calls, returns after the ejection time', async () => {
    let failing = true;
    const methods = {
      ...testMethods('A'),
      async whoami() {
        if (failing) throw new Error('A is failing');
        return 'A';
      },
    };
    const A = await server('A', { methods });
    const B = await server('B');
    const { client, hostA, stats } = await proxyTo(A, B, { outlier_detection: OUTLIER });
    const seen: string[] = [];
    for (let i = 0; i < 20 && hostA.healthy; i++) seen.push(await whoami(client));
    expect(hostA.healthy, `A not ejected; answers ${seen.join(' | ')}`).toBe(false);
    // round robin: A failed exactly consecutive_5xx times, every failure went back to the client as it came
    expect(seen.filter((s) => s.startsWith('error:'))).toHaveLength(3);
    expect(seen.filter((s) => s.startsWith('error:')).every((s) => s.includes('A is failing'))).toBe(true);
    expect(stats.get('cluster.c.outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
    // A is fine again at once, but stays ejected until its time is over: it gets no calls until then
    failing = false;
    const atEjection = A.requests.length;
    const whileEjected: string[] = [];
    let seenByAWhileEjected = atEjection;
    for (let i = 0; i < 200 && !hostA.healthy; i++) {
      const who = await whoami(client);
      if (!hostA.healthy) {
        // sent and answered while A was still ejected
        whileEjected.push(who);
        seenByAWhileEjected = A.requests.length;
      }
    }
    expect(whileEjected.length).toBeGreaterThan(0);
    expect(new Set(whileEjected)).toEqual(new Set(['B']));
    expect(seenByAWhileEjected, 'A got no call while ejected').toBe(atEjection);
    await waitFor(() => hostA.healthy, 5000, 'A back after the ejection time');
    expect(await calls(client, 6)).toContain('A');
  }, 20_000);

  it('a server refusing connections is ejected (connect failures count as 5xx), callers never see it, it returns after the ejection time', async () => {
    const A = await server('A');
    const B = await server('B');
    const { client, hostA, stats } = await proxyTo(A, B, { outlier_detection: OUTLIER });
    expect(new Set(await calls(client, 4))).toEqual(new Set(['A', 'B']));
    A.kill();
    const seen: string[] = [];
    for (let i = 0; i < 30 && hostA.healthy; i++) seen.push(await whoami(client));
    expect(hostA.healthy, `A not ejected; answers ${seen.join(' | ')}`).toBe(false);
    // the in-flight-free kill: each connect failure to A was retried on B, so every caller got B's answer
    // (the first call after the kill may find the old connection closing: an error, not a hang)
    expect(seen.slice(1).every((s) => s === 'B'), seen.join(' | ')).toBe(true);
    expect(stats.get('cluster.c.outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
    const retriesAtEjection = statSum(stats, 'upstream_rq_retry');
    expect(await calls(client, 10)).toEqual(Array(10).fill('B'));
    expect(statSum(stats, 'upstream_rq_retry'), 'no call tried the ejected A').toBe(retriesAtEjection);
    const A2 = await server('A2', { port: A.port });
    await waitFor(() => hostA.healthy, 5000, 'A back after the ejection time');
    expect(await calls(client, 6)).toContain('A2');
    expect(A2.requests.length).toBeGreaterThan(0);
  }, 20_000);
});
