import { Connection, silentLogger, type Address, type Logger } from '@mosn/protocol';
import type { HttpResponseHead } from '../http-headers.js';
import type { ConnectionPool, PoolCallbacks, PoolHandle, StreamReceiver } from '../types.js';
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
}

interface Pending {
  receiver: StreamReceiver<HttpResponseHead>;
  callbacks: PoolCallbacks;
}

const NOOP_HANDLE: PoolHandle = { cancel() {} };

/**
 * A keep-alive pool of HTTP/1.1 connections to one host. An idle connection is reused (last in, first
 * out); otherwise a new one is dialled, up to `maxConnections`; then requests wait in a bounded queue.
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

  newStream(receiver: StreamReceiver<HttpResponseHead>, callbacks: PoolCallbacks): PoolHandle {
    if (this.#draining) {
      callbacks.onFailure('closed');
      return NOOP_HANDLE;
    }
    const idle = this.#idle.pop();
    if (idle) {
      this.#attach(idle, { receiver, callbacks });
      return NOOP_HANDLE;
    }
    if (this.#pending.length >= (this.#o.maxPendingRequests ?? 1024)) {
      callbacks.onFailure('overflow');
      return NOOP_HANDLE;
    }
    const p: Pending = { receiver, callbacks };
    this.#pending.push(p);
    if (this.#all.size < (this.#o.maxConnections ?? 1024) && this.#connecting < this.#pending.length) this.#dial();
    return {
      cancel: () => {
        const i = this.#pending.indexOf(p);
        if (i >= 0) this.#pending.splice(i, 1);
      },
    };
  }

  drain(): void {
    this.#draining = true;
    for (const c of this.#idle) c.connection.close('now', 'shutdown');
    this.#idle.length = 0;
  }

  close(): void {
    this.drain();
    for (const c of this.#all) c.connection.close('now', 'shutdown');
    for (const p of this.#pending.splice(0)) p.callbacks.onFailure('closed');
  }

  #dial(): void {
    this.#connecting++;
    const conn = Connection.dial(this.#o.address, {
      connectTimeoutMs: this.#o.connectTimeoutMs,
      idleTimeoutMs: this.#o.idleTimeoutMs ?? 0,
      logger: this.#log,
      ...(this.#o.bufferLimit !== undefined ? { bufferLimit: this.#o.bufferLimit } : {}),
    });
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
        // The request this dial was for fails; the others wait for connections that may yet come.
        const p = this.#pending.shift();
        p?.callbacks.onFailure(ev);
        return;
      }
      // closed
      if (!connected) return;
      this.#all.delete(client);
      const i = this.#idle.indexOf(client);
      if (i >= 0) this.#idle.splice(i, 1);
      if (this.#pending.length > this.#connecting && !this.#draining) this.#dial();
    });
  }

  /** A connection is free: give it the oldest waiting request, or keep it idle. */
  #onIdle(c: Http1ClientConnection): void {
    const max = this.#o.maxRequestsPerConnection ?? 0;
    if (this.#draining || (max > 0 && c.requests >= max) || !c.reusable || c.connection.state !== 'open') {
      c.connection.close('now', 'requested');
      if (this.#pending.length > this.#connecting && !this.#draining) this.#dial();
      return;
    }
    const p = this.#pending.shift();
    if (p) this.#attach(c, p);
    else this.#idle.push(c);
  }

  #attach(c: Http1ClientConnection, p: Pending): void {
    p.callbacks.onReady(c.newStream(p.receiver));
  }
}
