interface Cell {
  value: number;
}

/**
 * One named counter, resolved once (`Stats.counter`) so that a hot path bumps a number instead of building
 * and looking up its name per request. It shows in the stats only once it was incremented.
 */
export class Counter {
  readonly name: string;
  #resolve: () => Cell;
  #cell: Cell | undefined;
  constructor(name: string, resolve: () => Cell) {
    this.name = name;
    this.#resolve = resolve;
  }
  inc(by = 1): void {
    (this.#cell ??= this.#resolve()).value += by;
  }
}

/** Adds figures kept elsewhere (on hosts, clusters) to a snapshot: `emit(name, value)` for each. */
export type StatsCollector = (emit: (name: string, value: number) => void) => void;

/** Named counters and gauges (`listener.<name>.downstream_rq_total`, ...); the admin API lists them. */
export class Stats {
  #cells = new Map<string, Cell>();
  #collectors = new Set<StatsCollector>();
  /**
   * Time every upstream request (latency histograms): set by the runtime when a metrics sink is configured, before
   * clusters are built (two clock reads per request otherwise saved).
   */
  timing = false;

  /** Figures kept elsewhere join every snapshot; the returned function removes the collector. */
  addCollector(c: StatsCollector): () => void {
    this.#collectors.add(c);
    return () => this.#collectors.delete(c);
  }
  inc(name: string, by = 1): void {
    this.#cell(name).value += by;
  }
  set(name: string, value: number): void {
    this.#cell(name).value = value;
  }
  get(name: string): number {
    return this.#cells.get(name)?.value ?? 0;
  }
  /** The counter `name`, for code that bumps it often. */
  counter(name: string): Counter {
    return new Counter(name, () => this.#cell(name));
  }
  snapshot(): Record<string, number> {
    const entries: [string, number][] = [];
    for (const [name, cell] of this.#cells) entries.push([name, cell.value]);
    for (const c of this.#collectors) c((name, value) => entries.push([name, value]));
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  #cell(name: string): Cell {
    let c = this.#cells.get(name);
    if (c === undefined) this.#cells.set(name, (c = { value: 0 }));
    return c;
  }
}
