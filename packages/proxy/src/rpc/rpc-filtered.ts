import type { Connection, HeaderMap, XFrame, XServerConnection } from '@mosn/stream';
import type { RequestLog } from '../access-log/request-log.js';
import type { RequestSpan } from '../tracing/request-span.js';
import { pickTarget, type ClusterTarget, type Route } from '../router/router.js';
import type { RpcCall, RpcProxy } from './rpc-request.js';
import type { MirrorOptions, StreamFilterPhase } from '../stream-filter/api.js';
import { mirrorRpc } from '../mirror/rpc-mirror.js';
import type { StreamFilterChain, StreamFilterOwner } from '../stream-filter/chain.js';
import { internalStatusOfHttp } from '../stream-filter/local-reply.js';

/** The requests a filter pauses, per downstream connection: a connection that closes ends them (timers cleared). */
const pausedByConnection = new WeakMap<XServerConnection, Set<RpcFilteredRequest>>();

/**
 * One RPC request on a listener with stream filters: before_route filters, the route, after_route filters, the
 * body (the frame's, whole), then RpcProxy.forward, whose call runs the response phase. A listener without
 * filters never makes one (RpcProxy.onRequest goes straight to the route).
 */
export class RpcFilteredRequest implements StreamFilterOwner {
  #proxy: RpcProxy;
  #server: XServerConnection;
  #request: XFrame;
  #chain: StreamFilterChain;
  #route: Route | undefined;
  #target: ClusterTarget | undefined;
  #call: RpcCall | undefined;
  #log: RequestLog | undefined;
  #span: RequestSpan | undefined;

  constructor(proxy: RpcProxy, server: XServerConnection, request: XFrame, log: RequestLog | undefined, span: RequestSpan | undefined) {
    this.#log = log;
    this.#span = span;
    this.#proxy = proxy;
    this.#server = server;
    this.#request = request;
    this.#chain = proxy.ctx.streamFilters!.create(this);
  }

  get protocol(): string {
    return this.#server.protocol;
  }
  get requestHeaders(): HeaderMap {
    return this.#request.header;
  }
  get connection(): Connection {
    return this.#server.connection;
  }
  get route(): Route | undefined {
    return this.#route;
  }
  get clusterName(): string | undefined {
    return this.#target?.name;
  }
  get upstreamHost(): string | undefined {
    return undefined;
  }

  /** The MOSN variables an RPC request has: addresses, protocol, cluster, and `request_header_<name>`. */
  variable(name: string): string | undefined {
    const conn = this.#server.connection;
    switch (name) {
      case 'protocol':
        return this.#server.protocol;
      case 'upstream_cluster':
        return this.#target?.name;
      case 'downstream_remote_address':
        return conn.remoteAddress === undefined ? undefined : `${conn.remoteAddress}:${conn.remotePort ?? 0}`;
      case 'downstream_local_address':
        return conn.localAddress === undefined ? undefined : `${conn.localAddress}:${conn.localPort ?? 0}`;
    }
    return name.startsWith('request_header_') ? this.#request.header.get(name.slice('request_header_'.length)) : undefined;
  }

  /**
   * Copies of the frame to a cluster. They never replace the request (`answer` is not used): mosn-ts's codecs have
   * no empty success response a SOFARPC or Dubbo client could read, so the request goes on to its route.
   */
  mirror(clusterName: string, options: MirrorOptions): number {
    const action = this.#route?.action;
    if (!action || action.kind === 'direct') return 0;
    const cluster = this.#proxy.ctx.clusters.get(clusterName);
    if (!cluster) return 0;
    const conn = this.#server.connection;
    const header = this.#request.header;
    return mirrorRpc({
      cluster,
      copies: options.copies,
      everyHealthyHost: options.everyHealthyHost ?? false,
      lb: { sourceAddress: conn.remoteAddress, localAddress: conn.localAddress, localPort: conn.localPort, header: (name) => header.get(name) },
      request: this.#request,
      protocol: this.#server.protocol,
      timeoutMs: action.timeoutMs,
      counters: this.#proxy.counters,
    });
  }

  start(): void {
    if (this.#chain.runRequestHeaders('before_route', this.#request.body.length === 0)) this.#routeRequest();
    else this.#watchIfPaused();
  }

  filtersContinued(phase: StreamFilterPhase): void {
    this.#unwatch();
    if (phase === 'before_route') this.#routeRequest();
    else this.#forward();
  }

  filterReply(status: number, message: string | undefined): void {
    this.#unwatch();
    if (this.#call) return this.#call.filterReply(internalStatusOfHttp(status), message);
    this.#chain.destroy();
    if (this.#log) {
      this.#log.reply(status, 'filter_reply', 0);
      this.#log.end();
    }
    if (this.#span) {
      this.#span.reply(status, 'filter_reply');
      this.#span.end();
    }
    this.#server.localReply(this.#request, internalStatusOfHttp(status), message);
  }

  filterFailed(message: string): void {
    this.#unwatch();
    if (this.#call) return this.#call.filterFailed(message);
    this.#chain.destroy();
    this.#proxy.fail(this.#server, this.#request, { status: 'internal_error', message, route: this.#route, cluster: this.#target?.name }, this.#log, this.#span);
  }

  #routeRequest(): void {
    const route = this.#proxy.route(this.#server, this.#request, this.#log, this.#span, this.#chain.routing);
    if (!route) return this.#chain.destroy();
    this.#route = route;
    if (route.action.kind !== 'direct') this.#target = pickTarget(route.action);
    if (this.#chain.runRequestHeaders('after_route', this.#request.body.length === 0)) this.#forward();
    else this.#watchIfPaused();
  }

  #forward(): void {
    const body = this.#request.body;
    if (body.length > 0 && !this.#chain.runRequestData(body, true)) return;
    this.#call = this.#proxy.forward(this.#server, this.#request, this.#route!, this.#target, this.#chain, this.#log, this.#span);
    if (!this.#call) this.#chain.destroy();
  }

  /** A filter paused the request: if the client's connection closes meanwhile, the request ends there. */
  #watchIfPaused(): void {
    if (!this.#chain.paused) return;
    let paused = pausedByConnection.get(this.#server);
    if (!paused) {
      const set = (paused = new Set());
      pausedByConnection.set(this.#server, set);
      this.#server.connection.on('event', (ev) => {
        if (ev !== 'local_close' && ev !== 'remote_close') return;
        for (const r of set) {
          r.#chain.destroy();
          if (r.#log) {
            r.#log.flags ??= 'downstream_reset';
            r.#log.end();
          }
          if (r.#span) {
            r.#span.reply(0, 'downstream_reset');
            r.#span.end();
          }
        }
        set.clear();
      });
    }
    paused.add(this);
  }

  #unwatch(): void {
    pausedByConnection.get(this.#server)?.delete(this);
  }
}
