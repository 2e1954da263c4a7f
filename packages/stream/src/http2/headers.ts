import type { OutgoingHttpHeaders } from 'node:http2';
import { HttpHeaders, equalsIgnoreCase, type HttpRequestHead, type HttpResponseHead } from '../http-headers.js';
import { isHopByHop } from '../http1/codec.js';

const COLON = 58;

/**
 * A request head from the raw header list of an incoming HTTP/2 stream (`[name, value, ...]`, names in
 * lower case, pseudo-headers first). `:authority` becomes a leading `host` entry (it wins over a `host`
 * header, RFC 9113 §8.3.1) so routing works as for HTTP/1; split `cookie` fields are joined again
 * (§8.2.3) so an HTTP/1 upstream gets one.
 */
export function requestHeadFromH2(raw: readonly string[]): HttpRequestHead {
  let method = 'GET';
  let path = '/';
  let authority: string | undefined;
  let cookie: string | undefined;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === COLON) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority') authority = value;
    } else if (name === 'cookie') cookie = cookie === undefined ? value : cookie + '; ' + value;
    else if (name !== 'host' || authority === undefined) out.push(name, value);
  }
  if (authority !== undefined) out.unshift('host', authority);
  if (cookie !== undefined) out.push('cookie', cookie);
  return { method, path, versionMajor: 2, versionMinor: 0, headers: new HttpHeaders(out) };
}

/** A response head from the raw header list of an HTTP/2 response (`:status` and the fields). */
export function responseHeadFromH2(raw: readonly string[]): HttpResponseHead {
  let status = 502;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name === ':status') status = Number(raw[i + 1]);
    else if (name.charCodeAt(0) !== COLON) out.push(name, raw[i + 1]!);
  }
  return { status, headers: new HttpHeaders(out) };
}

/**
 * Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2): the HTTP/1 hop-by-hop ones, except
 * `te: trailers`, which gRPC needs end to end.
 */
function isConnectionSpecific(name: string, value: string): boolean {
  if (!isHopByHop(name)) return false;
  return !(name.length === 2 && value.trim().toLowerCase() === 'trailers');
}

/** Copy fields into a Node header object: names in lower case, repeated fields as arrays. */
function appendFields(out: OutgoingHttpHeaders, headers: HttpHeaders, skipHost: boolean): OutgoingHttpHeaders {
  const raw = headers.raw;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === COLON || isConnectionSpecific(name, value)) continue;
    if (skipHost && equalsIgnoreCase(name, 'host')) continue;
    const key = name.toLowerCase();
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [String(prev), value];
  }
  return out;
}

/** The HTTP/2 request headers for a request head: pseudo-headers, `host` as `:authority`. */
export function h2RequestHeaders(head: HttpRequestHead, defaultAuthority: string): OutgoingHttpHeaders {
  return appendFields(
    {
      ':method': head.method,
      ':scheme': 'http',
      ':authority': head.headers.get('host') ?? defaultAuthority,
      ':path': head.path,
    },
    head.headers,
    true,
  );
}

export function h2ResponseHeaders(head: HttpResponseHead): OutgoingHttpHeaders {
  return appendFields({ ':status': head.status }, head.headers, false);
}

export function h2Trailers(trailers: HttpHeaders): OutgoingHttpHeaders {
  return appendFields({}, trailers, false);
}
