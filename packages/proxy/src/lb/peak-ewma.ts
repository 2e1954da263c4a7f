import type { Host } from '../upstream/cluster.js';
import type { LoadBalancerFactory } from './load-balancer.js';
import { chooseBest } from './choose-best.js';
import { HealthView } from './panic.js';
import { readSettings, type LbSettings } from './settings.js';

/**
 * `LB_PEAK_EWMA`: the power of two choices by expected wait, `latencyEwmaMs * (activeRequests + 1) ^ bias / weight`.
 * A host with no measured latency yet costs 0, so it is preferred until its first response is timed (among such
 * hosts, fewer active requests wins); MOSN instead assumes the cluster's average, or connect + idle timeout.
 */
export const peakEwma: LoadBalancerFactory = (hosts, config?: LbSettings) => {
  const { choiceCount, activeRequestBias, panicThreshold, random, weight } = readSettings(config);
  const view = new HealthView(hosts, panicThreshold);
  const cost = (h: Host) => (h.latencyEwmaMs * (h.activeRequests + 1) ** activeRequestBias) / weight(h);
  const better = (a: Host, b: Host) => {
    const ca = cost(a);
    const cb = cost(b);
    return ca < cb || (ca === cb && a.activeRequests < b.activeRequests);
  };
  return {
    chooseHost() {
      return chooseBest(view.current(), choiceCount, random, better);
    },
  };
};
