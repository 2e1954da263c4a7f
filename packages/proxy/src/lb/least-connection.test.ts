import { describe, expect, it } from 'vitest';
import { chiSquareFit } from './chi-square.js';
import { leastConnection } from './least-connection.js';
import { countPicks, setConnections, testCluster } from './testing.js';

describe('LB_LEAST_CONNECTION', () => {
  it('of two hosts always picks the one with fewer open connections, whatever its active requests', () => {
    const { hosts, lb } = testCluster(leastConnection, [1, 1]);
    setConnections(hosts[0]!, 4);
    setConnections(hosts[1]!, 1);
    hosts[1]!.activeRequests = 100;
    expect(countPicks(lb, hosts, 1000)).toEqual([0, 1000]);
  });

  it('two random choices over four hosts of 0..3 connections: picks in ratio 7:5:3:1 (chi-square, p = 0.001)', () => {
    const { hosts, lb } = testCluster(leastConnection, [1, 1, 1, 1]);
    hosts.forEach((h, i) => setConnections(h, i));
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000), [7, 5, 3, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('unequal weights: effective weight is weight / (connections + 1); unhealthy hosts are skipped', () => {
    const { hosts, lb } = testCluster(leastConnection, [3, 1, 1]);
    setConnections(hosts[0]!, 2); // 3 / 3 against 1 / 1
    hosts[2]!.healthy = false;
    const counts = countPicks(lb, hosts, 20_000);
    const fit = chiSquareFit(counts, [1, 1, 0]);
    expect(counts[2]).toBe(0);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });
});
