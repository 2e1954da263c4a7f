import type { ResourceLimit } from '@mosn/stream';

/** One threshold of a cluster's circuit breaker: a counter that refuses past its maximum. */
export class Limit implements ResourceLimit {
  readonly max: number;
  #used = 0;
  constructor(max: number) {
    this.max = max;
  }
  get used(): number {
    return this.#used;
  }
  tryAcquire(): boolean {
    if (this.#used >= this.max) return false;
    this.#used++;
    return true;
  }
  release(): void {
    if (this.#used > 0) this.#used--;
  }
}

/** One request's hold on one unit of a budget: taken at most once, given back once. */
export class BudgetHold {
  #limit: Limit | undefined;
  /** Take a unit of `limit` unless this hold has one already; false when the budget is used up. */
  take(limit: Limit): boolean {
    if (this.#limit) return true;
    if (!limit.tryAcquire()) return false;
    this.#limit = limit;
    return true;
  }
  release(): void {
    this.#limit?.release();
    this.#limit = undefined;
  }
}

/**
 * `circuit_breakers` thresholds. Defaults: Envoy's 1024 connections and 3 concurrent retries, but 10,000
 * pending and 100,000 active requests: MOSN's own defaults are effectively unlimited, and one multiplexed RPC
 * connection routinely carries thousands of requests at once (decision, docs/compat.md).
 */
export interface CircuitBreakerConfig {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerConfig = {
  maxConnections: 1024,
  maxPendingRequests: 10_000,
  maxRequests: 100_000,
  maxRetries: 3,
};

/** A cluster's budgets: past one, a request gets the protocol's overflow answer at once. */
export class ClusterResources {
  readonly connections: Limit;
  readonly pendingRequests: Limit;
  readonly requests: Limit;
  readonly retries: Limit;
  constructor(c: CircuitBreakerConfig = DEFAULT_CIRCUIT_BREAKERS) {
    this.connections = new Limit(c.maxConnections);
    this.pendingRequests = new Limit(c.maxPendingRequests);
    this.requests = new Limit(c.maxRequests);
    this.retries = new Limit(c.maxRetries);
  }
}
