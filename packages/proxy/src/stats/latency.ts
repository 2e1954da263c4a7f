import type { Counter, Stats } from './stats.js';

/**
 * Latency histograms of upstream requests, in milliseconds (Envoy's `upstream_rq_time`, MOSN's
 * `request_duration_time`). Counted in plain numbers on the host and cluster objects while requests end; the stats
 * snapshot reads them (see `emitLatency`), and the Prometheus sink renders them as histograms.
 */

/** Upper bounds of the buckets in ms; a last bucket (`+Inf`) takes the rest. */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

/** How a bucket's bound is written in a stat name (`upstream_rq_time.bucket.2_5`, `...bucket.inf`). */
export const BUCKET_NAMES: readonly string[] = [...LATENCY_BUCKETS_MS.map((b) => String(b).replace('.', '_')), 'inf'];

/** One histogram: counts per bucket (not cumulative), their sum in ms, and their count. */
export class LatencyCounts {
  readonly buckets = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;

  observe(ms: number): void {
    const bounds = LATENCY_BUCKETS_MS;
    let i = 0;
    while (i < bounds.length && ms > bounds[i]!) i++;
    this.buckets[i]!++;
    this.sum += ms;
    this.count++;
  }
}

/** Write a histogram into a snapshot as `<name>.bucket.<le>` (per bucket), `<name>.sum` (ms) and `<name>.count`. */
export function emitLatency(emit: (name: string, value: number) => void, name: string, h: LatencyCounts): void {
  for (let i = 0; i < h.buckets.length; i++) emit(`${name}.bucket.${BUCKET_NAMES[i]!}`, h.buckets[i]!);
  emit(`${name}.sum`, h.sum);
  emit(`${name}.count`, h.count);
}

/**
 * A latency histogram kept in the stats themselves, as held counters (`<name>.bucket.<le>`, `.sum`, `.count`): for
 * a scope whose figures outlive its objects (a listener's requests across reloads). Every bucket shows from the start.
 */
export class StatsLatency {
  readonly #buckets: Counter[];
  readonly #sum: Counter;
  readonly #count: Counter;

  constructor(stats: Stats, name: string) {
    this.#buckets = BUCKET_NAMES.map((b) => stats.counter(`${name}.bucket.${b}`));
    this.#sum = stats.counter(`${name}.sum`);
    this.#count = stats.counter(`${name}.count`);
    for (const c of [...this.#buckets, this.#sum, this.#count]) c.inc(0);
  }

  observe(ms: number): void {
    const bounds = LATENCY_BUCKETS_MS;
    let i = 0;
    while (i < bounds.length && ms > bounds[i]!) i++;
    this.#buckets[i]!.inc();
    this.#sum.inc(ms);
    this.#count.inc();
  }
}
