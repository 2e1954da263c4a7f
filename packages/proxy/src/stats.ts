/** Named counters and gauges (`listener.<name>.downstream_rq_total`, ...); the admin API lists them. */
export class Stats {
  #values = new Map<string, number>();
  inc(name: string, by = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + by);
  }
  set(name: string, value: number): void {
    this.#values.set(name, value);
  }
  get(name: string): number {
    return this.#values.get(name) ?? 0;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
