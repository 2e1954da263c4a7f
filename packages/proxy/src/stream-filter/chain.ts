import type { Connection, HeaderMap } from '@mosn/stream';
import type { Route } from '../router/router.js';
import type { Counter, Stats } from '../stats/stats.js';
import type { LocalReplyHeaders, MirrorOptions, RoutingVariable, StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterPhase, StreamFilterStatus } from './api.js';
import { LISTENER } from '../stats/names.js';

/**
 * The request a chain runs for (DownstreamRequest for HTTP, RpcFilteredRequest for RPC): what its filters
 * see, and what the chain tells it. Both protocols' paths share the chain; only these few members differ.
 */
export interface StreamFilterOwner {
  readonly protocol: string;
  readonly requestHeaders: HeaderMap;
  readonly connection: Connection;
  readonly route: Route | undefined;
  readonly clusterName: string | undefined;
  readonly upstreamHost: string | undefined;
  variable(name: string): string | undefined;
  /** A paused phase was resumed (`continue()`) and every filter after the pausing one let the request go on. */
  filtersContinued(phase: StreamFilterPhase): void;
  /** Copies of the request to a cluster (see StreamFilterHandler.mirror). */
  mirror(cluster: string, options: MirrorOptions): number;
  /** A filter answered the request itself (an HTTP status; see StreamFilterHandler.sendLocalReply). */
  filterReply(status: number, message: string | undefined, headers?: LocalReplyHeaders): void;
  /** A filter threw (or its factory did): the request is answered with an internal error. */
  filterFailed(message: string): void;
  /**
   * Response body a filter sends later (StreamFilterHandler.sendResponseData), through the filters after it: to
   * the downstream now. HTTP only: an owner without it (RPC, whose response frame is whole) ignores 'stop'.
   */
  filteredResponseData?(data: Buffer, endStream: boolean): void;
  /** Trailers a filter kept and sends later, through the filters after it: to the downstream now (HTTP only). */
  filteredResponseTrailers?(trailers: HeaderMap): void;
  /** Stop (true) or resume (false) reading the upstream response (one level of StreamFlow.readDisable). */
  holdUpstream?(hold: boolean): void;
}

/** A request's routing host and path as filters set them (`setVariable`); an absent field is the request's own. */
export interface RouteOverride {
  host?: string;
  path?: string;
}

/**
 * A listener's stream filter factories, made once per listener config, and the counters their requests share.
 * `of` gives undefined for a listener without filters: its requests make no chain at all.
 */
export class StreamFilterChainFactory {
  readonly factories: readonly StreamFilterFactory[];
  /** Requests a filter answered itself (`listener.<name>.stream_filter_local_reply`). */
  readonly replies: Counter;
  /** Requests failed by a filter that threw (`listener.<name>.stream_filter_error`). */
  readonly errors: Counter;

  private constructor(factories: readonly StreamFilterFactory[], stats: Stats, statPrefix: string) {
    this.factories = factories;
    this.replies = stats.counter(statPrefix + LISTENER.stream_filter_local_reply);
    this.errors = stats.counter(statPrefix + LISTENER.stream_filter_error);
  }

  static of(factories: readonly StreamFilterFactory[], stats: Stats, statPrefix: string): StreamFilterChainFactory | undefined {
    return factories.length === 0 ? undefined : new StreamFilterChainFactory(factories, stats, statPrefix);
  }

  create(owner: StreamFilterOwner): StreamFilterChain {
    return new StreamFilterChain(this, owner);
  }
}

/**
 * One request's filters, walked in config order. A request phase runs the filters of that phase; a filter that
 * returns 'stop' without answering pauses the walk until it calls `continue()`. Filters are created when their
 * phase first runs (an after_route filter with the route's `per_filter_config`). The chain is the handler every
 * filter of the request gets.
 */
export class StreamFilterChain implements StreamFilterHandler {
  #factory: StreamFilterChainFactory;
  #owner: StreamFilterOwner;
  /** Filters made so far, by factory index. */
  #filters: Array<StreamFilter | undefined>;
  #phase: StreamFilterPhase = 'before_route';
  /** The next factory index the request-headers walk looks at. */
  #index = 0;
  #endStream = false;
  #paused = false;
  /** Inside a filter's onRequestHeaders: a `continue()` there is kept for when it returns. */
  #running = false;
  #continueAsked = false;
  /** Answered, failed or destroyed: filters are not called any more. */
  #done = false;
  #destroyed = false;
  /** Response phase: holds filters asked for (holdUpstream), and whether the owner's upstream is held now. */
  #holds = 0;
  #upstreamHeld = false;
  /** The upstream response ended (its last chunk or its trailers came): nothing is left to hold. */
  #upstreamEnded = false;
  /** What before_route filters set the request to be routed on (undefined: nothing was set). */
  #routing: RouteOverride | undefined;

