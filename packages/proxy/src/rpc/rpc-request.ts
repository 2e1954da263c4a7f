import { INTERNAL_STATUS_HTTP, type InternalStatus, type RpcCallHandle, type RpcResponseReceiver, type StreamResetReason, type XConnectionPool, type XFrame, type XServerConnection } from '@mosn/stream';
import { RequestLog, type AccessLog } from '../access-log/request-log.js';
import type { Limit } from '../upstream/circuit-breaker.js';
import { MAX_CONNECT_ATTEMPTS, type Cluster, type Host } from '../upstream/cluster.js';
import { Deadline, Deadlines } from '../common/deadlines.js';
import type { ProxyContext } from '../context.js';
import { logRequestFailure } from '../common/failure-log.js';
import { outlierResultOfStatus, type OutlierResult } from '../health/index.js';
import type { LbContext } from '../lb/load-balancer.js';
import type { MetadataMatch } from '../lb/subset.js';
import { hashKey, pickTarget, RpcRouteRequest, type ClusterTarget, type ForwardAction, type Route } from '../router/router.js';
import type { Counter } from '../stats/stats.js';
import type { StreamFilterChain } from '../stream-filter/chain.js';
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

/**
 * The RPC side of one proxy filter (a listener): its counters are resolved once, and one RouteRequest
 * serves every routing (routing is synchronous), so that a request allocates little beyond its RpcCall.
 */
export class RpcProxy {
  readonly ctx: ProxyContext;
  readonly total: Counter;
  readonly timeouts: Counter;
  readonly resets: Counter;
  readonly retries: Counter;
  #route = new RpcRouteRequest();

  constructor(ctx: ProxyContext) {
    this.ctx = ctx;
    this.total = ctx.stats.counter(ctx.statPrefix + 'downstream_rq_total');
    this.timeouts = ctx.stats.counter(ctx.statPrefix + 'downstream_rq_timeout');
    this.resets = ctx.stats.counter(ctx.statPrefix + 'upstream_rq_reset');
    this.retries = ctx.stats.counter(ctx.statPrefix + 'upstream_rq_retry');
  }

  /**
   * One RPC request through the proxy: route on the frame's header map → cluster → host → the host's
   * multiplexed pool. The answer goes back with the downstream's own id; every failure becomes the
   * protocol's own error response (Bolt status, Dubbo status, ...). One-way requests do not wait.
   */
  onRequest(server: XServerConnection, request: XFrame): void {
    this.total.inc();
    const log = this.ctx.accessLogs ? rpcLog(this.ctx.accessLogs, server, request) : undefined;
    if (this.ctx.streamFilters) return new RpcFilteredRequest(this, server, request, log).start();
    const route = this.route(server, request, log);
    if (route) this.forward(server, request, route, route.action.kind === 'direct' ? undefined : pickTarget(route.action), undefined, log);
  }

  /** Answer a request with an error in its protocol, counted and logged (rate-limited). */
  fail(server: XServerConnection, request: XFrame, status: InternalStatus, message: string, route: Route | undefined, cluster: string | undefined, log: RequestLog | undefined): void {
    fail(this.ctx, server, request, status, message, route, cluster, undefined, log);
  }

