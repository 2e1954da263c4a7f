import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { HeaderMap } from '@mosn/proxy';
import type { TokenLocation } from './extract.js';
import { isSupportedAlgorithm } from './key-set.js';
import { sanitizeAudience, type Provider, type ProviderSet } from './providers.js';
import type { JwtStatus } from './status.js';
import type { VerifiedToken } from './token-cache.js';

/** Envoy's clock skew when a provider's `clock_skew_seconds` is 0 (or not set). */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

/** Which provider checks a token, and against which audiences. */
export interface TokenCheck {
  /** The provider a requirement names; undefined: the provider of the token's issuer (allow_missing, allow_missing_or_failed). */
  readonly provider: Provider | undefined;
  /** `provider_and_audiences`: these audiences instead of the provider's. */
  readonly audiences: ReadonlySet<string> | undefined;
  readonly providers: ProviderSet;
}

/** A token taken apart: its signing algorithm and key id, and the claims that are checked. */
interface DecodedToken {
  readonly alg: string;
  readonly kid: string | undefined;
  readonly iss: string;
  readonly exp: number | undefined;
  readonly nbf: number | undefined;
  readonly aud: string | readonly string[] | undefined;
  readonly payload: string;
}

/**
 * One token, in Envoy's order: its form and header (`alg` one Envoy supports), its issuer (one that may use the
 * location the token came from, then the provider), `nbf` and `exp` (with the provider's clock skew), the audience,
 * then the signature with the provider's keys (fetched first when they are remote and not cached). A token the
 * provider verified lately with its current keys skips the decoding and the signature (the claims are checked
 * again). A good token is forwarded as the provider says: its payload in `forward_payload_header`, and its header
 * removed unless `forward`. `nowMs` is the time to check against.
 */
export async function verifyToken(location: TokenLocation, check: TokenCheck, headers: HeaderMap, nowMs: number): Promise<JwtStatus> {
  const token = location.token;
  let provider = check.provider;
  const cached = provider?.tokens.get(token, provider.jwks.fresh());
  if (cached !== undefined) {
    const status = checkClaims(cached, location, provider!, check, nowMs);
    if (status === 'ok') forward(provider!, location, cached.payload, headers);
    return status;
  }

  const decoded = decode(token);
  if (typeof decoded === 'string') return decoded;
  if (!location.issuers.allows(decoded.iss)) return 'unknown_issuer';
  provider ??= check.providers.byIssuer(decoded.iss);
  if (provider === undefined) return 'unknown_issuer';
  const status = checkClaims(decoded, location, provider, check, nowMs);
  if (status !== 'ok') return status;

  const keys = provider.jwks.fresh() ?? (await provider.jwks.fetch());
  if (keys === undefined) return 'jwks_fetch_failed';
  const signature = await keys.verify(token, decoded.alg, decoded.kid);
  if (signature !== 'ok') return signature;
  provider.tokens.set(token, { keys, iss: decoded.iss, exp: decoded.exp, nbf: decoded.nbf, aud: decoded.aud, payload: decoded.payload });
  forward(provider, location, decoded.payload, headers);
  return 'ok';
}

/** The token's header and claims, or why it cannot be read. */
function decode(token: string): DecodedToken | JwtStatus {
  const dot1 = token.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
  if (dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) return 'bad_format';
  let alg: unknown;
  let kid: unknown;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
  } catch {
    return 'bad_header';
  }
  if (kid !== undefined && typeof kid !== 'string') return 'bad_header';
  if (!isSupportedAlgorithm(alg)) return 'unsupported_alg';
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return 'bad_payload';
  }
  const { iss, exp, nbf, aud } = claims;
  if ((iss !== undefined && typeof iss !== 'string') || (exp !== undefined && typeof exp !== 'number') || (nbf !== undefined && typeof nbf !== 'number')) {
    return 'bad_payload';
  }
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) return 'bad_payload';
  return { alg, kid, iss: iss ?? '', exp, nbf, aud, payload: token.slice(dot1 + 1, dot2) };
}

/** Issuer (for a cached token: the location may differ), time and audience. */
function checkClaims(t: DecodedToken | VerifiedToken, location: TokenLocation, provider: Provider, check: TokenCheck, nowMs: number): JwtStatus {
  if (!location.issuers.allows(t.iss)) return 'unknown_issuer';
  const skew = provider.config.clockSkewSeconds > 0 ? provider.config.clockSkewSeconds : DEFAULT_CLOCK_SKEW_SECONDS;
  const now = Math.floor(nowMs / 1000);
  if (t.nbf !== undefined && t.nbf > now + skew) return 'not_yet_valid';
  if (t.exp !== undefined && t.exp > 0 && now > t.exp + skew) return 'expired';
  return audienceAllowed(check.audiences ?? provider.audiences, t.aud) ? 'ok' : 'audience_not_allowed';
}

/** What a good token does to the request: its payload header, and its own header removed unless `forward`. */
function forward(provider: Provider, location: TokenLocation, payload: string, headers: HeaderMap): void {
  const forwardHeader = provider.config.forwardPayloadHeader;
  if (forwardHeader !== undefined) headers.set(forwardHeader, provider.config.padForwardPayloadHeader ? padBase64(payload) : payload);
  if (!provider.config.forward && location.header !== undefined) headers.delete(location.header);
}

/** No audiences configured: any; else one of the token's (sanitized) audiences must be among them. */
function audienceAllowed(allowed: ReadonlySet<string>, aud: string | readonly string[] | undefined): boolean {
  if (allowed.size === 0) return true;
  if (aud === undefined) return false;
  if (typeof aud === 'string') return allowed.has(sanitizeAudience(aud));
  return aud.some((a) => allowed.has(sanitizeAudience(a)));
}

function padBase64(text: string): string {
  const rest = text.length % 4;
  return rest === 0 ? text : text + '='.repeat(4 - rest);
}
