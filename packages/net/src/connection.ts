import { EventEmitter } from 'node:events';
import net from 'node:net';
import { IoBuffer } from './buffer.js';
import { silentLogger, type Logger } from './logger.js';
import type {
  Address,
  CloseReason,
  ConnectionEvent,
  FilterStatus,
  ReadFilter,
  ReadFilterCallbacks,
  WriteFilter,
} from './types.js';

/** Envoy's default per-connection buffer limit (1 MiB). */
export const DEFAULT_BUFFER_LIMIT = 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectionOptions {
  /** Write-buffer limit: above it `write` returns false and 'high_watermark' is emitted. */
  bufferLimit?: number;
  /** Close the connection after this long with no bytes in either direction; 0 disables. */
  idleTimeoutMs?: number;
  /** Keep the connection open after the peer half-closes (tcp_proxy); otherwise a half-close closes it. */
  halfClose?: boolean;
  logger?: Logger;
}

export interface DialOptions extends ConnectionOptions {
  connectTimeoutMs?: number;
}

type Events = {
  /** Every connection event, once each; the close events come with the reason. */
  event: [event: ConnectionEvent, reason?: CloseReason | undefined];
  /** The write buffer went over the limit: the producer should stop. */
  high_watermark: [];
  /** The write buffer drained below the limit again. */
  low_watermark: [];
  /** A read filter threw: the connection is being closed (counted by the runtime). */
  filter_error: [err: unknown];
};

let nextConnectionId = 1;

/**
 * A connection around one socket: ordered read filters, write filters, events, close with or without
 * flushing, idle timeout and write-buffer watermarks for backpressure.
 */
export class Connection extends EventEmitter<Events> {
  readonly id = nextConnectionId++;
  readonly socket: net.Socket;
  /** The socket's reads, not yet consumed; its chunks are its own (`exclusive`). */
  readonly readBuffer = new IoBuffer({ exclusive: true });
  /**
   * Set by the filter that owns the connection's protocol: asked on graceful shutdown to finish what is in
   * flight and close (an idle HTTP connection closes at once). Unset: the connection runs until closed.
   */
  onDrain: (() => void) | undefined;

  #readFilters: ReadFilter[] = [];
  #writeFilters: WriteFilter[] = [];
  #callbacks: ReadFilterCallbacks[] = [];
  #state: 'connecting' | 'open' | 'closed';
  #bufferLimit: number;
  #halfClose: boolean;
  #readDisable = 0;
  #aboveHigh = false;
  #corked = false;
  #endReceived = false;
  #closeReason: CloseReason | undefined;
  #baseLogger: Logger;
  #logger: Logger | undefined;

