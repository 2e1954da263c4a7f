import type { Host } from './cluster.js';

/** What a load balancer may know of the request it picks a host for. */
export interface LbContext {
  /** The key for consistent hashing (from the route's `hash_policy`: a header, a cookie, the source IP). */
  hashKey?: string | undefined;
  /** The downstream's address, for source-IP hashing. */
  sourceAddress?: string | undefined;
}

/** Picks an upstream host for a request. */
export interface LoadBalancer {
  chooseHost(ctx?: LbContext): Host | undefined;
}

/** `lbconfig` and related cluster settings a load balancer may read. */
export interface LbConfig {
  /** LB_LEAST_REQUEST / LB_LEAST_CONNECTION: hosts sampled per pick (power of two choices by default). */
  choiceCount?: number;
  /** LB_LEAST_REQUEST with weights: how strongly active requests lower a host's effective weight. */
  activeRequestBias?: number;
}

/** Builds a load balancer over a cluster's hosts; registered by `lb_type` name. */
export type LoadBalancerFactory = (hosts: readonly Host[], config?: LbConfig) => LoadBalancer;

/** The hosts to choose from: the healthy ones, or every host when none is healthy (panic mode). */
export function candidates(hosts: readonly Host[]): readonly Host[] {
  let healthy = 0;
  for (const h of hosts) if (h.healthy) healthy++;
  if (healthy === hosts.length || healthy === 0) return hosts;
  return hosts.filter((h) => h.healthy);
}

/** `LB_ROUNDROBIN`: each host in turn. */
export const roundRobin: LoadBalancerFactory = (hosts) => {
  let next = 0;
  return {
    chooseHost() {
      const c = candidates(hosts);
      if (c.length === 0) return undefined;
      const h = c[next % c.length];
      next = (next + 1) % 0x7fffffff;
      return h;
    },
  };
};

/** `LB_RANDOM`: a host chosen uniformly at random. */
export const random: LoadBalancerFactory = (hosts) => ({
  chooseHost() {
    const c = candidates(hosts);
    if (c.length === 0) return undefined;
    return c[Math.floor(Math.random() * c.length)];
  },
});
