import { INTERNAL_STATUS_HTTP, type InternalStatus, type RpcCallHandle, type RpcResponseReceiver, type StreamResetReason, type XConnectionPool, type XFrame, type XServerConnection } from '@mosn/stream';
import { RequestLog, type AccessLog } from '../access-log/request-log.js';
import { UpstreamRetries } from '../upstream/attempt.js';
import type { Cluster, Host } from '../upstream/cluster.js';
import { Deadline, Deadlines } from '../common/deadlines.js';
import type { ProxyContext } from '../context.js';
import { logRequestFailure } from '../common/failure-log.js';
import { outlierResultOfStatus, type OutlierResult } from '../health/index.js';
import type { LbContext } from '../lb/load-balancer.js';
import type { MetadataMatch } from '../lb/subset.js';
import { hashKey, pickTarget, RpcRouteRequest, type ClusterTarget, type ForwardAction, type Route } from '../router/router.js';
import { listenerCounters, type ListenerCounters } from '../stats/counters.js';
import type { RouteOverride, StreamFilterChain } from '../stream-filter/chain.js';
import type { RequestSpan } from '../tracing/request-span.js';
import { RpcFilteredRequest } from './rpc-filtered.js';

const RESET_STATUS: Record<StreamResetReason, InternalStatus> = {
  connection_failure: 'connect_failed',
  connection_termination: 'upstream_reset',
  local_reset: 'upstream_reset',
  remote_reset: 'upstream_reset',
  overflow: 'upstream_overflow',
  timeout: 'timeout',
  protocol_error: 'upstream_reset',
};

const IGNORE: RpcResponseReceiver = { onResponse() {}, onReset() {} };

/** Every RPC request's timeout, one timer per distinct timeout value (see deadlines.ts). */
const deadlines = new Deadlines();

/** Why an RPC request is answered here, and what its failure line names. */
export interface RpcFailure {
  readonly status: InternalStatus;
  readonly message: string;
  /** The route, once one matched. */
  readonly route?: Route | undefined;
  /** The cluster, once the route named one. */
  readonly cluster?: string | undefined;
  /** The host, once one was chosen. */
  readonly host?: string | undefined;
}

/**
 * The RPC side of one proxy filter (a listener): its counters are resolved once (the listener's, shared with
 * HTTP), and one RouteRequest serves every routing (routing is synchronous), so that a request allocates little
 * beyond its RpcCall.
 */
export class RpcProxy {
  readonly ctx: ProxyContext;
  readonly counters: ListenerCounters;
  #route = new RpcRouteRequest();

  constructor(ctx: ProxyContext, counters: ListenerCounters = listenerCounters(ctx.stats, ctx.statPrefix)) {
    this.ctx = ctx;
    this.counters = counters;
  }

  /**
   * One RPC request through the proxy: route on the frame's header map → cluster → host → the host's
   * multiplexed pool. The answer goes back with the downstream's own id; every failure becomes the
   * protocol's own error response (Bolt status, Dubbo status, ...). One-way requests do not wait.
   */
  onRequest(server: XServerConnection, request: XFrame): void {
    this.counters.downstream_rq_total.inc();
    const log = this.ctx.accessLogs ? rpcLog(this.ctx.accessLogs, server, request) : undefined;
    const span = this.ctx.tracer?.startRpc(request, server);
    if (log && span) log.traceId = span.displayTraceId;
    if (this.ctx.streamFilters) return new RpcFilteredRequest(this, server, request, log, span).start();
    const route = this.route(server, request, log, span);
    if (route) this.forward(server, request, route, route.action.kind === 'direct' ? undefined : pickTarget(route.action), undefined, log, span);
  }

  /** Answer a request before it went upstream: counted (`downstream_rq_<status>`), logged (rate-limited) and answered in its protocol. */
  fail(server: XServerConnection, request: XFrame, failure: RpcFailure, log: RequestLog | undefined, span: RequestSpan | undefined): undefined {
    const status = failure.status;
    this.counters.rqStatus.get(status).inc();
    logRequestFailure(server.connection, {
      protocol: server.protocol,
      reason: status,
      message: failure.message,
      request,
      route: failure.route?.match,
      cluster: failure.cluster,
      host: failure.host,
    });
    if (log) {
      log.upstreamCluster = failure.cluster;
      log.reply(INTERNAL_STATUS_HTTP[status], status, 0);
      log.end();
    }
    if (span) {
      span.cluster = failure.cluster;
      span.reply(INTERNAL_STATUS_HTTP[status], status);
      span.end();
    }
    server.localReply(request, status, failure.message);
    return undefined;
  }