  constructor(socket: net.Socket, options: ConnectionOptions = {}, connecting = false) {
    super();
    this.socket = socket;
    this.#state = connecting ? 'connecting' : 'open';
    // Node emits 'drain' only after a write went over the socket's own high-water mark, so a limit below
    // it could never report 'low_watermark': the effective limit is at least that mark (16 KiB).
    this.#bufferLimit = Math.max(options.bufferLimit ?? DEFAULT_BUFFER_LIMIT, socket.writableHighWaterMark);
    this.#halfClose = options.halfClose ?? false;
    this.#baseLogger = options.logger ?? silentLogger;
    this.setIdleTimeout(options.idleTimeoutMs ?? 0);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onSocketData(chunk));
    socket.on('end', () => this.#onSocketEnd());
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.log.debug({ err: { code: err.code, message: err.message } }, 'socket error');
    });
    socket.on('close', () => this.#onSocketClose());
    // Reading starts once the filter chain is in place (initializeReadFilters).
    socket.pause();
  }

  /** Open a client connection. Events: 'connected', or 'connect_failed' / 'connect_timeout'. */
  static dial(address: Address, options: DialOptions = {}): Connection {
    const socket =
      'path' in address
        ? net.connect({ path: address.path, allowHalfOpen: true })
        : net.connect({ host: address.host, port: address.port, allowHalfOpen: true });
    const conn = new Connection(socket, options, true);
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const timer = setTimeout(() => conn.#connectEnded('connect_timeout'), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      if (conn.#state !== 'connecting') return;
      conn.#state = 'open';
      conn.emit('event', 'connected');
      conn.#resumeIfEnabled();
    });
    socket.once('error', () => {
      clearTimeout(timer);
      conn.#connectEnded('connect_failed');
    });
    return conn;
  }

  /** Close the connection after `ms` with no bytes read or written; 0 disables. */
  setIdleTimeout(ms: number): void {
    const s = this.socket;
    s.setTimeout(ms);
    if (ms > 0 && s.listenerCount('timeout') === 0) {
      s.on('timeout', () => {
        this.log.debug({ idleTimeoutMs: s.timeout }, 'connection idle timeout');
        this.close('now', 'idle_timeout');
      });
    }
  }

  /** A child logger with this connection's id, made on first use (idle connections never pay for it). */
  get log(): Logger {
    return (this.#logger ??= this.#baseLogger.child({ connId: this.id }));
  }

  get state(): 'connecting' | 'open' | 'closed' {
    return this.#state;
  }
  get closeReason(): CloseReason | undefined {
    return this.#closeReason;
  }
  get bytesRead(): number {
    return this.socket.bytesRead;
  }
  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  get bufferLimit(): number {
    return this.#bufferLimit;
  }
  /** True while the write buffer is over the limit. */
  get aboveWriteBufferHighWatermark(): boolean {
    return this.#aboveHigh;
  }
  set halfClose(enabled: boolean) {
    this.#halfClose = enabled;
  }

  addReadFilter(filter: ReadFilter): void {
    const index = this.#readFilters.length;
    this.#readFilters.push(filter);
    const callbacks: ReadFilterCallbacks = {
      connection: this,
      continueReading: () => this.#runReadFilters(index + 1),
    };
    this.#callbacks.push(callbacks);
    filter.initializeReadFilterCallbacks?.(callbacks);
  }

  addWriteFilter(filter: WriteFilter): void {
    this.#writeFilters.push(filter);
  }

  /** Call onNewConnection on each read filter in order, then start reading. */
  initializeReadFilters(): void {
    for (const f of this.#readFilters) {
      if (f.onNewConnection?.() === 'stop') break;
    }
    this.#resumeIfEnabled();
  }

  /**
   * Write chunks (through the write filters, last to first). Returns false when the write buffer is over
   * the limit: the caller should stop producing until 'low_watermark'.
   */
  write(...chunks: Buffer[]): boolean {
    if (this.#state === 'closed' || this.socket.writableEnded) return false;
    for (let i = this.#writeFilters.length - 1; i >= 0; i--) {
      if (this.#writeFilters[i]!.onWrite(chunks) === 'stop') return !this.#aboveHigh;
    }
    const s = this.socket;
    // Everything written to this connection in one tick leaves in one system call (many RPC responses,
    // or a response head and body): writes cost more than anything else a proxy does.
    this.corkUntilNextTick();
    for (let i = 0; i < chunks.length; i++) s.write(chunks[i]!);
    return this.#checkHigh();
  }

  /**
   * Hold writes until the end of this tick, so that what is written in it (a response head and its first
   * body chunk) leaves in one system call.
   */
  corkUntilNextTick(): void {
    const s = this.socket;
    if (this.#corked || s.destroyed) return;
    this.#corked = true;
    s.cork();
    process.nextTick(() => {
      this.#corked = false;
      s.uncork();
    });
  }

  /** Half-close: send FIN after what is buffered; reading goes on. */
  closeWrite(): void {
    if (this.#state === 'closed' || this.socket.writableEnded) return;
    this.socket.end();
    if (this.#endReceived) this.close('flush', 'requested');
  }

  /**
   * Close. 'flush' sends what is buffered first, then closes; 'now' drops it.
   * Emits 'local_close' once.
   */
  close(mode: 'flush' | 'now' = 'flush', reason: CloseReason = 'requested'): void {
    if (this.#state === 'closed') return;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closed';
    this.#closeReason = reason;
    if (mode === 'flush' && !wasConnecting) this.#flushAndDestroy();
    else this.socket.destroy();
    this.emit('event', 'local_close', reason);
  }

  /**
   * Stop (true) or resume (false) reading. Calls nest: reading resumes when every disable is undone.
   */
  readDisable(disable: boolean): void {
    if (disable) {
      if (this.#readDisable++ === 0) this.socket.pause();
    } else if (this.#readDisable > 0 && --this.#readDisable === 0) {
      this.#resumeIfEnabled();
      // Bytes that arrived while reading was off and were left for later get their turn now, outside the
      // caller's stack (it may be a filter in the middle of its own onData).
      if (this.readBuffer.length > 0) {
        queueMicrotask(() => {
          if (this.#readDisable === 0 && this.#state === 'open' && this.readBuffer.length > 0) this.#runReadFilters(0);
        });
      }
    }
  }

  get readEnabled(): boolean {
    return this.#readDisable === 0;
  }

  #resumeIfEnabled(): void {
    if (this.#readDisable === 0 && this.#state === 'open' && this.#readFilters.length > 0) this.socket.resume();
  }

  #connectEnded(event: 'connect_failed' | 'connect_timeout'): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'closed';
    this.socket.destroy();
    this.emit('event', event);
  }

  #onSocketData(chunk: Buffer): void {
    if (this.#state !== 'open') return;
    this.readBuffer.append(chunk);
    this.#runReadFilters(0);
  }

  #onSocketEnd(): void {
    if (this.#state !== 'open') return;
    this.#endReceived = true;
    this.#runReadFilters(0);
    if (this.#state !== 'open') return;
    if (!this.#halfClose || this.socket.writableEnded) {
      this.#state = 'closed';
      this.#flushAndDestroy();
      this.emit('event', 'remote_close');
    }
  }

  #flushAndDestroy(): void {
    const s = this.socket;
    if (s.destroyed) return;
    s.end();
    if (s.writableFinished) s.destroy();
    else {
      s.once('finish', () => s.destroy());
      // A peer that never reads must not keep the socket forever.
      s.setTimeout(DEFAULT_IDLE_TIMEOUT_MS, () => s.destroy());
    }
  }

  #runReadFilters(from: number): void {
    const filters = this.#readFilters;
    try {
      for (let i = from; i < filters.length; i++) {
        if (filters[i]!.onData(this.readBuffer, this.#endReceived) === 'stop') return;
        if (this.#state === 'closed') return;
      }
    } catch (err) {
      // A filter's bug (or a plug-in's) costs this connection only, never the process.
      this.log.error({ err }, 'read filter threw; closing the connection');
      this.emit('filter_error', err);
      this.readBuffer.clear();
      this.close('now', 'internal_error');
    }
  }

  #checkHigh(): boolean {
    if (this.socket.writableLength > this.#bufferLimit) {
      if (!this.#aboveHigh) {
        this.#aboveHigh = true;
        this.emit('high_watermark');
      }
      return false;
    }
    return true;
  }

  #onDrain(): void {
    if (this.#aboveHigh && this.socket.writableLength <= this.#bufferLimit) {
      this.#aboveHigh = false;
      this.emit('low_watermark');
    }
  }

  #onSocketClose(): void {
    if (this.#state === 'closed') return;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closed';
    this.emit('event', wasConnecting ? 'connect_failed' : 'remote_close');
  }
}

/** Filter status helpers so filters read as intent. */
export const CONTINUE: FilterStatus = 'continue';
export const STOP: FilterStatus = 'stop';
