import type { Connection, HeaderMap, HttpRequestHead } from '@mosn/stream';
import { newSpanId } from './ids.js';

/**
 * Where finished spans go: the runtime's exporter. `push` must return at once (never block the request): the
 * exporter queues spans, bounded, and sends them in batches; what it cannot take it drops and counts.
 */
export interface SpanSink {
  push(span: RequestSpan): void;
}

/** gRPC statuses that are a server's fault (OpenTelemetry's gRPC conventions): UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. */
const GRPC_SERVER_ERRORS: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

/** An attribute of a span as OpenTelemetry names it, and its value. */
export type SpanAttributeFn = (key: string, value: string | number) => void;

/**
 * One sampled request's span (OpenTelemetry's kind SERVER): made only when the runtime traces and the request is
 * sampled (see ListenerTracer). Like the access log's RequestLog, the request fills in plain fields as it goes
 * (its upstream attempts, its answer) and `end()` hands the span to the sink once; turning fields into OTLP is the
 * exporter's work, off the request path. It keeps strings and numbers only, never the request's objects.
 */
export class RequestSpan {
  readonly traceId: string;
  readonly spanId = newSpanId();
  /** The caller's span (a W3C `traceparent`'s parent id); '' when the trace starts here. */
  readonly parentSpanId: string;
  readonly listener: string;
  /** The downstream protocol (`Http1`, `Http2`, `bolt`, `dubbo`, ...). */
  readonly protocol: string;
  /** When the request came, epoch milliseconds; its duration is measured on the monotonic clock. */
  readonly startTimeMs = Date.now();
  readonly #startedAt = performance.now();
  /** Set by `end()` (milliseconds, fractional); -1 until then. */
  durationMs = -1;
  name: string;
  /** OpenTelemetry's `rpc.system` (`grpc`, `sofarpc`, `apache_dubbo`, the codec's name); undefined for plain HTTP. */
  rpcSystem: string | undefined = undefined;
  rpcService: string | undefined = undefined;
  rpcMethod: string | undefined = undefined;
  httpMethod: string | undefined = undefined;
  /** The request target's path, without its query (which may carry secrets). */
  urlPath: string | undefined = undefined;
  /** The `Host` (HTTP/2: `:authority`) as sent. */
  host: string | undefined = undefined;
  /** `1.0`, `1.1`, `2`. */
  httpVersion: string | undefined = undefined;
  sofaTraceId: string | undefined = undefined;
  sofaRpcId: string | undefined = undefined;
  clientAddress: string | undefined;
  /** The cluster and host of the last upstream attempt, and how many attempts were made (retries are the rest). */
  cluster: string | undefined = undefined;
  upstreamHost: string | undefined = undefined;
  attempts = 0;
  /** The HTTP status sent downstream (RPC: the protocol's status mapped to HTTP, as the access log's); 0: none. */
  statusCode = 0;
  /** The RPC protocol's own response status (Bolt, Dubbo), when the upstream answered. */
  rpcStatus: number | undefined = undefined;
  /** gRPC: the `grpc-status` of the answer. */
  grpcStatus: number | undefined = undefined;
  /** Why mosn answered or ended the request itself (the access log's response flag: `no_route`, `timeout`, ...). */
  flag: string | undefined = undefined;
  readonly #sink: SpanSink;

  constructor(sink: SpanSink, traceId: string, parentSpanId: string, listener: string, protocol: string, connection: Connection) {
    this.#sink = sink;
    this.traceId = traceId;
    this.parentSpanId = parentSpanId;
    this.listener = listener;
    this.protocol = protocol;
    this.name = protocol;
    this.clientAddress = connection.remoteAddress;
  }

  /** What an HTTP request says of itself (a gRPC call is an HTTP/2 request with a `application/grpc` body). */
  httpRequest(head: HttpRequestHead): void {
    const path = head.path;
    const q = path.indexOf('?');
    this.urlPath = q < 0 ? path : path.slice(0, q);
    this.httpMethod = head.method;
    this.host = head.headers.get('host');
    this.httpVersion = head.versionMajor === 2 ? '2' : `${head.versionMajor}.${head.versionMinor}`;
    const slash = this.urlPath.lastIndexOf('/');
    if (head.versionMajor === 2 && head.headers.get('content-type')?.startsWith('application/grpc') && slash > 0) {
      this.rpcSystem = 'grpc';
      this.rpcService = this.urlPath.slice(1, slash);
      this.rpcMethod = this.urlPath.slice(slash + 1);
      this.name = this.urlPath.slice(1);
    } else {
      this.name = head.method;
    }
  }

