import type { HeaderMap } from '@mosn/stream';
import { hostPort, pathOf, queryOf } from '../variables.js';
import type { RequestLog } from './request-log.js';

/** MOSN's default access log format (pkg/types/accesslog.go), used when `log_format` is empty. */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '%start_time% %trace_id%  %connection_id% %upstream_connection_id% %request_received_duration% %response_received_duration% %bytes_sent%' +
  ' %bytes_received% %protocol% %response_code% %duration% %response_flag% %response_code% %upstream_local_address%' +
  ' %downstream_local_address% %downstream_remote_address% %upstream_host%';

/** What MOSN writes for a variable without a value (and for a name it does not know). */
export const NOT_FOUND = '-';

/** One variable of a format: reads its value from the finished request (undefined: `-`). */
export type LogVariable = (r: RequestLog) => string | undefined;

/** A format compiled once: text parts and variable getters, in order. */
export interface AccessLogFormat {
  readonly parts: ReadonlyArray<string | LogVariable>;
  /** Variable names the format uses that mosn-ts does not know (written as `-`, as MOSN does). */
  readonly unknown: readonly string[];
}

export class AccessLogFormatError extends Error {
  override readonly name = 'AccessLogFormatError';
}


function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The local-time text of the last second formatted (`2006/01/02 15:04:05`): lines of one second share it. */
let cachedSecond = -1;
let cachedText = '';

/** Go's `2006/01/02 15:04:05.000` in local time, as MOSN's start_time. */
export function formatStartTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedText =
      `${d.getFullYear()}/${pad(d.getMonth() + 1, 2)}/${pad(d.getDate(), 2)} ` +
      `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
    cachedSecond = second;
  }
  const ms = epochMs - second * 1000;
  return cachedText + (ms < 10 ? '.00' : ms < 100 ? '.0' : '.') + ms;
}

function fraction(v: number, digits: number): string {
  // v < 10^digits: the fraction digits without trailing zeros (Go's fmtFrac)
  if (v === 0) return '';
  let end = digits;
  while (v % 10 === 0) {
    v /= 10;
    end--;
  }
  const s = String(v);
  return '.' + (s.length < end ? '0'.repeat(end - s.length) + s : s);
}

/** Go's time.Duration.String() of a duration in milliseconds (`1.234567ms`, `850µs`, `2.5s`, `1m0.5s`, `0s`). */
export function goDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${Math.floor(ns / 1e3)}${fraction(ns % 1e3, 3)}µs`;
  if (ns < 1e9) return `${sign}${Math.floor(ns / 1e6)}${fraction(ns % 1e6, 6)}ms`;
  const totalS = Math.floor(ns / 1e9);
  const s = `${totalS % 60}${fraction(ns % 1e9, 9)}s`;
  if (totalS < 60) return sign + s;
  const totalM = Math.floor(totalS / 60);
  if (totalM < 60) return `${sign}${totalM}m${s}`;
  return `${sign}${Math.floor(totalM / 60)}h${totalM % 60}m${s}`;
}

function since(r: RequestLog, at: number): string | undefined {
  return at > 0 ? goDuration(at - r.startedAt) : undefined;
}

/** MOSN's proxy variables (pkg/proxy/var.go) and connection variables that mosn-ts has. */
const FIXED: Record<string, LogVariable> = {
  start_time: (r) => formatStartTime(r.startTime),
  request_received_duration: (r) => since(r, r.requestSentAt),
  response_received_duration: (r) => since(r, r.responseReceivedAt),
  request_finished_duration: (r) => since(r, r.endedAt),
  duration: (r) => since(r, r.endedAt),
  bytes_sent: (r) => String(r.bytesSent),
  bytes_received: (r) => String(r.bytesReceived),
  protocol: (r) => r.protocol,
  response_code: (r) => String(r.responseCode),
  // MOSN writes whether any response flag is set (GetResponseFlag(^0)): true or false
  response_flag: (r) => String(r.flags !== undefined),
  response_flags: (r) => String(r.flags !== undefined),
  upstream_transport_failure_reason: (r) => r.flags,
  upstream_local_address: (r) => r.upstreamLocalAddress,
  downstream_local_address: (r) => hostPort(r.connection.localAddress, r.connection.localPort),
  downstream_remote_address: (r) => hostPort(r.connection.remoteAddress, r.connection.remotePort),
  upstream_host: (r) => r.upstreamHost,
  upstream_cluster: (r) => r.upstreamCluster,
  connection_id: (r) => String(r.connection.id),
  upstream_connection_id: (r) => (r.upstreamConnectionId === undefined ? undefined : String(r.upstreamConnectionId)),
  stream_id: (r) => r.streamId,
  // with tracing on and the request sampled, as MOSN fills it from its span
  trace_id: (r) => r.traceId,
  downstream_protocol: (r) => r.protocol,
  'x-mosn-host': (r) => r.http?.headers.get('host'),
  'x-mosn-path': (r) => (r.http ? pathOf(r.http.path) : undefined),
  'x-mosn-method': (r) => r.http?.method,
  'x-mosn-querystring': (r) => (r.http ? queryOf(r.http.path) : undefined),
};



