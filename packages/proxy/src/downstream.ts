import {
  linkFlow,
  type ClientStream,
  type HttpHeaders,
  type HttpRequestHead,
  type HttpResponseHead,
  type InternalStatus,
  type PoolFailureReason,
  type PoolHandle,
  type ServerStream,
  type StreamReceiver,
  type StreamResetReason,
} from '@mosn/stream';
import { MAX_CONNECT_ATTEMPTS, type Cluster, type ClusterManager, type Host } from './cluster.js';
import type { LbContext } from './load-balancer.js';
import { hashKey, httpRouteRequest, pickCluster, type RouterConfig } from './router.js';
import type { Stats } from './stats.js';

/** What every request of one proxy filter shares. */
export interface ProxyContext {
  readonly clusters: ClusterManager;
  readonly router: RouterConfig;
  readonly upstreamProtocol: string;
  readonly stats: Stats;
  /** Stats prefix of the listener (`listener.<name>.`). */
  readonly statPrefix: string;
}

/**
 * One request through the proxy: route → cluster → host → pooled upstream stream → response back.
 * Every failure becomes a local reply in the downstream protocol (404 no route, 502 no healthy upstream
 * or upstream failure, 503 overflow, 504 timeout for HTTP).
 */
export class DownstreamRequest implements StreamReceiver<HttpRequestHead> {
  #ctx: ProxyContext;
  #down: ServerStream;
  #up: ClientStream | undefined;
  #poolHandle: PoolHandle | undefined;
  #head: HttpRequestHead | undefined;
  /** Request body (and trailers) that came before an upstream stream was ready. */
  #pendingBody: Buffer[] | undefined;
  #pendingTrailers: HttpHeaders | undefined;
  #requestEnded = false;
  #timer: NodeJS.Timeout | undefined;
  #unpipe: Array<() => void> = [];
  #readPaused = false;
  #done = false;
  #host: Host | undefined;
  #startedAt = 0;
  #cluster: Cluster | undefined;
  #lbContext: LbContext | undefined;
  /** The clusters whose max_requests / max_retries this request holds a unit of. */
  #requestBudget: Cluster | undefined;
  #retryBudget: Cluster | undefined;
  /** Hosts whose connect failed for this request. */
  #tried: Host[] | undefined;
  #upstreamReceiver: StreamReceiver<HttpResponseHead>;