  /** The route of a request, or undefined when none matched (the request is answered). */
  route(server: XServerConnection, request: XFrame, log: RequestLog | undefined): Route | undefined {
    const routeRequest = this.#route;
    routeRequest.headers = request.header;
    let route;
    try {
      route = this.ctx.router.current?.route(routeRequest);
    } finally {
      routeRequest.headers = RpcRouteRequest.NO_HEADERS;
    }
    if (!route) {
      const unreadable = request.routingError;
      fail(this.ctx, server, request, unreadable ? 'codec_error' : 'no_route', unreadable ?? 'no route matched', undefined, undefined, undefined, log);
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
  ): RpcCall | undefined {
    const ctx = this.ctx;
    const action = route.action;
    if (action.kind === 'direct' || !target) return fail(ctx, server, request, 'no_route', 'direct_response cannot answer an RPC request', route, undefined, undefined, log);
    const up = action.upstreamProtocol;
    if (up !== undefined && up.toLowerCase() !== server.protocol.toLowerCase()) {
      // mosn-ts does not translate between protocols: an RPC request goes upstream in its own
      return fail(ctx, server, request, 'internal_error', `the route sends requests upstream as ${up}, which cannot carry ${server.protocol}`, route, undefined, undefined, log);
    }
    const clusterName = target.name;
    const cluster = ctx.clusters.get(clusterName);
    if (!cluster) return fail(ctx, server, request, 'no_route', `cluster ${clusterName} not found`, route, clusterName, undefined, log);
    if (!cluster.resources.requests.tryAcquire()) {
      return fail(ctx, server, request, 'upstream_overflow', `cluster ${clusterName} is at its max_requests`, route, clusterName, undefined, log);
    }
    const call = new RpcCall(this, server, request, cluster, route, target.metadataMatch, filters, log);
    const host = cluster.lb.chooseHost(call);
    const pool = host?.pool(server.protocol);
    if (!host || pool?.kind !== 'rpc') {
      cluster.resources.requests.release();
      if (!host) return fail(ctx, server, request, 'no_healthy_upstream', `no healthy upstream in cluster ${clusterName}`, route, clusterName, undefined, log);
      return fail(ctx, server, request, 'internal_error', `cluster ${clusterName} cannot carry ${server.protocol}`, route, clusterName, host.addressText, log);
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
      return undefined;
    }
    const timeoutMs = request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : action.timeoutMs;
    call.send(host, pool);
    if (timeoutMs > 0 && !call.done) deadlines.add(call, timeoutMs, call.startedAt);
    return call;
  }
}

/** A request answered before it went upstream: counted, logged (rate-limited) and answered in its protocol. */
function fail(
  ctx: ProxyContext,
  server: XServerConnection,
  request: XFrame,
  status: InternalStatus,
  message: string,
  route?: Route,
  cluster?: string,
  host?: string,
  log?: RequestLog,
): undefined {
  ctx.stats.inc(`${ctx.statPrefix}downstream_rq_${status}`);
  logRequestFailure(server.connection, { protocol: server.protocol, reason: status, message, request, route: route?.match, cluster, host });
  if (log) {
    log.upstreamCluster = cluster;
    log.reply(INTERNAL_STATUS_HTTP[status], status, 0);
    log.end();
  }
  server.localReply(request, status, message);
  return undefined;
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
  /** The retry budget unit this request holds, if any. */
  #retryUnit: Limit | undefined;
  /** Hosts whose connect failed for this request (the first one only, usually). */
  #tried: Host[] | undefined;
  /** The request's stream filters: their response phase runs on the answer. */
  #filters: StreamFilterChain | undefined;
  #log: RequestLog | undefined;

  constructor(
    proxy: RpcProxy,
    server: XServerConnection,
    request: XFrame,
    cluster: Cluster,
    route: Route,
    metadataMatch: MetadataMatch | undefined,
    filters: StreamFilterChain | undefined,
    log: RequestLog | undefined,
  ) {
    super();
    this.#filters = filters;
    this.#log = log;
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

  /** When the current try started (performance.now()). */
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
    this.#handle = pool.send(this.#request, this);
  }

  onResponse(response: XFrame): void {
    if (this.done) return;
    const status = response.status === undefined ? 200 : this.#server.codec.mapStatusToHttp(response.status);
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
    this.#finish();
    this.#handle?.cancel();
    this.#server.localReply(this.#request, status, message);
  }

  /** A filter threw while the call waits (or in its response phase): the protocol's internal error instead. */
  filterFailed(message: string): void {
    if (this.done) return;
    this.#logFailure('internal_error', message);
    this.#proxy.ctx.stats.inc(`${this.#proxy.ctx.statPrefix}downstream_rq_internal_error`);
    this.filterReply('internal_error', message);
  }

  onReset(reason: StreamResetReason, detail?: string): void {
    if (this.done) return;
    if (reason === 'connection_failure') {
      // as the HTTP path counts: each failed connect of a request, retried or not
      this.#proxy.ctx.stats.inc(`cluster.${this.#cluster.name}.upstream_cx_connect_failed`);
      this.#outlier('connect_failure');
      if (this.#retry()) return;
    } else if (reason === 'overflow') {
      this.#proxy.ctx.stats.inc(`cluster.${this.#cluster.name}.upstream_cx_overflow`);
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
    this.#finish();
    this.#proxy.resets.inc();
    this.#server.localReply(this.#request, status, `upstream: ${reason}`);
  }

  /** The request's timeout. */
  onDeadline(): void {
    if (this.done) return;
    this.#outlier('gateway_error');
    this.#logFailure('timeout', 'upstream request timeout');
    this.#log?.reply(INTERNAL_STATUS_HTTP.timeout, 'timeout', 0);
    this.#finish();
    this.#handle?.cancel();
    this.#proxy.timeouts.inc();
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
      host: (this.#host ?? this.#tried?.[this.#tried.length - 1])?.addressText,
    });
  }

  /** Tell the cluster's outlier detector how this request went on its current host. */
  #outlier(result: OutlierResult): void {
    if (this.#host) this.#cluster.outlierDetector?.onResult(this.#host, result);
  }

  /** The host could not be reached: nothing was sent, so try another host of the cluster. */
  #retry(): boolean {
    const failed = this.#host!;
    failed.requestEnded(this.#startedAt);
    this.#host = undefined;
    const tried = (this.#tried ??= []);
    tried.push(failed);
    if (tried.length >= MAX_CONNECT_ATTEMPTS) return false;
    // the budget first: a retry not made must not move the load balancer on (round robin would skip a host)
    if (this.#retryUnit === undefined) {
      const budget = this.#cluster.resources.retries;
      if (!budget.tryAcquire()) {
        // as in MOSN and Envoy: counted, and the request gets the answer of its own failure
        this.#proxy.ctx.stats.inc(`cluster.${this.#cluster.name}.upstream_rq_retry_overflow`);
        return false;
      }
      this.#retryUnit = budget;
    }
    const next = this.#cluster.retryHost(tried, this);
    const pool = next?.pool(this.#server.protocol);
    if (!next || pool?.kind !== 'rpc') return false;
    this.#proxy.retries.inc();
    this.send(next, pool);
    return true;
  }

  #finish(): void {
    this.done = true;
    this.#filters?.destroy();
    this.#cluster.resources.requests.release();
    this.#retryUnit?.release();
    this.#retryUnit = undefined;
    this.#host?.requestEnded(this.#startedAt);
    this.#host = undefined;
    this.cancelDeadline();
    const log = this.#log;
    if (log) {
      this.#log = undefined;
      log.end();
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
