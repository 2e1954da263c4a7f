import type { HeaderMap } from '@mosn/stream';
import type { HeaderMatcher } from '../../router/router.js';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';

/** MOSN's `fault` stream filter config (v2.StreamFaultInject). Percentages are whole numbers 0-100. */
export interface FaultConfig {
  /** Delay `percent` of the requests by `delayMs` before they go on. */
  readonly delay?: { readonly delayMs: number; readonly percent: number };
  /** Answer `percent` of the requests with `status` (an HTTP status; RPC: the protocol's error for it). */
  readonly abort?: { readonly status: number; readonly percent: number };
  /** Only requests routed to this cluster (absent: any). */
  readonly upstreamCluster?: string;
  /** Only requests whose headers all match (exact value, or a regex). */
  readonly headers: readonly HeaderMatcher[];
}

/**
 * `fault`: MOSN's fault injection (pkg/filter/stream/faultinject), after the route: on a request that matches
 * `upstreamCluster` and `headers`, a delay of `percent` of the requests (the request is paused, then resumed),
 * then an abort of `percent` of them. Each draw is independent, as MOSN's. `random` gives 0 <= x < 1 (tests
 * pass their own).
 */
export function faultFilterFactory(config: FaultConfig, random: () => number = Math.random): StreamFilterFactory<FaultConfig> {
  return {
    name: 'fault',
    phase: 'after_route',
    config,
    // a config that can neither delay nor abort (a route turning the filter off) needs no filter of its own
    createFilter: (c) => (canInject(c) ? new FaultFilter(c, random) : NO_FAULT),
  };
}

const NO_FAULT: StreamFilter = {};

function canInject(c: FaultConfig): boolean {
  return (c.delay !== undefined && c.delay.delayMs > 0 && c.delay.percent > 0) || (c.abort !== undefined && c.abort.percent > 0);
}

class FaultFilter implements StreamFilter {
  #config: FaultConfig;
  #random: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: FaultConfig, random: () => number) {
    this.#config = config;
    this.#random = random;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    const c = this.#config;
    if (c.upstreamCluster !== undefined && h.clusterName !== c.upstreamCluster) return 'continue';
    if (!headersMatch(c.headers, headers)) return 'continue';
    if (c.delay && c.delay.delayMs > 0 && this.#draw(c.delay.percent)) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (!this.#abort(h)) h.continue();
      }, c.delay.delayMs);
      return 'stop';
    }
    return this.#abort(h) ? 'stop' : 'continue';
  }

  onDestroy(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Abort this request if its draw says so. */
  #abort(h: StreamFilterHandler): boolean {
    const abort = this.#config.abort;
    if (!abort || !this.#draw(abort.percent)) return false;
    h.sendLocalReply(abort.status, 'fault filter abort');
    return true;
  }

  #draw(percent: number): boolean {
    return percent > 0 && this.#random() * 100 < percent;
  }
}

/** Every matcher matches (MOSN's header matcher): an exact value, or an unanchored regex (as a route's). */
function headersMatch(matchers: readonly HeaderMatcher[], headers: HeaderMap): boolean {
  for (const m of matchers) {
    const v = headers.get(m.name);
    if (v === undefined) return false;
    if (m.regex ? !m.regex.test(v) : v !== m.value) return false;
  }
  return true;
}
