import { afterEach, describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cluster, get, httpBackend, httpProxyConfig, port, startMosn } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (cond: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function hostsOf(mosn: Mosn, name: string) {
  return mosn.config.clusters.get(name)!.hosts;
}

describe('active health checks (health_check)', () => {
  it('an HTTP check marks a failing host unhealthy within its threshold, traffic avoids it, and it comes back', async () => {
    let aHealthy = true;
    const a = await httpBackend((req, res) => {
      if (req.url === '/health') return void res.writeHead(aHealthy ? 200 : 503).end();
      res.end('a');
    });
    const b = await httpBackend((_req, res) => res.end('b'));
    cleanups.push(a.close, b.close);
    const mosn = await startMosn(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [
          cluster('c', [a.address, b.address], {
            health_check: {
              protocol: 'Http1',
              interval: '30ms',
              timeout: '500ms',
              initial_delay_seconds: '0s',
              healthy_threshold: 2,
              unhealthy_threshold: 2,
              check_config: { http_check_config: { path: '/health', codes: [{ start: 200, end: 299 }] } },
            },
          }),
        ],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const [hostA] = hostsOf(mosn, 'c');
    aHealthy = false;
    await until(() => hostA!.healthy === false, 'host a marked unhealthy');
    // panic threshold 50%: one of two healthy is exactly 50%, not below it, so only b is used
    const bodies = await Promise.all(Array.from({ length: 10 }, () => get(p, '/').then((r) => r.body)));
    expect(new Set(bodies)).toEqual(new Set(['b']));
    aHealthy = true;
    await until(() => hostA!.healthy === true, 'host a healthy again');
    const again = await Promise.all(Array.from({ length: 10 }, () => get(p, '/').then((r) => r.body)));
    expect(again).toContain('a');
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
    const mosn = await startMosn(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [
          cluster('c', [a.address, b.address], {
            outlier_detection: { consecutive_5xx: 3, interval: '50ms', base_ejection_time: '300ms', max_ejection_percent: 100 },
          }),
        ],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const [hostA] = hostsOf(mosn, 'c');
    for (let i = 0; i < 6 && hostA!.healthy; i++) await get(p, '/');
    expect(hostA!.healthy).toBe(false);
    const during = await Promise.all(Array.from({ length: 6 }, () => get(p, '/').then((r) => r.body)));
    expect(new Set(during)).toEqual(new Set(['b']));
    failing = false;
    await until(() => hostA!.healthy === true, 'ejection expired');
  });
});