/** `<Protocol>_request_<x>` (MOSN's pkg/protocol/http and http2 variables). */
const HTTP_VARS: Record<string, LogVariable> = {
  request_path: (r) => (r.http ? pathOf(r.http.path) : undefined),
  request_path_original: (r) => (r.http ? pathOf(r.http.path) : undefined),
  request_uri: (r) => r.http?.path,
  request_method: (r) => r.http?.method,
  request_arg: (r) => (r.http ? queryOf(r.http.path) : undefined),
  request_scheme: (r) => (r.http ? 'http' : undefined),
  request_length: (r) => (r.http ? String(r.bytesReceived) : undefined),
};

function header(map: (r: RequestLog) => HeaderMap | undefined, name: string): LogVariable {
  return (r) => map(r)?.get(name);
}

const requestHeaders = (r: RequestLog) => r.requestHeaders;
const responseHeaders = (r: RequestLog) => r.responseHeaders;

/** The getter of a variable name, or undefined when mosn-ts does not know it. */
export function logVariable(name: string): LogVariable | undefined {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  if (name.startsWith('request_header_') && name.length > 15) return header(requestHeaders, name.slice(15));
  if (name.startsWith('response_header_') && name.length > 16) return header(responseHeaders, name.slice(16));
  const m = /^(Http1|Http2)_(request_header_|cookie_|request_arg_)?(.*)$/.exec(name);
  if (m) {
    const [, proto, prefix, rest] = m as unknown as [string, string, string | undefined, string];
    const own = (get: LogVariable): LogVariable => (r) => (r.protocol === proto ? get(r) : undefined);
    if (prefix === 'request_header_' && rest !== '') return own(header(requestHeaders, rest));
    if (prefix === 'request_arg_' && rest !== '') return own((r) => (r.http ? (new URLSearchParams(queryOf(r.http.path)).get(rest) ?? undefined) : undefined));
    if (prefix === 'cookie_' && rest !== '') return own((r) => cookie(r.http?.headers.get('cookie'), rest));
    const v = prefix === undefined ? HTTP_VARS[rest] : undefined;
    if (v) return own(v);
  }
  return undefined;
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Compile a format as MOSN's parseFormat: `%name%` is a variable, `\%` is a literal `%` (the backslash stays, as in
 * MOSN), `%%` and an unclosed `%` are errors, an empty format is the default. A name mosn-ts does not know is
 * written as `-` (MOSN does the same for names it does not know) and listed in `unknown`.
 */
export function compileAccessLogFormat(format: string): AccessLogFormat {
  if (format === '') format = DEFAULT_ACCESS_LOG_FORMAT;
  const parts: Array<string | LogVariable> = [];
  const unknown: string[] = [];
  let inVar = false;
  let last = -1;
  for (let pos = 0; pos < format.length; pos++) {
    if (format[pos] !== '%') continue;
    if (pos > 0 && format[pos - 1] === '\\') continue;
    if (inVar) {
      if (pos === last + 1) throw new AccessLogFormatError(`empty variable "%%" at offset ${last}`);
      const name = format.slice(last + 1, pos);
      const get = logVariable(name);
      if (get) parts.push(get);
      else {
        unknown.push(name);
        parts.push(NOT_FOUND);
      }
    } else if (pos > last + 1) {
      parts.push(format.slice(last + 1, pos));
    }
    last = pos;
    inVar = !inVar;
  }
  if (inVar) throw new AccessLogFormatError(`unclosed variable at offset ${last}`);
  if (last < format.length - 1) parts.push(format.slice(last + 1));
  // adjacent text parts (an unknown variable between two texts) become one
  const merged: Array<string | LogVariable> = [];
  for (const p of parts) {
    const prev = merged[merged.length - 1];
    if (typeof p === 'string' && typeof prev === 'string') merged[merged.length - 1] = prev + p;
    else merged.push(p);
  }
  return { parts: merged, unknown };
}

/** One line (with its newline) of a finished request. */
export function formatLine(format: AccessLogFormat, r: RequestLog): string {
  let line = '';
  const parts = format.parts;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    line += typeof p === 'string' ? p : (p(r) ?? NOT_FOUND);
  }
  return line + '\n';
}
