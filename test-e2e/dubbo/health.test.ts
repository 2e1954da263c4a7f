import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, httpProxyConfig, port, startMosn } from '../helpers.js';
import { dubboConsumer, java, startProvider, type TestConsumer, type TestProvider, waitFor } from './peers.js';

// Active health checks of a Dubbo cluster with the protocol's own heartbeat (`health_check.protocol: "dubbo"`),
// against apache-dubbo-service providers and a dubbo2.js consumer. apache-dubbo-service answers every
// heartbeat with request id 0 (not the id it was sent): the check must still count that answer.

const cleanups = cleanupAfterEach();

const anyService = { headers: [{ name: 'service', value: '.*', regex: true }] };

const dubboConfig = (clusters: unknown[]): unknown =>
  httpProxyConfig({ downstreamProtocol: 'dubbo', routes: [{ match: anyService, route: { cluster_name: 'c' } }], clusters });

async function provider(name: string, p?: number): Promise<TestProvider> {
  const t = await startProvider(name, p === undefined ? {} : { port: p });
  cleanups.push(t.close);
  return t;
}
function consumer(p: number): TestConsumer {
  const c = dubboConsumer(`127.0.0.1:${p}`, { timeoutSec: 5 });
  cleanups.push(() => c.close());
  return c;
}
async function whoami(c: TestConsumer, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await c.call<string>('whoami', []);
    out.push(r.err ? `error: ${r.err.message}` : String(r.res));
  }
  return out;
}

const HEALTH_CHECK = {
  protocol: 'dubbo',
  timeout: '300ms',
  interval: '40ms',
  interval_jitter: '0s',
  initial_delay_seconds: '0s',
  unhealthy_threshold: 2,
  healthy_threshold: 2,
};

describe('Dubbo heartbeat health check (health_check.protocol: dubbo)', () => {
  it('keeps live providers healthy (id-0 heartbeat answers count), marks a dead one unhealthy, skips it, and takes it back', async () => {
    const A = await provider('A');
    const B = await provider('B');
    const mosn: Mosn = await startMosn(dubboConfig([cluster('c', [A.address, B.address], { health_check: HEALTH_CHECK })]));
    cleanups.push(() => mosn.stop(0));
    const stats = mosn.stats;
    const [hostA, hostB] = mosn.clusters.get('c')!.hosts;
    expect(mosn.clusters.get('c')!.healthChecker?.kind).toBe('rpc');

    // several heartbeat rounds reached both providers, each answered with id 0: nobody is marked unhealthy
    await waitFor(() => A.heartbeats >= 5 && B.heartbeats >= 5, 5000, 'five heartbeats at each provider');
    await waitFor(() => stats.get('cluster.c.health_check.success') >= 8, 5000, 'eight successful checks');
    expect(stats.get('cluster.c.health_check.failure')).toBe(0);
    expect([hostA!.healthy, hostB!.healthy]).toEqual([true, true]);
    expect(A.connections, 'one kept connection for the checks (plus none for traffic yet)').toBe(1);

    const c = consumer(port(mosn.listenerAddress('l')));
    expect(new Set(await whoami(c, 6))).toEqual(new Set(['A', 'B']));

    A.kill();
    await waitFor(() => !hostA!.healthy, 5000, 'dead provider A marked unhealthy');
    expect(hostB!.healthy).toBe(true);
    const seenByA = A.requests.length;
    expect(await whoami(c, 10)).toEqual(Array(10).fill('B'));
    expect(A.requests.length).toBe(seenByA);

    // A comes back on its port: healthy after healthy_threshold answered heartbeats, then it gets calls again
    const A2 = await provider('A2', A.port);
    await waitFor(() => hostA!.healthy, 5000, 'A healthy again');
    expect(A2.heartbeats).toBeGreaterThanOrEqual(2);
    expect(await whoami(c, 6)).toContain('A2');
  }, 20_000);

  it('keepalive heartbeats on an idle upstream connection: id-0 answers count, the connection is kept', async () => {
    const A = await provider('A');
    const keepalive = { interval: '20ms', timeout: '60ms', max_failures: 2 };
    const mosn: Mosn = await startMosn(dubboConfig([cluster('c', [A.address], { keepalive })]));
    cleanups.push(() => mosn.stop(0));
    const c = consumer(port(mosn.listenerAddress('l')));
    expect(await whoami(c, 1)).toEqual(['A']);
    // far more heartbeat rounds than max_failures: were the id-0 answers missed, the connection would be closed
    await waitFor(() => A.heartbeats >= 10, 5000, 'ten keepalive heartbeats at the provider');
    expect(A.connections).toBe(1);
    expect(await whoami(c, 1)).toEqual(['A']);
    expect(A.connections, 'still the first upstream connection').toBe(1);
  }, 20_000);
});

describe('outlier detection over Dubbo (outlier_detection)', () => {
  const OUTLIER = { consecutive_5xx: 3, interval: '30ms', base_ejection_time: '300ms', max_ejection_percent: 50 };

  it('a service that throws is not an outlier (status 20 with an exception); a provider refusing connections is ejected and returns', async () => {
    const A = await provider('A');
    const B = await provider('B');
    const mosn: Mosn = await startMosn(dubboConfig([cluster('c', [A.address, B.address], { outlier_detection: OUTLIER })]));
    cleanups.push(() => mosn.stop(0));
    const stats = mosn.stats;
    const [hostA] = mosn.clusters.get('c')!.hosts;
    const c = consumer(port(mosn.listenerAddress('l')));
    // ten thrown exceptions, five on each provider: business errors, not host errors
    for (let i = 0; i < 10; i++) expect((await c.call('fail', [])).err?.message).toMatch(/^boom from [AB]$/);
    expect(hostA!.healthy).toBe(true);
    expect(stats.get('cluster.c.outlier_detection.ejections_enforced_total')).toBe(0);

    A.kill();
    const seen: string[] = [];
    for (let i = 0; i < 30 && hostA!.healthy; i++) seen.push(...(await whoami(c, 1)));
    expect(hostA!.healthy, `A not ejected; answers ${seen.join(' | ')}`).toBe(false);
    expect(stats.get('cluster.c.outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
    // every connect failure to A was retried on B (the first call may still find A's old connection closing)
    expect(seen.slice(1).every((s) => s === 'B'), seen.join(' | ')).toBe(true);
    expect(await whoami(c, 6)).toEqual(Array(6).fill('B'));
    const A2 = await provider('A2', A.port);
    await waitFor(() => hostA!.healthy, 5000, 'A back after the ejection time');
    expect(await whoami(c, 6)).toContain('A2');
  }, 20_000);
});