  constructor(factory: StreamFilterChainFactory, owner: StreamFilterOwner) {
    this.#factory = factory;
    this.#owner = owner;
    this.#filters = new Array<StreamFilter | undefined>(factory.factories.length);
  }

  // StreamFilterHandler
  get protocol(): string {
    return this.#owner.protocol;
  }
  get requestHeaders(): HeaderMap {
    return this.#owner.requestHeaders;
  }
  get downstreamAddress(): string | undefined {
    return this.#owner.connection.remoteAddress;
  }
  get route(): Route | undefined {
    return this.#owner.route;
  }
  get clusterName(): string | undefined {
    return this.#owner.clusterName;
  }
  get upstreamHost(): string | undefined {
    return this.#owner.upstreamHost;
  }
  variable(name: string): string | undefined {
    const set = this.#routing;
    if (set !== undefined) {
      if (name === 'x-mosn-host' && set.host !== undefined) return set.host;
      if (name === 'x-mosn-path' && set.path !== undefined) return set.path;
    }
    return this.#owner.variable(name);
  }
  setVariable(name: RoutingVariable, value: string): void {
    if (name !== 'x-mosn-host' && name !== 'x-mosn-path') {
      throw new Error(`setVariable: "${String(name)}" cannot be set; a filter sets x-mosn-host or x-mosn-path`);
    }
    if (typeof value !== 'string') throw new Error(`setVariable: ${name} takes a string, got ${typeof value}`);
    if (this.#done) return;
    if (this.#phase !== 'before_route') throw new Error(`setVariable: ${name} is set before the route is matched (by a before_route filter)`);
    const set = (this.#routing ??= {});
    if (name === 'x-mosn-host') set.host = value;
    else set.path = value;
  }

  /** The host and path before_route filters set for the route match (undefined: none was set, route on the request's own). */
  get routing(): Readonly<RouteOverride> | undefined {
    return this.#routing;
  }
  mirror(cluster: string, options: MirrorOptions): number {
    return this.#done ? 0 : this.#owner.mirror(cluster, options);
  }

  /** A filter of this request stopped it and has not called `continue()` yet. */
  get paused(): boolean {
    return this.#paused;
  }

  /** True when every filter of `phase` let the request go on now; false when it was answered, failed or paused. */
  runRequestHeaders(phase: StreamFilterPhase, endStream: boolean): boolean {
    if (this.#done) return false;
    this.#phase = phase;
    this.#index = 0;
    this.#endStream = endStream;
    return this.#walk();
  }

  #walk(): boolean {
    const factories = this.#factory.factories;
    while (this.#index < factories.length) {
      const i = this.#index++;
      if (factories[i]!.phase !== this.#phase) continue;
      const filter = this.#filter(i);
      if (filter === undefined) return false;
      if (filter.onRequestHeaders === undefined) continue;
      let status: StreamFilterStatus;
      this.#running = true;
      try {
        status = filter.onRequestHeaders(this, this.#owner.requestHeaders, this.#endStream);
      } catch (e) {
        this.#fail(i, e);
        return false;
      } finally {
        this.#running = false;
      }
      if (this.#done) return false;
      if (status === 'stop') {
        if (this.#continueAsked) this.#continueAsked = false;
        else {
          this.#paused = true;
          return false;
        }
      }
    }
    return true;
  }

  /** The filter of factory `i`, made on first use (undefined: its factory threw, and the request failed). */
  #filter(i: number): StreamFilter | undefined {
    const made = this.#filters[i];
    if (made !== undefined) return made;
    const factory = this.#factory.factories[i]!;
    const perRoute = factory.phase === 'after_route' ? this.#owner.route?.perFilterConfig?.[factory.name] : undefined;
    try {
      return (this.#filters[i] = factory.createFilter(perRoute ?? factory.config));
    } catch (e) {
      this.#fail(i, e);
      return undefined;
    }
  }

  continue(): void {
    if (this.#done) return;
    if (this.#running) {
      this.#continueAsked = true;
      return;
    }
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#walk()) return;
    try {
      this.#owner.filtersContinued(this.#phase);
    } catch (e) {
      // a bug in the proxy, called from a filter's timer: that request fails, the process stays up
      this.#failWith(`resuming the request after a stream filter failed: ${(e as Error).message}`);
    }
  }

  sendLocalReply(status: number, message?: string, headers?: LocalReplyHeaders): void {
    if (this.#done) return;
    this.#done = true;
    this.#paused = false;
    this.#factory.replies.inc();
    this.#owner.filterReply(status, message, headers);
  }

  /** A chunk of the request body through the filters made so far; false when one answered or failed. */
  runRequestData(data: Buffer, endStream: boolean): boolean {
    const filters = this.#filters;
    for (let i = 0; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onRequestData === undefined) continue;
      try {
        f.onRequestData(this, data, endStream);
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return !this.#done;
  }

  runRequestTrailers(trailers: HeaderMap): boolean {
    const filters = this.#filters;
    for (let i = 0; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onRequestTrailers === undefined) continue;
      try {
        f.onRequestTrailers(this, trailers);
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return !this.#done;
  }

  /** The response's headers through the filters; false when one failed (or answered: too late, so it fails). */
  runResponseHeaders(headers: HeaderMap, status: number, endStream: boolean): boolean {
    const filters = this.#filters;
    for (let i = 0; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onResponseHeaders === undefined) continue;
      try {
        f.onResponseHeaders(this, headers, status, endStream);
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return !this.#done;
  }

  /**
   * A chunk of the upstream's response body through the filters: what to send downstream now, or undefined when
   * nothing is to be sent now (a filter failed, or took the chunk: it sends what it makes of it later).
   */
  runResponseData(data: Buffer, endStream: boolean): Buffer | undefined {
    if (endStream) this.#endOfUpstream();
    return this.#responseData(0, data, endStream);
  }

  /** The upstream's trailers through the filters: true to send them now (false: a filter failed, or kept them). */
  runResponseTrailers(trailers: HeaderMap): boolean {
    this.#endOfUpstream();
    return this.#responseTrailers(0, trailers);
  }

  sendResponseData(from: StreamFilter, data: Buffer, endStream: boolean): void {
    const owner = this.#owner;
    if (this.#done || owner.filteredResponseData === undefined) return;
    const next = this.#after(from);
    if (next < 0) return;
    const out = this.#responseData(next, data, endStream);
    if (out === undefined) return;
    try {
      owner.filteredResponseData(out, endStream);
    } catch (e) {
      // a bug in the proxy, called from a filter's callback (a zlib event): that request fails, the process stays up
      this.#failWith(`sending a stream filter's response data failed: ${(e as Error).message}`);
    }
  }

  sendResponseTrailers(from: StreamFilter, trailers: HeaderMap): void {
    const owner = this.#owner;
    if (this.#done || owner.filteredResponseTrailers === undefined) return;
    const next = this.#after(from);
    if (next < 0 || !this.#responseTrailers(next, trailers)) return;
    try {
      owner.filteredResponseTrailers(trailers);
    } catch (e) {
      this.#failWith(`sending a stream filter's response trailers failed: ${(e as Error).message}`);
    }
  }

  /** The index of the filter after `from`; -1 (and the request failed) when `from` is not a filter of this request. */
  #after(from: StreamFilter): number {
    const i = this.#filters.indexOf(from);
    if (i >= 0) return i + 1;
    // the response would otherwise never end
    this.#failWith('a stream filter sent response data as a filter that is not one of this request');
    return -1;
  }

  holdUpstream(hold: boolean): void {
    if (hold) this.#holds++;
    else if (this.#holds > 0) this.#holds--;
    else return;
    const held = this.#holds > 0 && !this.#upstreamEnded && !this.#done;
    if (held === this.#upstreamHeld) return;
    this.#upstreamHeld = held;
    this.#owner.holdUpstream?.(held);
  }

  /** The filters from index `start` on, each with the chunk the one before made. */
  #responseData(start: number, data: Buffer, endStream: boolean): Buffer | undefined {
    const filters = this.#filters;
    const canTake = this.#owner.filteredResponseData !== undefined;
    let out = data;
    for (let i = start; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onResponseData === undefined) continue;
      try {
        const result = f.onResponseData(this, out, endStream);
        if (result === undefined) continue;
        if (result !== 'stop') out = result;
        else if (canTake) return undefined;
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return this.#done ? undefined : out;
  }

  #responseTrailers(start: number, trailers: HeaderMap): boolean {
    const filters = this.#filters;
    const canKeep = this.#owner.filteredResponseTrailers !== undefined;
    for (let i = start; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onResponseTrailers === undefined) continue;
      try {
        if (f.onResponseTrailers(this, trailers) === 'stop' && canKeep) return false;
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return !this.#done;
  }

  /** The upstream response is complete: a hold has nothing left to stop, so the owner's is let go now. */
  #endOfUpstream(): void {
    this.#upstreamEnded = true;
    this.#releaseUpstream();
  }

  #releaseUpstream(): void {
    if (!this.#upstreamHeld) return;
    this.#upstreamHeld = false;
    this.#owner.holdUpstream?.(false);
  }

  /** The request ended (any way): each filter made hears `onDestroy` once, and none is called again. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#done = true;
    this.#paused = false;
    this.#releaseUpstream();
    for (const f of this.#filters) {
      try {
        f?.onDestroy?.();
      } catch {
        // the request is over; a filter that cannot clean up has nobody left to tell but its own log
      }
    }
  }

  #fail(i: number, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.#failWith(`stream filter "${this.#factory.factories[i]!.name}" threw: ${message}`);
  }

  #failWith(message: string): void {
    this.#done = true;
    this.#paused = false;
    this.#factory.errors.inc();
    this.#owner.filterFailed(message);
  }
}