  constructor(ctx: ProxyContext, down: ServerStream) {
    this.#ctx = ctx;
    this.#down = down;
    ctx.stats.inc(ctx.statPrefix + 'downstream_rq_total');
    this.#upstreamReceiver = {
      onHeaders: (head, endStream) => this.#onUpstreamHeaders(head, endStream),
      onData: (chunk, endStream) => this.#onUpstreamData(chunk, endStream),
      onTrailers: (trailers) => this.#onUpstreamTrailers(trailers),
      onReset: (reason) => this.#onUpstreamReset(reason),
    };
  }

  onHeaders(head: HttpRequestHead, endStream: boolean): void {
    this.#head = head;
    this.#requestEnded = endStream;
    const route = this.#ctx.router.route(httpRouteRequest(head));
    if (!route) return this.#localReply('no_route', 'no route matched');
    const action = route.action;
    if (action.kind === 'direct') {
      this.#done = true;
      this.#down.sendResponse(action.status, action.body);
      return;
    }
    const clusterName = pickCluster(action);
    const cluster = this.#ctx.clusters.get(clusterName);
    if (!cluster) return this.#localReply('no_route', `cluster ${clusterName} not found`);
    if (!cluster.resources.requests.tryAcquire()) {
      this.#ctx.stats.inc(`cluster.${cluster.name}.upstream_rq_pending_overflow`);
      return this.#localReply('upstream_overflow', `cluster ${cluster.name} is at its max_requests`);
    }
    this.#requestBudget = cluster;
    this.#lbContext = {
      hashKey: hashKey(action.hashPolicy, (name) => head.headers.get(name)),
      sourceAddress: this.#down.connection.remoteAddress,
    };
    const host = cluster.lb.chooseHost(this.#lbContext);
    if (!host) return this.#localReply('no_healthy_upstream', 'no healthy upstream');
    this.#cluster = cluster;
    if (action.timeoutMs > 0) this.#timer = setTimeout(() => this.#onTimeout(), action.timeoutMs);
    if (!endStream) this.#pauseDownstream();
    this.#sendTo(host);
  }

  #sendTo(host: Host): void {
    const pool = host.pool(this.#ctx.upstreamProtocol);
    if (pool.kind !== 'http') return this.#localReply('internal_error', `upstream protocol ${pool.protocol} cannot carry HTTP`);
    this.#host = host;
    this.#startedAt = host.requestStarted();
    this.#poolHandle = pool.newStream(this.#upstreamReceiver, {
      onReady: (s) => this.#onUpstreamReady(s),
      onFailure: (r) => this.#onPoolFailure(r),
    });
  }

  onData(chunk: Buffer, endStream: boolean): void {
    if (this.#done) return;
    if (endStream) this.#requestEnded = true;
    if (this.#up) this.#up.sendData(chunk, endStream);
    else (this.#pendingBody ??= []).push(chunk);
  }

  onTrailers(trailers: HttpHeaders): void {
    if (this.#done) return;
    this.#requestEnded = true;
    if (this.#up) this.#up.sendTrailers(trailers);
    else this.#pendingTrailers = trailers;
  }

  /** The downstream went away. */
  onReset(_reason: StreamResetReason): void {
    if (this.#done) return;
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'downstream_rq_reset');
    this.#finish();
    this.#poolHandle?.cancel();
    this.#up?.reset('local_reset');
  }

  #pauseDownstream(): void {
    if (!this.#readPaused) {
      this.#readPaused = true;
      this.#down.readDisable(true);
    }
  }

  #resumeDownstream(): void {
    if (this.#readPaused) {
      this.#readPaused = false;
      this.#down.readDisable(false);
    }
  }

  #onUpstreamReady(up: ClientStream): void {
    this.#poolHandle = undefined;
    if (this.#done) {
      up.reset('local_reset');
      return;
    }
    this.#up = up;
    const head = this.#head!;
    const pending = this.#pendingBody;
    const trailers = this.#pendingTrailers;
    this.#pendingBody = undefined;
    this.#pendingTrailers = undefined;
    const ended = this.#requestEnded && trailers === undefined;
    up.sendHeaders(head, ended && pending === undefined);
    if (pending) {
      for (let i = 0; i < pending.length; i++) up.sendData(pending[i]!, ended && i === pending.length - 1);
    }
    if (trailers) up.sendTrailers(trailers);
    // Each side stops reading while the other's send buffer is over its limit.
    this.#unpipe.push(linkFlow(this.#down, up), linkFlow(up, this.#down));
    this.#resumeDownstream();
  }

  #onPoolFailure(reason: PoolFailureReason): void {
    this.#poolHandle = undefined;
    if (this.#done) return;
    if ((reason === 'connect_failed' || reason === 'connect_timeout') && this.#retryOtherHost()) return;
    this.#ctx.stats.inc(`cluster.upstream_cx_${reason}`);
    if (reason === 'overflow') this.#localReply('upstream_overflow', 'upstream connection pool overflow');
    else this.#localReply('connect_failed', `upstream connect failed: ${reason}`);
  }

  /** The host could not be reached: nothing was sent, so try another host of the cluster. */
  #retryOtherHost(): boolean {
    const failed = this.#host!;
    failed.requestEnded(this.#startedAt);
    this.#host = undefined;
    const tried = (this.#tried ??= []);
    tried.push(failed);
    if (tried.length >= MAX_CONNECT_ATTEMPTS || !this.#cluster) return false;
    const next = this.#cluster.retryHost(tried, this.#lbContext);
    if (!next) return false;
    if (!this.#retryBudget) {
      if (!this.#cluster.resources.retries.tryAcquire()) return false;
      this.#retryBudget = this.#cluster;
    }
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'upstream_rq_retry');
    this.#sendTo(next);
    return true;
  }

  #onUpstreamHeaders(head: HttpResponseHead, endStream: boolean): void {
    if (this.#done) return;
    this.#clearTimer();
    this.#down.sendHeaders(head, endStream);
    if (endStream) this.#finish();
  }

  #onUpstreamData(chunk: Buffer, endStream: boolean): void {
    if (this.#done) return;
    this.#down.sendData(chunk, endStream);
    if (endStream) this.#finish();
  }

  #onUpstreamTrailers(trailers: HttpHeaders): void {
    if (this.#done) return;
    this.#down.sendTrailers(trailers);
    this.#finish();
  }

  #onUpstreamReset(reason: StreamResetReason): void {
    if (this.#done) return;
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'upstream_rq_reset');
    this.#up = undefined;
    if (this.#down.responseStarted) {
      this.#finish();
      this.#down.reset('remote_reset');
    } else {
      this.#localReply('upstream_reset', `upstream reset: ${reason}`);
    }
  }

  #onTimeout(): void {
    this.#timer = undefined;
    if (this.#done) return;
    this.#ctx.stats.inc(this.#ctx.statPrefix + 'downstream_rq_timeout');
    this.#poolHandle?.cancel();
    const up = this.#up;
    this.#up = undefined;
    up?.reset('timeout');
    this.#localReply('timeout', 'upstream request timeout');
  }

  #localReply(status: InternalStatus, message: string): void {
    if (this.#done) return;
    this.#finish();
    if (this.#down.responseStarted) this.#down.reset('local_reset');
    else this.#down.sendLocalReply(status, message);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #finish(): void {
    this.#done = true;
    this.#requestBudget?.resources.requests.release();
    this.#retryBudget?.resources.retries.release();
    this.#requestBudget = this.#retryBudget = undefined;
    if (this.#host) {
      this.#host.requestEnded(this.#startedAt);
      this.#host = undefined;
    }
    this.#clearTimer();
    for (const u of this.#unpipe) u();
    this.#unpipe.length = 0;
    this.#resumeDownstream();
  }
}
