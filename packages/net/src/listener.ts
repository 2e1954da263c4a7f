import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { Connection, DEFAULT_BUFFER_LIMIT, DEFAULT_IDLE_TIMEOUT_MS } from './connection.js';
import { MosnError } from './errors.js';
import { handOverKey, listenOn, removeAdopter, setAdopter } from './inherit.js';
import { silentLogger, type Logger } from './logger.js';
import type { ServerTlsOptions } from './tls.js';
import { ServerHandshake } from './tls-server.js';
import { formatAddress, type Address, type NetworkFilterFactory } from './types.js';

export const DEFAULT_BACKLOG = 4096;

export interface ListenerOptions {
  name: string;
  address: Address;
  /** Builds the network filter chain on every accepted connection, in order. */
  filterChain: readonly NetworkFilterFactory[];
  /** Per-connection write-buffer limit (`per_connection_buffer_limit_bytes`). */
  bufferLimit?: number;
  /** `connection_idle_timeout`; 0 disables. Default 90 s. */
  idleTimeoutMs?: number;
  logger?: Logger;
  /** Accept queue length (default 4096; the kernel caps it at net.core.somaxconn). */
  backlog?: number;
  /**
   * Terminate TLS: each accepted socket is handshaken first, and its Connection (and filter chain) made once the
   * handshake is done and the client accepted; the Connection reads and writes plaintext.
   */
  tls?: ServerTlsOptions | undefined;
  /** Called for each accepted connection after its filters are in place (stats, tracking). */
  onConnection?: (conn: Connection) => void;
}

/**
 * A listener on `ip:port` or a unix socket path. Each accepted socket becomes a Connection whose read and
 * write filters come from the listener's filter chain.
 */
export class Listener {
  readonly name: string;
  readonly connections = new Set<Connection>();
  /** Accepted sockets whose TLS handshake is not done yet (not yet Connections). */
  readonly #handshakes = new Set<ServerHandshake>();
  readonly log: Logger;
  #options: ListenerOptions;
  #server: net.Server | undefined;
  #accepting = false;
  /** The listen address a hot upgrade hands connections over on (TCP with a fixed port), or undefined. */
  #handOffKey: string | undefined;
  readonly #adopt = (socket: net.Socket): void => this.#accept(socket);

  constructor(options: ListenerOptions) {
    this.name = options.name;
    this.#options = options;
    this.log = (options.logger ?? silentLogger).child({ listener: options.name });
  }

  /** The bound address (with the real port when the config said 0). */
  get address(): Address {
    const a = this.#server?.address();
    if (a && typeof a === 'object') return { host: a.address, port: a.port };
    if (typeof a === 'string') return { path: a };
    return this.#options.address;
  }

  /** How many accepted sockets are in their TLS handshake (not yet in `connections`). */
  get handshaking(): number {
    return this.#handshakes.size;
  }

  /** Whether new connections are handshaken with TLS first. */
  get terminatesTls(): boolean {
    return this.#options.tls !== undefined;
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  async start(): Promise<void> {
    const addr = this.#options.address;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.#accept(s));
    this.#server = server;
    if ('path' in addr && !addr.path.startsWith('@') && existsSync(addr.path)) {
      // A stale socket file from an earlier run would make listen fail with EADDRINUSE.
      unlinkSync(addr.path);
    }
    try {
      // A deep accept queue, as MOSN (Go) gets from the kernel: bursts of new connections are not dropped.
      await listenOn(server, addr, this.#options.backlog ?? DEFAULT_BACKLOG);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new MosnError('MOSN_ERR_LISTEN', `listener ${this.name} cannot listen on ${formatAddress(addr)}: ${err.code ?? err.message}`, { cause: err });
    }
    this.#accepting = true;
    // a hot upgrade's predecessor may give this listener its open connections on the same address
    this.#handOffKey = handOverKey(addr);
    if (this.#handOffKey !== undefined) setAdopter(this.#handOffKey, this.#adopt);
    server.on('error', (err) => this.log.error({ err }, 'listener error'));
    this.log.info({ address: formatAddress(this.address) }, 'listener started');
  }

  /**
   * New filter chain, buffer limit, idle timeout and TLS for the connections accepted from now on; connections
   * already open (or in their handshake) keep what they were given (a live config change of this listener).
   */
  update(options: Pick<ListenerOptions, 'filterChain' | 'bufferLimit' | 'idleTimeoutMs' | 'tls'>): void {
    this.#options = { ...this.#options, ...options };
  }

  /**
   * Stop accepting new connections (the socket is unbound at once); existing ones go on. Sockets still in their
   * TLS handshake are closed: nothing of theirs is in flight.
   */
  stopAccepting(): void {
    const server = this.#server;
    if (!server || !this.#accepting) return;
    this.#accepting = false;
    if (this.#handOffKey !== undefined) removeAdopter(this.#handOffKey, this.#adopt);
    this.#abortHandshakes();
    // close()'s callback waits for every connection to end; the listening socket itself closes now.
    server.close();
  }

  /** Ask every connection to finish what is in flight and close (graceful shutdown). */
  drainConnections(): void {
    for (const c of this.connections) c.onDrain?.();
  }

  /** Close every connection of this listener now, and every socket still in its TLS handshake. */
  closeConnections(): void {
    this.#abortHandshakes();
    for (const c of this.connections) c.close('now', 'shutdown');
  }

  #abortHandshakes(): void {
    for (const h of [...this.#handshakes]) h.abort();
  }

  #accept(socket: net.Socket): void {
    const t = this.#options.tls;
    if (!t) return this.#open(socket);
    const h = new ServerHandshake(
      socket,
      t,
      this.log,
      (s) => this.#open(s),
      (done) => this.#handshakes.delete(done),
    );
    this.#handshakes.add(h);
    h.start();
  }

  /** The Connection on an accepted socket (plaintext, or TLS with the handshake done) and its filter chain. */
  #open(socket: net.Socket): void {
    const o = this.#options;
    const conn = new Connection(socket, {
      bufferLimit: o.bufferLimit ?? DEFAULT_BUFFER_LIMIT,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      logger: this.log,
    });
    this.connections.add(conn);
    conn.handOffKey = this.#handOffKey;
    conn.on('event', (ev) => {
      if (ev === 'local_close' || ev === 'remote_close') this.connections.delete(conn);
    });
    try {
      for (const f of o.filterChain) f.createFilterChain(conn);
      o.onConnection?.(conn);
      conn.initializeReadFilters();
    } catch (err) {
      // a filter factory's bug costs this connection only (this runs in socket callbacks)
      this.log.error({ err }, 'filter chain setup threw; closing the connection');
      conn.close('now', 'internal_error');
    }
  }
}
