import type { HeaderMap } from '@mosn/proxy';
import type { JwtProviderConfig } from './types.js';

/** The issuers whose tokens may be read at one location; a provider without `issuer` allows any. */
export class IssuerCheck {
  #any = false;
  #issuers = new Set<string>();

  add(issuer: string): void {
    if (issuer === '') this.#any = true;
    else this.#issuers.add(issuer);
  }

  allows(issuer: string): boolean {
    return this.#any || this.#issuers.has(issuer);
  }
}

/** A token found in a request: where, and which issuers may have signed a token found there. */
export interface TokenLocation {
  readonly token: string;
  readonly issuers: IssuerCheck;
  /** The header it came from, removed when the provider does not `forward` tokens; undefined: a query parameter. */
  readonly header: string | undefined;
}

/** The default location when a provider names none: `Authorization: Bearer <token>`, then `?access_token=`. */
const DEFAULT_HEADER = { name: 'authorization', valuePrefix: 'Bearer ' };
const DEFAULT_PARAM = 'access_token';

interface HeaderSpec {
  readonly name: string;
  readonly valuePrefix: string;
  readonly issuers: IssuerCheck;
}

/**
 * Where a verifier looks for tokens: the `from_headers` and `from_params` of its providers (each provider that names
 * neither: the default locations), as Envoy's extractor. A header location with a `value_prefix` holds a token
 * when the prefix occurs in its value; the token is the run of base64url characters and dots after it. Also the
 * headers it clears from every request before checking (`forward_payload_header`), so a client cannot send one.
 */
export class TokenExtractor {
  readonly #headers: HeaderSpec[] = [];
  readonly #params = new Map<string, IssuerCheck>();
  readonly #sanitize: string[] = [];

  constructor(providers: readonly JwtProviderConfig[]) {
    const headers = new Map<string, HeaderSpec>();
    const addHeader = (name: string, valuePrefix: string, issuer: string) => {
      const key = `${name}\n${valuePrefix}`;
      let spec = headers.get(key);
      if (spec === undefined) headers.set(key, (spec = { name, valuePrefix, issuers: new IssuerCheck() }));
      spec.issuers.add(issuer);
    };
    const addParam = (name: string, issuer: string) => {
      let check = this.#params.get(name);
      if (check === undefined) this.#params.set(name, (check = new IssuerCheck()));
      check.add(issuer);
    };
    for (const p of providers) {
      for (const h of p.fromHeaders) addHeader(h.name, h.valuePrefix, p.issuer);
      for (const name of p.fromParams) addParam(name, p.issuer);
      if (p.fromHeaders.length === 0 && p.fromParams.length === 0) {
        addHeader(DEFAULT_HEADER.name, DEFAULT_HEADER.valuePrefix, p.issuer);
        addParam(DEFAULT_PARAM, p.issuer);
      }
      if (p.forwardPayloadHeader !== undefined && !this.#sanitize.includes(p.forwardPayloadHeader)) this.#sanitize.push(p.forwardPayloadHeader);
    }
    this.#headers = [...headers.values()];
  }

  /** Whether there is no location at all (an `allow_missing` with no provider beside it): no token is ever found. */
  get isEmpty(): boolean {
    return this.#headers.length === 0 && this.#params.size === 0;
  }

  /** Remove the headers this verifier's providers write (a client's own copies must not reach the upstream). */
  sanitize(headers: HeaderMap): void {
    for (const name of this.#sanitize) headers.delete(name);
  }

  /** The tokens of a request: headers first, then query parameters (`query`: the text after `?`). */
  extract(headers: HeaderMap, query: string): TokenLocation[] {
    const out: TokenLocation[] = [];
    for (const spec of this.#headers) {
      const value = headers.get(spec.name);
      if (value === undefined) continue;
      let token = value;
      if (spec.valuePrefix !== '') {
        const at = value.indexOf(spec.valuePrefix);
        if (at < 0) continue;
        token = tokenAfter(value, at + spec.valuePrefix.length);
      }
      out.push({ token, issuers: spec.issuers, header: spec.name });
    }
    if (this.#params.size > 0 && query !== '') {
      const params = new URLSearchParams(query);
      for (const [name, issuers] of this.#params) {
        const token = params.get(name);
        if (token !== null) out.push({ token, issuers, header: undefined });
      }
    }
    return out;
  }
}

/** A base64url character or a dot: what a compact JWT is made of (RFC 7515). */
function isTokenChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46;
}

/** The first run of token characters at or after `from`; the rest of the value as it is when there is none. */
function tokenAfter(value: string, from: number): string {
  let start = from;
  while (start < value.length && !isTokenChar(value.charCodeAt(start))) start++;
  if (start === value.length) return value.slice(from);
  let end = start;
  while (end < value.length && isTokenChar(value.charCodeAt(end))) end++;
  return value.slice(start, end);
}
