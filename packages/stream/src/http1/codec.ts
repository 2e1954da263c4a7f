import { equalsIgnoreCase, type HttpHeaders } from '../http-headers.js';

/** How a message body is delimited on the wire. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

/** `http2-settings` goes with an `Upgrade: h2c` of this hop (RFC 7540 §3.2.1), which mosn declines. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings'];

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward; framing is re-decided per hop. */
export function isHopByHop(name: string): boolean {
  const n = name.length;
  if (n !== 2 && n !== 7 && n !== 10 && n !== 14 && n !== 16 && n !== 17) return false;
  for (const h of HOP_BY_HOP) if (equalsIgnoreCase(name, h)) return true;
  return false;
}

const CRLF = '\r\n';

/**
 * Write the headers except hop-by-hop ones, then the framing headers this hop needs (and, for an upgrade
 * request or its 101, `connection: upgrade` with the `upgrade` protocols).
 */
function appendHeaders(out: string, headers: HttpHeaders, framing: Framing, close: boolean, upgrade?: string): string {
  const raw = headers.raw;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (isHopByHop(name)) continue;
    out += name + ': ' + raw[i + 1]! + CRLF;
  }
  if (framing === 'chunked') out += 'transfer-encoding: chunked\r\n';
  if (close) out += 'connection: close\r\n';
  else if (upgrade !== undefined) out += 'connection: upgrade\r\nupgrade: ' + upgrade + CRLF;
  return out + CRLF;
}

/** The framing of an outgoing message: keep a content-length; otherwise chunk, or close for HTTP/1.0 peers. */
export function chooseFraming(headers: HttpHeaders, endStream: boolean, peerSupportsChunked: boolean): Framing {
  if (headers.get('content-length') !== undefined) return 'length';
  if (endStream) return 'none';
  return peerSupportsChunked ? 'chunked' : 'close';
}

export function encodeRequestHead(method: string, path: string, headers: HttpHeaders, framing: Framing, upgrade?: string): Buffer {
  return Buffer.from(appendHeaders(method + ' ' + path + ' HTTP/1.1\r\n', headers, framing, false, upgrade), 'latin1');
}

export function encodeResponseHead(
  versionMinor: number,
  status: number,
  statusMessage: string,
  headers: HttpHeaders,
  framing: Framing,
  close: boolean,
  upgrade?: string,
): Buffer {
  const line = 'HTTP/1.' + versionMinor + ' ' + status + ' ' + statusMessage + CRLF;
  return Buffer.from(appendHeaders(line, headers, framing, close, upgrade), 'latin1');
}

/** The interim answer to `Expect: 100-continue`. */
export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/**
 * The protocols an HTTP/1 request asks to upgrade to, without `h2c` (an upgrade to HTTP/2 is for this
 * hop, which stays HTTP/1: declined, as Envoy does). Undefined when nothing is left.
 */
export function upgradeProtocols(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const kept = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'h2c');
  return kept.length > 0 ? kept.join(', ') : undefined;
}

const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const CRLF_BUF = Buffer.from(CRLF, 'latin1');

/** The wire chunks for one body chunk under a framing (chunk-encoded when chunked). */
export function frameBody(chunk: Buffer, endStream: boolean, framing: Framing): Buffer[] {
  if (framing !== 'chunked') return chunk.length > 0 ? [chunk] : [];
  const out: Buffer[] = [];
  if (chunk.length > 0) out.push(Buffer.from(chunk.length.toString(16) + CRLF, 'latin1'), chunk, CRLF_BUF);
  if (endStream) out.push(LAST_CHUNK);
  return out;
}

/** The end of a body with trailer fields: the last chunk and the trailers (chunked framing only). */
export function encodeTrailers(trailers: HttpHeaders, framing: Framing): Buffer[] {
  if (framing !== 'chunked') return [];
  let out = '0\r\n';
  trailers.forEach((value, name) => {
    if (!isHopByHop(name)) out += name + ': ' + value + CRLF;
  });
  return [Buffer.from(out + CRLF, 'latin1')];
}

/** Statuses whose responses never carry a body. */
export function statusHasNoBody(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}
