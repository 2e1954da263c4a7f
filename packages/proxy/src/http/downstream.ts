import {
  HttpHeaders,
  linkFlow,
  spliceTunnel,
  type ClientStream,
  type Connection,
  type HttpRequestHead,
  type HttpResponseHead,
  type InternalStatus,
  type PoolCallbacks,
  type PoolFailureReason,
  type PoolHandle,
  type ServerStream,
  type StreamReceiver,
  type StreamResetReason,
  type HeaderMap,
  INTERNAL_STATUS_HTTP,
} from '@mosn/stream';
import { RequestLog } from '../access-log/request-log.js';
import type { RequestSpan } from '../tracing/request-span.js';
import { Deadline, Deadlines } from '../common/deadlines.js';
import { UpstreamRetries } from '../upstream/attempt.js';
import type { Cluster, Host } from '../upstream/cluster.js';
import { http1UpstreamHint, logRequestFailure } from '../common/failure-log.js';
import { outlierResultOfStatus, type OutlierResult } from '../health/index.js';
import type { LbContext } from '../lb/load-balancer.js';
import type { MetadataMatch } from '../lb/subset.js';
import { appendForwardedFor, redirectLocation, rewriteHost, rewritePath } from '../router/route-actions.js';
import { GLOBAL_TIMEOUT_HEADER, TRY_TIMEOUT_HEADER, timeoutHeader, type RetryPolicy } from '../upstream/retry.js';
import { hashKey, httpRouteRequest, matchedPath, pickTarget, type ClusterTarget, type ForwardAction, type Route } from '../router/router.js';
import type { LocalReplyHeaders, MirrorOptions, StreamFilterPhase } from '../stream-filter/api.js';
import { HttpMirror } from '../mirror/http-mirror.js';
import type { StreamFilterChain, StreamFilterOwner } from '../stream-filter/chain.js';
import { sendHttpFilterReply } from '../stream-filter/local-reply.js';
import { variableGetter, type RequestVars } from '../variables.js';
import { listenerCounters, type ListenerCounters } from '../stats/counters.js';
import type { ProxyContext } from '../context.js';

const UPGRADE = { upgrade: true } as const;

/** The shortest HTTP/1 response: a connection that read fewer bytes never carried one. */
const MIN_HTTP1_RESPONSE = 'HTTP/1.0 200\r\n\r\n'.length;

/** Every HTTP request's route timeout, one timer per distinct timeout value (see deadlines.ts). */
const deadlines = new Deadlines();

/**
 * One upstream attempt of a request: the receiver of its upstream stream and of its pool's answer. It passes events
 * on until it is detached (a retry or a dropped upstream): an earlier attempt's late events are then ignored. (One
 * object per attempt, without closures; DownstreamRequest.#attempt makes it.)
 */
interface UpstreamAttempt extends StreamReceiver<HttpResponseHead>, PoolCallbacks {
  detach(): void;
}

/**
 * One request through the proxy: route → cluster → host → pooled upstream stream → response back.
 * Every failure becomes a local reply in the downstream protocol (404 no route, 502 no healthy upstream
 * or upstream failure, 503 overflow, 504 timeout for HTTP).
 */
export class DownstreamRequest extends Deadline implements StreamReceiver<HttpRequestHead>, StreamFilterOwner, LbContext {
  #ctx: ProxyContext;
  #counters: ListenerCounters;
  #down: ServerStream;
  #up: ClientStream | undefined;
  #poolHandle: PoolHandle | undefined;
  #head: HttpRequestHead | undefined;
  /** Request body that came before an upstream stream was ready (when no copy is kept for retries). */
  #pendingBody: Buffer[] | undefined;
  /** Request trailers, once received (sent again on a retry). */
  #trailers: HttpHeaders | undefined;
  #route: Route | undefined;
  #action: ForwardAction | undefined;
  #target: ClusterTarget | undefined;
  /** This request's stream filters (none when the listener has none). */
  #filters: StreamFilterChain | undefined;
  /** Request body and trailers that came while a filter paused the request: filtered and sent once it resumes. */
  #held: Array<Buffer | HttpHeaders> | undefined;
  #heldEnd = false;
  /** Retries left for resets, per-try timeouts and retried statuses; 0 without a retry policy. */
  #retriesLeft = 0;
  #retry: RetryPolicy | undefined;
  /** Every request body chunk so far, kept while a retry is possible (undefined: not kept). */
  #replay: Buffer[] | undefined;
  #replayBytes = 0;
  #tryTimeoutMs = 0;
  #tryTimer: NodeJS.Timeout | undefined;
  /** The current upstream attempt (made by #sendTo, detached when dropped): events of an earlier one are ignored. */
  #attempt: UpstreamAttempt | undefined;
  #requestEnded = false;
  #unpipe: Array<() => void> = [];
  #readPaused = false;
  #done = false;
  #host: Host | undefined;
  #startedAt = 0;
  #cluster: Cluster | undefined;
  /** The clusters whose max_requests / max_retries this request holds a unit of. */
  #requestBudget: Cluster | undefined;
  /** Its failed attempts and retry budget (see attempt.ts): made on the first failed attempt. */
  #retries: UpstreamRetries | undefined;
  /** What the access logs print (none when the listener has no access log). */
  #log: RequestLog | undefined;
  /** Its span, when mosn traces and the request is sampled (see tracing/tracer.ts). */
  #span: RequestSpan | undefined;
  /** Copies of this request (the `mirror` filter): fed the body and trailers as they go upstream. */
  #mirror: HttpMirror | undefined;
  /** Non-zero when the copies replace the request (`broadcast`): the status it is answered with once sent whole. */
  #mirrorAnswer = 0;
  /** When the request came (performance.now()), when requests are timed (`downstream_rq_time`); else 0. */
  #receivedAt = 0;

