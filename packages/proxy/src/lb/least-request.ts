import type { Host } from '../upstream/cluster.js';
import type { LoadBalancerFactory } from './load-balancer.js';
import { chooseBest } from './choose-best.js';
import { EdfScheduler } from './edf.js';
import { HealthView } from './panic.js';
import { readSettings, weightsEqual, type LbSettings } from './settings.js';

/**
 * Envoy's least-request balancing over a load measure. Equal weights: the power of two choices (`choiceCount`
 * hosts sampled, the least loaded wins). Unequal weights: an EDF schedule in which a host's effective weight is
 * `weight / (load + 1) ^ activeRequestBias`, recomputed each time the host is picked (bias 0: plain weighted).
 * With `slow_start` the schedule is used whatever the weights, as in MOSN and Envoy, so a new host's weight ramps up.
 */
export function leastLoaded(load: (h: Host) => number): LoadBalancerFactory {
  return (hosts, config?: LbSettings) => {
    const { choiceCount, activeRequestBias, panicThreshold, random, slowStart, weight } = readSettings(config);
    const view = new HealthView(hosts, panicThreshold);
    const effectiveWeight = (h: Host) => weight(h) / (load(h) + 1) ** activeRequestBias;
    const state = view.memo((candidates) => {
      if (candidates.length < 2 || (!slowStart && weightsEqual(candidates))) return { candidates, edf: undefined };
      const edf = new EdfScheduler<Host>();
      for (const h of candidates) edf.add(h, effectiveWeight(h));
      return { candidates, edf };
    });
    const less = (a: Host, b: Host) => load(a) < load(b);
    return {
      chooseHost() {
        const { candidates, edf } = state();
        return edf ? edf.nextAndPush(effectiveWeight) : chooseBest(candidates, choiceCount, random, less);
      },
    };
  };
}

/** `LB_LEAST_REQUEST`: fewest requests in flight (`Host.activeRequests`). */
export const leastRequest: LoadBalancerFactory = leastLoaded((h) => h.activeRequests);
