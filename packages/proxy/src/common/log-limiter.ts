/**
 * A token bucket for log lines, so that a flood (of failing requests, say) cannot fill the disk: up to
 * `burst` lines at once, then `ratePerSecond` lines a second. Lines over the budget are dropped and
 * counted; the next line that passes carries that count, and when no line passes within `reportAfterMs`
 * of a drop, `report` is told the count instead (from an unref'd timer: it never keeps the process alive).
 */
export interface LogLimiterOptions {
  /** Lines a second, sustained. */
  ratePerSecond: number;
  /** Lines at once, after a quiet period. */
  burst: number;
  /** How long after a dropped line its count is reported if no line passes meanwhile. */
  reportAfterMs?: number;
  /** Told how many lines were dropped, when no line that passed could say so. */
  report?: (suppressed: number) => void;
  /** The clock, in milliseconds (tests give their own). */
  now?: () => number;
}

/** Returned by `take` when the line is over the budget: drop it. */
export const DROP = -1;

export class LogLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  #suppressed = 0;
  #reportAfterMs: number;
  #report: ((suppressed: number) => void) | undefined;
  #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LogLimiterOptions) {
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.#tokens = options.burst;
    this.#now = options.now ?? (() => performance.now());
    this.#last = this.#now();
    this.#reportAfterMs = options.reportAfterMs ?? 1000;
    this.#report = options.report;
  }

  /**
   * Ask to write one line. `DROP` (-1): over the budget, do not write it (it is counted). Otherwise write
   * it; the number is how many lines were dropped since the last one written (0 mostly), now reported.
   */
  take(): number {
    const now = this.#now();
    const tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
    this.#last = now;
    if (tokens < 1) {
      this.#tokens = tokens;
      this.#suppressed++;
      if (this.#timer === undefined && this.#report !== undefined) {
        this.#timer = setTimeout(() => this.#onTimer(), this.#reportAfterMs);
        this.#timer.unref();
      }
      return DROP;
    }
    this.#tokens = tokens - 1;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }

  /** Lines dropped and not yet reported. */
  get suppressed(): number {
    return this.#suppressed;
  }

  #onTimer(): void {
    this.#timer = undefined;
    const n = this.#suppressed;
    if (n === 0) return;
    this.#suppressed = 0;
    this.#report?.(n);
  }
}
