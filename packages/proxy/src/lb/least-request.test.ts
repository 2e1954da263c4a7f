import { describe, expect, it } from 'vitest';
import { chiSquareFit } from './chi-square.js';
import { leastRequest } from './least-request.js';
import { countPicks, testCluster } from './testing.js';

/** P(host of rank k is the lesser of two draws with replacement from n hosts of distinct loads) ∝ 2(n-k)-1. */
const twoChoiceOdds = (n: number) => Array.from({ length: n }, (_, k) => 2 * (n - k) - 1);

describe('LB_LEAST_REQUEST', () => {
  it('of two hosts always picks the one with fewer active requests (both are compared)', () => {
    const { hosts, lb } = testCluster(leastRequest, [1, 1]);
    hosts[0]!.activeRequests = 5;
    hosts[1]!.activeRequests = 2;
    expect(countPicks(lb, hosts, 1000)).toEqual([0, 1000]);
    hosts[1]!.activeRequests = 9;
    expect(countPicks(lb, hosts, 1000)).toEqual([1000, 0]);
  });

  it('with choice_count at least the host count, always the least loaded', () => {
    const { hosts, lb } = testCluster(leastRequest, [1, 1, 1, 1, 1], { choiceCount: 5 });
    hosts.forEach((h, i) => (h.activeRequests = [4, 3, 1, 2, 5][i]!));
    expect(countPicks(lb, hosts, 1000)[2]).toBe(1000);
  });

  it('two random choices over four hosts of loads 0..3: picks in ratio 7:5:3:1 (chi-square, p = 0.001)', () => {
    const { hosts, lb } = testCluster(leastRequest, [1, 1, 1, 1]);
    hosts.forEach((h, i) => (h.activeRequests = i));
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000), twoChoiceOdds(4));
    expect(fit.df).toBe(3);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('equal loads: uniform over the healthy hosts; an unhealthy host is never picked, however idle', () => {
    const { hosts, lb } = testCluster(leastRequest, [1, 1, 1, 1]);
    for (const h of hosts) h.activeRequests = 3;
    hosts[0]!.activeRequests = 0;
    hosts[0]!.healthy = false;
    const counts = countPicks(lb, hosts, 20_000);
    expect(counts[0]).toBe(0);
    const fit = chiSquareFit(counts, [0, 1, 1, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('unequal weights, no load: picks in proportion to the weights', () => {
    const weights = [1, 2, 3, 4];
    const { hosts, lb } = testCluster(leastRequest, weights);
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000), weights);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('unequal weights: effective weight is weight / (active + 1) ^ active_request_bias', () => {
    const biased = testCluster(leastRequest, [2, 1]);
    biased.hosts[0]!.activeRequests = 3; // 2 / 4 against 1 / 1
    let fit = chiSquareFit(countPicks(biased.lb, biased.hosts, 20_000), [0.5, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);

    const squared = testCluster(leastRequest, [8, 1], { activeRequestBias: 2 });
    squared.hosts[0]!.activeRequests = 1; // 8 / 4 against 1 / 1
    fit = chiSquareFit(countPicks(squared.lb, squared.hosts, 20_000), [2, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);

    const plain = testCluster(leastRequest, [2, 1], { activeRequestBias: 0 });
    plain.hosts[0]!.activeRequests = 3; // bias 0: weighted round robin
    fit = chiSquareFit(countPicks(plain.lb, plain.hosts, 20_000), [2, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('refuses a choice_count below 1 and a negative bias', () => {
    expect(() => testCluster(leastRequest, [1], { choiceCount: 0 })).toThrow(expect.objectContaining({ code: 'MOSN_ERR_CONFIG' }));
    expect(() => testCluster(leastRequest, [1], { activeRequestBias: -1 })).toThrow(/active_request_bias/);
  });

  it('an empty cluster, or no healthy host with panic off, has no host', () => {
    expect(testCluster(leastRequest, []).lb.chooseHost()).toBeUndefined();
    const { hosts, lb } = testCluster(leastRequest, [1, 2], { healthyPanicThreshold: 0 });
    for (const h of hosts) h.healthy = false;
    expect(lb.chooseHost()).toBeUndefined();
  });
});
