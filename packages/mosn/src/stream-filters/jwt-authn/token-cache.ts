import type { KeySet } from './key-set.js';

/** The claims of a verified token that each request checks again (the time and the audience may have changed). */
export interface VerifiedToken {
  /** The keys whose signature check it passed: an entry counts only while they are the provider's current keys. */
  readonly keys: KeySet;
  readonly iss: string;
  readonly exp: number | undefined;
  readonly nbf: number | undefined;
  readonly aud: string | readonly string[] | undefined;
  /** The payload segment (base64url), for `forward_payload_header`. */
  readonly payload: string;
}

/** Envoy's `jwt_cache_size` when `jwt_cache_config` gives none. */
export const DEFAULT_TOKEN_CACHE_SIZE = 100;

/**
 * A provider's recently verified tokens, by token text, least recently used evicted (Envoy's JWT cache): a client
 * that sends the same token on every request pays for one signature check. Only the signature check is skipped;
 * issuer, time and audience are checked on every request, and an entry verified with keys the provider has since
 * replaced (a remote JWKS fetched again) is not used.
 */
export class TokenCache {
  readonly #max: number;
  readonly #entries = new Map<string, VerifiedToken>();

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string, keys: KeySet | undefined): VerifiedToken | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined || keys === undefined) return undefined;
    if (entry.keys !== keys) {
      this.#entries.delete(token);
      return undefined;
    }
    // most recently used last
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    return entry;
  }

  set(token: string, entry: VerifiedToken): void {
    if (this.#max <= 0) return;
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}
