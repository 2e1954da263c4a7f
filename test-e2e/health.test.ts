import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, port, startMosn } from './helpers.js';

const cleanups = cleanupAfterEach();

const until = async (cond: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** mosn with cluster `c` over hosts a and b (a first), with the cluster settings given; returns its port and host a. */
async function proxyTo(a: string, b: string, settings: Record<string, unknown>) {
  const mosn: Mosn = await startMosn(
    httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [a, b], settings)] }),
  );
  cleanups.push(() => mosn.stop(0));
  return { p: port(mosn.listenerAddress('l')), hostA: mosn.clusters.get('c')!.hosts[0]! };
}

const bodies = (p: number, n: number) => Promise.all(Array.from({ length: n }, () => get(p, '/').then((r) => r.body)));

describe('active health checks (health_check)', () => {
  it('an HTTP check marks a failing host unhealthy within its threshold, traffic avoids it, and it comes back', async () => {
    let aHealthy = true;
    const a = await httpBackend((req, res) => {
      if (req.url === '/health') return void res.writeHead(aHealthy ? 200 : 503).end();
      res.end('a');
    });
    const b = await httpBackend((_req, res) => res.end('b'));
    cleanups.push(a.close, b.close);
    const { p, hostA } = await proxyTo(a.address, b.address, {
      health_check: {
        protocol: 'Http1',
        interval: '30ms',
        timeout: '500ms',
        initial_delay_seconds: '0s',
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        check_config: { http_check_config: { path: '/health', codes: [{ start: 200, end: 299 }] } },
      },
    });
    aHealthy = false;
    await until(() => hostA.healthy === false, 'host a marked unhealthy');
    // panic threshold 50%: one of two healthy is exactly 50%, not below it, so only b is used
    expect(new Set(await bodies(p, 10))).toEqual(new Set(['b']));
    aHealthy = true;
    await until(() => hostA.healthy === true, 'host a healthy again');
    expect(await bodies(p, 10)).toContain('a');
  });
});

describe('outlier detection (outlier_detection)', () => {
  it('ejects a host after consecutive 5xx, then lets it back after the ejection time', async () => {
    let failing = true;
    const a = await httpBackend((_req, res) => {
      if (failing) return void res.writeHead(500).end('a-fail');
      res.end('a');
    });
    const b = await httpBackend((_req, res) => res.end('b'));
    cleanups.push(a.close, b.close);
    const { p, hostA } = await proxyTo(a.address, b.address, {
      outlier_detection: { consecutive_5xx: 3, interval: '50ms', base_ejection_time: '300ms', max_ejection_percent: 100 },
    });
    for (let i = 0; i < 6 && hostA.healthy; i++) await get(p, '/');
    expect(hostA.healthy).toBe(false);
    expect(new Set(await bodies(p, 6))).toEqual(new Set(['b']));
    failing = false;
    await until(() => hostA.healthy === true, 'ejection expired');
  });
});
