import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, type Host } from './cluster.js';
import { peakEwma } from '../lb/index.js';
import { DEFAULT_OUTLIER_DETECTION, HealthChecker, OutlierDetector } from '../health/index.js';
import { fastCheck, localCluster, waitFor } from '../health/testing.js';
import { Stats } from '../stats/stats.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const at = (port: number) => ({ address: { host: '127.0.0.1', port }, weight: 1 });

async function listening(): Promise<number> {
  const s = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => s.close(r)));
  return (s.address() as net.AddressInfo).port;
}

describe('Cluster.updateHosts', () => {
  it('keeps the Host of an unchanged address, makes new ones, and rebuilds the load balancer over the new list', () => {
    const c = localCluster([9001, 9002]);
    const [h1, h2] = c.hosts as [Host, Host];
    const changes: Array<[string[], string[]]> = [];
    c.onHostsChanged((added, removed) => changes.push([added.map((h) => h.addressText), removed.map((h) => h.addressText)]));
    expect(c.updateHosts([at(9002), at(9001)])).toBe(false);
    expect(c.updateHosts([at(9002), at(9003)])).toBe(true);
    expect(c.hosts[0]).toBe(h2);
    expect(c.hosts.map((h) => h.addressText)).toEqual(['127.0.0.1:9002', '127.0.0.1:9003']);
    expect(h1.retired).toBe(true);
    expect(c.hostByAddress('127.0.0.1:9001')).toBeUndefined();
    expect(changes).toEqual([[['127.0.0.1:9003'], ['127.0.0.1:9001']]]);
    const picked = new Set(Array.from({ length: 4 }, () => c.lb.chooseHost()?.addressText));
    expect([...picked].sort()).toEqual(['127.0.0.1:9002', '127.0.0.1:9003']);
    // a changed weight keeps the host (its health and pools), with the new weight and a rebuilt balancer
    const lb = c.lb;
    expect(c.updateHosts([{ ...at(9002), weight: 5 }, at(9003)])).toBe(true);
    expect(c.hosts[0]).toBe(h2);
    expect(h2.weight).toBe(5);
    expect(c.lb).not.toBe(lb);
  });

  it('the health checker checks added hosts and stops checking removed ones', async () => {
    const p1 = await listening();
    const p2 = await listening();
    const c = localCluster([p1]);
    const checked = new Set<string>();
    const hc = new HealthChecker(c, fastCheck(), { onCheck: (h) => checked.add(h.addressText) });
    c.healthChecker = hc;
    cleanups.push(() => hc.stop());
    hc.start();
    await waitFor(() => checked.has(`127.0.0.1:${p1}`), 'the first host is checked');
    c.updateHosts([at(p2)]);
    checked.clear();
    await waitFor(() => checked.has(`127.0.0.1:${p2}`), 'the added host is checked');
    await new Promise((r) => setTimeout(r, 100)); // several check intervals
    expect(checked.has(`127.0.0.1:${p1}`)).toBe(false);
    expect(hc.healthyCount).toBe(1);
  });

  it('the outlier detector forgets a removed host, ejected or not, and watches added ones', () => {
    // ten hosts: the default max_ejection_percent (10) allows one ejection
    const ports = Array.from({ length: 10 }, (_, i) => 9001 + i);
    const c = localCluster(ports);
    const stats = new Stats();
    const d = new OutlierDetector(c, { ...DEFAULT_OUTLIER_DETECTION }, { stats, random: () => 0 });
    const h1 = c.hosts[0]!;
    for (let i = 0; i < 5; i++) d.onResult(h1, '5xx');
    expect(d.ejectedCount).toBe(1);
    c.outlierDetector = d;
    c.updateHosts([...ports.slice(1), 9011].map(at));
    expect(d.ejectedCount).toBe(0);
    expect(stats.get('cluster.test.outlier_detection.ejections_active')).toBe(0);
    const h5 = c.hostByAddress('127.0.0.1:9011')!;
    for (let i = 0; i < 5; i++) d.onResult(h5, '5xx');
    expect(d.state(h5).ejected).toBe(true);
    expect(h5.healthy).toBe(false);
  });
});

describe('Host request timing', () => {
  it('times requests only for a balancer that weighs latency (LB_PEAK_EWMA)', async () => {
    const plain = localCluster([9001]);
    const h = plain.hosts[0]!;
    expect(plain.tracksLatency).toBe(false);
    const t0 = h.requestStarted();
    expect(h.activeRequests).toBe(1);
    expect(t0).toBe(0);
    h.requestEnded(t0);
    expect(h.activeRequests).toBe(0);
    expect(h.latencyEwmaMs).toBe(0);

    const ewma = new Cluster({ ...plain.config, lbType: 'LB_PEAK_EWMA' }, peakEwma, new Map());
    const e = ewma.hosts[0]!;
    expect(ewma.tracksLatency).toBe(true);
    const t1 = e.requestStarted();
    await new Promise((r) => setTimeout(r, 20));
    e.requestEnded(t1);
    expect(e.latencyEwmaMs).toBeGreaterThanOrEqual(15);
  });
});