  /**
   * The route of a request, or undefined when none matched (the request is answered). `routing`: the host and
   * path its stream filters set to be routed on (an RPC frame has neither of its own).
   */
  route(server: XServerConnection, request: XFrame, log: RequestLog | undefined, span: RequestSpan | undefined, routing?: RouteOverride): Route | undefined {
    const routeRequest = this.#route;
    routeRequest.headers = request.header;
    if (routing !== undefined) {
      routeRequest.host = routing.host ?? '';
      routeRequest.path = routing.path ?? '';
    }
    let route;
    try {
      route = this.ctx.router.current?.route(routeRequest);
    } finally {
      routeRequest.headers = RpcRouteRequest.NO_HEADERS;
      if (routing !== undefined) routeRequest.host = routeRequest.path = '';
    }
    if (!route) {
      const unreadable = request.routingError;
      this.fail(server, request, unreadable ? { status: 'codec_error', message: unreadable } : { status: 'no_route', message: 'no route matched' }, log, span);
    }
    return route;
  }

  /**
   * Send a routed request to a host of the route's `target` cluster: the call waiting for its answer (its response
   * runs through `filters`), or undefined when it was answered here (an error, or a one-way request).
   */
  forward(
    server: XServerConnection,
    request: XFrame,
    route: Route,
    target: ClusterTarget | undefined,
    filters: StreamFilterChain | undefined,
    log: RequestLog | undefined,
    span: RequestSpan | undefined,
  ): RpcCall | undefined {
    const ctx = this.ctx;
    const action = route.action;
    if (action.kind === 'direct' || !target) return this.fail(server, request, { status: 'no_route', message: 'direct_response cannot answer an RPC request', route }, log, span);
    const up = action.upstreamProtocol;
    if (up !== undefined && up.toLowerCase() !== server.protocol.toLowerCase()) {
      // mosn-ts does not translate between protocols: an RPC request goes upstream in its own
      const message = `the route sends requests upstream as ${up}, which cannot carry ${server.protocol}`;
      return this.fail(server, request, { status: 'internal_error', message, route }, log, span);
    }
    const clusterName = target.name;
    const cluster = ctx.clusters.get(clusterName);
    if (!cluster) return this.fail(server, request, { status: 'no_route', message: `cluster ${clusterName} not found`, route, cluster: clusterName }, log, span);
    if (!cluster.resources.requests.tryAcquire()) {
      return this.fail(server, request, { status: 'upstream_overflow', message: `cluster ${clusterName} is at its max_requests`, route, cluster: clusterName }, log, span);
    }
    const call = new RpcCall(this, server, request, cluster, route, target.metadataMatch, filters, log, span);
    const host = cluster.lb.chooseHost(call);
    const pool = host?.pool(server.protocol);
    if (!host || pool?.kind !== 'rpc') {
      cluster.resources.requests.release();
      if (!host) return this.fail(server, request, { status: 'no_healthy_upstream', message: `no healthy upstream in cluster ${clusterName}`, route, cluster: clusterName }, log, span);
      const message = `cluster ${clusterName} cannot carry ${server.protocol}`;
      return this.fail(server, request, { status: 'internal_error', message, route, cluster: clusterName, host: host.addressText }, log, span);
    }
    if (request.isOneWay()) {
      cluster.resources.requests.release();
      pool.send(request, IGNORE);
      if (log) {
        log.upstreamHost = host.addressText;
        log.upstreamCluster = clusterName;
        log.requestSentAt = performance.now();
        log.end();
      }
      if (span) {
        span.upstream(clusterName, host.addressText);
        span.end();
      }
      return undefined;
    }
    const timeoutMs = request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : action.timeoutMs;
    call.send(host, pool);
    // the try's start time is the clock only when its host times requests (0 otherwise): the deadline reads it then
    if (timeoutMs > 0 && !call.done) deadlines.add(call, timeoutMs, call.startedAt > 0 ? call.startedAt : performance.now());
    return call;
  }
}

/**
 * A request waiting for its upstream answer, a reset, or its timeout (it is its own entry in the timeout
 * list). It is also the LbContext its cluster's balancer gets: the fields are read only when a balancer
 * asks (round robin never does).
 */
