import { CLUSTER, INTERNAL_STATUS_HTTP, LISTENER, downstreamRqStatus, type UpstreamFigures } from '@mosn/proxy';
import type { Rates } from './types.js';

/**
 * The listener stats the live page counts as failed requests: timeouts, upstream resets, filters that threw, and RPC
 * requests answered before they went upstream (`downstream_rq_<status>`: no route, no healthy upstream, overflow,
 * ...). HTTP answers mosn makes itself (404 no route, 502 no healthy upstream) have no listener stat.
 */
const LISTENER_ERRORS: readonly string[] = [
  // a Set: `downstream_rq_<status>` of `timeout` and `internal_error` are those two stats themselves
  ...new Set([LISTENER.downstream_rq_timeout, LISTENER.upstream_rq_reset, LISTENER.downstream_rq_internal_error, ...Object.keys(INTERNAL_STATUS_HTTP).map((s) => downstreamRqStatus(s))]),
];

/** The stat names of one listener's requests and errors, built once per listener. */
export interface ListenerRateStats {
  readonly requests: string;
  readonly errors: readonly string[];
}

export function listenerRateStats(name: string): ListenerRateStats {
  const prefix = `listener.${name}.`;
  return { requests: prefix + LISTENER.downstream_rq_total, errors: LISTENER_ERRORS.map((s) => prefix + s) };
}

/** A cluster's stat of failed connects (its requests' tries that got no connection). */
export function clusterConnectFailures(name: string): string {
  return `cluster.${name}.${CLUSTER.upstream_cx_connect_failed}`;
}

/** The failed tries of a host or cluster among its figures: answers with a 5xx status (RPC statuses mapped), timeouts. */
export function failedTries(f: UpstreamFigures): number {
  return f.byClass[5]! + f.timeouts;
}

interface Sample {
  readonly requests: number;
  readonly errors: number;
  readonly at: number;
}

/**
 * Requests and errors per second of named scopes (a listener, a cluster, a host): each counter's growth since the
 * previous sample of that scope, divided by the time between them. A scope seen for the first time has no rate yet
 * (null); one not sampled in a round is forgotten at `endRound` (a removed listener, cluster or host). A counter that
 * went down started again (a cluster rebuilt by a reload counts from zero): its rate is its value over the interval.
 */
export class RateMeter {
  #last = new Map<string, Sample>();
  #seen = new Set<string>();

  /** The rates of `scope` now (`now` in ms), from its counters' values. */
  rates(scope: string, requests: number, errors: number, now: number): Rates {
    const prev = this.#last.get(scope);
    this.#last.set(scope, { requests, errors, at: now });
    this.#seen.add(scope);
    const seconds = prev ? (now - prev.at) / 1000 : 0;
    if (!prev || seconds <= 0) return { requests: null, errors: null };
    const growth = (now: number, before: number) => (now >= before ? now - before : now);
    return { requests: growth(requests, prev.requests) / seconds, errors: growth(errors, prev.errors) / seconds };
  }

  /** Forget the scopes not sampled since the last round. */
  endRound(): void {
    for (const scope of this.#last.keys()) if (!this.#seen.has(scope)) this.#last.delete(scope);
    this.#seen.clear();
  }

  /** Whether `scope` is remembered (it was sampled in the last round). */
  has(scope: string): boolean {
    return this.#last.has(scope);
  }
}
