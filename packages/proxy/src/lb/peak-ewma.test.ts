import { describe, expect, it } from 'vitest';
import { chiSquareFit } from './chi-square.js';
import { peakEwma } from './peak-ewma.js';
import { countPicks, testCluster } from './testing.js';

describe('LB_PEAK_EWMA', () => {
  it('of two hosts picks the lower latency', () => {
    const { hosts, lb } = testCluster(peakEwma, [1, 1]);
    hosts[0]!.latencyEwmaMs = 50;
    hosts[1]!.latencyEwmaMs = 10;
    expect(countPicks(lb, hosts, 1000)).toEqual([0, 1000]);
  });

  it('weighs latency by active requests: 10 ms with 9 in flight loses to 50 ms idle', () => {
    const { hosts, lb } = testCluster(peakEwma, [1, 1]);
    hosts[0]!.latencyEwmaMs = 10;
    hosts[0]!.activeRequests = 9;
    hosts[1]!.latencyEwmaMs = 50;
    expect(countPicks(lb, hosts, 1000)).toEqual([0, 1000]);
  });

  it('prefers a host not measured yet; among those, the one with fewer active requests', () => {
    const { hosts, lb } = testCluster(peakEwma, [1, 1, 1], { choiceCount: 3 });
    hosts[0]!.latencyEwmaMs = 1;
    hosts[1]!.activeRequests = 2;
    expect(countPicks(lb, hosts, 1000)).toEqual([0, 0, 1000]);
  });

  it('two random choices over four hosts of rising latency: picks in ratio 7:5:3:1 (chi-square, p = 0.001)', () => {
    const { hosts, lb } = testCluster(peakEwma, [1, 1, 1, 1]);
    hosts.forEach((h, i) => (h.latencyEwmaMs = 10 * (i + 1)));
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000), [7, 5, 3, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('never picks an unhealthy host, however fast', () => {
    const { hosts, lb } = testCluster(peakEwma, [1, 1, 1, 1]);
    hosts.forEach((h, i) => (h.latencyEwmaMs = 10 * (i + 1)));
    hosts[0]!.healthy = false;
    const counts = countPicks(lb, hosts, 20_000);
    const fit = chiSquareFit(counts, [0, 5, 3, 1]); // three hosts: 5:3:1
    expect(counts[0]).toBe(0);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });
});
