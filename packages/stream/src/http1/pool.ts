import { Connection, silentLogger, type Address, type ClientTlsOptions, type Logger } from '@mosn/protocol';
import type { HttpResponseHead } from '../http-headers.js';
import type { ConnectionPool, NewStreamOptions, PoolCallbacks, PoolHandle, ResourceLimit, StreamReceiver } from '../types.js';
import { Http1ClientConnection } from './client.js';

export interface PoolOptions {
  address: Address;
  connectTimeoutMs: number;
  /** Write-buffer limit of each upstream connection (cluster `conn_buffer_limit_bytes`). */
  bufferLimit?: number;
  /** Most connections to this host (each carries one request at a time). */
  maxConnections?: number;
  /** Most requests waiting for a connection when all are busy; past it, 'overflow'. */
  maxPendingRequests?: number;
  /** Close a connection after this many requests (`max_request_per_conn`); 0 means no limit. */
  maxRequestsPerConnection?: number;
  /** Close a pooled connection idle for this long; 0 keeps it. */
  idleTimeoutMs?: number;
  logger?: Logger;
  /** The cluster's connection budget (`circuit_breakers.max_connections`), shared by its hosts' pools. */
  connectionLimit?: ResourceLimit;
  /** The cluster's budget of requests waiting for a connection (`max_pending_requests`). */
  pendingLimit?: ResourceLimit;
  /** TLS to the host (the cluster's `tls_context`); absent: plain TCP. */
  tls?: ClientTlsOptions;
}

interface Pending {
  receiver: StreamReceiver<HttpResponseHead>;
  callbacks: PoolCallbacks;
}

const NOOP_HANDLE: PoolHandle = { cancel() {} };

/**
 * A keep-alive pool of HTTP/1.1 connections to one host. An idle connection is reused (last in, first
 * out); otherwise a new one is dialled, up to `maxConnections`; then requests wait in a bounded queue.
 * A request that would wait in a pool with no connection at all (the cluster's connection budget is held
 * by other hosts' pools) fails with 'overflow' at once.
 */
export class Http1ConnectionPool implements ConnectionPool {
  readonly kind = 'http';
  readonly protocol = 'Http1';
  #o: PoolOptions;
  #idle: Http1ClientConnection[] = [];
  #all = new Set<Http1ClientConnection>();
  #connecting = 0;
  #pending: Pending[] = [];
  #draining = false;
  #log: Logger;

  constructor(options: PoolOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
  }

  get connectionCount(): number {
    return this.#all.size;
  }
  /** Connected connections that are neither idle nor dialling carry one request each. */
  get activeRequests(): number {
    return this.#all.size - this.#idle.length - this.#connecting;
  }

  newStream(receiver: StreamReceiver<HttpResponseHead>, callbacks: PoolCallbacks, options?: NewStreamOptions): PoolHandle {
    if (this.#draining) {
      callbacks.onFailure('closed');
      return NOOP_HANDLE;
    }
    if (options?.upgrade) return this.#dedicated(receiver, callbacks);
    const idle = this.#idle.pop();
    if (idle) {
      this.#attach(idle, { receiver, callbacks });
      return NOOP_HANDLE;
    }
    if (this.#pending.length >= (this.#o.maxPendingRequests ?? 1024) || !(this.#o.pendingLimit?.tryAcquire() ?? true)) {
      callbacks.onFailure('overflow');
      return NOOP_HANDLE;
    }
    const p: Pending = { receiver, callbacks };
    this.#pending.push(p);
    this.#maybeDial();
    if (this.#all.size === 0) {
      // No connection to wait for, and the cluster's max_connections allows none: refuse at once rather
      // than wait for a connection that only another host's pool could give back (Envoy dials anyway).
      this.#pending.pop();
      this.#o.pendingLimit?.release();
      callbacks.onFailure('overflow');
      return NOOP_HANDLE;
    }
    return {
      cancel: () => {
        const i = this.#pending.indexOf(p);
        if (i >= 0) {
          this.#pending.splice(i, 1);
          this.#o.pendingLimit?.release();
        }
      },
    };
  }

