import type { Connection, HttpRequestHead, Logger, XFrame } from '@mosn/stream';
import { DROP, LogLimiter } from './log-limiter.js';
import type { RouteMatch } from '../router/router.js';

/**
 * The one warn line of a request that mosn answered itself with an error (no route, no healthy upstream,
 * connect failure, upstream reset, timeout, overflow, codec error; and a tcp_proxy connection that found
 * no upstream). Built only on those paths: a successful request pays nothing. Lines go through one
 * per-process token bucket, so a flood of failures writes at most FAILURE_LOG_BURST lines at once and
 * FAILURE_LOG_RATE a second after that; the line after a drop (or, when none comes, a line of its own a
 * second later) says how many were suppressed.
 *
 * Fields (pino bindings, never in the message): `listener` and `connId` (the connection logger's own
 * bindings), `downstream` (the client's address), `protocol`, `request` (HTTP `METHOD host/path` without the
 * query; RPC `service` and `method`), `route` (the matched route's match, short), `cluster`, `host`,
 * `reason` (MOSN's internal reason: `no_route`, `upstream_overflow`, ...), `hint` (what to change, when
 * mosn can tell), `suppressed` (lines dropped before this one).
 */

/** Failure lines a second, sustained, per process. */
export const FAILURE_LOG_RATE = 10;
/** Failure lines at once, per process. */
export const FAILURE_LOG_BURST = 100;

/** The longest `route` and `request` field. */
const MAX_FIELD = 120;

/** One failed request, as its log line tells it. */
export interface RequestFailure {
  protocol: string;
  /** MOSN's internal reason (an InternalStatus, or `unsupported` for a request mosn-ts refuses to carry). */
  reason: string;
  /** Readable: what went wrong. */
  message: string;
  /** The HTTP request or RPC frame (described only when the line is written). */
  request?: HttpRequestHead | XFrame | undefined;
  /** The matched route's match (a tcp_proxy route: its own few words). */
  route?: RouteMatch | string | undefined;
  cluster?: string | undefined;
  host?: string | undefined;
  hint?: string | undefined;
}

/** The logger the last dropped line would have gone to: the periodic count of dropped lines goes there. */
let lastDropped: Logger | undefined;

const limiter = new LogLimiter({
  ratePerSecond: FAILURE_LOG_RATE,
  burst: FAILURE_LOG_BURST,
  report: (suppressed) => {
    const log = lastDropped;
    lastDropped = undefined;
    log?.warn({ suppressed }, `failed request log: ${suppressed} lines suppressed by the rate limit`);
  },
});

/** Log one failed request on its downstream connection's logger (rate-limited). */
export function logRequestFailure(conn: Connection, failure: RequestFailure): void {
  logLimited(conn, (suppressed) => failureFields(conn, failure, suppressed), `request failed: ${failure.message}`);
}

/**
 * Log bad bytes from a downstream (a malformed request, an undetectable protocol) on the connection's logger,
 * through the same rate limit as failed requests: a flood of bad connections cannot fill the disk either.
 */
export function logProtocolError(conn: Connection, fields: Record<string, unknown>, message: string): void {
  logLimited(conn, (suppressed) => ({ downstream: downstreamAddress(conn), ...fields, ...(suppressed > 0 ? { suppressed } : {}) }), message);
}

/** One warn line within the shared budget; `fields` is built only when the line is written. */
function logLimited(conn: Connection, fields: (suppressed: number) => Record<string, unknown>, message: string): void {
  logRateLimited(conn.log, fields, message);
}

/**
 * A warn line on any logger within the same budget as failed requests (a failed TLS handshake, say): a flood of bad
 * connections cannot fill the disk. `fields` is built only when the line is written, with the count of lines
 * dropped before it.
 */
export function logRateLimited(log: Logger, fields: (suppressed: number) => Record<string, unknown>, message: string): void {
  if (log.isLevelEnabled?.('warn') === false) return;
  const suppressed = limiter.take();
  if (suppressed === DROP) {
    lastDropped = log;
    return;
  }
  log.warn(fields(suppressed), message);
}

/** The line's fields (exported for tests). */
export function failureFields(conn: Connection, f: RequestFailure, suppressed = 0): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    downstream: downstreamAddress(conn),
    protocol: f.protocol,
  };
  const request = f.request === undefined ? undefined : 'kind' in f.request ? describeRpcRequest(f.request) : describeHttpRequest(f.request);
  if (request !== undefined) fields.request = request;
  if (f.route !== undefined) fields.route = typeof f.route === 'string' ? short(f.route) : describeMatch(f.route);
  if (f.cluster !== undefined) fields.cluster = f.cluster;
  if (f.host !== undefined) fields.host = f.host;
  fields.reason = f.reason;
  if (f.hint !== undefined) fields.hint = f.hint;
  if (suppressed > 0) fields.suppressed = suppressed;
  return fields;
}

function downstreamAddress(conn: Connection): string | undefined {
  const a = conn.remoteAddress;
  if (a === undefined) return undefined;
  const p = conn.remotePort;
  if (p === undefined) return a;
  return a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`;
}

function short(s: string): string {
  return s.length <= MAX_FIELD ? s : s.slice(0, MAX_FIELD - 1) + '…';
}

/** A route's match in a few words: `prefix /api header service=com.x.Foo:1.0`. */
export function describeMatch(m: RouteMatch): string {
  const parts: string[] = [];
  if (m.prefix !== undefined) parts.push(`prefix ${m.prefix}`);
  if (m.path !== undefined) parts.push(`path ${m.path}`);
  if (m.regex !== undefined) parts.push(`regex ${m.regex.source}`);
  for (const h of m.headers) parts.push(h.regex ? `header ${h.name}~${h.regex.source}` : `header ${h.name}=${h.value}`);
  if (m.variables !== undefined && m.variables.length > 0) parts.push(`variables ${m.variables.map((v) => v.name).join(',')}`);
  return short(parts.length > 0 ? parts.join(' ') : 'any');
}

/** An HTTP request in a few words: `GET example.com/path` (no query: it may carry secrets). */
export function describeHttpRequest(head: HttpRequestHead): string {
  const q = head.path.indexOf('?');
  const path = q < 0 ? head.path : head.path.slice(0, q);
  return short(`${head.method} ${head.headers.get('host') ?? head.headers.get(':authority') ?? ''}${path}`);
}

/** An RPC request in a few words: its `service` (and `method`) header. */
export function describeRpcRequest(frame: XFrame): string | undefined {
  try {
    const service = frame.header.get('service');
    const method = frame.header.get('method');
    if (service === undefined) return undefined;
    return short(method === undefined ? service : `${service} ${method}`);
  } catch {
    // a header map that cannot be read (a malformed frame) tells nothing more
    return undefined;
  }
}

/** The hint for an HTTP/1 upstream that ended the request without an HTTP/1 answer: it may speak only h2c. */
export function http1UpstreamHint(closedWithoutAnswer: boolean): string {
  return closedWithoutAnswer
    ? 'the upstream closed the connection without answering; if it speaks only HTTP/2 (h2c), set "upstream_protocol": "Http2" on the proxy filter or the route'
    : 'the upstream answered with bytes that are not HTTP/1; if it speaks only HTTP/2 (h2c), set "upstream_protocol": "Http2" on the proxy filter or the route';
}