  /** What an RPC request says of itself: its service and method (Bolt's SOFARPC keys, Dubbo's leading values). */
  rpcRequest(system: string, header: HeaderMap): void {
    this.rpcSystem = system;
    this.rpcService = header.get('service') ?? header.get('sofa_head_target_service');
    this.rpcMethod = header.get('method') ?? header.get('sofa_head_method_name');
    this.name = this.rpcService === undefined ? this.protocol : this.rpcMethod === undefined ? this.rpcService : `${this.rpcService}/${this.rpcMethod}`;
  }

  /** The trace id people search for: SOFATracer's for Bolt (what SOFA apps log), else the OpenTelemetry one. */
  get displayTraceId(): string {
    return this.sofaTraceId ?? this.traceId;
  }

  /** An upstream attempt starts on `host` of `cluster`. */
  upstream(cluster: string | undefined, host: string): void {
    this.cluster = cluster;
    this.upstreamHost = host;
    this.attempts++;
  }

  /** The upstream's HTTP response head goes downstream (a gRPC answer without a body carries its status here). */
  response(status: number, headers: HeaderMap): void {
    this.statusCode = status;
    if (this.rpcSystem === 'grpc') this.trailers(headers);
  }

  /** The response's trailers (gRPC: its `grpc-status`). */
  trailers(trailers: HeaderMap): void {
    const g = trailers.get('grpc-status');
    if (g !== undefined) this.grpcStatus = Number(g);
  }

  /** The upstream's RPC answer: its own status, and that status as HTTP. */
  rpcResponse(protocolStatus: number | undefined, httpStatus: number): void {
    this.rpcStatus = protocolStatus;
    this.statusCode = httpStatus;
  }

  /** An answer mosn made itself (an error, a filter's answer, a direct response), or a flag once the answer started. */
  reply(status: number, flag: string | undefined): void {
    if (status !== 0) this.statusCode = status;
    if (flag !== undefined) this.flag ??= flag;
  }

  /** The request is over: the span goes to the sink (once). */
  end(): void {
    if (this.durationMs >= 0) return;
    this.durationMs = performance.now() - this.#startedAt;
    this.#sink.push(this);
  }

  /**
   * OpenTelemetry's span status: an error when mosn answered or ended the request itself (other than a filter's
   * answer), when gRPC says the server failed, or when the status is a 5xx (a server span's rule).
   */
  get isError(): boolean {
    if (this.flag !== undefined && this.flag !== 'filter_reply') return true;
    if (this.grpcStatus !== undefined) return GRPC_SERVER_ERRORS.has(this.grpcStatus);
    return this.statusCode >= 500;
  }

  /**
   * The span's attributes, named by OpenTelemetry's semantic conventions where they have a name (docs/operations.md).
   * Each costs bytes and time in every export, so only what says something: `network.protocol.name` for RPC (HTTP's
   * is implied), `mosn.upstream.attempts` when there was more than one.
   */
  forEachAttribute(fn: SpanAttributeFn): void {
    fn('mosn.listener', this.listener);
    if (this.httpMethod === undefined) fn('network.protocol.name', this.protocol);
    if (this.httpVersion !== undefined) fn('network.protocol.version', this.httpVersion);
    if (this.clientAddress !== undefined) fn('client.address', this.clientAddress);
    if (this.httpMethod !== undefined) fn('http.request.method', this.httpMethod);
    if (this.urlPath !== undefined) fn('url.path', this.urlPath);
    if (this.host !== undefined) fn('server.address', this.host);
    if (this.statusCode !== 0 && this.httpMethod !== undefined) fn('http.response.status_code', this.statusCode);
    if (this.rpcSystem !== undefined) fn('rpc.system', this.rpcSystem);
    if (this.rpcService !== undefined) fn('rpc.service', this.rpcService);
    if (this.rpcMethod !== undefined) fn('rpc.method', this.rpcMethod);
    if (this.grpcStatus !== undefined) fn('rpc.grpc.status_code', this.grpcStatus);
    if (this.rpcStatus !== undefined) fn('rpc.response.status_code', String(this.rpcStatus));
    if (this.sofaTraceId !== undefined) fn('sofa.trace_id', this.sofaTraceId);
    if (this.sofaRpcId !== undefined) fn('sofa.rpc_id', this.sofaRpcId);
    if (this.cluster !== undefined) fn('mosn.upstream.cluster', this.cluster);
    if (this.upstreamHost !== undefined) fn('mosn.upstream.host', this.upstreamHost);
    if (this.attempts > 1) fn('mosn.upstream.attempts', this.attempts);
    if (this.flag !== undefined) fn('mosn.response_flag', this.flag);
  }
}
