/** Fixtures for the balancers' unit tests (not exported by the package). */
import { Cluster, type Host, type HostConfig, type PoolFactory, type UpstreamPool } from '../upstream/cluster.js';
import type { LbContext, LoadBalancer, LoadBalancerFactory } from './load-balancer.js';
import type { LbSettings, RetryLbContext } from './settings.js';
import type { Metadata, SubsetConfig } from './subset.js';

/** The config of host `10.0.0.<i + 1>:8080`. */
export function testHost(i: number, weight = 1, metadata?: Metadata): HostConfig {
  return { address: { host: `10.0.0.${i + 1}`, port: 8080 }, weight, ...(metadata ? { metadata } : {}) };
}

/**
 * A cluster of hosts `10.0.0.1:8080`, `10.0.0.2:8080`, ... with these weights, balanced by `factory`;
 * `metadata[i]` labels host i, and `lbSubset` turns on subset load balancing.
 */
export function testCluster(
  factory: LoadBalancerFactory,
  weights: readonly number[],
  lbConfig: LbSettings = {},
  options: { metadata?: readonly Metadata[]; lbSubset?: SubsetConfig } = {},
): Cluster {
  const pools = new Map<string, PoolFactory>([['fake', () => ({ connectionCount: 0, close() {} }) as unknown as UpstreamPool]]);
  return new Cluster(
    {
      name: 'test',
      type: 'SIMPLE',
      lbType: 'test',
      hosts: weights.map((weight, i) => testHost(i, weight, options.metadata?.[i])),
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      lbConfig: { random: seededRandom(42), ...lbConfig },
      ...(options.lbSubset ? { lbSubset: options.lbSubset } : {}),
    },
    factory,
    pools,
  );
}

/** Sets a host's open connections, through a fake pool. */
export function setConnections(host: Host, n: number): void {
  (host.pool('fake') as unknown as { connectionCount: number }).connectionCount = n;
}

/** mulberry32: a small seeded generator, so the statistical tests are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How often each host of `hosts` was chosen in `n` picks (`ctx(i)` gives the context of pick i). */
export function countPicks(lb: LoadBalancer, hosts: readonly Host[], n: number, ctx?: (i: number) => LbContext): number[] {
  const counts = hosts.map(() => 0);
  for (let i = 0; i < n; i++) {
    const h = lb.chooseHost(ctx?.(i));
    if (!h) throw new Error('no host chosen');
    const at = hosts.indexOf(h);
    if (at < 0) throw new Error(`chose ${h.addressText}, which is not one of the hosts counted`);
    counts[at]!++;
  }
  return counts;
}

/** A clock for slow start that moves only when told to (ms). */
export function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** The context of a retry whose previous attempt went to `previousHost` (until `LbContext` carries that field). */
export function retryOf(previousHost: Host, ctx: LbContext = {}): RetryLbContext {
  return { ...ctx, previousHost };
}
