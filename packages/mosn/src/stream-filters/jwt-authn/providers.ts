import { KeySet } from './key-set.js';
import { LocalJwks, RemoteJwks, type JwksSupply, type RemoteJwksEvents } from './remote-jwks.js';
import { TokenCache } from './token-cache.js';
import type { JwtProviderConfig } from './types.js';

/** A provider as requests use it: its config, its keys, and its audiences as compared. */
export interface Provider {
  readonly config: JwtProviderConfig;
  readonly jwks: JwksSupply;
  /** `audiences`, sanitized for comparison (see `sanitizeAudience`); empty: any. */
  readonly audiences: ReadonlySet<string>;
  /** Tokens this provider verified lately. */
  readonly tokens: TokenCache;
}

/**
 * An audience as jwt_verify_lib compares them: without an `http://` or `https://` scheme and without a trailing
 * slash, so `https://api.example.com/` and `api.example.com` are the same audience.
 */
export function sanitizeAudience(aud: string): string {
  let a = aud;
  if (a.startsWith('http://')) a = a.slice(7);
  else if (a.startsWith('https://')) a = a.slice(8);
  return a.endsWith('/') ? a.slice(0, -1) : a;
}

export function audienceSet(audiences: readonly string[]): ReadonlySet<string> {
  return new Set(audiences.map(sanitizeAudience));
}

/** A listener's providers, by name and by issuer; each with its keys (a remote JWKS cache lives here). */
export class ProviderSet {
  readonly #byName = new Map<string, Provider>();

  constructor(configs: Readonly<Record<string, JwtProviderConfig>>, events: RemoteJwksEvents, now?: () => number) {
    for (const [name, config] of Object.entries(configs)) {
      const jwks = config.jwks.kind === 'local' ? new LocalJwks(new KeySet(config.jwks.keys)) : new RemoteJwks(config.jwks, events, now);
      this.#byName.set(name, { config, jwks, audiences: audienceSet(config.audiences), tokens: new TokenCache(config.tokenCacheSize) });
    }
  }

  byName(name: string): Provider | undefined {
    return this.#byName.get(name);
  }

  /** The provider of a token read where any of several may sign: the first with its issuer, else the first without one. */
  byIssuer(issuer: string): Provider | undefined {
    let anyIssuer: Provider | undefined;
    for (const p of this.#byName.values()) {
      if (p.config.issuer === issuer) return p;
      if (p.config.issuer === '') anyIssuer ??= p;
    }
    return anyIssuer;
  }
}
