import type { Connection, HeaderMap } from '@mosn/stream';
import type { Route } from '../router/router.js';
import type { Counter, Stats } from '../stats/stats.js';
import type { LocalReplyHeaders, MirrorOptions, StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterPhase, StreamFilterStatus } from './api.js';
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
    return this.#owner.variable(name);
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
      this.#done = true;
      this.#factory.errors.inc();
      this.#owner.filterFailed(`resuming the request after a stream filter failed: ${(e as Error).message}`);
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

  /** A chunk of the response body through the filters: what to send instead (undefined: a filter failed). */
  runResponseData(data: Buffer, endStream: boolean): Buffer | undefined {
    const filters = this.#filters;
    let out = data;
    for (let i = 0; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onResponseData === undefined) continue;
      try {
        const replaced = f.onResponseData(this, out, endStream);
        if (replaced !== undefined) out = replaced;
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return this.#done ? undefined : out;
  }

  runResponseTrailers(trailers: HeaderMap): boolean {
    const filters = this.#filters;
    for (let i = 0; i < filters.length && !this.#done; i++) {
      const f = filters[i];
      if (f?.onResponseTrailers === undefined) continue;
      try {
        f.onResponseTrailers(this, trailers);
      } catch (e) {
        this.#fail(i, e);
      }
    }
    return !this.#done;
  }

  /** The request ended (any way): each filter made hears `onDestroy` once, and none is called again. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#done = true;
    this.#paused = false;
    for (const f of this.#filters) {
      try {
        f?.onDestroy?.();
      } catch {
        // the request is over; a filter that cannot clean up has nobody left to tell but its own log
      }
    }
  }

  #fail(i: number, e: unknown): void {
    this.#done = true;
    this.#paused = false;
    this.#factory.errors.inc();
    const message = e instanceof Error ? e.message : String(e);
    this.#owner.filterFailed(`stream filter "${this.#factory.factories[i]!.name}" threw: ${message}`);
  }
}