export class RpcCall extends Deadline implements RpcResponseReceiver, LbContext {
  done = false;
  #proxy: RpcProxy;
  #server: XServerConnection;
  #request: XFrame;
  #cluster: Cluster;
  /** A forwarding route: its action's hash policy, and its match for a failure's log line. */
  #route: Route;
  #metadataMatch: MetadataMatch | undefined;
  #handle: RpcCallHandle | undefined;
  #host: Host | undefined;
  #startedAt = 0;
  /** Its failed attempts and retry budget: made on the first failed connect (most requests never make one). */
  #retries: UpstreamRetries | undefined;
  /** The request's stream filters: their response phase runs on the answer. */
  #filters: StreamFilterChain | undefined;
  #log: RequestLog | undefined;
  /** When the call was made (performance.now()), when requests are timed (`downstream_rq_time`); else 0. */
  #madeAt = 0;
  #span: RequestSpan | undefined;

  constructor(
    proxy: RpcProxy,
    server: XServerConnection,
    request: XFrame,
    cluster: Cluster,
    route: Route,
    metadataMatch: MetadataMatch | undefined,
    filters: StreamFilterChain | undefined,
    log: RequestLog | undefined,
    span: RequestSpan | undefined,
  ) {
    super();
    this.#filters = filters;
    this.#log = log;
    if (proxy.counters.rqTime) this.#madeAt = performance.now();
    this.#span = span;
    this.#proxy = proxy;
    this.#server = server;
    this.#request = request;
    this.#cluster = cluster;
    this.#route = route;
    this.#metadataMatch = metadataMatch;
  }

