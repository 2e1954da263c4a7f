import { Connection, silentLogger, type Address, type ClientTlsOptions, type Logger, type XFrame, type XProtocolCodec } from '@mosn/protocol';
import type { ResourceLimit, StreamResetReason } from '../types.js';
import { DEFAULT_MAX_FRAME_SIZE } from './server.js';
import { XClientConnection, type KeepaliveOptions, type RpcResponseReceiver } from './client.js';

export interface XPoolOptions {
  address: Address;
  /** TLS to the host (the cluster's `tls_context`); absent: plain TCP. */
  tls?: ClientTlsOptions;
  codec: XProtocolCodec;
  connectTimeoutMs: number;
  /** Connections to this host; requests are spread over them. Default 1: every request multiplexed on one. */
  maxConnections?: number;
  /** Requests waiting for a connection; past it, 'overflow'. */
  maxPendingRequests?: number;
  maxFrameSize?: number;
  keepalive?: KeepaliveOptions;
  bufferLimit?: number;
  logger?: Logger;
  /** The cluster's connection budget (`circuit_breakers.max_connections`). */
  connectionLimit?: ResourceLimit;
  /** The cluster's budget of requests waiting for a connection (`max_pending_requests`). */
  pendingLimit?: ResourceLimit;
}

/** Lets a caller give up on a request: the late response is dropped. */
export interface RpcCallHandle {
  cancel(): void;
}

interface Waiting {
  request: XFrame;
  receiver: RpcResponseReceiver;
  handle: { cancelled: boolean; conn: XClientConnection | undefined; id: number };
}

const DONE: RpcCallHandle = { cancel() {} };

/** The handle of a request sent on a connection (one small object, no closure). */
class SentCall implements RpcCallHandle {
  readonly #conn: XClientConnection;
  readonly #id: number;
  constructor(conn: XClientConnection, id: number) {
    this.#conn = conn;
    this.#id = id;
  }
  cancel(): void {
    this.#conn.cancel(this.#id);
  }
}

/**
 * A multiplexing pool to one host: many downstream requests share few upstream connections (default one).
 * A request waits for a connection at most as long as the connect timeout: if the dial fails, every
 * waiting request is reset. A closed connection is replaced on the next request.
 */
export class XConnectionPool {
  readonly kind = 'rpc';
  readonly protocol: string;
  #o: XPoolOptions;
  #ready: XClientConnection[] = [];
  #connecting = 0;
  #waiting: Waiting[] = [];
  #next = 0;
  #closed = false;
  /** No new requests; the ones already waiting for a connection still get one. */
  #draining = false;
  #log: Logger;

  constructor(options: XPoolOptions) {
    this.#o = options;
    this.protocol = options.codec.name;
    this.#log = options.logger ?? silentLogger;
  }

  get connectionCount(): number {
    return this.#ready.length + this.#connecting;
  }

