import {
  isDecodeError,
  type Connection,
  type DecodeOptions,
  type InternalStatus,
  type IoBuffer,
  type XFrame,
  type XProtocolCodec,
} from '@mosn/protocol';

export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_INFLIGHT = 10_000;

export interface XServerOptions {
  /** Frames larger than this are a protocol error (`extend_config.max_frame_size`). */
  maxFrameSize?: number;
  /** Requests in flight on one downstream connection; past it a request gets the overflow answer. */
  maxInflight?: number;
  /** Told of every protocol error before the connection is closed (logs, stats). */
  onProtocolError?: (message: string) => void;
  /** Send the protocol's GoAway to the client on graceful shutdown (`enable_bolt_goaway`). */
  goAway?: boolean;
}

/** Receives the requests of a downstream RPC connection. */
export interface XServerCallbacks {
  /** A request (one-way or not). Answer with `server.respond` or `server.localReply`. */
  onRequest(request: XFrame, server: XServerConnection): void;
}

/**
 * The downstream side of an RPC connection over a codec: frames are decoded from the connection's buffer,
 * heartbeats answered here (never forwarded), and each request handed on. Responses go back with the
 * downstream's own request id, in whatever order they come.
 */
export class XServerConnection {
  readonly connection: Connection;
  readonly codec: XProtocolCodec;
  #callbacks: XServerCallbacks;
  #decodeOptions: DecodeOptions;
  #maxInflight: number;
  #onProtocolError: ((message: string) => void) | undefined;
  #inflight = 0;
  #draining = false;
  #closed = false;
  #sendGoAway: boolean;

  constructor(connection: Connection, codec: XProtocolCodec, callbacks: XServerCallbacks, options: XServerOptions = {}) {
    this.connection = connection;
    this.codec = codec;
    this.#callbacks = callbacks;
    this.#decodeOptions = { maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE };
    this.#maxInflight = options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.#onProtocolError = options.onProtocolError;
    this.#sendGoAway = options.goAway ?? false;
    // A client that does not read its responses cannot send more requests: its own writes pause its reads.
    connection.on('high_watermark', () => connection.readDisable(true));
    connection.on('low_watermark', () => connection.readDisable(false));
    connection.on('event', (ev) => {
      if (ev === 'local_close' || ev === 'remote_close') this.#closed = true;
    });
    connection.onDrain = () => this.drain();
  }

  get protocol(): string {
    return this.codec.name;
  }

  get inflight(): number {
    return this.#inflight;
  }

  onData(buffer: IoBuffer, _endStream: boolean): void {
    const codec = this.codec;
    while (buffer.length > 0 && !this.#closed) {
      const frame = codec.decode(buffer, this.#decodeOptions);
      if (frame === undefined) return;
      if (isDecodeError(frame)) {
        this.#onProtocolError?.(frame.message);
        buffer.clear();
        this.connection.close('now', 'protocol_error');
        return;
      }
      this.#onFrame(frame);
      if (!this.connection.readEnabled) return;
    }
  }

  #onFrame(frame: XFrame): void {
    if (frame.kind !== 'request') return; // a response from a client: nothing asked for it
    if (frame.isHeartbeat()) {
      const reply = this.codec.heartbeatReply?.(frame);
      if (reply) this.connection.write(...this.codec.encode(reply));
      return;
    }
    if (!frame.isOneWay()) {
      if (this.#inflight >= this.#maxInflight) {
        this.localReply(frame, 'upstream_overflow', 'too many requests in flight on this connection');
        return;
      }
      this.#inflight++;
    }
    this.#callbacks.onRequest(frame, this);
  }

  /** Write `response` back as the answer to `request` (with the request's id). */
  respond(request: XFrame, response: XFrame): void {
    this.#done(request);
    if (this.#closed) return;
    const r = response.requestId === request.requestId ? response : this.codec.withRequestId(response, request.requestId);
    this.connection.write(...this.codec.encode(r));
  }

  /** Answer `request` in the protocol's own terms for an internal status (no route, timeout, ...). */
  localReply(request: XFrame, status: InternalStatus, message?: string): void {
    this.#done(request);
    if (this.#closed || request.isOneWay()) return;
    this.connection.write(...this.codec.encode(this.codec.hijack(request, status, message)));
  }

  /** A one-way request, or one whose answer will never come (downstream gone), is finished. */
  #done(request: XFrame): void {
    if (!request.isOneWay() && this.#inflight > 0) this.#inflight--;
    if (this.#draining && this.#inflight === 0) this.connection.close('flush', 'shutdown');
  }

  /** Graceful shutdown: tell the client (GoAway, where the protocol has one), close once nothing is in flight. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    const goAway = this.#sendGoAway ? this.codec.goAway?.() : undefined;
    if (goAway) this.connection.write(...this.codec.encode(goAway));
    if (this.#inflight === 0) this.connection.close('flush', 'shutdown');
  }
}