  // LbContext, read by the balancers that need it
  get hashKey(): string | undefined {
    return hashKey((this.#route.action as ForwardAction).hashPolicy, this.#request.header);
  }
  get sourceAddress(): string | undefined {
    return this.#server.connection.remoteAddress;
  }
  get localAddress(): string | undefined {
    return this.#server.connection.localAddress;
  }
  get localPort(): number | undefined {
    return this.#server.connection.localPort;
  }
  get header(): (name: string) => string | undefined {
    const header = this.#request.header;
    return (name) => header.get(name);
  }
  get metadataMatch(): MetadataMatch | undefined {
    return this.#metadataMatch;
  }

  /** When the current try started (performance.now()), or 0 when its host does not time requests. */
  get startedAt(): number {
    return this.#startedAt;
  }

  send(host: Host, pool: XConnectionPool): void {
    this.#host = host;
    this.#startedAt = host.requestStarted();
    const log = this.#log;
    if (log) {
      log.upstreamHost = host.addressText;
      log.upstreamCluster = this.#cluster.name;
      log.requestSentAt = performance.now();
    }
    this.#span?.upstream(this.#cluster.name, host.addressText);
    this.#handle = pool.send(this.#request, this);
  }

  onResponse(response: XFrame): void {
    if (this.done) return;
    const status = response.status === undefined ? 200 : this.#server.codec.mapStatusToHttp(response.status);
    this.#host?.responded(status);
    this.#outlier(outlierResultOfStatus(status));
    const filters = this.#filters;
    if (filters && !this.#filterResponse(filters, response, status)) return;
    const log = this.#log;
    if (log) {
      log.responseReceivedAt = performance.now();
      log.responseCode = status;
      log.responseHeaders = response.header;
      log.bytesSent += response.body.length;
    }
    this.#span?.rpcResponse(response.status, status);
    this.#finish();
    this.#server.respond(this.#request, response);
  }

  /** The response phase of the request's filters (the frame is whole); false when a filter failed (answered). */
  #filterResponse(filters: StreamFilterChain, response: XFrame, status: number): boolean {
    const hasBody = response.body.length > 0;
    return filters.runResponseHeaders(response.header, status, !hasBody) && (!hasBody || filters.runResponseData(response.body, true) !== undefined);
  }

  /** A filter answered while the call waits (or in its response phase): the upstream answer is dropped. */
  filterReply(status: InternalStatus, message: string | undefined): void {
    if (this.done) return;
    this.#log?.reply(INTERNAL_STATUS_HTTP[status], 'filter_reply', 0);
    this.#span?.reply(INTERNAL_STATUS_HTTP[status], 'filter_reply');
    this.#finish();
    this.#handle?.cancel();
    this.#server.localReply(this.#request, status, message);
  }

  /** A filter threw while the call waits (or in its response phase): the protocol's internal error instead. */
  filterFailed(message: string): void {
    if (this.done) return;
    this.#logFailure('internal_error', message);
    this.#proxy.counters.downstream_rq_internal_error.inc();
    this.filterReply('internal_error', message);
  }

  onReset(reason: StreamResetReason, detail?: string): void {
    if (this.done) return;
    if (reason === 'connection_failure') {
      // as the HTTP path counts: each failed connect of a request, retried or not
      this.#cluster.counters(this.#proxy.ctx.stats).upstream_cx_connect_failed.inc();
      this.#outlier('connect_failure');
      if (this.#retry()) return;
    } else if (reason === 'overflow') {
      this.#cluster.counters(this.#proxy.ctx.stats).upstream_cx_overflow.inc();
    } else if (reason !== 'local_reset') this.#outlier('gateway_error');
    const status = RESET_STATUS[reason];
    const message =
      reason === 'connection_failure'
        ? 'upstream connect failed'
        : reason === 'overflow'
          ? 'upstream connection pool overflow (max_connections)'
          : `upstream reset: ${reason}`;
    // the why (a TLS verification error, say) goes to the log only, not to the client
    this.#logFailure(status, detail ? `${message}: ${detail}` : message);
    this.#log?.reply(INTERNAL_STATUS_HTTP[status], status, 0);
    this.#span?.reply(INTERNAL_STATUS_HTTP[status], status);
    this.#finish();
    this.#proxy.counters.upstream_rq_reset.inc();
    this.#server.localReply(this.#request, status, `upstream: ${reason}`);
  }

  /** The request's timeout. */
  onDeadline(): void {
    if (this.done) return;
    this.#outlier('gateway_error');
    this.#host?.timedOut();
    this.#logFailure('timeout', 'upstream request timeout');
    this.#log?.reply(INTERNAL_STATUS_HTTP.timeout, 'timeout', 0);
    this.#span?.reply(INTERNAL_STATUS_HTTP.timeout, 'timeout');
    this.#finish();
    this.#handle?.cancel();
    this.#proxy.counters.downstream_rq_timeout.inc();
    this.#server.localReply(this.#request, 'timeout', 'upstream request timeout');
  }

  /** The request's one failure line (before #finish, which lets go of the host). */
  #logFailure(reason: InternalStatus, message: string): void {
    logRequestFailure(this.#server.connection, {
      protocol: this.#server.protocol,
      reason,
      message,
      request: this.#request,
      route: this.#route.match,
      cluster: this.#cluster.name,
      host: (this.#host ?? this.#retries?.lastHost)?.addressText,
    });
  }

  /** Tell the cluster's outlier detector how this request went on its current host. */
  #outlier(result: OutlierResult): void {
    if (this.#host) this.#cluster.outlierDetector?.onResult(this.#host, result);
  }

  /** The host could not be reached: nothing was sent, so try another host of the cluster (see attempt.ts). */
  #retry(): boolean {
    const cluster = this.#cluster;
    const retries = (this.#retries ??= new UpstreamRetries(0));
    // when not retried, the failed host stays the request's: its failure line names it, #finish lets go of it
    if (!retries.mayRetry(cluster, cluster.counters(this.#proxy.ctx.stats))) return false;
    const failed = this.#host!;
    failed.requestEnded(this.#startedAt);
    this.#host = undefined;
    const next = retries.nextHost(failed, cluster, this, false, this.#proxy.counters);
    const pool = next?.pool(this.#server.protocol);
    if (!next || pool?.kind !== 'rpc') return false;
    this.send(next, pool);
    return true;
  }

  #finish(): void {
    this.done = true;
    if (this.#madeAt > 0) this.#proxy.counters.rqTime!.observe(performance.now() - this.#madeAt);
    this.#filters?.destroy();
    this.#cluster.resources.requests.release();
    this.#retries?.release();
    this.#host?.requestEnded(this.#startedAt);
    this.#host = undefined;
    this.cancelDeadline();
    const log = this.#log;
    if (log) {
      this.#log = undefined;
      log.end();
    }
    const span = this.#span;
    if (span) {
      this.#span = undefined;
      span.end();
    }
  }
}

/** The access log record of one RPC request (made only when the listener has access logs). */
function rpcLog(logs: readonly AccessLog[], server: XServerConnection, request: XFrame): RequestLog {
  const log = new RequestLog(logs, server.connection, server.protocol);
  log.requestHeaders = request.header;
  log.bytesReceived = request.body.length;
  log.streamId = String(request.requestId);
  return log;
}
