import {
  DecodeError,
  isDecodeError,
  type Connection,
  type DecodeOptions,
  type IoBuffer,
  type XFrame,
  type XProtocolCodec,
} from '@mosn/protocol';
import type { StreamResetReason } from '../types.js';

/** Receives the answer to one upstream RPC request. */
export interface RpcResponseReceiver {
  onResponse(response: XFrame): void;
  /** `detail`: why a connect failed, when known (a TLS verification error, ECONNREFUSED, ...), for the log. */
  onReset(reason: StreamResetReason, detail?: string): void;
}

export interface KeepaliveOptions {
  /** Send a heartbeat after this long without a frame read; 0 disables. */
  intervalMs: number;
  /** A heartbeat unanswered this long counts as missed. */
  timeoutMs: number;
  /** Close the connection after this many missed heartbeats in a row. */
  maxFailures: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 15_000, timeoutMs: 3_000, maxFailures: 3 };

/**
 * The upstream side of an RPC connection over a codec. Each request gets a fresh per-connection id; the
 * response comes back to its receiver by that id. Idle connections send heartbeats and close after
 * too many go unanswered; a GoAway from the server drains the connection.
 */
export class XClientConnection {
  readonly connection: Connection;
  readonly codec: XProtocolCodec;
  #calls = new Map<number, RpcResponseReceiver>();
  /** Ids of the heartbeat requests in `#calls`, oldest first (see `#onFrame`). */
  #heartbeatCalls = new Set<number>();
  #nextId = 1;
  #decodeOptions: DecodeOptions;
  #keepalive: KeepaliveOptions;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #heartbeatId = 0;
  #heartbeatSentAt = 0;
  #failures = 0;
  #readSinceTick = false;
  #lastRead = Date.now();
  #draining = false;
  #onDrained: ((c: XClientConnection) => void) | undefined;

  constructor(connection: Connection, codec: XProtocolCodec, options: { maxFrameSize: number; keepalive?: KeepaliveOptions; onDrained?: (c: XClientConnection) => void }) {
    this.connection = connection;
    this.codec = codec;
    this.#decodeOptions = { maxFrameSize: options.maxFrameSize };
    this.#keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
    this.#onDrained = options.onDrained;
    connection.addReadFilter({
      onData: (buffer, _end) => {
        this.#onData(buffer);
        return 'stop';
      },
    });
    connection.on('event', (ev) => {
      if (ev === 'remote_close' || ev === 'local_close') this.#onClose();
    });
  }

  /** Start reading and heartbeating (once connected). */
  start(): void {
    this.connection.initializeReadFilters();
    const k = this.#keepalive;
    if (k.intervalMs > 0 && this.codec.heartbeatTrigger) {
      this.#keepaliveTimer = setInterval(() => this.#tick(), Math.min(k.intervalMs, k.timeoutMs));
      this.#keepaliveTimer.unref();
    }
  }

  /** Requests waiting for their response. */
  get pending(): number {
    return this.#calls.size;
  }

  /** True after a GoAway: no new requests; closes once the last response is in. */
  get draining(): boolean {
    return this.#draining;
  }

  get usable(): boolean {
    return !this.#draining && this.connection.state === 'open';
  }

  /**
   * Send `request` with a fresh id. A one-way request has no receiver and no entry. Returns the id used
   * (for `cancel`).
   */
  send(request: XFrame, receiver: RpcResponseReceiver | undefined): number {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xfffffffe ? 1 : this.#nextId + 1;
    let bytes: Buffer[];
    try {
      bytes = this.codec.encode(this.codec.withRequestId(request, id));
    } catch (e) {
      // A frame the codec cannot write fails alone; the connection and its other requests go on.
      this.connection.log.warn({ error: (e as Error).message }, 'cannot encode a request');
      receiver?.onReset('protocol_error');
      return id;
    }
    if (receiver && !request.isOneWay()) {
      this.#calls.set(id, receiver);
      if (request.isHeartbeat()) this.#heartbeatCalls.add(id);
    }
    this.connection.writeAll(bytes);
    return id;
  }

