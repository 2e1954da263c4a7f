import type { JWK } from 'jose';

/**
 * The config value of `jwt_authn` (Envoy's `envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`, as MOSN
 * reads it), checked and plain: what the reader makes and the factory compiles once per listener.
 */
export interface JwtAuthnConfig {
  /** Providers by name. */
  readonly providers: Readonly<Record<string, JwtProviderConfig>>;
  /** The first rule whose match holds decides what a request needs; a request no rule matches needs nothing. */
  readonly rules: readonly JwtRule[];
  /** `bypass_cors_preflight`: a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) needs nothing. */
  readonly bypassCorsPreflight: boolean;
  /** `strip_failure_response`: a refusal has no body and no `www-authenticate`. */
  readonly stripFailureResponse: boolean;
}

/** Where a provider's keys come from. */
export type JwksSource =
  /** `local_jwks`: the keys, read and checked with the config. */
  | { readonly kind: 'local'; readonly keys: readonly JWK[] }
  /** `remote_jwks`: fetched from `uri` on first need, kept `cacheDurationMs`. */
  | { readonly kind: 'remote'; readonly uri: string; readonly timeoutMs: number; readonly cacheDurationMs: number };

/** A header a token is read from: `Authorization` with `Bearer ` by default. */
export interface TokenHeader {
  /** Lowercase. */
  readonly name: string;
  /** Text before the token (`Bearer `); empty: the whole value is the token. */
  readonly valuePrefix: string;
}

/** One `providers` entry (Envoy's JwtProvider). */
export interface JwtProviderConfig {
  readonly name: string;
  /** The `iss` a token must carry; empty: any. */
  readonly issuer: string;
  /** One of these must be in the token's `aud`; empty: `aud` is not checked. */
  readonly audiences: readonly string[];
  readonly jwks: JwksSource;
  /** Keep the token in the request sent upstream (default: its header is removed). */
  readonly forward: boolean;
  readonly fromHeaders: readonly TokenHeader[];
  readonly fromParams: readonly string[];
  /** Send the token's payload (base64url) upstream in this header (lowercase). */
  readonly forwardPayloadHeader?: string;
  /** ... with base64 padding. */
  readonly padForwardPayloadHeader: boolean;
  /** Allowed clock difference for `exp` and `nbf`, seconds (Envoy: 0 means 60). */
  readonly clockSkewSeconds: number;
  /** How many verified tokens are kept so that a token sent again skips its signature check (`jwt_cache_config`). */
  readonly tokenCacheSize: number;
}

/** What a rule requires (Envoy's JwtRequirement). */
export type JwtRequirement =
  /** `provider_name` (`audiences` set: `provider_and_audiences`, which replaces the provider's audiences). */
  | { readonly kind: 'provider'; readonly provider: string; readonly audiences?: readonly string[] }
  | { readonly kind: 'any'; readonly requirements: readonly JwtRequirement[] }
  | { readonly kind: 'all'; readonly requirements: readonly JwtRequirement[] }
  /** `allow_missing`: no token, or good tokens (of the providers named beside it in a `requires_any`). */
  | { readonly kind: 'allow_missing' }
  /** `allow_missing_or_failed`: anything; good tokens are still forwarded as configured. */
  | { readonly kind: 'allow_missing_or_failed' }
  /** No requirement: the rule's requests need no token. */
  | { readonly kind: 'none' };

/** A text matcher, compiled: an exact value, or a regex (prefix, suffix, contains, ignore_case, safe_regex). */
export type TextMatch = { readonly exact: string } | { readonly regex: RegExp };

/** A `match.headers[]` entry (Envoy's HeaderMatcher). */
export interface HeaderCondition {
  /** Lowercase. */
  readonly name: string;
  readonly match:
    | { readonly kind: 'text'; readonly text: TextMatch }
    | { readonly kind: 'present'; readonly present: boolean }
    /** `range_match`: an integer value in [start, end). */
    | { readonly kind: 'range'; readonly start: number; readonly end: number };
  readonly invert: boolean;
  /** `treat_missing_header_as_empty`. */
  readonly missingAsEmpty: boolean;
}

/** A `match.query_parameters[]` entry: the parameter is present (and its value matches). */
export interface QueryCondition {
  readonly name: string;
  readonly text?: TextMatch;
}

/** A rule's `match` (Envoy's RouteMatch, the parts a jwt_authn rule uses). */
export interface JwtRuleMatch {
  readonly path:
    | { readonly kind: 'prefix' | 'path' | 'path_separated_prefix'; readonly value: string }
    | { readonly kind: 'regex'; readonly regex: RegExp };
  /** `case_sensitive` (default true) for prefix and path. */
  readonly caseSensitive: boolean;
  readonly headers: readonly HeaderCondition[];
  readonly queryParameters: readonly QueryCondition[];
}

export interface JwtRule {
  readonly match: JwtRuleMatch;
  readonly requires: JwtRequirement;
}
