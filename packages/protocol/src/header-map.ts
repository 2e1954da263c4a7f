/**
 * A protocol-neutral header map that routing and filters read. Keys are compared as given; protocols
 * with case-insensitive names (HTTP) store them lowercased.
 */
export interface HeaderMap {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
  has(key: string): boolean;
  forEach(fn: (value: string, key: string) => void): void;
}

/** A HeaderMap over a plain Map; what codecs use when they have nothing cheaper. */
export class SimpleHeaderMap implements HeaderMap {
  #map: Map<string, string>;
  #changed = false;
  constructor(entries?: Iterable<readonly [string, string]>) {
    this.#map = new Map(entries);
  }
  get(key: string): string | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: string): void {
    this.#changed = true;
    this.#map.set(key, value);
  }
  delete(key: string): void {
    if (this.#map.delete(key)) this.#changed = true;
  }
  has(key: string): boolean {
    return this.#map.has(key);
  }
  forEach(fn: (value: string, key: string) => void): void {
    this.#map.forEach(fn);
  }
  get size(): number {
    return this.#map.size;
  }
  /** True once set/delete changed the map: a codec re-encodes the header instead of patching bytes. */
  get changed(): boolean {
    return this.#changed;
  }
}
