import { parseJwks } from './jwks.js';
import { fetchJwksText } from './fetch-jwks.js';
import { KeySet } from './key-set.js';

/** What a remote JWKS reports: each fetch that worked, and each that did not (with why). */
export interface RemoteJwksEvents {
  fetched(uri: string): void;
  failed(uri: string, reason: string): void;
}

/** How a provider's keys are had: at once (local, or fresh from the cache), or by fetching. */
export interface JwksSupply {
  /** The keys now, or undefined when they must be fetched. */
  fresh(): KeySet | undefined;
  /** Fetch the keys (undefined: the fetch failed, or there is nothing to fetch). Never rejects. */
  fetch(): Promise<KeySet | undefined>;
}

/** `local_jwks`: keys read with the config, never stale. */
export class LocalJwks implements JwksSupply {
  #keys: KeySet;
  constructor(keys: KeySet) {
    this.#keys = keys;
  }
  fresh(): KeySet {
    return this.#keys;
  }
  fetch(): Promise<KeySet> {
    return Promise.resolve(this.#keys);
  }
}

/**
 * `remote_jwks`: fetched over HTTP(S) when first needed and kept for `cacheDurationMs`, then fetched again when a
 * request needs them. At most one fetch is in flight: the requests that need the keys meanwhile wait for that
 * one. A failed fetch keeps nothing (the requests waiting for it are refused); the next request that needs the
 * keys fetches again.
 */
export class RemoteJwks implements JwksSupply {
  readonly #uri: string;
  readonly #timeoutMs: number;
  readonly #cacheDurationMs: number;
  readonly #events: RemoteJwksEvents;
  readonly #now: () => number;
  #keys: KeySet | undefined;
  #expiresAt = 0;
  #inFlight: Promise<KeySet | undefined> | undefined;

  constructor(source: { uri: string; timeoutMs: number; cacheDurationMs: number }, events: RemoteJwksEvents, now: () => number = Date.now) {
    this.#uri = source.uri;
    this.#timeoutMs = source.timeoutMs;
    this.#cacheDurationMs = source.cacheDurationMs;
    this.#events = events;
    this.#now = now;
  }

  fresh(): KeySet | undefined {
    return this.#keys !== undefined && this.#now() < this.#expiresAt ? this.#keys : undefined;
  }

  fetch(): Promise<KeySet | undefined> {
    return (this.#inFlight ??= this.#fetchOnce().finally(() => (this.#inFlight = undefined)));
  }

  async #fetchOnce(): Promise<KeySet | undefined> {
    let text: string;
    try {
      text = await fetchJwksText(this.#uri, this.#timeoutMs);
    } catch (e) {
      this.#events.failed(this.#uri, (e as Error).message);
      return undefined;
    }
    const parsed = parseJwks(text);
    if (parsed.error !== undefined) {
      this.#events.failed(this.#uri, `${this.#uri} sent no usable JWKS: ${parsed.error}`);
      return undefined;
    }
    this.#keys = new KeySet(parsed.keys);
    this.#expiresAt = this.#now() + this.#cacheDurationMs;
    this.#events.fetched(this.#uri);
    return this.#keys;
  }
}
