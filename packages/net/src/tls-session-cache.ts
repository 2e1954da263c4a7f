import type { TlsSessionCache } from './tls.js';

/**
 * A bounded TlsSessionCache: the last session of up to `max` destinations, the least recently used dropped first.
 * One per upstream cluster is the intended use.
 */
export class LruSessionCache implements TlsSessionCache {
  readonly max: number;
  #sessions = new Map<string, Buffer>();

  constructor(max = 100) {
    this.max = Math.max(1, Math.floor(max));
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(key: string): Buffer | undefined {
    const s = this.#sessions.get(key);
    if (s !== undefined) {
      // a Map iterates in insertion order: re-inserting makes this one the most recently used
      this.#sessions.delete(key);
      this.#sessions.set(key, s);
    }
    return s;
  }

  set(key: string, session: Buffer): void {
    this.#sessions.delete(key);
    this.#sessions.set(key, session);
    if (this.#sessions.size > this.max) this.#sessions.delete(this.#sessions.keys().next().value!);
  }

  delete(key: string): void {
    this.#sessions.delete(key);
  }
}