  get activeRequests(): number {
    let n = 0;
    for (const c of this.#ready) n += c.pending;
    return n + this.#waiting.length;
  }

  /** Send a request; the answer (or a reset) goes to `receiver`. */
  send(request: XFrame, receiver: RpcResponseReceiver): RpcCallHandle {
    if (this.#closed || this.#draining) {
      receiver.onReset('connection_failure');
      return DONE;
    }
    const conn = this.#pick();
    if (conn) {
      if (request.isOneWay()) {
        conn.send(request, undefined);
        return DONE;
      }
      return new SentCall(conn, conn.send(request, receiver));
    }
    if (this.#waiting.length >= (this.#o.maxPendingRequests ?? 10_000) || !(this.#o.pendingLimit?.tryAcquire() ?? true)) {
      receiver.onReset('overflow');
      return DONE;
    }
    const w: Waiting = { request, receiver, handle: { cancelled: false, conn: undefined, id: 0 } };
    this.#waiting.push(w);
    if (this.#connecting === 0 && !this.#dial()) {
      // no connection and none may be made (the cluster's max_connections is used up)
      this.#waiting.pop();
      this.#o.pendingLimit?.release();
      receiver.onReset('overflow');
      return DONE;
    }
    return {
      cancel: () => {
        w.handle.cancelled = true;
        if (w.handle.conn) w.handle.conn.cancel(w.handle.id);
      },
    };
  }

  /** A usable connection, round robin; dials another while below maxConnections. */
  #pick(): XClientConnection | undefined {
    const ready = this.#ready;
    if (ready.length > 0 && ready.length + this.#connecting < (this.#o.maxConnections ?? 1)) this.#dial();
    for (let i = 0; i < ready.length; i++) {
      const c = ready[(this.#next++ & 0x7fffffff) % ready.length]!;
      if (c.usable) return c;
    }
    return undefined;
  }

  /** Dial a connection if the cluster's budget allows; false when it does not. */
  #dial(): boolean {
    const o = this.#o;
    if (o.connectionLimit && !o.connectionLimit.tryAcquire()) return false;
    this.#connecting++;
    const conn = Connection.dial(o.address, {
      connectTimeoutMs: o.connectTimeoutMs,
      logger: this.#log,
      ...(o.bufferLimit !== undefined ? { bufferLimit: o.bufferLimit } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
    });
    const client = new XClientConnection(conn, o.codec, {
      maxFrameSize: o.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      ...(o.keepalive ? { keepalive: o.keepalive } : {}),
      onDrained: (c) => this.#remove(c),
    });
    conn.on('event', (ev) => {
      if (ev === 'connected') {
        this.#connecting--;
        if (this.#closed) return conn.close('now', 'shutdown');
        client.start();
        this.#ready.push(client);
        this.#flushWaiting();
        if (this.#draining) this.#closeIdle();
        return;
      }
      if (ev === 'connect_failed' || ev === 'connect_timeout') {
        this.#connecting--;
        o.connectionLimit?.release();
        this.#log.debug({ event: ev }, 'upstream connect failed');
        // Nobody waits longer than one connect attempt.
        if (this.#connecting === 0 && this.#ready.length === 0) this.#failWaiting('connection_failure', conn.connectError?.message);
        return;
      }
      o.connectionLimit?.release();
      this.#remove(client);
    });
    return true;
  }

  #failWaiting(reason: StreamResetReason, detail?: string): void {
    for (const w of this.#waiting.splice(0)) {
      this.#o.pendingLimit?.release();
      if (!w.handle.cancelled) w.receiver.onReset(reason, detail);
    }
  }

  #flushWaiting(): void {
    const waiting = this.#waiting.splice(0);
    for (const w of waiting) {
      this.#o.pendingLimit?.release();
      if (w.handle.cancelled) continue;
      const conn = this.#pick();
      if (!conn) {
        this.#o.pendingLimit?.tryAcquire(); // still waiting: it keeps its slot
        this.#waiting.push(w);
        continue;
      }
      if (w.request.isOneWay()) conn.send(w.request, undefined);
      else {
        w.handle.conn = conn;
        w.handle.id = conn.send(w.request, w.receiver);
      }
    }
  }

  #remove(c: XClientConnection): void {
    const i = this.#ready.indexOf(c);
    if (i >= 0) this.#ready.splice(i, 1);
    if (this.#waiting.length > 0 && this.#connecting === 0 && !this.#closed && !this.#dial()) this.#failWaiting('overflow');
  }

  /**
   * No new requests: idle connections close now, busy ones when asked again after their answers came (the cluster
   * asks). Requests that already wait for a connection being dialled are still sent and answered.
   */
  drain(): void {
    this.#draining = true;
    this.#closeIdle();
  }

  #closeIdle(): void {
    if (this.#waiting.length > 0) return;
    for (const c of this.#ready) if (c.pending === 0) c.connection.close('flush', 'shutdown');
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#ready.splice(0)) c.connection.close('now', 'shutdown');
    this.#failWaiting('connection_failure');
  }
}
