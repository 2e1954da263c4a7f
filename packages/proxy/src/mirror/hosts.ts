import type { LbContext } from '../lb/load-balancer.js';
import type { Cluster, Host } from '../upstream/cluster.js';

/**
 * The hosts the copies of one request go to: `copies` hosts the cluster's balancer picks (a host may be picked more
 * than once, as in MOSN), or one copy to each healthy host (`everyHealthyHost`, MOSN's `broadcast`).
 */
export function mirrorHosts(cluster: Cluster, copies: number, everyHealthyHost: boolean, lb: LbContext): Host[] {
  if (everyHealthyHost) return cluster.hosts.filter((h) => h.healthy);
  const hosts: Host[] = [];
  for (let i = 0; i < copies; i++) {
    const host = cluster.lb.chooseHost(lb);
    if (!host) break;
    hosts.push(host);
  }
  return hosts;
}