  /** Forget a request (its caller gave up): a late response is dropped. */
  cancel(id: number): void {
    this.#calls.delete(id);
    this.#heartbeatCalls.delete(id);
    this.#maybeDrained();
  }

  #onData(buffer: IoBuffer): void {
    this.#readSinceTick = true;
    while (buffer.length > 0) {
      const before = buffer.length;
      let frame: XFrame | DecodeError | undefined;
      try {
        frame = this.codec.decode(buffer, this.#decodeOptions);
      } catch (e) {
        frame = new DecodeError(`codec ${this.codec.name} threw: ${(e as Error).message}`);
      }
      if (frame === undefined) return;
      if (isDecodeError(frame) || buffer.length === before) {
        const error = isDecodeError(frame) ? frame.message : 'a frame without consuming bytes';
        this.connection.log.warn({ error }, 'bad frame from upstream; closing the connection');
        buffer.clear();
        this.connection.close('now', 'protocol_error');
        return;
      }
      this.#onFrame(frame);
    }
  }

  #onFrame(frame: XFrame): void {
    if (frame.kind === 'response') {
      let id = frame.requestId;
      // A heartbeat answer whose id matches nothing answers the oldest heartbeat in flight: some servers
      // answer every heartbeat with id 0 (apache-dubbo-service), and any heartbeat answer shows the peer alive.
      const keepaliveAnswer = id === this.#heartbeatId && id !== 0;
      if (!keepaliveAnswer && frame.isHeartbeat() && !this.#calls.has(id)) id = this.#oldestHeartbeat() ?? id;
      if (id === this.#heartbeatId && id !== 0) {
        this.#heartbeatId = 0;
        this.#failures = 0;
        return;
      }
      const r = this.#calls.get(id);
      if (r === undefined) return; // cancelled, or never ours
      this.#calls.delete(id);
      this.#heartbeatCalls.delete(id);
      r.onResponse(frame);
      this.#maybeDrained();
      return;
    }
    if (frame.isGoAway?.()) {
      this.#draining = true;
      this.#maybeDrained();
      return;
    }
    if (frame.isHeartbeat()) {
      const reply = this.codec.heartbeatReply?.(frame);
      if (reply) {
        try {
          this.connection.write(...this.codec.encode(reply));
        } catch (e) {
          this.connection.log.warn({ error: (e as Error).message }, 'cannot encode a heartbeat reply');
        }
      }
    }
  }

  /** The id of the oldest heartbeat waiting for its answer: the keepalive's, or one sent with a receiver. */
  #oldestHeartbeat(): number | undefined {
    if (this.#heartbeatId !== 0) return this.#heartbeatId;
    for (const id of this.#heartbeatCalls) return id;
    return undefined;
  }

  #tick(): void {
    const k = this.#keepalive;
    const now = Date.now();
    if (this.#heartbeatId !== 0) {
      if (now - this.#heartbeatSentAt < k.timeoutMs) return;
      this.#heartbeatId = 0;
      if (++this.#failures >= k.maxFailures) {
        this.connection.log.warn({ failures: this.#failures }, 'upstream missed heartbeats; closing the connection');
        this.connection.close('now', 'idle_timeout');
        return;
      }
    }
    if (this.#readSinceTick) {
      this.#readSinceTick = false;
      this.#lastRead = now;
      return;
    }
    if (now - this.#lastRead < k.intervalMs) return;
    this.#heartbeatSentAt = now;
    const id = this.send(this.codec.heartbeatTrigger!(0), undefined);
    this.#heartbeatId = id;
  }

  #maybeDrained(): void {
    if (this.#draining && this.#calls.size === 0) {
      this.connection.close('flush', 'requested');
      this.#onDrained?.(this);
    }
  }

  #onClose(): void {
    if (this.#keepaliveTimer) clearInterval(this.#keepaliveTimer);
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    this.#heartbeatCalls.clear();
    for (const r of calls) r.onReset('connection_termination');
  }
}