  /** `counters`: the listener's, resolved once per proxy filter (ProxyFilterFactory.counters). */
  constructor(ctx: ProxyContext, down: ServerStream, counters: ListenerCounters = listenerCounters(ctx.stats, ctx.statPrefix)) {
    super();
    this.#ctx = ctx;
    this.#down = down;
    this.#counters = counters;
    counters.downstream_rq_total.inc();
    if (counters.rqTime) this.#receivedAt = performance.now();
    if (ctx.streamFilters) this.#filters = ctx.streamFilters.create(this);
    if (ctx.accessLogs) this.#log = new RequestLog(ctx.accessLogs, down.connection, down.protocol);
  }

  // StreamFilterOwner: what this request's stream filters see of it, and how they resume, answer or fail it
  get protocol(): string {
    return this.#down.protocol;
  }
  get requestHeaders(): HttpHeaders {
    return this.#head!.headers;
  }
  get connection(): Connection {
    return this.#down.connection;
  }
  get route(): Route | undefined {
    return this.#route;
  }
  get clusterName(): string | undefined {
    return this.#target?.name;
  }
  get upstreamHost(): string | undefined {
    return this.#host?.addressText;
  }
  variable(name: string): string | undefined {
    return this.#head ? variableGetter(name)?.(this.#vars()) : undefined;
  }
  mirror(clusterName: string, options: MirrorOptions): number {
    const head = this.#head;
    const action = this.#route?.action;
    // an upgrade cannot be copied (its answer would be a tunnel)
    if (!head || !action || action.kind === 'direct' || head.upgrade !== undefined) return 0;
    const cluster = this.#ctx.clusters.get(clusterName);
    if (!cluster) return 0;
    const conn = this.#down.connection;
    const mirror = new HttpMirror({
      cluster,
      copies: options.copies,
      everyHealthyHost: options.everyHealthyHost ?? false,
      // the copies' cluster is balanced on the client's address and headers, not on the route's subset or hash
      lb: { sourceAddress: conn.remoteAddress, localAddress: conn.localAddress, localPort: conn.localPort, header: (name) => head.headers.get(name) },
      head,
      ended: this.#requestEnded,
      upstreamProtocol: action.upstreamProtocol ?? this.#ctx.upstreamProtocol,
      timeoutMs: action.timeoutMs,
      bufferLimit: conn.bufferLimit,
      counters: this.#counters,
    });
    if (mirror.size === 0) return 0;
    this.#mirror?.requestAbandoned();
    this.#mirror = mirror;
    if (options.answer !== undefined) this.#mirrorAnswer = options.answer;
    return mirror.size;
  }

