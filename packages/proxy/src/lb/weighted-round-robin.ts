import type { LoadBalancerFactory } from './load-balancer.js';
import { HealthView } from './panic.js';
import { readSettings, type LbSettings } from './settings.js';

/**
 * `LB_WEIGHTED_ROUNDROBIN`: nginx's smooth weighted round robin. Each pick adds every candidate's weight to its
 * running score, takes the highest score and lowers it by the total weight, so weights 5, 1, 1 give
 * `a a b a c a a`: each host in proportion, the heavy one interleaved rather than in a burst. The scores start
 * again from zero when the set of candidates changes. Weights are read at every pick, so a host in its
 * `slow_start` window gets its growing share at once.
 */
export const weightedRoundRobin: LoadBalancerFactory = (hosts, config?: LbSettings) => {
  const { panicThreshold, weight } = readSettings(config);
  const view = new HealthView(hosts, panicThreshold);
  const state = view.memo((candidates) => ({ candidates, scores: candidates.map(() => 0) }));
  return {
    chooseHost() {
      const { candidates, scores } = state();
      let best = -1;
      let total = 0;
      for (let i = 0; i < candidates.length; i++) {
        const w = weight(candidates[i]!);
        total += w;
        scores[i]! += w;
        if (best < 0 || scores[i]! > scores[best]!) best = i;
      }
      if (best < 0) return undefined;
      scores[best]! -= total;
      return candidates[best];
    },
  };
};
