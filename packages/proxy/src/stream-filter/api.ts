import type { HeaderMap } from '@mosn/stream';
import type { Route } from '../router/router.js';

/**
 * The stream filter contract: MOSN's StreamReceiverFilter (the request phase: `onRequest*`) and
 * StreamSenderFilter (the response phase: `onResponse*`) in one object, for every protocol mosn-ts carries
 * (HTTP/1, HTTP/2, gRPC, Bolt, Dubbo, a plug-in codec). A listener's `stream_filters` become one
 * StreamFilterFactory each, made once per listener config; each request gets one filter from each factory.
 *
 *   request:  before_route filters → route match → after_route filters → cluster, host, upstream
 *   response: every filter, first to last (MOSN's order), before the response goes downstream
 *
 * RPC frames arrive whole: `onRequestHeaders` sees the frame's header map and `onRequestData` its body, once.
 *
 * A response filter that makes its body asynchronously (a compressor over node:zlib) answers 'stop' to a chunk:
 * it took the chunk, and passes on what it makes of it later with `sendResponseData` (which runs the filters
 * after it, then writes downstream). While its own buffer is full it holds the upstream (`holdUpstream`).
 */

/** Response headers of a filter's local reply, by lowercase name. */
export type LocalReplyHeaders = Readonly<Record<string, string>>;

/** What a request-headers filter answers: go on to the next filter, or stop (answered, or paused: see `continue`). */
export type StreamFilterStatus = 'continue' | 'stop';

/** When a filter's request phase runs: before the route is matched (MOSN's BeforeRoute) or after (AfterRoute). */
export type StreamFilterPhase = 'before_route' | 'after_route';

/**
 * The MOSN variables a filter may set (`StreamFilterHandler.setVariable`): what the router matches a request on.
 * `x-mosn-host` is matched against the virtual hosts' `domains`, `x-mosn-path` against the routes' `prefix`,
 * `path` and `regex` (MOSN's `types.VarHost` and `types.VarPath`).
 */
export type RoutingVariable = 'x-mosn-host' | 'x-mosn-path';

/** What a filter sees of its request, and what it can do to it. One per request, shared by its filters. */
export interface StreamFilterHandler {
  /** The downstream protocol: `Http1`, `Http2`, `bolt`, `dubbo`, ... */
  readonly protocol: string;
  /** The request's headers (HTTP headers, or the RPC frame's header map); a filter may change them. */
  readonly requestHeaders: HeaderMap;
  /** The client's IP address (the downstream connection's peer). */
  readonly downstreamAddress: string | undefined;
  /** The matched route (after_route filters and the response phase; undefined before). */
  readonly route: Route | undefined;
  /** The cluster the route sends this request to (after_route filters and the response phase). */
  readonly clusterName: string | undefined;
  /** `ip:port` of the upstream host (the response phase only). */
  readonly upstreamHost: string | undefined;
  /** A MOSN variable of this request (`x-mosn-path`, `request_header_<name>`, `upstream_cluster`, ...). */
  variable(name: string): string | undefined;
  /**
   * Route this request on another host or path (MOSN's `variable.SetString(ctx, types.VarHost, ...)`): the router
   * matches the virtual hosts' `domains` against `x-mosn-host` and the routes against `x-mosn-path` instead of the
   * request's own (an RPC request has none: '' and '' by default). The request itself is not changed (HTTP's
   * `Host` and path go upstream as they came); `variable()` reads the new value. Only before the route is
   * matched (a before_route filter's request phase): later, or for another name, it throws.
   */
  setVariable(name: RoutingVariable, value: string): void;
  /**
   * Resume a request whose `onRequestHeaders` returned 'stop' (after a delay, a lookup, ...). Does nothing once
   * the request ended: a filter that pauses must clear its timers in `onDestroy`.
   */
  continue(): void;
  /**
   * Answer the request here, in its own protocol: `status` is an HTTP status (a gRPC request gets the matching
   * grpc-status; Bolt, Dubbo and plug-in codecs their own error response for it). The request goes no further.
   * `headers` go on an HTTP answer (`www-authenticate`, say); an RPC answer has no place for them.
   */
  sendLocalReply(status: number, message?: string, headers?: LocalReplyHeaders): void;
  /**
   * Send copies of this request to hosts of `cluster` (after the route; MOSN's `mirror` filter uses it): the
   * request's headers as they are now, then its body and trailers as they go upstream. The copies' answers are
   * dropped; a copy never delays or fails the request (one that cannot keep up is dropped and counted). Returns
   * the number of copies started (0 when the cluster is unknown or has no host to give).
   */
  mirror(cluster: string, options: MirrorOptions): number;
  /**
   * Response phase, for a filter whose `onResponseData` answered 'stop': pass `data` on to the filters after
   * `from` (the calling filter), then downstream. `endStream` ends the response. HTTP only (an RPC response is
   * whole and read-only: nothing is sent). Does nothing once the request ended.
   */
  sendResponseData(from: StreamFilter, data: Buffer, endStream: boolean): void;
  /** Response phase: pass on trailers a filter's `onResponseTrailers` kept ('stop'), after the body it held. */
  sendResponseTrailers(from: StreamFilter, trailers: HeaderMap): void;
  /**
   * Response phase: stop (true) or resume (false) reading the upstream's response while a filter works through
   * what it took (its own buffer is full). Calls nest, as StreamFlow.readDisable: each hold needs its resume.
   * Ignored once the upstream response ended; every hold is let go when the request ends. (The downstream's
   * backpressure needs nothing from the filter: while the client's send buffer is over its limit the upstream
   * is not read, so a filter that only transforms what it took stays bounded.)
   */
  holdUpstream(hold: boolean): void;
}