  /** An UpstreamAttempt (declared in the class body, so that it may call this request's private handlers). */
  static #Attempt = class Attempt implements UpstreamAttempt {
    #request: DownstreamRequest | undefined;
    constructor(request: DownstreamRequest) {
      this.#request = request;
    }
    detach(): void {
      this.#request = undefined;
    }
    onReady(stream: ClientStream): void {
      const request = this.#request;
      if (request) request.#onUpstreamReady(stream);
      else stream.reset('local_reset');
    }
    onFailure(reason: PoolFailureReason, detail?: string): void {
      const request = this.#request;
      if (request) request.#onPoolFailure(reason, detail);
    }
    onHeaders(head: HttpResponseHead, endStream: boolean): void {
      const request = this.#request;
      if (request) request.#onUpstreamHeaders(head, endStream);
    }
    onData(chunk: Buffer, endStream: boolean): void {
      const request = this.#request;
      if (request) request.#onUpstreamData(chunk, endStream);
    }
    onTrailers(trailers: HttpHeaders): void {
      const request = this.#request;
      if (request) request.#onUpstreamTrailers(trailers);
    }
    onReset(reason: StreamResetReason): void {
      const request = this.#request;
      if (request) request.#onUpstreamReset(reason);
    }
  };

  /** What `%variable%` header values read (built only for routes that change headers). */
  #vars(): RequestVars {
    return {
      request: this.#head!,
      downstream: this.#down.connection,
      protocol: this.#down.protocol,
      upstreamHost: this.#host?.addressText,
      upstreamCluster: this.#cluster?.name,
    };
  }

  onHeaders(head: HttpRequestHead, endStream: boolean): void {
    this.#head = head;
    this.#requestEnded = endStream;
    if (this.#log) {
      this.#log.http = head;
      this.#log.requestHeaders = head.headers;
    }
    if (this.#ctx.tracer) {
      this.#span = this.#ctx.tracer.startHttp(head, this.#down);
      if (this.#log && this.#span) this.#log.traceId = this.#span.displayTraceId;
    }
    // mosn-ts is no forward proxy: it does not open tunnels to the address a client names.
    if (head.method === 'CONNECT') return this.#refuse(501, 'CONNECT is not supported');
    if (this.#filters && !this.#filters.runRequestHeaders('before_route', endStream)) return this.#whileFiltering();
    this.#routeRequest();
  }

  /** A filter stopped the request: hold its body (reading paused) until the filter resumes or answers it. */
  #whileFiltering(): void {
    if (this.#filters!.paused && !this.#requestEnded) this.#pauseDownstream();
  }

  /** A paused filter resumed the request: go on from the phase it paused, then with the body held meanwhile. */
  filtersContinued(phase: StreamFilterPhase): void {
    if (phase === 'before_route') this.#routeRequest();
    else this.#forward();
    const held = this.#held;
    if (held === undefined || this.#filters!.paused) return;
    this.#held = undefined;
    for (let i = 0; i < held.length; i++) {
      const item = held[i]!;
      if (Buffer.isBuffer(item)) this.onData(item, this.#heldEnd && i === held.length - 1);
      else this.onTrailers(item);
    }
  }

  /** Match the route; run the after_route filters; then forward (or answer a direct response). */
  #routeRequest(): void {
    const head = this.#head!;
    const route = this.#ctx.router.current?.route(httpRouteRequest(head, () => this.#vars(), this.#filters?.routing));
    if (!route) return this.#localReply('no_route', 'no route matched');
    this.#route = route;
    if (route.action.kind !== 'direct') this.#target = pickTarget(route.action);
    if (this.#filters && !this.#filters.runRequestHeaders('after_route', this.#requestEnded)) return this.#whileFiltering();
    this.#forward();
  }

  // LbContext, read by the balancers that need it (set once the route's action forwards)
  get hashKey(): string | undefined {
    return hashKey(this.#action?.hashPolicy, this.#head!.headers);
  }
  get sourceAddress(): string | undefined {
    return this.#down.connection.remoteAddress;
  }
  get localAddress(): string | undefined {
    return this.#down.connection.localAddress;
  }
  get localPort(): number | undefined {
    return this.#down.connection.localPort;
  }
  get header(): (name: string) => string | undefined {
    const headers = this.#head!.headers;
    return (name) => headers.get(name);
  }
  get metadataMatch(): MetadataMatch | undefined {
    return this.#target?.metadataMatch;
  }

  /** The route's action: a direct response, or the cluster, a host, and the upstream request. */
  #forward(): void {
    const head = this.#head!;
    const route = this.#route!;
    const action = route.action;
    if (action.kind === 'direct') {
      this.#log?.reply(action.status, undefined, action.body === undefined ? 0 : Buffer.byteLength(action.body));
      this.#span?.reply(action.status, undefined);
      this.#finish();
      const headers = action.redirect ? new HttpHeaders(['location', redirectLocation(action.redirect, head, 'http')]) : undefined;
      this.#down.sendResponse(action.status, action.body, headers);
      return;
    }
    this.#action = action;
    // the copies replace the request (broadcast): answered once it was sent to them whole
    if (this.#mirrorAnswer !== 0) {
      if (this.#requestEnded) this.#answerMirrored();
      return;
    }
    const target = this.#target!;
    const clusterName = target.name;
    const cluster = this.#ctx.clusters.get(clusterName);
    if (!cluster) return this.#localReply('no_route', `cluster ${clusterName} not found`, clusterName);
    if (!cluster.resources.requests.tryAcquire()) {
      cluster.counters(this.#ctx.stats).upstream_rq_pending_overflow.inc();
      return this.#localReply('upstream_overflow', `cluster ${cluster.name} is at its max_requests`, clusterName);
    }
    this.#requestBudget = cluster;
    // the request is its own LbContext: balancers read only the fields they need
    const host = cluster.lb.chooseHost(this);
    if (!host) return this.#localReply('no_healthy_upstream', `no healthy upstream in cluster ${clusterName}`, clusterName);
    this.#cluster = cluster;
    this.#host = host;
    this.#setupTimeouts(action);
    if (route.requestEdits) route.requestEdits.apply(head.headers, this.#vars());
    if (action.rewrite) rewritePath(action.rewrite, head, matchedPath(route.match));
    appendForwardedFor(head.headers, this.#down.connection.remoteAddress);
    if (!this.#requestEnded) this.#pauseDownstream();
    this.#sendTo(host);
  }

  /** Route timeout and retry policy, with MOSN's `x-mosn-global-timeout` / `x-mosn-try-timeout` (ms) overrides. */
  #setupTimeouts(action: ForwardAction): void {
    const headers = this.#head!.headers;
    const globalMs = timeoutHeader(headers.get(GLOBAL_TIMEOUT_HEADER)) ?? action.timeoutMs;
    const retry = action.retry;
    let tryMs = timeoutHeader(headers.get(TRY_TIMEOUT_HEADER)) ?? retry?.tryTimeoutMs ?? 0;
    if (globalMs > 0 && tryMs >= globalMs) tryMs = 0;
    this.#tryTimeoutMs = tryMs;
    if (globalMs > 0) deadlines.add(this, globalMs);
    if (retry && retry.numRetries > 0 && (retry.onReset || retry.retryStatus)) {
      this.#retry = retry;
      this.#retriesLeft = retry.numRetries;
      if (!this.#requestEnded) this.#replay = [];
    }
  }

  #sendTo(host: Host): void {
    // the route's upstream protocol wins over the proxy filter's
    const pool = host.pool(this.#action!.upstreamProtocol ?? this.#ctx.upstreamProtocol);
    if (pool.kind !== 'http') return this.#localReply('internal_error', `upstream protocol ${pool.protocol} cannot carry HTTP`);
    const upgrade = this.#head!.upgrade;
    if (upgrade !== undefined && pool.protocol !== 'Http1') {
      return this.#refuse(501, `upgrade to "${upgrade}" is not supported with an ${pool.protocol} upstream`);
    }
    this.#host = host;
    this.#startedAt = host.requestStarted();
    if (this.#log) {
      this.#log.upstreamHost = host.addressText;
      this.#log.upstreamCluster = this.#cluster?.name;
    }
    if (this.#action!.hostRewrite) rewriteHost(this.#action!.hostRewrite, this.#head!, host.addressText);
    this.#span?.upstream(this.#cluster?.name, host.addressText);
    // each try has its own timer: a failed connect's retry comes here with the failed try's timer still set
    this.#clearTryTimer();
    if (this.#tryTimeoutMs > 0) this.#tryTimer = setTimeout(() => this.#onTryTimeout(), this.#tryTimeoutMs);
    // a failed connect's retry goes on with the same attempt (nothing of the failed one can come any more)
    const attempt = (this.#attempt ??= new DownstreamRequest.#Attempt(this));
    this.#poolHandle = pool.newStream(attempt, attempt, upgrade !== undefined ? UPGRADE : undefined);
  }

  onData(chunk: Buffer, endStream: boolean): void {
    if (this.#done) return;
    if (this.#log) this.#log.bytesReceived += chunk.length;
    if (this.#filters) {
      if (this.#filters.paused) return this.#hold(chunk, endStream);
      if (!this.#filters.runRequestData(chunk, endStream)) return;
    }
    if (endStream) this.#requestEnded = true;
    if (this.#mirror) {
      this.#mirror.sendData(chunk, endStream);
      if (this.#mirrorAnswer !== 0) {
        if (endStream) this.#answerMirrored();
        return;
      }
    }
    if (this.#up) {
      this.#up.sendData(chunk, endStream);
      if (this.#replay) this.#keep(chunk);
    } else if (this.#replay) this.#keep(chunk);
    else (this.#pendingBody ??= []).push(chunk);
  }

  /** Keep a body chunk for a retry; past the connection buffer limit, stop keeping and never retry. */
  #keep(chunk: Buffer): void {
    const replay = this.#replay!;
    replay.push(chunk);
    this.#replayBytes += chunk.length;
    if (this.#replayBytes <= this.#down.connection.bufferLimit) return;
    // what is kept and not yet sent upstream still has to go
    if (!this.#up) this.#pendingBody = replay;
    this.#replay = undefined;
    this.#retriesLeft = 0;
  }

  /** Keep what came while a filter paused the request. */
  #hold(item: Buffer | HttpHeaders, endStream: boolean): void {
    (this.#held ??= []).push(item);
    this.#heldEnd = endStream;
  }

  onTrailers(trailers: HttpHeaders): void {
    if (this.#done) return;
    if (this.#filters) {
      if (this.#filters.paused) return this.#hold(trailers, true);
      if (!this.#filters.runRequestTrailers(trailers)) return;
    }
    this.#requestEnded = true;
    this.#trailers = trailers;
    if (this.#mirror) {
      this.#mirror.sendTrailers(trailers);
      if (this.#mirrorAnswer !== 0) return this.#answerMirrored();
    }
    if (this.#up) this.#up.sendTrailers(trailers);
  }

  /** The request went whole to the copies that replace it (broadcast): answered with the filter's status, no body. */
  #answerMirrored(): void {
    const status = this.#mirrorAnswer;
    this.#log?.reply(status, undefined, 0);
    this.#span?.reply(status, undefined);
    this.#finish();
    this.#down.sendResponse(status, undefined);
  }

  /** The downstream went away. */
  onReset(_reason: StreamResetReason): void {
    if (this.#done) return;
    this.#counters.downstream_rq_reset.inc();
    if (this.#log) this.#log.flags ??= 'downstream_reset';
    this.#span?.reply(0, 'downstream_reset');
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
    const log = this.#log;
    if (log) {
      log.requestSentAt = performance.now();
      const c = up.connection;
      log.upstreamConnectionId = c.id;
      if (c.localAddress !== undefined) log.upstreamLocalAddress = c.localAddress.includes(':') ? `[${c.localAddress}]:${c.localPort ?? 0}` : `${c.localAddress}:${c.localPort ?? 0}`;
    }
    // The request has somewhere to go: a client waiting on `Expect: 100-continue` may send its body now.
    // (Retries resend the body from mosn's copy: the upstream is never asked, and its own 100 never forwarded.)
    this.#down.sendContinue?.();
    // a retry sends again everything received so far
    const pending = this.#replay ?? this.#pendingBody;
    const trailers = this.#trailers;
    this.#pendingBody = undefined;
    const ended = this.#requestEnded && trailers === undefined;
    up.sendHeaders(head, ended && (pending === undefined || pending.length === 0));
    if (pending) {
      for (let i = 0; i < pending.length; i++) up.sendData(pending[i]!, ended && i === pending.length - 1);
    }
    if (trailers) up.sendTrailers(trailers);
    // Each side stops reading while the other's send buffer is over its limit.
    this.#unpipe.push(linkFlow(this.#down, up), linkFlow(up, this.#down));
    this.#resumeDownstream();
  }

  #onPoolFailure(reason: PoolFailureReason, detail?: string): void {
    this.#poolHandle = undefined;
    if (this.#done) return;
    // as the RPC path counts: each failed connect of a request, retried or not (a timeout is also counted as such)
    const counters = this.#cluster!.counters(this.#ctx.stats);
    if (reason === 'connect_failed' || reason === 'connect_timeout') {
      counters.upstream_cx_connect_failed.inc();
      if (reason === 'connect_timeout') counters.upstream_cx_connect_timeout.inc();
      this.#outlier('connect_failure');
      if (this.#retryOtherHost()) return;
    } else if (reason === 'overflow') counters.upstream_cx_overflow.inc();
    else counters.upstream_cx_closed.inc();
    if (reason === 'overflow') this.#localReply('upstream_overflow', 'upstream connection pool overflow (max_connections)');
    else if (reason === 'closed') this.#localReply('connect_failed', 'upstream connection pool closed (host removed or mosn stopping)');
    // the why (a TLS verification error, say) goes to the log only, not to the client
    else this.#localReply('connect_failed', reason === 'connect_timeout' ? 'upstream connect timed out' : 'upstream connect failed', undefined, undefined, detail);
  }

  /** The host could not be reached: nothing was sent, so try another host of the cluster (see attempt.ts). */
  #retryOtherHost(): boolean {
    const cluster = this.#cluster!;
    // when not retried, the failed host stays the request's: its failure line names it, #finish lets go of it
    if (!this.#retriesOf().mayRetry(cluster, cluster.counters(this.#ctx.stats))) return false;
    const next = this.#nextHost(false);
    if (!next) return false;
    this.#sendTo(next);
    return true;
  }

  /** The request's retry state, made on its first failed attempt; the limit counts the policy's retries. */
  #retriesOf(): UpstreamRetries {
    return (this.#retries ??= new UpstreamRetries(this.#retry?.numRetries ?? 0));
  }

  /** The current attempt failed: the host of the next one (after `mayRetry`), or undefined when none is left. */
  #nextHost(anyHost: boolean): Host | undefined {
    const failed = this.#host!;
    failed.requestEnded(this.#startedAt);
    this.#host = undefined;
    return this.#retries!.nextHost(failed, this.#cluster!, this, anyHost, this.#counters);
  }

  /**
   * Try again on another host (or the same one when every host was tried), sending the request again.
   * False when the policy, its budget, or a request body too big to keep allows no more retries.
   */
  #retryAttempt(): boolean {
    return this.#canRetry() && this.#startRetry();
  }

  /** Retries are left, nothing went downstream yet, and the attempt limit and the cluster's max_retries have room. */
  #canRetry(): boolean {
    const cluster = this.#cluster;
    if (this.#retriesLeft <= 0 || !cluster || this.#down.responseStarted) return false;
    return this.#retriesOf().mayRetry(cluster, cluster.counters(this.#ctx.stats));
  }

  /** Send the request again (after `#canRetry`); false when no host is left. */
  #startRetry(): boolean {
    this.#retriesLeft--;
    this.#clearTryTimer();
    for (const u of this.#unpipe) u();
    this.#unpipe.length = 0;
    const next = this.#nextHost(true);
    if (!next) return false;
    this.#attempt?.detach();
    this.#attempt = undefined;
    if (!this.#requestEnded) this.#pauseDownstream();
    this.#sendTo(next);
    return true;
  }

  /** Drop the current attempt's stream (or pending connect); its later events are ignored. */
  #abandonUpstream(reason: StreamResetReason): void {
    this.#attempt?.detach();
    this.#attempt = undefined;
    this.#poolHandle?.cancel();
    this.#poolHandle = undefined;
    const up = this.#up;
    this.#up = undefined;
    up?.reset(reason);
  }

  #onTryTimeout(): void {
    this.#tryTimer = undefined;
    if (this.#done) return;
    this.#outlier('gateway_error');
    this.#host?.timedOut();
    this.#counters.upstream_rq_per_try_timeout.inc();
    this.#abandonUpstream('timeout');
    if (this.#retry?.onReset && this.#retryAttempt()) return;
    this.#localReply('timeout', 'upstream per-try timeout');
  }

  #onUpstreamHeaders(head: HttpResponseHead, endStream: boolean): void {
    if (this.#done) return;
    if (head.status === 101) return this.#switchProtocols(head);
    this.#host?.responded(head.status);
    this.#outlier(outlierResultOfStatus(head.status));
    if (this.#retry?.retryStatus?.(head.status) && this.#canRetry()) {
      if (endStream) this.#up = undefined;
      else this.#abandonUpstream('local_reset');
      if (!this.#startRetry()) this.#localReply('no_healthy_upstream', `upstream answered ${head.status}; no healthy upstream to retry on`);
      return;
    }
    this.#clearTimer();
    this.#clearTryTimer();
    if (this.#route?.responseEdits) this.#route.responseEdits.apply(head.headers, this.#vars());
    if (this.#filters && !this.#filters.runResponseHeaders(head.headers, head.status, endStream)) return;
    const log = this.#log;
    if (log) {
      log.responseReceivedAt = performance.now();
      log.responseCode = head.status;
      log.responseHeaders = head.headers;
    }
    this.#span?.response(head.status, head.headers);
    this.#down.sendHeaders(head, endStream);
    if (endStream) this.#responseDone();
  }

  #onUpstreamData(chunk: Buffer, endStream: boolean): void {
    if (this.#done) return;
    if (this.#filters) {
      const out = this.#filters.runResponseData(chunk, endStream);
      if (out === undefined) return;
      chunk = out;
    }
    this.filteredResponseData(chunk, endStream);
  }

  #onUpstreamTrailers(trailers: HttpHeaders): void {
    if (this.#done) return;
    if (this.#filters && !this.#filters.runResponseTrailers(trailers)) return;
    this.filteredResponseTrailers(trailers);
  }

  /** StreamFilterOwner: response body for the downstream (the upstream's, or what a filter made of it later). */
  filteredResponseData(chunk: Buffer, endStream: boolean): void {
    if (this.#done) return;
    if (this.#log) this.#log.bytesSent += chunk.length;
    this.#down.sendData(chunk, endStream);
    if (endStream) this.#responseDone();
  }

  /** StreamFilterOwner: the response's trailers, which end it (the upstream's, or kept by a filter until now). */
  filteredResponseTrailers(trailers: HeaderMap): void {
    if (this.#done) return;
    this.#span?.trailers(trailers);
    this.#down.sendTrailers(trailers instanceof HttpHeaders ? trailers : httpHeadersOf(trailers));
    this.#responseDone();
  }

  /** StreamFilterOwner: a filter holds (or lets go of) the upstream response while it works through what it took. */
  holdUpstream(hold: boolean): void {
    this.#up?.readDisable(hold);
  }

  /** A filter answered the request (an HTTP status; gRPC gets its grpc-status): nothing more goes upstream. */
  filterReply(status: number, message: string | undefined, headers?: LocalReplyHeaders): void {
    if (this.#done) return;
    this.#abandonUpstream('local_reset');
    this.#log?.reply(status, 'filter_reply', message === undefined ? 0 : message.length + 1);
    this.#span?.reply(status, 'filter_reply');
    this.#finish();
    if (this.#down.responseStarted) this.#down.reset('local_reset');
    else sendHttpFilterReply(this.#down, this.#head!.headers, status, message, headers);
  }

  /** A filter threw: this request gets an internal error (500), logged (rate-limited) like other failures. */
  filterFailed(message: string): void {
    if (this.#done) return;
    this.#abandonUpstream('local_reset');
    this.#counters.downstream_rq_internal_error.inc();
    this.#localReply('internal_error', message);
  }

  /**
   * The whole response went downstream. If the request body is still coming (an upstream that answered
   * early, e.g. 413), the upstream request is reset (an HTTP/1 connection with half a body cannot be
   * reused) and the rest of the body is read and dropped.
   */
  #responseDone(): void {
    const up = this.#up;
    if (!this.#requestEnded && up) {
      this.#up = undefined;
      up.reset('local_reset');
    }
    this.#finish();
  }

  /**
   * The upstream accepted the upgrade: the 101 goes downstream and both connections become one tunnel
   * (raw bytes both ways, backpressure, half-close and close passed on, each side's idle timeout).
   */
  #switchProtocols(head: HttpResponseHead): void {
    const up = this.#up;
    this.#outlier('success');
    if (this.#route?.responseEdits) this.#route.responseEdits.apply(head.headers, this.#vars());
    this.#up = undefined;
    this.#log?.reply(101, undefined, 0);
    this.#span?.reply(101, undefined);
    this.#finish();
    const upEnd = up?.tunnel?.();
    const downEnd = upEnd && this.#down.switchProtocols?.(head);
    if (!upEnd || !downEnd) {
      upEnd?.connection.close('now', 'requested');
      const message = 'upstream switched protocols on a request that cannot be upgraded';
      this.#logFailure('upstream_reset', message, undefined);
      if (this.#down.responseStarted) this.#down.reset('local_reset');
      else this.#down.sendLocalReply('upstream_reset', message);
      return;
    }
    this.#counters.downstream_cx_upgrades_total.inc();
    spliceTunnel(downEnd, upEnd);
  }

  /** A request mosn-ts cannot carry: answered here (the connection is closed after it for CONNECT/upgrade). */
  #refuse(status: number, message: string): void {
    this.#logFailure('unsupported', message, undefined);
    this.#log?.reply(status, 'unsupported', message.length + 1);
    this.#span?.reply(status, 'unsupported');
    this.#finish();
    this.#down.sendResponse(status, message + '\n');
  }

  #onUpstreamReset(reason: StreamResetReason): void {
    if (this.#done) return;
    this.#outlier('gateway_error');
    this.#counters.upstream_rq_reset.inc();
    const up = this.#up;
    this.#up = undefined;
    if (this.#retry?.onReset && !this.#down.responseStarted && this.#retryAttempt()) return;
    if (this.#down.responseStarted) {
      this.#logFailure('upstream_reset', `upstream reset after the response started (${reason}); the downstream request is reset`, undefined);
      if (this.#log) this.#log.flags ??= 'upstream_reset';
      this.#span?.reply(0, 'upstream_reset');
      this.#finish();
      this.#down.reset('remote_reset');
    } else {
      this.#localReply('upstream_reset', `upstream reset: ${reason}`, undefined, this.#resetHint(reason, up));
    }
  }

  /**
   * An HTTP/1 upstream that ended the request before any response head, on a connection that never carried
   * an HTTP/1 response (fewer bytes read than the shortest one), or with bytes that are not HTTP/1: it may
   * speak only HTTP/2 (h2c), and the log line says what to set. (A keep-alive connection the upstream closed
   * between requests has read at least one response: no hint.)
   */
  #resetHint(reason: StreamResetReason, up: ClientStream | undefined): string | undefined {
    if (!up || (reason !== 'connection_termination' && reason !== 'protocol_error')) return undefined;
    const pool = this.#host?.pool(this.#action!.upstreamProtocol ?? this.#ctx.upstreamProtocol);
    if (pool?.protocol !== 'Http1') return undefined;
    if (reason === 'protocol_error') return http1UpstreamHint(false);
    return up.connection.bytesRead < MIN_HTTP1_RESPONSE ? http1UpstreamHint(true) : undefined;
  }

  /** The route timeout (global, over every try) is up. */
  onDeadline(): void {
    if (this.#done) return;
    this.#outlier('gateway_error');
    this.#host?.timedOut();
    this.#counters.downstream_rq_timeout.inc();
    this.#abandonUpstream('timeout');
    this.#localReply('timeout', 'upstream request timeout');
  }

  /** Tell the cluster's outlier detector how this attempt went on its host. */
  #outlier(result: OutlierResult): void {
    if (this.#host) this.#cluster?.outlierDetector?.onResult(this.#host, result);
  }

  /**
   * Answer the request with an error in its own protocol, and log it (rate-limited). `cluster` names the
   * cluster when the request failed before one was chosen for it.
   */
  #localReply(status: InternalStatus, message: string, cluster?: string, hint?: string, detail?: string): void {
    if (this.#done) return;
    this.#logFailure(status, detail ? `${message}: ${detail}` : message, cluster, hint);
    if (this.#log) {
      if (this.#down.responseStarted) this.#log.flags ??= status;
      else this.#log.reply(INTERNAL_STATUS_HTTP[status], status, message.length + 1);
    }
    this.#span?.reply(this.#down.responseStarted ? 0 : INTERNAL_STATUS_HTTP[status], status);
    this.#finish();
    if (this.#down.responseStarted) this.#down.reset('local_reset');
    else this.#down.sendLocalReply(status, message);
  }

  /** The request's one failure line (before #finish, which lets go of the host). */
  #logFailure(reason: string, message: string, cluster: string | undefined, hint?: string): void {
    logRequestFailure(this.#down.connection, {
      protocol: this.#down.protocol,
      reason,
      message,
      request: this.#head,
      route: this.#route?.match,
      cluster: cluster ?? this.#cluster?.name,
      host: (this.#host ?? this.#retries?.lastHost)?.addressText,
      hint,
    });
  }

  #clearTryTimer(): void {
    if (this.#tryTimer !== undefined) {
      clearTimeout(this.#tryTimer);
      this.#tryTimer = undefined;
    }
  }

  #clearTimer(): void {
    this.cancelDeadline();
  }

  #finish(): void {
    this.#done = true;
    if (this.#receivedAt > 0) this.#counters.rqTime!.observe(performance.now() - this.#receivedAt);
    this.#filters?.destroy();
    // copies still waiting for a body that will not come are given up
    this.#mirror?.requestAbandoned();
    this.#held = undefined;
    this.#requestBudget?.resources.requests.release();
    this.#retries?.release();
    this.#requestBudget = undefined;
    if (this.#host) {
      this.#host.requestEnded(this.#startedAt);
      this.#host = undefined;
    }
    this.#clearTimer();
    this.#clearTryTimer();
    this.#replay = undefined;
    for (const u of this.#unpipe) u();
    this.#unpipe.length = 0;
    this.#resumeDownstream();
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

/** Trailers a filter made as another HeaderMap, as the HTTP streams write them. */
function httpHeadersOf(headers: HeaderMap): HttpHeaders {
  const out = new HttpHeaders();
  headers.forEach((value, name) => out.add(name, value));
  return out;
}
