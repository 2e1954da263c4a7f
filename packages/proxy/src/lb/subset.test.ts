import { describe, expect, it } from 'vitest';
import type { LbContext } from './load-balancer.js';
import { chiSquareFit } from './chi-square.js';
import { random, roundRobin } from './round-robin.js';
import { metadataMatch, subsetLoadBalancer, type Metadata, type SubsetConfig } from './subset.js';
import { countPicks, testCluster, testHost } from './testing.js';
import { weightedRoundRobin } from './weighted-round-robin.js';

/** Four hosts: a v1 prod, a v1, a v2 prod, and one without labels. */
const LABELS: Metadata[] = [{ version: '1.0', stage: 'prod' }, { version: '1.0' }, { version: '2.0', stage: 'prod' }, {}];
const SELECTORS = [['version'], ['stage', 'version']];

function subsetCluster(fallbackPolicy: SubsetConfig['fallbackPolicy'], options: { defaultSubset?: Metadata; weights?: number[]; panic?: number } = {}) {
  const weights = options.weights ?? [1, 1, 1, 1];
  return testCluster(roundRobin, weights, options.panic !== undefined ? { healthyPanicThreshold: options.panic } : {}, {
    metadata: LABELS,
    lbSubset: { fallbackPolicy, defaultSubset: options.defaultSubset ?? {}, selectors: SELECTORS },
  });
}

const want = (m: Metadata): LbContext => ({ metadataMatch: metadataMatch(m) });

describe('metadataMatch', () => {
  it('sorts the pairs, so key order in the config does not matter; empty is no match at all', () => {
    expect(metadataMatch({ version: '1', stage: 'prod' })).toEqual(metadataMatch({ stage: 'prod', version: '1' }));
    expect(metadataMatch({ version: '1', stage: 'prod' })!.pairs).toEqual([['stage', 'prod'], ['version', '1']]);
    expect(metadataMatch({ a: 'b' })!.key).not.toBe(metadataMatch({ a: 'c' })!.key);
    expect(metadataMatch({})).toBeUndefined();
  });
});