/** How `StreamFilterHandler.mirror` copies a request. */
export interface MirrorOptions {
  /** Copies to hosts the cluster's balancer picks (MOSN's `amplification`). */
  readonly copies: number;
  /** One copy to each healthy host of the cluster instead (MOSN's `broadcast`). */
  readonly everyHealthyHost?: boolean;
  /**
   * The copies replace the request (MOSN's `broadcast`): it does not go to its route's cluster, and once it was
   * sent whole to the copies it is answered with this HTTP status (no body; RPC: see docs/filters.md).
   */
  readonly answer?: number;
}

/**
 * What a response-data filter answers: a buffer to send instead, nothing (send `data` as it is), or 'stop' (the
 * filter took `data` and sends what it makes of it later with `sendResponseData`). A filter that answers 'stop'
 * owns the rest of the response: it passes on the end too (a chunk with `endStream`, or the trailers).
 */
export type ResponseDataResult = Buffer | 'stop' | void;

/** One request's filter. Every method is optional; a throw answers this one request with an internal error. */
export interface StreamFilter {
  /** The request's headers: 'continue', or 'stop' after `sendLocalReply` or to pause until `continue()`. */
  onRequestHeaders?(h: StreamFilterHandler, headers: HeaderMap, endStream: boolean): StreamFilterStatus;
  /** A chunk of the request body (RPC: the whole body). It may call `sendLocalReply`; it cannot pause. */
  onRequestData?(h: StreamFilterHandler, data: Buffer, endStream: boolean): void;
  /** The request's trailers (HTTP/2, chunked HTTP/1). */
  onRequestTrailers?(h: StreamFilterHandler, trailers: HeaderMap): void;
  /** The response's headers (changed in place); `status` is its HTTP status (RPC: the protocol's, mapped). */
  onResponseHeaders?(h: StreamFilterHandler, headers: HeaderMap, status: number, endStream: boolean): void;
  /**
   * A chunk of the response body: return a buffer to send instead, or 'stop' to take it (see ResponseDataResult).
   * HTTP only: an RPC body is read-only, and its frame goes on whole whatever the filter answers.
   */
  onResponseData?(h: StreamFilterHandler, data: Buffer, endStream: boolean): ResponseDataResult;
  /**
   * The response's trailers (changed in place). 'stop' keeps them: a filter that still holds body bytes passes
   * them on with `sendResponseTrailers` once that body is out (HTTP only; RPC has no trailers).
   */
  onResponseTrailers?(h: StreamFilterHandler, trailers: HeaderMap): 'stop' | void;
  /** The request ended (answered, failed, or cancelled by the client): clear timers here. */
  onDestroy?(): void;
}

/**
 * A filter type's factory for one listener, made once from its typed config. `createFilter` runs once per
 * request, with the listener's config or the matched route's `per_filter_config` entry for `name` (after_route).
 */
export interface StreamFilterFactory<C = unknown> {
  /** The filter's type name (`fault`, `payload_limit`, ...): the key of a route's `per_filter_config`. */
  readonly name: string;
  readonly phase: StreamFilterPhase;
  readonly config: C;
  createFilter(config: C): StreamFilter;
}
