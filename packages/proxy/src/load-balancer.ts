import type { Host } from './cluster.js';

/** Picks an upstream host for a request. */
export interface LoadBalancer {
  chooseHost(): Host | undefined;
}

/** Builds a load balancer over a cluster's hosts; registered by `lb_type` name. */
export type LoadBalancerFactory = (hosts: readonly Host[]) => LoadBalancer;

/** The hosts to choose from: the healthy ones, or every host when none is healthy (panic mode). */
function candidates(hosts: readonly Host[]): readonly Host[] {
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
