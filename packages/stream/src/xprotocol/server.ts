import {
  DecodeError,
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
/** How soon a hand-off waiting for the kernel to take the last answer is tried again. */
const HAND_OFF_RETRY_MS = 10;

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
  /** Draining for a hot upgrade: reading stopped at a frame boundary; the connection goes once nothing is in flight. */
  #handingOff = false;
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
      const before = buffer.length;
      let frame: XFrame | DecodeError | undefined;
      try {
        frame = codec.decode(buffer, this.#decodeOptions);
      } catch (e) {
        // A codec must never throw; if a plug-in one does, only this connection pays for it.
        frame = new DecodeError(`codec ${codec.name} threw: ${(e as Error).message}`);
      }
      if (frame === undefined) return;
      if (isDecodeError(frame) || buffer.length === before) {
        this.#onProtocolError?.(isDecodeError(frame) ? frame.message : `codec ${codec.name} returned a frame without consuming bytes`);
        buffer.clear();
        this.connection.close('now', 'protocol_error');
        return;
      }
      this.#onFrame(frame);
      if (!this.connection.readEnabled) return;
    }
    if (this.#draining && !this.#handingOff) this.#stopReadingForHandOff();
  }

  /** Encode and write, closing this connection if the codec fails (a frame it cannot write). */
  #write(frame: XFrame): void {
    let bytes: Buffer[];
    try {
      bytes = this.codec.encode(frame);
    } catch (e) {
      this.#onProtocolError?.(`codec ${this.codec.name} cannot encode: ${(e as Error).message}`);
      this.connection.close('now', 'protocol_error');
      return;
    }
    this.connection.writeAll(bytes);
  }

  #onFrame(frame: XFrame): void {
    if (frame.kind !== 'request') return; // a response from a client: nothing asked for it
    if (frame.isHeartbeat()) {
      const reply = this.codec.heartbeatReply?.(frame);
      if (reply) this.#write(reply);
      return;
    }
    if (!frame.isOneWay()) {
      if (this.#inflight >= this.#maxInflight) {
        this.localReply(frame, 'upstream_overflow', 'too many requests in flight on this connection');
        return;
      }
      this.#inflight++;
    }
    try {
      this.#callbacks.onRequest(frame, this);
    } catch (e) {
      // e.g. a plug-in codec's header map that cannot read the body a route asked about
      this.#onProtocolError?.(`cannot handle a ${this.codec.name} request: ${(e as Error).message}`);
      this.localReply(frame, 'codec_error', (e as Error).message);
    }
  }

  /** Write `response` back as the answer to `request` (with the request's id). */
  respond(request: XFrame, response: XFrame): void {
    // written before the request counts as done: a draining connection closes (flushing) once the last is done
    if (!this.#closed) this.#write(response.requestId === request.requestId ? response : this.codec.withRequestId(response, request.requestId));
    this.#done(request);
  }

  /** Answer `request` in the protocol's own terms for an internal status (no route, timeout, ...). */
  localReply(request: XFrame, status: InternalStatus, message?: string): void {
    if (!this.#closed && !request.isOneWay()) this.#write(this.codec.hijack(request, status, message));
    this.#done(request);
  }

  /** A one-way request, or one whose answer will never come (downstream gone), is finished. */
  #done(request: XFrame): void {
    if (!request.isOneWay() && this.#inflight > 0) this.#inflight--;
    if (this.#draining && this.#inflight === 0) this.#drained();
  }

  /** Graceful shutdown: tell the client (GoAway, where the protocol has one), close once nothing is in flight. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    const goAway = this.#sendGoAway ? this.codec.goAway?.() : undefined;
    if (goAway) this.#write(goAway);
    this.#stopReadingForHandOff();
    if (this.#inflight === 0) this.#drained();
  }

  /**
   * In a hot upgrade, requests that come while the answers in flight finish wait in the kernel for the new process:
   * reading stops once the read buffer holds no part of a frame.
   */
  #stopReadingForHandOff(): void {
    if (this.#handingOff || this.#sendGoAway || this.connection.readBuffer.length > 0 || !this.connection.canHandOff) return;
    this.#handingOff = true;
    this.connection.readDisable(true);
  }

  /**
   * Nothing in flight on a draining connection: in a hot upgrade it goes, open, to the new process (its client sees
   * nothing: most RPC clients cannot be told to reconnect); else it closes.
   */
  #drained(): void {
    if (!this.#sendGoAway) {
      // part of a request already came: it is served first (this runs again when it is answered)
      if (this.connection.readBuffer.length > 0 || this.connection.handOff()) return;
      // the last answer is still being taken by the kernel: the hand-off is tried again (graceful_timeout bounds it)
      if (this.#handingOff && this.connection.canHandOff) {
        setTimeout(() => {
          if (!this.#closed && this.#inflight === 0) this.#drained();
        }, HAND_OFF_RETRY_MS);
        return;
      }
    }
    this.connection.close('flush', 'shutdown');
  }
}
