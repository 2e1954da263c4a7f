/**
 * Jittered exponential backoff (as Envoy's JitteredExponentialBackOffStrategy): each delay is random in
 * [0, min(cap, initial × 2^attempt)), never below a tenth of the initial delay; `reset` after a success.
 */
export class Backoff {
  #attempt = 0;
  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.#attempt);
    if (ceiling < this.maxMs) this.#attempt++;
    return Math.max(Math.round(this.initialMs / 10), Math.floor(this.random() * ceiling));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
