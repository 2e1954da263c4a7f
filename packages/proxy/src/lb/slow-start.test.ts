import { describe, expect, it } from 'vitest';
import { chiSquareFit } from './chi-square.js';
import { leastConnection } from './least-connection.js';
import { leastRequest } from './least-request.js';
import { slowStartFactor, type SlowStartConfig } from './slow-start.js';
import { countPicks, manualClock, testCluster, testHost } from './testing.js';
import { weightedRoundRobin } from './weighted-round-robin.js';
import type { LoadBalancerFactory } from './load-balancer.js';

const S = 1000;
const linear: SlowStartConfig = { windowMs: 100 * S, aggression: 1, minWeight: 0.1 };

describe('slowStartFactor (MOSN: (max(1 s, elapsed) / window) ^ (1 / aggression), at least min_weight_percent)', () => {
  it('ramps linearly over the window with aggression 1, from the minimum weight', () => {
    const at = (elapsed: number) => slowStartFactor(linear, 0, elapsed);
    expect(at(0)).toBe(0.1); // 1 s / 100 s = 0.01, raised to the minimum
    expect(at(5 * S)).toBe(0.1);
    expect(at(20 * S)).toBeCloseTo(0.2, 12);
    expect(at(50 * S)).toBeCloseTo(0.5, 12);
    expect(at(99 * S)).toBeCloseTo(0.99, 12);
    expect(at(100 * S)).toBe(1);
    expect(at(1e9)).toBe(1);
  });

  it('aggression above 1 gives more weight early; the minimum and the 1 s floor still hold', () => {
    const cfg = { ...linear, aggression: 2, minWeight: 0.3 };
    expect(slowStartFactor(cfg, 0, 25 * S)).toBeCloseTo(0.5, 12);
    expect(slowStartFactor(cfg, 0, 4 * S)).toBe(0.3); // sqrt(0.04) = 0.2 < 0.3
    expect(slowStartFactor({ ...linear, windowMs: 4 * S, minWeight: 0.01 }, 0, 100)).toBeCloseTo(0.25, 12); // 1 s of 4 s
    expect(slowStartFactor({ ...linear, windowMs: 500 }, 0, 100)).toBe(1); // window under the 1 s floor
  });

  it('a host that never started slowly (initial config) or a window of 0 gets its full weight', () => {
    expect(slowStartFactor(linear, undefined, 0)).toBe(1);
    expect(slowStartFactor({ ...linear, windowMs: 0 }, 0, 10)).toBe(1);
  });
});

/** A cluster of `n` hosts of weight 1 with slow start on a manual clock, and one more host added at its "now". */
function withNewHost(factory: LoadBalancerFactory, n: number, slowStart: SlowStartConfig = linear) {
  const clock = manualClock();
  const cluster = testCluster(factory, new Array<number>(n).fill(1), { slowStart, now: clock.now });
  cluster.updateHosts([...cluster.hosts.map((h, i) => testHost(i, h.weight)), testHost(n)]);
  return { cluster, clock };
}

describe('slow start in the weighted balancers (picks with a frozen clock, chi-square at p = 0.001)', () => {
  const cases: Array<[string, LoadBalancerFactory]> = [
    ['LB_WEIGHTED_ROUNDROBIN', weightedRoundRobin],
    ['LB_LEAST_REQUEST', leastRequest],
    ['LB_LEAST_CONNECTION', leastConnection],
  ];
  for (const [name, factory] of cases) {
    it(`${name}: a host added 30 s into a 100 s window gets 0.3 of its weight, and all of it after`, () => {
      const { cluster, clock } = withNewHost(factory, 3);
      clock.advance(30 * S);
      cluster.updateHosts(cluster.hosts.map((h, i) => testHost(i, h.weight))); // same hosts: balancers start afresh at 30 s
      let counts = countPicks(cluster.lb, cluster.hosts, 20_000);
      let fit = chiSquareFit(counts, [1, 1, 1, 0.3]);
      expect(fit.statistic).toBeLessThan(fit.critical);
      expect(counts[3]).toBeLessThan(counts[0]! / 2);
      clock.advance(70 * S);
      cluster.updateHosts(cluster.hosts.map((h, i) => testHost(i, h.weight)));
      counts = countPicks(cluster.lb, cluster.hosts, 20_000);
      fit = chiSquareFit(counts, [1, 1, 1, 1]);
      expect(fit.statistic).toBeLessThan(fit.critical);
    });
  }

  it('weights scale too: a new host of weight 4 at half the window weighs 2 against the others\' 1 and 3', () => {
    const clock = manualClock();
    const cluster = testCluster(weightedRoundRobin, [1, 3], { slowStart: linear, now: clock.now });
    cluster.updateHosts([testHost(0, 1), testHost(1, 3), testHost(2, 4)]);
    clock.advance(50 * S);
    const fit = chiSquareFit(countPicks(cluster.lb, cluster.hosts, 20_000), [1, 3, 2]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('WRR reads weights at every pick: the new host\'s share grows as the clock moves, with no rebuild', () => {
    const { cluster, clock } = withNewHost(weightedRoundRobin, 1);
    const share = () => countPicks(cluster.lb, cluster.hosts, 2000)[1]! / 2000;
    const shares = [0, 25, 25, 25, 25].map((s) => {
      clock.advance(s * S);
      return share();
    });
    expect(shares[0]).toBeCloseTo(0.1 / 1.1, 2); // the minimum weight
    expect(shares[2]).toBeCloseTo(0.5 / 1.5, 2);
    expect(shares[4]).toBeCloseTo(0.5, 2);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThan(shares[i - 1]!);
  });

  it('a host that becomes healthy again starts a new window; hosts of the initial config never start slowly', () => {
    const clock = manualClock();
    const cluster = testCluster(weightedRoundRobin, [1, 1, 1], { slowStart: { windowMs: 40 * S, aggression: 1, minWeight: 0.1 }, now: clock.now });
    expect(cluster.hosts.map((h) => h.slowStartSince)).toEqual([undefined, undefined, undefined]);
    let fit = chiSquareFit(countPicks(cluster.lb, cluster.hosts, 6000), [1, 1, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
    const h = cluster.hosts[0]!;
    h.healthy = false;
    clock.advance(500 * S);
    h.healthy = true;
    h.healthy = true; // staying healthy does not restart the window
    clock.advance(10 * S);
    expect(h.slowStartSince).toBe(clock.now() - 10 * S);
    fit = chiSquareFit(countPicks(cluster.lb, cluster.hosts, 20_000), [0.25, 1, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('without slow_start a new host gets its full weight at once', () => {
    const clock = manualClock();
    const cluster = testCluster(weightedRoundRobin, [1, 1], { now: clock.now });
    cluster.updateHosts([testHost(0), testHost(1), testHost(2)]);
    const fit = chiSquareFit(countPicks(cluster.lb, cluster.hosts, 6000), [1, 1, 1]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('refuses an aggression of 0 or less and a min weight outside (0, 1]', () => {
    expect(() => testCluster(weightedRoundRobin, [1], { slowStart: { ...linear, aggression: 0 } })).toThrow(/slow_start.aggression/);
    expect(() => testCluster(leastRequest, [1], { slowStart: { ...linear, minWeight: 10 } })).toThrow(expect.objectContaining({ code: 'MOSN_ERR_CONFIG' }));
  });
});