describe('subset load balancer', () => {
  it('makes one subset per selector and combination of values hosts have, once per host set', () => {
    const { hosts } = subsetCluster('NO_FALLBACK');
    const lb = subsetLoadBalancer(hosts, { fallbackPolicy: 'NO_FALLBACK', defaultSubset: {}, selectors: [...SELECTORS, ['version', 'stage'], []] }, roundRobin);
    const subsets = [...lb.subsets].map(([key, members]) => [key, members.map((h) => hosts.indexOf(h))]);
    expect(subsets).toEqual([
      [metadataMatch({ version: '1.0' })!.key, [0, 1]],
      [metadataMatch({ version: '2.0' })!.key, [2]],
      [metadataMatch({ version: '1.0', stage: 'prod' })!.key, [0]],
      [metadataMatch({ version: '2.0', stage: 'prod' })!.key, [2]],
    ]);
  });

  it('sends a request with metadata_match to exactly its subset, balanced by the lb_type', () => {
    const { hosts, lb } = subsetCluster('NO_FALLBACK');
    expect(countPicks(lb, hosts, 1000, () => want({ version: '1.0' }))).toEqual([500, 500, 0, 0]);
    expect(countPicks(lb, hosts, 100, () => want({ stage: 'prod', version: '2.0' }))).toEqual([0, 0, 100, 0]);
    expect(countPicks(lb, hosts, 100, () => want({ version: '1.0', stage: 'prod' }))).toEqual([100, 0, 0, 0]);
  });

  it('a request without metadata_match is balanced over every host', () => {
    const { hosts, lb } = subsetCluster('NO_FALLBACK');
    expect(countPicks(lb, hosts, 400)).toEqual([100, 100, 100, 100]);
  });

  it('weights apply within the subset (chi-square, p = 0.001)', () => {
    const { hosts, lb } = testCluster(weightedRoundRobin, [3, 1, 5, 2], {}, {
      metadata: [{ v: 'a' }, { v: 'a' }, { v: 'b' }, { v: 'a' }],
      lbSubset: { fallbackPolicy: 'NO_FALLBACK', defaultSubset: {}, selectors: [['v']] },
    });
    const counts = countPicks(lb, hosts, 12_000, () => want({ v: 'a' }));
    expect(counts[2]).toBe(0);
    const fit = chiSquareFit(counts, [3, 1, 0, 2]);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  describe('no subset matches', () => {
    const misses = [{ version: '3.0' }, { stage: 'prod' }, { version: '1.0', zone: 'a' }];

    it('NO_FALLBACK (0): no host', () => {
      const { lb } = subsetCluster('NO_FALLBACK');
      for (const m of misses) expect(lb.chooseHost(want(m))).toBeUndefined();
      expect(lb.hostsFor!(want({ version: '3.0' }))).toEqual([]);
    });

    it('ANY_ENDPOINT (1): every host', () => {
      const { hosts, lb } = subsetCluster('ANY_ENDPOINT');
      for (const m of misses) expect(countPicks(lb, hosts, 400, () => want(m))).toEqual([100, 100, 100, 100]);
    });

    it('DEFAULT_SUBSET (2): the hosts with every pair of default_subset; an empty one is every host', () => {
      const { hosts, lb } = subsetCluster('DEFAULT_SUBSET', { defaultSubset: { stage: 'prod' } });
      for (const m of misses) expect(countPicks(lb, hosts, 400, () => want(m))).toEqual([200, 0, 200, 0]);
      const all = subsetCluster('DEFAULT_SUBSET');
      expect(countPicks(all.lb, all.hosts, 400, () => want({ version: '3.0' }))).toEqual([100, 100, 100, 100]);
      const none = subsetCluster('DEFAULT_SUBSET', { defaultSubset: { stage: 'test' } });
      expect(none.lb.chooseHost(want({ version: '3.0' }))).toBeUndefined();
    });
  });

  it('health and the panic threshold apply within the subset', () => {
    const { hosts, lb } = subsetCluster('NO_FALLBACK');
    hosts[0]!.healthy = false;
    expect(countPicks(lb, hosts, 100, () => want({ version: '1.0' }))).toEqual([0, 100, 0, 0]);
    hosts[1]!.healthy = false; // no healthy host in the subset: panic spreads over the subset, not the cluster
    expect(countPicks(lb, hosts, 100, () => want({ version: '1.0' }))).toEqual([50, 50, 0, 0]);
  });

  it('a subset whose balancer finds no host (panic off) falls back, as in MOSN', () => {
    const strict = subsetCluster('NO_FALLBACK', { panic: 0 });
    strict.hosts[2]!.healthy = false;
    expect(strict.lb.chooseHost(want({ version: '2.0' }))).toBeUndefined();
    const fallback = subsetCluster('DEFAULT_SUBSET', { panic: 0, defaultSubset: { version: '1.0' } });
    fallback.hosts[2]!.healthy = false;
    expect(countPicks(fallback.lb, fallback.hosts, 100, () => want({ version: '2.0' }))).toEqual([50, 50, 0, 0]);
  });

  it('a retry stays within the subset (and its fallback)', () => {
    const cluster = subsetCluster('NO_FALLBACK');
    const [a, b] = cluster.hosts;
    const ctx = want({ version: '1.0' });
    expect(cluster.retryHost([a!], ctx)).toBe(b);
    expect(cluster.retryHost([b!], ctx)).toBe(a);
    expect(cluster.retryHost([a!, b!], ctx)).toBeUndefined();
    const withDefault = subsetCluster('DEFAULT_SUBSET', { defaultSubset: { version: '2.0' } });
    const [c, d, e] = withDefault.hosts;
    expect(withDefault.retryHost([c!, d!], ctx)).toBe(e);
    expect(withDefault.retryHost([c!, d!, e!], ctx)).toBeUndefined();
  });

  it('updateHosts builds the subsets again: kept hosts keep their object, new ones join their subsets', () => {
    const cluster = subsetCluster('NO_FALLBACK');
    const [a, , c] = cluster.hosts;
    cluster.updateHosts([testHost(0, 1, { version: '2.0' }), testHost(2, 1, { version: '2.0', stage: 'prod' }), testHost(7, 1, { version: '1.0' })]);
    const hosts = cluster.hosts;
    expect(hosts[0]).toBe(a);
    expect(hosts[1]).toBe(c);
    expect(hosts[2]!.addressText).toBe('10.0.0.8:8080');
    expect(countPicks(cluster.lb, hosts, 100, () => want({ version: '2.0' }))).toEqual([50, 50, 0]);
    expect(countPicks(cluster.lb, hosts, 100, () => want({ version: '1.0' }))).toEqual([0, 0, 100]);
    expect(cluster.lb.chooseHost(want({ version: '1.0', stage: 'prod' }))).toBeUndefined();
  });

  it('without selectors the cluster is balanced as if it had no lb_subset_config', () => {
    const { hosts, lb } = testCluster(random, [1, 1], {}, { metadata: LABELS, lbSubset: { fallbackPolicy: 'NO_FALLBACK', defaultSubset: {}, selectors: [] } });
    expect(countPicks(lb, hosts, 100, () => want({ version: '9' })).reduce((x, y) => x + y)).toBe(100);
  });
});
