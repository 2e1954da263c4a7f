import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigReader } from '../../config/config-reader.js';
import { parseJwks } from './jwks.js';
import { oneOf, readDuration } from './read-proto.js';
import { DEFAULT_TOKEN_CACHE_SIZE } from './token-cache.js';
import type { JwksSource, JwtProviderConfig, TokenHeader } from './types.js';

/** How long a remote JWKS is kept when `cache_duration` is not set (Envoy's and MOSN's 600 s). */
export const DEFAULT_JWKS_CACHE_MS = 600_000;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * One `providers` entry (Envoy's JwtProvider). Read: `issuer`, `audiences`, `local_jwks` or `remote_jwks`, `forward`,
 * `from_headers`, `from_params`, `forward_payload_header`, `pad_forward_payload_header`, `clock_skew_seconds`,
 * `jwt_cache_config`. Warned and ignored: what only feeds Envoy's dynamic metadata (no filter of mosn-ts reads
 * any), and the JWKS fetch's retries and background refresh. Refused (ignored, they would let tokens through that
 * Envoy refuses, or leave out headers the upstream expects): `from_cookies`, `subjects`, `require_expiration`,
 * `max_lifetime`, `claim_to_headers`, `clear_route_cache`.
 */
export function readProvider(p: ConfigReader, name: string): JwtProviderConfig | undefined {
  const issuer = p.str('issuer') ?? '';
  const audiences = p.strings('audiences');
  const jwks = readJwksSource(p);
  const forward = p.bool('forward') ?? false;
  const fromHeaders: TokenHeader[] = [];
  for (const h of p.objects('from_headers')) {
    const headerName = readHeaderName(h, 'name', true);
    const valuePrefix = h.str('value_prefix') ?? '';
    h.finish({ unknown: 'error' });
    if (headerName !== undefined) fromHeaders.push({ name: headerName, valuePrefix });
  }
  const fromParams = p.arr('from_params').flatMap(({ value, path }) => {
    if (typeof value === 'string' && value !== '') return [value];
    p.problems.error(path, `expected a query parameter name, got ${JSON.stringify(value)}`);
    return [];
  });
  const forwardPayloadHeader = readHeaderName(p, 'forward_payload_header', false);
  const padForwardPayloadHeader = p.bool('pad_forward_payload_header') ?? false;
  const clockSkewSeconds = p.num('clock_skew_seconds', { min: 0, max: 0xffffffff }) ?? 0;
  p.ignore(['payload_in_metadata', 'header_in_metadata', 'failed_status_in_metadata', 'normalize_payload_in_metadata'], 'mosn-ts keeps no dynamic metadata (no filter would read it); ignored');
  const tokenCacheSize = readTokenCacheSize(p);
  p.refuse(['from_cookies', 'subjects', 'require_expiration', 'max_lifetime', 'claim_to_headers', 'clear_route_cache'], 'is not supported by mosn-ts yet (nor acted on by MOSN); refused, since ignoring it would change which requests pass or what the upstream is sent');
  p.finish({ unknown: 'error' });
  if (jwks === undefined) return undefined;
  return {
    name,
    issuer,
    audiences,
    jwks,
    forward,
    fromHeaders,
    fromParams,
    ...(forwardPayloadHeader !== undefined ? { forwardPayloadHeader } : {}),
    padForwardPayloadHeader,
    clockSkewSeconds,
    tokenCacheSize,
  };
}

/** `jwt_cache_config.jwt_cache_size` (0 or absent: 100). mosn-ts keeps the cache even without `jwt_cache_config`. */
function readTokenCacheSize(p: ConfigReader): number {
  const c = p.obj('jwt_cache_config');
  if (!c) return DEFAULT_TOKEN_CACHE_SIZE;
  const size = c.num('jwt_cache_size', { min: 0, max: 0xffffffff }) ?? 0;
  c.finish({ unknown: 'error' });
  return size > 0 ? size : DEFAULT_TOKEN_CACHE_SIZE;
}

/** An HTTP header name at `key`, lowercase. */
function readHeaderName(r: ConfigReader, key: string, required: boolean): string | undefined {
  const name = r.str(key, { required, nonEmpty: required });
  if (name === undefined || name === '') return undefined;
  if (!HEADER_NAME.test(name)) {
    r.problems.error(r.at(key), `expected an HTTP header name, got ${JSON.stringify(name)}`);
    return undefined;
  }
  return name.toLowerCase();
}

