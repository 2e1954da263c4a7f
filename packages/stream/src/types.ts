import type { Connection, InternalStatus, IoBuffer } from '@mosn/protocol';
import type { HttpHeaders, HttpRequestHead, HttpResponseHead } from './http-headers.js';

/** Why a stream ended before it completed. */
export type StreamResetReason =
  | 'connection_failure'
  | 'connection_termination'
  | 'local_reset'
  | 'remote_reset'
  | 'overflow'
  | 'timeout'
  | 'protocol_error';

/** What receives the parts of a message: the proxy for a request, the proxy's upstream side for a response. */
export interface StreamReceiver<Head> {
  onHeaders(head: Head, endStream: boolean): void;
  onData(chunk: Buffer, endStream: boolean): void;
  /** Trailers end the stream: no `onData(…, true)` follows them. */
  onTrailers(trailers: HttpHeaders): void;
  onReset(reason: StreamResetReason): void;
}

/**
 * Flow control of one side of a stream. The proxy links the two sides of a request: while one side's
 * send buffer is over its limit, the other side stops reading.
 */
export interface StreamFlow {
  /** Stop (true) or resume (false) delivering this stream's incoming data. Calls nest. */
  readDisable(disable: boolean): void;
  /** Told `true` when this stream's send buffer goes over its limit, `false` when it drains; undefined unsets. */
  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void;
}

/**
 * The downstream side of one request: the proxy writes the response through it. `sendLocalReply` answers
 * in the protocol's own terms (an HTTP status, a Bolt response status, ...) for an internal status.
 */
export interface ServerStream extends StreamFlow {
  readonly id: number;
  readonly protocol: string;
  readonly connection: Connection;
  sendHeaders(head: HttpResponseHead, endStream: boolean): void;
  sendData(chunk: Buffer, endStream: boolean): void;
  /** Trailers end the response (HTTP/1: written only on a chunked response). */
  sendTrailers(trailers: HttpHeaders): void;
  sendLocalReply(status: InternalStatus, message?: string): void;
  /** Send a complete response (direct_response). */
  sendResponse(status: number, body: string | Buffer | undefined, headers?: HttpHeaders): void;
  reset(reason: StreamResetReason): void;
  /** True once response headers went out: a local reply is no longer possible. */
  readonly responseStarted: boolean;
  /**
   * HTTP/1 `Expect: 100-continue`: tell the client to send its body (`100 Continue`), once, if it asked and
   * no response started. The proxy calls it when the request has an upstream to go to.
   */
  sendContinue?(): void;
  /**
   * HTTP/1 upgrade: answer `101 Switching Protocols` with `head` and hand the connection over as a raw
   * tunnel. Undefined when the request asked no upgrade or a response already started.
   */
  switchProtocols?(head: HttpResponseHead): TunnelEnd | undefined;
}

/**
 * One side of a tunnel after an HTTP/1 upgrade (101): the connection's bytes, no longer parsed as HTTP.
 */
export interface TunnelEnd {
  readonly connection: Connection;
  /** From now on every byte read (first those already read past the HTTP message) goes to `onData`. */
  start(onData: (buffer: IoBuffer, endStream: boolean) => void): void;
}

/** Options of one upstream request. */
export interface NewStreamOptions {
  /** The request asks for an upgrade: it gets a connection of its own, never pooled (HTTP/1 only). */
  upgrade?: boolean;
}

/** The upstream side of one request: the proxy writes the request through it. */
export interface ClientStream extends StreamFlow {
  readonly connection: Connection;
  sendHeaders(head: HttpRequestHead, endStream: boolean): void;
  sendData(chunk: Buffer, endStream: boolean): void;
  /** Trailers end the request (HTTP/1: written only on a chunked request). */
  sendTrailers(trailers: HttpHeaders): void;
  reset(reason: StreamResetReason): void;
  /** After a `101` to an upgrade request: the upstream connection as a raw tunnel (HTTP/1 only). */
  tunnel?(): TunnelEnd | undefined;
}

/** Given to the server stream connection: opens the proxy's side of each new request. */
export interface ServerStreamCallbacks {
  onNewStream(stream: ServerStream): StreamReceiver<HttpRequestHead>;
}

/** Why a pool could not give a stream. */
export type PoolFailureReason = 'connect_failed' | 'connect_timeout' | 'overflow' | 'closed';

export interface PoolCallbacks {
  onReady(stream: ClientStream): void;
  /** `detail`: why a connect failed, when known (a TLS verification error, ECONNREFUSED, ...), for the log. */
  onFailure(reason: PoolFailureReason, detail?: string): void;
}

/** A connection pool to one upstream host. */
export interface ConnectionPool {
  readonly kind: 'http';
  readonly protocol: string;
  /** Open an upstream stream; the response goes to `receiver`. Answers through `callbacks`, maybe synchronously. */
  newStream(receiver: StreamReceiver<HttpResponseHead>, callbacks: PoolCallbacks, options?: NewStreamOptions): PoolHandle;
  /** Active plus idle connections. */
  readonly connectionCount: number;
  readonly activeRequests: number;
  /** Close idle connections now and the others when their requests end. */
  drain(): void;
  close(): void;
}

/** Cancels a request that is still waiting for a connection. */
export interface PoolHandle {
  cancel(): void;
}

export type { InternalStatus };

/**
 * A shared budget (a circuit breaker threshold): `tryAcquire` takes one unit if any is left. Pools take
 * connections and pending-request slots from the cluster's budgets.
 */
export interface ResourceLimit {
  tryAcquire(): boolean;
  release(): void;
}
