import type { Cluster, Host } from '../upstream/cluster.js';
import type { LbConfig, LbContext, LoadBalancer, LoadBalancerFactory } from './load-balancer.js';

/** Host metadata and match criteria: MOSN's `filter_metadata["mosn.lb"]`, string keys to string values. */
export type Metadata = Readonly<Record<string, string>>;

/**
 * A route's `metadata_match`, read once at config time: its pairs sorted by key, and the text that names the
 * subset of exactly those pairs (so a request finds its subset with one map lookup).
 */
export interface MetadataMatch {
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  readonly key: string;
}

/** The match for `metadata`; undefined when it is empty (MOSN then balances over every host). */
export function metadataMatch(metadata: Metadata): MetadataMatch | undefined {
  const pairs = Object.keys(metadata)
    .sort()
    .map((k) => [k, metadata[k]!] as const);
  return pairs.length === 0 ? undefined : { pairs, key: subsetKey(pairs) };
}

function subsetKey(pairs: ReadonlyArray<readonly [string, string]>): string {
  return JSON.stringify(pairs);
}

/** MOSN's `fall_back_policy` 0, 1, 2: what a request whose subset has no host is balanced over. */
export const FALLBACK_POLICIES = ['NO_FALLBACK', 'ANY_ENDPOINT', 'DEFAULT_SUBSET'] as const;
export type FallbackPolicy = (typeof FALLBACK_POLICIES)[number];

/** A cluster's `lb_subset_config`. */
export interface SubsetConfig {
  fallbackPolicy: FallbackPolicy;
  /** The hosts of the DEFAULT_SUBSET fallback: those with all of these pairs (empty: every host). */
  defaultSubset: Metadata;
  /** Each selector is a list of metadata keys; every combination of values hosts have for them is a subset. */
  selectors: ReadonlyArray<readonly string[]>;
}

interface Subset {
  hosts: readonly Host[];
  lb: LoadBalancer;
  /** The hosts a request for this subset may reach: the subset's, then the fallback's. */
  reachable: readonly Host[];
}

/** Whether `host` has every pair of `pairs`. */
export function hostMatches(host: Host, pairs: ReadonlyArray<readonly [string, string]>): boolean {
  for (const [k, v] of pairs) if (host.metadata[k] !== v) return false;
  return true;
}

/**
 * MOSN's subset load balancer. Built once per host set: for each selector (its keys sorted, duplicates
 * dropped) and each host that has all of its keys, the host joins the subset named by its values for them;
 * every subset gets its own balancer of the cluster's `lb_type`, so health, panic threshold and weights apply
 * within the subset. A request with a `metadata_match` goes to the subset of exactly those pairs; one without
 * goes to every host. When that subset does not exist, or its balancer finds no host, the fallback policy
 * decides: NO_FALLBACK (no host), ANY_ENDPOINT (every host), DEFAULT_SUBSET (the hosts of `default_subset`).
 */
export function subsetLoadBalancer(
  hosts: readonly Host[],
  subset: SubsetConfig,
  factory: LoadBalancerFactory,
  config?: LbConfig,
  cluster?: Cluster,
): LoadBalancer & { readonly subsets: ReadonlyMap<string, readonly Host[]> } {
  const full = factory(hosts, config, cluster);
  let fallback: { hosts: readonly Host[]; lb: LoadBalancer } | undefined;
  if (subset.fallbackPolicy === 'ANY_ENDPOINT') fallback = { hosts, lb: full };
  else if (subset.fallbackPolicy === 'DEFAULT_SUBSET') {
    const pairs = metadataMatch(subset.defaultSubset)?.pairs ?? [];
    const defaultHosts = hosts.filter((h) => hostMatches(h, pairs));
    fallback = { hosts: defaultHosts, lb: factory(defaultHosts, config, cluster) };
  }

  const members = new Map<string, Host[]>();
  const seen = new Set<string>();
  for (const selector of subset.selectors) {
    const keys = [...new Set(selector)].sort();
    const id = JSON.stringify(keys);
    if (keys.length === 0 || seen.has(id)) continue;
    seen.add(id);
    for (const h of hosts) {
      if (!keys.every((k) => h.metadata[k] !== undefined)) continue;
      const key = subsetKey(keys.map((k) => [k, h.metadata[k]!] as const));
      let list = members.get(key);
      if (!list) members.set(key, (list = []));
      list.push(h);
    }
  }
  const subsets = new Map<string, Subset>();
  for (const [key, list] of members) {
    const reachable = fallback ? [...new Set([...list, ...fallback.hosts])] : list;
    subsets.set(key, { hosts: list, lb: factory(list, config, cluster), reachable });
  }
  const unmatched = fallback?.hosts ?? [];

  return {
    subsets: new Map([...subsets].map(([k, s]) => [k, s.hosts])),
    chooseHost(ctx?: LbContext) {
      const match = ctx?.metadataMatch;
      const host = match === undefined ? full.chooseHost(ctx) : subsets.get(match.key)?.lb.chooseHost(ctx);
      if (host !== undefined) return host;
      return fallback?.lb.chooseHost(ctx);
    },
    hostsFor(ctx?: LbContext) {
      const match = ctx?.metadataMatch;
      if (match === undefined) return hosts;
      return subsets.get(match.key)?.reachable ?? unmatched;
    },
  };
}
