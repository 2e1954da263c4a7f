import { silentLogger, type Logger } from '@mosn/protocol';
import type { HttpResponseHead } from '../http-headers.js';
import type { PoolOptions } from '../http1/pool.js';
import type { ConnectionPool, PoolCallbacks, PoolFailureReason, PoolHandle, StreamReceiver } from '../types.js';
import { Http2ClientConnection, type Http2ClientEvents } from './client.js';
import type { Http2Options } from './settings.js';

/**
 * The HTTP/1 pool's options, read for HTTP/2: `maxConnections` counts sessions (default 1, each carrying
 * up to the server's SETTINGS_MAX_CONCURRENT_STREAMS), `maxRequestsPerConnection` streams per session.
 * Buffers are bounded per stream by flow control, so there is no `bufferLimit`.
 */
export type Http2PoolOptions = Omit<PoolOptions, 'bufferLimit'> & Http2Options;

interface Pending {
  receiver: StreamReceiver<HttpResponseHead>;
  callbacks: PoolCallbacks;
  timer: NodeJS.Timeout;
}

const NOOP_HANDLE: PoolHandle = { cancel() {} };

/**
 * A pool of multiplexed h2c sessions to one host: one session normally; a new one is dialled when it
 * fails, when the server sends GOAWAY (the old one drains: no new streams, the ones in flight finish) or
 * when every session is at the server's stream limit and `maxConnections` allows more. A request waits
 * for a session at most the connect timeout. The cluster's budgets (`connectionLimit`, `pendingLimit`)
 * bound sessions and waiting requests as in the HTTP/1 pool.
 */
export class Http2ConnectionPool implements ConnectionPool {
  readonly kind = 'http';
  readonly protocol = 'Http2';
  #o: Http2PoolOptions;
  #log: Logger;
  #clients = new Set<Http2ClientConnection>();
  #pending: Pending[] = [];
  #draining = false;
  #events: Http2ClientEvents = {
    onReady: () => this.#dispatch(),
    onStreamDone: (c) => {
      const max = this.#o.maxRequestsPerConnection ?? 0;
      if (max > 0 && c.requests >= max) c.drain();
      this.#dispatch();
    },
    onGoaway: () => this.#dispatch(),
    onConnectFailed: (c, reason) => {
      this.#remove(c);
      // The requests waited for this session; unless another can take them, they fail now.
      if (!this.#dialing()) this.#failPending(reason, c.connection.connectError?.message);
      this.#dispatch();
    },
    onClosed: (c) => {
      this.#remove(c);
      this.#dispatch();
    },
  };

  constructor(options: Http2PoolOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
  }

  get connectionCount(): number {
    return this.#clients.size;
  }
  get activeRequests(): number {
    let n = 0;
    for (const c of this.#clients) n += c.activeStreams;
    return n;
  }

  newStream(receiver: StreamReceiver<HttpResponseHead>, callbacks: PoolCallbacks): PoolHandle {
    if (this.#draining) {
      callbacks.onFailure('closed');
      return NOOP_HANDLE;
    }
    const c = this.#available();
    if (c && this.#pending.length === 0) {
      callbacks.onReady(c.newStream(receiver));
      return NOOP_HANDLE;
    }
    if (this.#pending.length >= (this.#o.maxPendingRequests ?? 1024) || !(this.#o.pendingLimit?.tryAcquire() ?? true)) {
      callbacks.onFailure('overflow');
      return NOOP_HANDLE;
    }
    const p: Pending = {
      receiver,
      callbacks,
      timer: setTimeout(() => this.#fail(p, 'connect_timeout'), this.#o.connectTimeoutMs),
    };
    this.#pending.push(p);
    this.#dispatch();
    return {
      cancel: () => {
        const i = this.#pending.indexOf(p);
        if (i < 0) return;
        this.#pending.splice(i, 1);
        clearTimeout(p.timer);
        this.#o.pendingLimit?.release();
      },
    };
  }

  /** No new requests; sessions drain (GOAWAY) once the requests that already wait for one have theirs. */
  drain(): void {
    this.#draining = true;
    this.#drainSessionsWhenNoneWaits();
  }

  #drainSessionsWhenNoneWaits(): void {
    if (this.#draining && this.#pending.length === 0) for (const c of this.#clients) c.drain();
  }

  close(): void {
    this.#draining = true;
    this.#failPending('closed');
    for (const c of [...this.#clients]) {
      this.#remove(c);
      c.close();
    }
  }

  /** Give waiting requests to sessions with room; dial when none has room and none is on its way. */
  #dispatch(): void {
    while (this.#pending.length > 0) {
      const c = this.#available();
      if (!c) break;
      const p = this.#pending.shift()!;
      clearTimeout(p.timer);
      this.#o.pendingLimit?.release();
      p.callbacks.onReady(c.newStream(p.receiver));
    }
    this.#drainSessionsWhenNoneWaits();
    if (this.#pending.length === 0 || this.#dialing()) return;
    let open = 0;
    for (const c of this.#clients) if (c.state === 'ready') open++;
    if (open >= (this.#o.maxConnections ?? 1)) return;
    if (this.#o.connectionLimit && !this.#o.connectionLimit.tryAcquire()) {
      // the cluster's max_connections is held by other pools: with no session of its own to wait for, refuse
      if (this.#clients.size === 0) this.#failPending('overflow');
      return;
    }
    this.#dial();
  }

  /** Forget a session (once), giving its unit of the cluster's connection budget back. */
  #remove(c: Http2ClientConnection): void {
    if (this.#clients.delete(c)) this.#o.connectionLimit?.release();
  }

  #available(): Http2ClientConnection | undefined {
    for (const c of this.#clients) if (c.hasCapacity) return c;
    return undefined;
  }

  #dialing(): boolean {
    for (const c of this.#clients) if (c.state === 'connecting') return true;
    return false;
  }

  #dial(): void {
    const o = this.#o;
    const c = new Http2ClientConnection(
      {
        address: o.address,
        connectTimeoutMs: o.connectTimeoutMs,
        logger: this.#log,
        ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
        ...(o.maxHeaderSize !== undefined ? { maxHeaderSize: o.maxHeaderSize } : {}),
        ...(o.initialWindowSize !== undefined ? { initialWindowSize: o.initialWindowSize } : {}),
        ...(o.connectionWindowSize !== undefined ? { connectionWindowSize: o.connectionWindowSize } : {}),
        ...(o.tls ? { tls: o.tls } : {}),
      },
      this.#events,
    );
    this.#clients.add(c);
  }

  #fail(p: Pending, reason: PoolFailureReason): void {
    const i = this.#pending.indexOf(p);
    if (i < 0) return;
    this.#pending.splice(i, 1);
    clearTimeout(p.timer);
    this.#o.pendingLimit?.release();
    p.callbacks.onFailure(reason);
    this.#drainSessionsWhenNoneWaits();
  }

  #failPending(reason: PoolFailureReason, detail?: string): void {
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      this.#o.pendingLimit?.release();
      p.callbacks.onFailure(reason, detail);
    }
  }
}
