import { withPreviousHost, type LbContext } from '../lb/load-balancer.js';
import type { ClusterCounters, ListenerCounters } from '../stats/counters.js';
import type { Limit } from './circuit-breaker.js';
import type { Cluster, Host } from './cluster.js';

/** Attempts a request makes when connects fail and it has no retry policy (or a policy of fewer retries). */
export const MAX_CONNECT_ATTEMPTS = 3;

/**
 * The most upstream attempts of one request, every kind counted (the first try, retries after a failed connect,
 * retry-policy retries): `max(MAX_CONNECT_ATTEMPTS, num_retries + 1)`. A connect failure is retried with or without
 * a retry policy (nothing was sent); retries of the policy's conditions are, besides, at most `num_retries`. The RPC
 * path has no retry policy: 3. (MOSN shares one counter of `max(3, num_retries)` retries the same way; decision in
 * docs/design.md.)
 */
export function maxAttempts(numRetries: number): number {
  return numRetries + 1 > MAX_CONNECT_ATTEMPTS ? numRetries + 1 : MAX_CONNECT_ATTEMPTS;
}

/**
 * The retry state of one request, the same for the HTTP and RPC paths: the hosts whose attempt failed, the unit of
 * the cluster's `max_retries` the request holds, and the attempt limit. A request makes one on its first failed
 * attempt (a request that never fails makes none); `release` gives the unit back when the request ends.
 */
export class UpstreamRetries {
  /** Hosts of the failed attempts, in order (the current attempt's host is not one of them). */
  readonly tried: Host[] = [];
  readonly maxAttempts: number;
  /** The unit of the cluster's max_retries this request holds, once it retried. */
  #unit: Limit | undefined;

  /** `numRetries`: the route's retry policy's (0 without one). */
  constructor(numRetries: number) {
    this.maxAttempts = maxAttempts(numRetries);
  }

  /** The host of the last failed attempt (the failure log names it when no attempt is current). */
  get lastHost(): Host | undefined {
    const tried = this.tried;
    return tried.length === 0 ? undefined : tried[tried.length - 1];
  }

  /**
   * May the current attempt (the request's `tried.length + 1`-th) be followed by another one? Not past the limit,
   * and not past the cluster's `max_retries` (a refusal is counted as `upstream_rq_retry_overflow` and the request
   * keeps the answer of its own failure, as in MOSN and Envoy). Checked before a host is chosen: a retry not made
   * must not move the load balancer on (round robin would skip a host).
   */
  mayRetry(cluster: Cluster, counters: ClusterCounters): boolean {
    if (this.tried.length + 1 >= this.maxAttempts) return false;
    if (this.#unit !== undefined) return true;
    const budget = cluster.resources.retries;
    if (!budget.tryAcquire()) {
      counters.upstream_rq_retry_overflow.inc();
      return false;
    }
    this.#unit = budget;
    return true;
  }

  /**
   * The host of the next attempt after `failed`'s failed (after `mayRetry`), counted as `upstream_rq_retry`; undefined
   * when none is left. A host not tried yet; with `anyHost` (a retry that sends the request again, not a failed
   * connect) the balancer's next choice when every host was tried.
   */
  nextHost(failed: Host, cluster: Cluster, ctx: LbContext | undefined, anyHost: boolean, counters: ListenerCounters): Host | undefined {
    this.tried.push(failed);
    const next = cluster.retryHost(this.tried, ctx) ?? (anyHost ? cluster.lb.chooseHost(withPreviousHost(ctx, failed)) : undefined);
    if (next !== undefined) counters.upstream_rq_retry.inc();
    return next;
  }

  /** The request ended: the max_retries unit goes back. */
  release(): void {
    this.#unit?.release();
    this.#unit = undefined;
  }
}