  /** The oldest waiting request, its pending slot given back. */
  #nextPending(): Pending | undefined {
    const p = this.#pending.shift();
    if (p) this.#o.pendingLimit?.release();
    return p;
  }

  /**
   * Dial when requests wait for more connections than are being made, within both connection limits (also while
   * draining: the requests that wait were taken before the drain began, and are answered).
   */
  #maybeDial(): void {
    if (this.#pending.length <= this.#connecting) return;
    if (this.#all.size >= (this.#o.maxConnections ?? 1024)) return;
    if (this.#o.connectionLimit && !this.#o.connectionLimit.tryAcquire()) return;
    this.#dial();
  }

  drain(): void {
    this.#draining = true;
    for (const c of this.#idle) c.connection.close('now', 'shutdown');
    this.#idle.length = 0;
  }

  close(): void {
    this.drain();
    for (const c of this.#all) c.connection.close('now', 'shutdown');
    for (let p = this.#nextPending(); p; p = this.#nextPending()) p.callbacks.onFailure('closed');
  }

  #connect(): Connection {
    return Connection.dial(this.#o.address, {
      connectTimeoutMs: this.#o.connectTimeoutMs,
      idleTimeoutMs: this.#o.idleTimeoutMs ?? 0,
      logger: this.#log,
      ...(this.#o.bufferLimit !== undefined ? { bufferLimit: this.#o.bufferLimit } : {}),
      ...(this.#o.tls ? { tls: this.#o.tls } : {}),
    });
  }

  /**
   * A connection of its own for an upgrade request (it may become a tunnel): never idle, never reused,
   * closed when its request ends without a 101. It counts against the cluster's connection budget.
   */
  #dedicated(receiver: StreamReceiver<HttpResponseHead>, callbacks: PoolCallbacks): PoolHandle {
    if (this.#all.size >= (this.#o.maxConnections ?? 1024) || !(this.#o.connectionLimit?.tryAcquire() ?? true)) {
      callbacks.onFailure('overflow');
      return NOOP_HANDLE;
    }
    const conn = this.#connect();
    const client = new Http1ClientConnection(conn, (c) => c.connection.close('now', 'requested'));
    this.#all.add(client);
    let cancelled = false;
    conn.on('event', (ev) => {
      if (ev === 'connected') {
        if (cancelled) conn.close('now', 'requested');
        else callbacks.onReady(client.newStream(receiver));
        return;
      }
      this.#all.delete(client);
      this.#o.connectionLimit?.release();
      if ((ev === 'connect_failed' || ev === 'connect_timeout') && !cancelled) callbacks.onFailure(ev, conn.connectError?.message);
    });
    return {
      cancel: () => {
        cancelled = true;
        if (conn.state === 'connecting') conn.close('now', 'requested');
      },
    };
  }

  #dial(): void {
    this.#connecting++;
    const conn = this.#connect();
    const client = new Http1ClientConnection(conn, (c) => this.#onIdle(c));
    this.#all.add(client);
    let connected = false;
    conn.on('event', (ev) => {
      if (ev === 'connected') {
        connected = true;
        this.#connecting--;
        this.#onIdle(client);
        return;
      }
      if (ev === 'connect_failed' || ev === 'connect_timeout') {
        this.#connecting--;
        this.#all.delete(client);
        this.#o.connectionLimit?.release();
        // The request this dial was for fails; the others wait for connections that may yet come.
        const p = this.#nextPending();
        p?.callbacks.onFailure(ev, conn.connectError?.message);
        this.#maybeDial();
        if (this.#all.size === 0) for (let q = this.#nextPending(); q; q = this.#nextPending()) q.callbacks.onFailure('overflow');
        return;
      }
      // closed
      if (!connected) return;
      this.#all.delete(client);
      this.#o.connectionLimit?.release();
      const i = this.#idle.indexOf(client);
      if (i >= 0) this.#idle.splice(i, 1);
      this.#maybeDial();
      // the last connection went and no other may be made: nothing is left to wait for
      if (this.#all.size === 0) for (let p = this.#nextPending(); p; p = this.#nextPending()) p.callbacks.onFailure('overflow');
    });
  }

  /** A connection is free: give it the oldest waiting request, or keep it idle. */
  #onIdle(c: Http1ClientConnection): void {
    const max = this.#o.maxRequestsPerConnection ?? 0;
    const spent = (max > 0 && c.requests >= max) || !c.reusable || c.connection.state !== 'open';
    // a draining pool still serves the requests that waited before the drain began
    const p = spent ? undefined : this.#nextPending();
    if (p) this.#attach(c, p);
    else if (spent || this.#draining) c.connection.close('now', 'requested'); // its close event dials a replacement if requests wait
    else this.#idle.push(c);
  }

  #attach(c: Http1ClientConnection, p: Pending): void {
    p.callbacks.onReady(c.newStream(p.receiver));
  }
}
