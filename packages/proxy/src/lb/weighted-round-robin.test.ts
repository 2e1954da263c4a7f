import { describe, expect, it } from 'vitest';
import { chiSquareFit } from './chi-square.js';
import { countPicks, testCluster } from './testing.js';
import { weightedRoundRobin } from './weighted-round-robin.js';

describe('LB_WEIGHTED_ROUNDROBIN (smooth weighted round robin)', () => {
  it('weights 5, 1, 1 give nginx\'s sequence a a b a c a a, again and again', () => {
    const { hosts, lb } = testCluster(weightedRoundRobin, [5, 1, 1]);
    const names = 'abc';
    const seq = () => Array.from({ length: 7 }, () => names[hosts.indexOf(lb.chooseHost()!)]).join(' ');
    expect(seq()).toBe('a a b a c a a');
    expect(seq()).toBe('a a b a c a a');
  });

  it('picks each host in proportion to its weight (chi-square, p = 0.001)', () => {
    const weights = [1, 2, 3, 4, 10, 128];
    const { hosts, lb } = testCluster(weightedRoundRobin, weights);
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000), weights);
    expect(fit.df).toBe(5);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('never picks an unhealthy host, and spreads over the rest by weight', () => {
    const { hosts, lb } = testCluster(weightedRoundRobin, [5, 1, 2, 3]);
    hosts[0]!.healthy = false;
    const counts = countPicks(lb, hosts, 20_000);
    expect(counts[0]).toBe(0);
    const fit = chiSquareFit(counts, [0, 1, 2, 3]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('in panic (under half healthy) spreads over every host by weight; no host when panic is off', () => {
    const { hosts, lb } = testCluster(weightedRoundRobin, [5, 1, 2, 3]);
    for (const h of hosts.slice(1)) h.healthy = false;
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000), [5, 1, 2, 3]);
    expect(fit.statistic).toBeLessThan(fit.critical);
    const strict = testCluster(weightedRoundRobin, [1, 1], { healthyPanicThreshold: 0 });
    for (const h of strict.hosts) h.healthy = false;
    expect(strict.lb.chooseHost()).toBeUndefined();
  });

  it('an empty cluster has no host', () => {
    expect(testCluster(weightedRoundRobin, []).lb.chooseHost()).toBeUndefined();
  });
});
