/**
 * The in-memory limiter behind `flowControlFilter`: sentinel-golang's flow rules (the library MOSN's filter uses)
 * with sentinel's default behaviour only: the threshold is a number of requests that pass per statistic window
 * (token calculation `Direct`), a request over it is rejected (control behaviour `Reject`), and the window counts
 * the rule's own resource (relation `CurrentResource`). Throttling, warm-up, memory-adaptive thresholds and
 * associated resources are refused by the config reader.
 */

/** One flow rule: at most `threshold` requests of `resource` pass per `statIntervalMs`. */
export interface FlowRule {
  readonly resource: string;
  /** Requests that may pass per window (a fraction is allowed, as in sentinel: 1.5 lets 1 pass). */
  readonly threshold: number;
  /** The window, in ms (sentinel's `statIntervalInMs`; its 0 means DEFAULT_STAT_INTERVAL_MS). */
  readonly statIntervalMs: number;
}

/** sentinel's default window (`metricStatisticIntervalMs`): thresholds are per second, i.e. QPS. */
export const DEFAULT_STAT_INTERVAL_MS = 1000;
/** sentinel's bucket length: its per-resource statistic is 20 buckets of 500 ms. */
export const BUCKET_MS = 500;
/** The longest window sentinel builds from BUCKET_MS buckets (its global statistic's length). */
const MAX_BUCKETED_INTERVAL_MS = 10_000;

/**
 * Requests passed in a sliding window, counted as sentinel's LeapArray counts them. Time is cut into buckets of
 * BUCKET_MS (or, for a window that is not a multiple of it or is longer than 10 s, one bucket as long as the
 * window: a fixed window, as sentinel does); the count at a moment is the sum of the bucket that holds it and the
 * buckets before it that still fit in the window. So the window reaches back between (window - bucket) and
 * window ms, and the count of a bucket ends when the bucket leaves it. Memory: at most 20 buckets.
 */
export class PassWindow {
  readonly #bucketMs: number;
  /** The bucket number (time / bucketMs) each slot holds now; -1: never used. */
  readonly #ids: Float64Array;
  readonly #counts: Float64Array;

  constructor(intervalMs: number) {
    const buckets = intervalMs <= MAX_BUCKETED_INTERVAL_MS && intervalMs % BUCKET_MS === 0 ? intervalMs / BUCKET_MS : 1;
    this.#bucketMs = intervalMs / buckets;
    this.#ids = new Float64Array(buckets).fill(-1);
    this.#counts = new Float64Array(buckets);
  }

  /** Requests that passed in the window that ends at `now` (ms). */
  passed(now: number): number {
    const current = Math.floor(now / this.#bucketMs);
    const oldest = current - this.#ids.length + 1;
    let sum = 0;
    for (let i = 0; i < this.#ids.length; i++) {
      const id = this.#ids[i]!;
      if (id >= oldest && id <= current) sum += this.#counts[i]!;
    }
    return sum;
  }

  /** One more request passed at `now`. */
  add(now: number): void {
    const id = Math.floor(now / this.#bucketMs);
    const slot = id % this.#ids.length;
    if (this.#ids[slot] !== id) {
      this.#ids[slot] = id;
      this.#counts[slot] = 0;
    }
    this.#counts[slot]!++;
  }
}

/** What the limiter says of one request: no rule names its resource, or it passes (and is counted), or not. */
export type FlowDecision = 'unlimited' | 'pass' | 'block';

/** The rules of one resource, each with its window. */
class ResourceRules {
  readonly thresholds: number[] = [];
  readonly windows: PassWindow[] = [];
}

/**
 * Flow rules by resource. A request passes when, for every rule of its resource, the requests passed in that
 * rule's window plus this one do not exceed the threshold (sentinel: `passed + 1 > threshold` blocks); a passing
 * request is counted in every window of its resource, a blocked one in none. Rules are compiled once; `check`
 * allocates nothing.
 */
export class FlowLimiter {
  readonly #byResource = new Map<string, ResourceRules>();
  readonly #now: () => number;

  /** `now`: a clock in ms (tests inject one). */
  constructor(rules: readonly FlowRule[], now: () => number = () => performance.now()) {
    this.#now = now;
    for (const rule of rules) {
      let r = this.#byResource.get(rule.resource);
      if (r === undefined) this.#byResource.set(rule.resource, (r = new ResourceRules()));
      r.thresholds.push(rule.threshold);
      r.windows.push(new PassWindow(rule.statIntervalMs > 0 ? rule.statIntervalMs : DEFAULT_STAT_INTERVAL_MS));
    }
  }

  check(resource: string): FlowDecision {
    const r = this.#byResource.get(resource);
    if (r === undefined) return 'unlimited';
    const now = this.#now();
    const { thresholds, windows } = r;
    for (let i = 0; i < windows.length; i++) {
      if (windows[i]!.passed(now) + 1 > thresholds[i]!) return 'block';
    }
    for (let i = 0; i < windows.length; i++) windows[i]!.add(now);
    return 'pass';
  }
}
