import type { IoBuffer } from '@mosn/net';
import type { HeaderMap } from './header-map.js';
import type { MatchResult } from './matcher.js';
import type { InternalStatus } from './status.js';

/**
 * The contract every request/response RPC protocol implements ("xprotocol" in MOSN). A codec is a
 * plain object: small capabilities composed into one (matcher + decoder + encoder + multiplexing +
 * heartbeat + hijack + status mapping), checked with `satisfies XProtocolCodec<MyFrame>`.
 */

/** One decoded frame: a request or a response. The body stays opaque bytes. */
export interface XFrame {
  readonly kind: 'request' | 'response';
  /** The frame's request id as the peer sent it. */
  readonly requestId: number;
  /** Routing metadata (Bolt's header map, Dubbo's service/method, ...). */
  readonly header: HeaderMap;
  /** Opaque body bytes, never decoded on the hot path. */
  readonly body: Buffer;
  /** The protocol's response status (responses only). */
  readonly status?: number;
  /** The frame's own timeout in milliseconds (0 when it carries none). */
  readonly timeoutMs?: number;
  isHeartbeat(): boolean;
  /** A request that expects no response. */
  isOneWay(): boolean;
  /** A server's GoAway: drain this connection. */
  isGoAway?(): boolean;
  /**
   * Set when the frame is forwardable but its routing fields cannot be read (e.g. a Dubbo body in a
   * serialization mosn does not read): a request no route matches is then answered with a codec error
   * carrying this reason, instead of "no route".
   */
  readonly routingError?: string | undefined;
}

const DECODE_ERROR = Symbol.for('mosn.protocol.DecodeError');

/**
 * Why a decoder could not decode. `requestId` is set when the id was read before the error. Recognised by
 * a global brand, not `instanceof`: a plugin that bundles its own copy of this package still works.
 */
export class DecodeError {
  readonly message: string;
  readonly requestId: number | undefined;
  readonly [DECODE_ERROR] = true;
  constructor(message: string, requestId?: number) {
    this.message = message;
    this.requestId = requestId;
  }
}

export interface DecodeOptions {
  /** Frames larger than this are a decode error, not a wait for more bytes. */
  maxFrameSize: number;
}

export interface XProtocolCodec<F extends XFrame = XFrame> {
  /** The protocol's config name (`bolt`, `dubbo`, ...). */
  readonly name: string;
  /** Older names a config may use (`SofaRpc` for `bolt`). */
  readonly aliases?: readonly string[];
  /** Recognise the protocol from the first bytes of a connection. */
  match(buffer: IoBuffer): MatchResult;
  /**
   * Take one frame off the front of the buffer. Returns the frame, `undefined` when more bytes are
   * needed (nothing consumed), or a DecodeError. Never throws on bad bytes.
   */
  decode(buffer: IoBuffer, options: DecodeOptions): F | undefined | DecodeError;
  /** The frame's bytes with its current request id; an unchanged frame patches the id into its original bytes. */
  encode(frame: F): Buffer[];
  /** The same frame with another request id (the stream layer's per-connection ids). */
  withRequestId(frame: F, requestId: number): F;
  /** A heartbeat request to keep an idle upstream connection alive; absent if the protocol has none. */
  heartbeatTrigger?(requestId: number): F;
  /** The answer to a heartbeat request. */
  heartbeatReply?(request: F): F;
  /** A protocol-native error response to `request` for an internal status ("hijack"). */
  hijack(request: F, status: InternalStatus, message?: string): F;
  /** The HTTP status for a protocol response status (metrics and access logs). */
  mapStatusToHttp(status: number): number;
  /** A GoAway frame to send downstream on graceful shutdown, if the protocol has one. */
  goAway?(): F;
}

export function isDecodeError(x: unknown): x is DecodeError {
  return typeof x === 'object' && x !== null && (x as { [DECODE_ERROR]?: unknown })[DECODE_ERROR] === true;
}
