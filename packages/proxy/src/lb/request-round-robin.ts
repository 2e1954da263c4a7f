import type { LoadBalancerFactory } from './load-balancer.js';
import { HealthView } from './panic.js';
import { readSettings, type LbSettings, type RetryLbContext } from './settings.js';

/**
 * `LB_REQUEST_ROUNDROBIN`, with MOSN's meaning: not a rotation across requests (that is `LB_ROUNDROBIN`) but
 * across the attempts of one request. A new request goes to the first candidate in host order; a retry (the
 * context names the host of the previous attempt) goes to the next candidate after that host, wrapping around.
 * The hosts are thus a priority list: the first healthy one takes all traffic, the others are its fallbacks.
 */
export const requestRoundRobin: LoadBalancerFactory = (hosts, config?: LbSettings) => {
  const view = new HealthView(hosts, readSettings(config).panicThreshold);
  return {
    chooseHost(ctx?: RetryLbContext) {
      const candidates = view.current();
      if (candidates.length === 0) return undefined;
      const previous = ctx?.previousHost;
      return view.nextCandidate(candidates, previous ? hosts.indexOf(previous) + 1 : 0);
    },
  };
};
