import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';

/** MOSN's `mirror` stream filter config. */
export interface MirrorConfig {
  /** Copies of each mirrored request (MOSN's `amplification`, 1 by default). */
  readonly amplification: number;
  /** One copy to each healthy host of the mirror cluster, and the request is answered 200 without going to its route. */
  readonly broadcast: boolean;
}

/** The status a broadcast request is answered with (MOSN's api.SuccessCode). */
export const BROADCAST_STATUS = 200;

/**
 * `mirror`: MOSN's request mirroring (pkg/filter/stream/mirror), after the route. A request whose route has
 * `request_mirror_policies` is copied to that cluster in `percent` % of the cases (one independent draw per request,
 * as MOSN's). Without a policy on the route the filter does nothing. `random` gives 0 <= x < 1 (tests pass their own).
 */
export function mirrorFilterFactory(config: MirrorConfig, random: () => number = Math.random): StreamFilterFactory<MirrorConfig> {
  const shared = new MirrorFilter(config, random);
  return {
    name: 'mirror',
    phase: 'after_route',
    config,
    // the filter keeps nothing per request: one object per config
    createFilter: (c) => (c === config ? shared : new MirrorFilter(c, random)),
  };
}

class MirrorFilter implements StreamFilter {
  #config: MirrorConfig;
  #random: () => number;

  constructor(config: MirrorConfig, random: () => number) {
    this.#config = config;
    this.#random = random;
  }

  onRequestHeaders(h: StreamFilterHandler): StreamFilterStatus {
    const policy = h.route?.mirror;
    if (policy === undefined || policy.percent <= 0 || !(this.#random() * 100 < policy.percent)) return 'continue';
    const c = this.#config;
    h.mirror(policy.cluster, c.broadcast ? { copies: 0, everyHealthyHost: true, answer: BROADCAST_STATUS } : { copies: c.amplification });
    return 'continue';
  }
}
