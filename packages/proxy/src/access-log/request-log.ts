import type { Connection, HeaderMap, HttpRequestHead } from '@mosn/stream';
import { formatLine, type AccessLogFormat } from './format.js';

/**
 * Where a listener's access log lines go. `write` must return at once (never block the request): the runtime's
 * writer buffers lines and writes them asynchronously, dropping (and counting) lines a slow file cannot take.
 */
export interface AccessLogSink {
  write(line: string): void;
}

/** One `access_logs[]` entry of a listener: its compiled format and its sink. */
export interface AccessLog {
  readonly format: AccessLogFormat;
  readonly sink: AccessLogSink;
}

/**
 * What one request (or one tcp_proxy connection) records for its access logs. Made only on a listener that has
 * access logs; the request fills in plain fields as it goes (no formatting), and `end()` formats each line once.
 * Times are performance.now() (0: not reached), `startTime` is the epoch in ms.
 */
export class RequestLog {
  readonly logs: readonly AccessLog[];
  readonly connection: Connection;
  readonly protocol: string;
  readonly startTime = Date.now();
  readonly startedAt = performance.now();
  /** When the request went upstream (its headers sent). */
  requestSentAt = 0;
  /** When the upstream's response headers came (or mosn's own reply was made). */
  responseReceivedAt = 0;
  endedAt = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** The HTTP status sent downstream (RPC: the codec's status mapped to HTTP, as MOSN); 0 when none was. */
  responseCode = 0;
  /** Why mosn answered or ended the request itself (no_route, timeout, downstream_reset, ...); undefined: no flag. */
  flags: string | undefined = undefined;
  upstreamHost: string | undefined = undefined;
  upstreamCluster: string | undefined = undefined;
  upstreamLocalAddress: string | undefined = undefined;
  upstreamConnectionId: number | undefined = undefined;
  requestHeaders: HeaderMap | undefined = undefined;
  responseHeaders: HeaderMap | undefined = undefined;
  /** The HTTP request head (HTTP/1, HTTP/2): what `x-mosn-path`, `Http1_request_uri` and friends read. */
  http: HttpRequestHead | undefined = undefined;
  streamId: string | undefined = undefined;
  /** The request's trace, when it is traced and sampled (`trace_id`): its span's `displayTraceId`. */
  traceId: string | undefined = undefined;

  constructor(logs: readonly AccessLog[], connection: Connection, protocol: string) {
    this.logs = logs;
    this.connection = connection;
    this.protocol = protocol;
  }

  /** A reply mosn made itself (an error, a filter's answer, a direct response). */
  reply(status: number, flag: string | undefined, bodyBytes: number): void {
    this.responseCode = status;
    if (flag !== undefined) this.flags ??= flag;
    this.bytesSent += bodyBytes;
    if (this.responseReceivedAt === 0) this.responseReceivedAt = performance.now();
  }

  /** The request is over: one line per access log (once). */
  end(): void {
    if (this.endedAt !== 0) return;
    this.endedAt = performance.now();
    const logs = this.logs;
    for (let i = 0; i < logs.length; i++) logs[i]!.sink.write(formatLine(logs[i]!.format, this));
  }
}
