import type { InternalStatus, RpcCallHandle, RpcResponseReceiver, StreamResetReason, XConnectionPool, XFrame, XServerConnection } from '@mosn/stream';
import { BudgetHold } from './circuit-breaker.js';
import { MAX_CONNECT_ATTEMPTS, type Cluster, type Host } from './cluster.js';
import type { ProxyContext } from './downstream.js';
import { outlierResultOfStatus, type OutlierResult } from './health/index.js';
import type { LbContext } from './load-balancer.js';
import { hashKey, pickTarget, rpcRouteRequest } from './router.js';

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

/**
 * One RPC request through the proxy: route on the frame's header map → cluster → host → the host's
 * multiplexed pool. The answer goes back with the downstream's own id; every failure becomes the
 * protocol's own error response (Bolt status, Dubbo status, ...). One-way requests do not wait.
 */
export function proxyRpcRequest(ctx: ProxyContext, server: XServerConnection, request: XFrame): void {
  ctx.stats.inc(ctx.statPrefix + 'downstream_rq_total');
  const route = ctx.router.route(rpcRouteRequest(request.header));
  if (!route) {
    const unreadable = request.routingError;
    return fail(ctx, server, request, unreadable ? 'codec_error' : 'no_route', unreadable ?? 'no route matched');
  }
  const action = route.action;
  if (action.kind === 'direct') return fail(ctx, server, request, 'no_route', 'direct_response cannot answer an RPC request');
  const up = action.upstreamProtocol;
  if (up !== undefined && up.toLowerCase() !== server.protocol.toLowerCase()) {
    // mosn-ts does not translate between protocols: an RPC request goes upstream in its own
    return fail(ctx, server, request, 'internal_error', `the route sends requests upstream as ${up}, which cannot carry ${server.protocol}`);
  }
  const target = pickTarget(action);
  const clusterName = target.name;
  const cluster = ctx.clusters.get(clusterName);
  if (!cluster) return fail(ctx, server, request, 'no_route', `cluster ${clusterName} not found`);
  if (!cluster.resources.requests.tryAcquire()) {
    return fail(ctx, server, request, 'upstream_overflow', `cluster ${clusterName} is at its max_requests`);
  }
  const conn = server.connection;
  const lbContext: LbContext = {
    hashKey: hashKey(action.hashPolicy, request.header),
    sourceAddress: conn.remoteAddress,
    localAddress: conn.localAddress,
    localPort: conn.localPort,
    header: (name) => request.header.get(name),
    metadataMatch: target.metadataMatch,
  };
  const host = cluster.lb.chooseHost(lbContext);
  const pool = host?.pool(server.protocol);
  if (!host || pool?.kind !== 'rpc') {
    cluster.resources.requests.release();
    if (!host) return fail(ctx, server, request, 'no_healthy_upstream', 'no healthy upstream');
    return fail(ctx, server, request, 'internal_error', `cluster ${clusterName} cannot carry ${server.protocol}`);
  }
  if (request.isOneWay()) {
    cluster.resources.requests.release();
    pool.send(request, IGNORE);
    return;
  }
  const timeoutMs = request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : action.timeoutMs;
  const call = new RpcCall(ctx, server, request, cluster, lbContext);
  call.send(host, pool);
  if (timeoutMs > 0 && !call.done) call.startTimer(timeoutMs);
}

function fail(ctx: ProxyContext, server: XServerConnection, request: XFrame, status: InternalStatus, message: string): void {
  ctx.stats.inc(`${ctx.statPrefix}downstream_rq_${status}`);
  server.localReply(request, status, message);
}

/** A request waiting for its upstream answer, a reset, or its timeout. */
class RpcCall implements RpcResponseReceiver {
  done = false;
  #ctx: ProxyContext;
  #server: XServerConnection;
  #request: XFrame;
  #cluster: Cluster;
  #timer: NodeJS.Timeout | undefined;
  #handle: RpcCallHandle | undefined;
  #host: Host | undefined;
  #startedAt = 0;
  #retryHold = new BudgetHold();
  /** Hosts whose connect failed for this request (the first one only, usually). */
  #tried: Host[] | undefined;

  #lbContext: LbContext;

  constructor(ctx: ProxyContext, server: XServerConnection, request: XFrame, cluster: Cluster, lbContext: LbContext) {
    this.#ctx = ctx;
    this.#server = server;
    this.#request = request;
    this.#cluster = cluster;
    this.#lbContext = lbContext;
  }

  send(host: Host, pool: XConnectionPool): void {
    this.#host = host;
    this.#startedAt = host.requestStarted();
    this.#handle = pool.send(this.#request, this);
  }

  startTimer(ms: number): void {
    this.#timer = setTimeout(() => this.#onTimeout(), ms);
  }

  onResponse(response: XFrame): void {
    if (this.done) return;
    const status = response.status === undefined ? 200 : this.#server.codec.mapStatusToHttp(response.status);
    this.#outlier(outlierResultOfStatus(status));
    this.#finish();
    this.#server.respond(this.#request, response);
  }

  onReset(reason: StreamResetReason): void {
    if (this.done) return;
    if (reason === 'connection_failure') this.#outlier('connect_failure');
    else if (reason !== 'overflow' && reason !== 'local_reset') this.#outlier('gateway_error');
    if (reason === 'connection_failure' && this.#retry()) return;
    this.#finish();
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'upstream_rq_reset');
    this.#server.localReply(this.#request, RESET_STATUS[reason], `upstream: ${reason}`);
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
    if (!this.#retryHold.take(this.#cluster.resources.retries)) {
      // as in MOSN and Envoy: counted, and the request gets the answer of its own failure
      this.#ctx.stats.inc(`cluster.${this.#cluster.name}.upstream_rq_retry_overflow`);
      return false;
    }
    const next = this.#cluster.retryHost(tried, this.#lbContext);
    const pool = next?.pool(this.#server.protocol);
    if (!next || pool?.kind !== 'rpc') return false;
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'upstream_rq_retry');
    this.send(next, pool);
    return true;
  }

  #onTimeout(): void {
    this.#timer = undefined;
    if (this.done) return;
    this.#outlier('gateway_error');
    this.#finish();
    this.#handle?.cancel();
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'downstream_rq_timeout');
    this.#server.localReply(this.#request, 'timeout', 'upstream request timeout');
  }

  #finish(): void {
    this.done = true;
    this.#cluster.resources.requests.release();
    this.#retryHold.release();
    this.#host?.requestEnded(this.#startedAt);
    this.#host = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