/** `local_jwks` or `remote_jwks`: exactly one. */
function readJwksSource(p: ConfigReader): JwksSource | undefined {
  const kind = oneOf(p, ['local_jwks', 'remote_jwks']);
  if (kind === undefined) {
    p.problems.error(p.path, 'expected "local_jwks" or "remote_jwks": where the keys that verify tokens come from');
    return undefined;
  }
  const r = p.obj(kind);
  if (!r) return undefined;
  return kind === 'local_jwks' ? readLocalJwks(r) : readRemoteJwks(r);
}

/**
 * `local_jwks`, a DataSource: `inline_string`, `inline_bytes` (base64), `filename` (read now; a relative path is
 * resolved from the working directory, as Envoy does) or `environment_variable`. The JWKS is checked now.
 */
function readLocalJwks(r: ConfigReader): JwksSource | undefined {
  const kind = oneOf(r, ['inline_string', 'inline_bytes', 'filename', 'environment_variable']);
  let text: string | undefined;
  switch (kind) {
    case undefined:
      r.problems.error(r.path, 'expected one of inline_string, inline_bytes, filename, environment_variable');
      break;
    case 'inline_string':
      text = r.str(kind);
      break;
    case 'inline_bytes': {
      const b64 = r.str(kind);
      if (b64 !== undefined && /^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) text = Buffer.from(b64, 'base64').toString('utf8');
      else if (b64 !== undefined) r.problems.error(r.at(kind), 'expected base64 text');
      break;
    }
    case 'filename': {
      const file = r.str(kind, { nonEmpty: true });
      if (file === undefined) break;
      try {
        text = readFileSync(resolve(file), 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        r.problems.error(r.at(kind), `cannot read ${resolve(file)}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
      }
      break;
    }
    case 'environment_variable': {
      const variable = r.str(kind, { nonEmpty: true });
      if (variable === undefined) break;
      text = process.env[variable];
      if (text === undefined) r.problems.error(r.at(kind), `the environment variable ${variable} is not set`);
      break;
    }
  }
  r.refuse(['watched_directory'], 'is not supported by mosn-ts (the JWKS is read once, with the config)');
  r.finish({ unknown: 'error' });
  if (text === undefined || kind === undefined) return undefined;
  const parsed = parseJwks(text);
  if (parsed.error !== undefined) {
    r.problems.error(r.at(kind), `not a usable JWKS: ${parsed.error}`);
    return undefined;
  }
  for (const why of parsed.skipped) r.problems.warn(r.at(kind), `${why}; this key is left out`);
  return { kind: 'local', keys: parsed.keys };
}

/**
 * `remote_jwks`: `http_uri` (`uri`, http or https; `cluster`, required by Envoy's API but not used: as MOSN, mosn-ts
 * fetches the uri itself; `timeout`, required) and `cache_duration` (default 600 s). `async_fetch` and
 * `retry_policy` are warned and ignored: the keys are fetched when a request first needs them, once.
 */
function readRemoteJwks(r: ConfigReader): JwksSource | undefined {
  const u = r.obj('http_uri', { required: true });
  let uri: string | undefined;
  let timeoutMs: number | undefined;
  if (u) {
    uri = u.str('uri', { required: true, nonEmpty: true });
    if (uri !== undefined && !isHttpUrl(uri)) {
      u.problems.error(u.at('uri'), `expected an http:// or https:// URL, got ${JSON.stringify(uri)}`);
      uri = undefined;
    }
    u.str('cluster', { required: true, nonEmpty: true });
    timeoutMs = readDuration(u, 'timeout', { required: true });
    if (timeoutMs === 0) {
      u.problems.error(u.at('timeout'), 'expected a timeout above 0');
      timeoutMs = undefined;
    }
    u.finish({ unknown: 'error' });
  }
  const cacheDurationMs = readDuration(r, 'cache_duration', { minMs: 1 }) ?? DEFAULT_JWKS_CACHE_MS;
  r.ignore(['async_fetch', 'retry_policy'], 'not supported by mosn-ts: the JWKS is fetched when a request first needs it, without retries; ignored');
  r.finish({ unknown: 'error' });
  if (uri === undefined || timeoutMs === undefined) return undefined;
  return { kind: 'remote', uri, timeoutMs, cacheDurationMs };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
