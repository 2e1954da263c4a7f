import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { IoBuffer } from './buffer.js';
import { connectionTaker } from './inherit.js';
import { silentLogger, type Logger } from './logger.js';
import type { ClientTlsOptions, ConnectionTls } from './tls.js';
import { connectionTls, connectTls } from './tls-client.js';
import { HandleTransport } from './transport/handle-transport.js';
import { adoptableHandle } from './transport/libuv-binding.js';
import { SocketTransport } from './transport/socket-transport.js';
import type { Transport, TransportSink } from './transport/types.js';
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
  /** Bounds the TCP connect and, with `tls`, the TLS handshake together. */
  connectTimeoutMs?: number;
  /** Originate TLS: 'connected' comes after the handshake; a failed one ends the dial with 'connect_failed'. */
  tls?: ClientTlsOptions | undefined;
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

/** The connection's private handlers, for ConnectionSink (set by Connection's static block). */
let sinkCalls: {
  data(c: Connection, chunk: Buffer): void;
  end(c: Connection): void;
  drain(c: Connection): void;
  close(c: Connection): void;
  timeout(c: Connection): void;
};

let nextConnectionId = 1;
/** Connections with writes held until the loop's I/O callbacks are done (see `corkUntilNextTick`). */
let toFlush: Connection[] = [];

/**
 * A connection around one socket: ordered read filters, write filters, events, close with or without
 * flushing, idle timeout and write-buffer watermarks for backpressure.
 */
export class Connection extends EventEmitter<Events> {
  readonly id = nextConnectionId++;
  /** The bytes' way in and out: the socket's handle driven directly, or the socket (TLS; while connecting). */
  #t: Transport;
  readonly #sink: TransportSink;
  /** The socket's reads, not yet consumed; its chunks are its own (`exclusive`). */
  readonly readBuffer = new IoBuffer({ exclusive: true });
  /** The listen address of the listener that accepted this connection, when a hot upgrade can take it (see `handOff`). */
  handOffKey: string | undefined;
  /**
   * Set by the filter that owns the connection's protocol: asked on graceful shutdown to finish what is in
   * flight and close (an idle HTTP connection closes at once). Unset: the connection runs until closed.
   */
  onDrain: (() => void) | undefined;

  #readFilters: ReadFilter[] = [];
  /** Made on the first write filter (most connections have none). */
  #writeFilters: WriteFilter[] | undefined;
  #state: 'connecting' | 'open' | 'closed';
  #bufferLimit: number;
  #halfClose: boolean;
  #readDisable = 0;
  #aboveHigh = false;
  /** Chunks written this turn, not yet handed to the socket (see `write`). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes joined to the last pending chunk (back to back with it in memory), not yet in its view. */
  #joined = 0;
  #flushScheduled = false;
  #endReceived = false;
  #closeReason: CloseReason | undefined;
  /** Set by `closingFor`: the peer's close that comes is the end of a close asked for here. */
  #closingFor: CloseReason | undefined;
  #baseLogger: Logger;
  #logger: Logger | undefined;
  #tls: ConnectionTls | undefined;
  #connectError: Error | undefined;

  constructor(socket: net.Socket, options: ConnectionOptions = {}, connecting = false) {
    super();
    this.#state = connecting ? 'connecting' : 'open';
    // Node emits 'drain' only after a write went over the socket's own high-water mark, so a limit below
    // it could never report 'low_watermark': the effective limit is at least that mark (16 KiB).
    this.#bufferLimit = Math.max(options.bufferLimit ?? DEFAULT_BUFFER_LIMIT, socket.writableHighWaterMark);
    this.#halfClose = options.halfClose ?? false;
    this.#baseLogger = options.logger ?? silentLogger;
    // a listener hands over TLS sockets with the handshake done
    if (!connecting && socket instanceof tls.TLSSocket) this.#tls = connectionTls(socket);
    this.#sink = new ConnectionSink(this);
    this.#t = this.#transportFor(socket, connecting);
    this.#t.start(this.#sink);
    // Reading starts once the filter chain is in place (initializeReadFilters).
    this.setIdleTimeout(options.idleTimeoutMs ?? 0);
  }

  static {
    sinkCalls = {
      data: (c, chunk) => c.#onSocketData(chunk),
      end: (c) => c.#onSocketEnd(),
      drain: (c) => c.#onDrain(),
      close: (c) => c.#onSocketClose(),
      timeout: (c) => {
        c.log.debug({ idleTimeoutMs: c.#t.idleTimeoutMs }, 'connection idle timeout');
        c.close('now', 'idle_timeout');
      },
    };
  }

  /**
   * A connected socket's handle is driven directly (a TLS socket's once its handshake is done); dials until they are
   * connected, and sockets whose handle cannot be taken, go through the socket.
   */
  #transportFor(socket: net.Socket, connecting: boolean): Transport {
    const handle = connecting ? undefined : adoptableHandle(socket);
    if (handle) return HandleTransport.adopt(socket, handle);
    socket.setNoDelay(true);
    return new SocketTransport(socket);
  }

  /**
   * The connection's socket, for code that needs a `net.Socket` (node:http2). A connection that drives its handle
   * directly hands the handle to a new, paused socket and goes through that socket from then on.
   */
  get socket(): net.Socket {
    const t = this.#t;
    if (t instanceof SocketTransport) return t.socket;
    const idleMs = t.idleTimeoutMs;
    const socket = t.toSocket();
    const next = new SocketTransport(socket);
    next.start(this.#sink);
    this.#t = next;
    if (idleMs > 0) next.setIdleTimeout(idleMs);
    this.#resumeIfEnabled();
    return socket;
  }

  /**
   * Open a client connection. Events: 'connected', or 'connect_failed' / 'connect_timeout' (then `connectError`
   * says why it failed). With `tls`, 'connected' comes once the handshake is done and the server verified.
   */
  static dial(address: Address, options: DialOptions = {}): Connection {
    const t = options.tls;
    const socket = t
      ? connectTls(address, t)
      : 'path' in address
        ? net.connect({ path: address.path, allowHalfOpen: true })
        : net.connect({ host: address.host, port: address.port, allowHalfOpen: true });
    const conn = new Connection(socket, options, true);
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const timer = setTimeout(() => conn.#connectEnded('connect_timeout'), timeoutMs);
    socket.once(t ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      if (conn.#state !== 'connecting') return;
      conn.#state = 'open';
      // (a TLS dial stays on its socket: its handle stalled after the first record when driven directly)
      if (t) conn.#tls = connectionTls(socket as tls.TLSSocket, t.servername || undefined);
      else conn.#adoptConnected(socket);
      conn.emit('event', 'connected');
      conn.#resumeIfEnabled();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      if (conn.#state !== 'connecting') return;
      conn.#connectError = err;
      if (t) conn.log.debug({ err: { code: (err as NodeJS.ErrnoException).code, message: err.message } }, 'TLS connect failed');
      conn.#connectEnded('connect_failed');
    });
    return conn;
  }

  /** A dial connected: drive the socket's handle directly from now on, when it can be. */
  #adoptConnected(socket: net.Socket): void {
    const handle = adoptableHandle(socket);
    if (!handle) return;
    const before = this.#t;
    const idleMs = before.idleTimeoutMs;
    before.setIdleTimeout(0);
    // the socket transport's listeners go (the socket's 'close' must not close this connection; a TLS socket stays
    // whole beside its handle, with its own listeners such as the session cache's)
    if (before instanceof SocketTransport) before.detach();
    this.#t = HandleTransport.adopt(socket, handle);
    this.#t.start(this.#sink);
    if (idleMs > 0) this.#t.setIdleTimeout(idleMs);
  }

  /** Close the connection after `ms` with no bytes read or written; 0 disables. */
  setIdleTimeout(ms: number): void {
    this.#t.setIdleTimeout(ms);
  }

  /** A child logger with this connection's id, made on first use (idle connections never pay for it). */
  get log(): Logger {
    return (this.#logger ??= this.#baseLogger.child({ connId: this.id }));
  }

  get state(): 'connecting' | 'open' | 'closed' {
    return this.#state;
  }
  /**
   * TLS of this connection (negotiated protocol, peer certificate, session reuse); undefined for plaintext, and
   * on a dial until it is connected.
   */
  get tls(): ConnectionTls | undefined {
    return this.#tls;
  }
  /** Why a dial ended with 'connect_failed' (a socket or TLS handshake error), when known. */
  get connectError(): Error | undefined {
    return this.#connectError;
  }
  get closeReason(): CloseReason | undefined {
    return this.#closeReason;
  }
  get bytesRead(): number {
    return this.#t.bytesRead;
  }
  get bytesWritten(): number {
    return this.#t.bytesWritten + this.#pendingBytes;
  }
  get remoteAddress(): string | undefined {
    return this.#t.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#t.remotePort;
  }
  get localAddress(): string | undefined {
    return this.#t.localAddress;
  }
  get localPort(): number | undefined {
    return this.#t.localPort;
  }
  /**
   * Said by a protocol that will never ask for `socket` (HTTP/1, the RPC codecs): reads may then go into one
   * buffer shared by all connections and be copied out, which costs less than Node's allocation per read.
   */
  neverNeedsSocket(): void {
    const t = this.#t;
    if (t instanceof HandleTransport) t.useSharedReadBuffer();
  }

  /** 'handle' when the connection drives its socket's handle directly, 'socket' through a net.Socket. */
  get transport(): 'handle' | 'socket' {
    return this.#t.kind;
  }
  get bufferLimit(): number {
    return this.#bufferLimit;
  }
  /** Bytes written and not yet taken by the kernel: what this connection holds for a peer that reads slowly. */
  get writeBufferedBytes(): number {
    return this.#t.writableLength + this.#pendingBytes;
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
    if (!filter.initializeReadFilterCallbacks) return;
    const callbacks: ReadFilterCallbacks = {
      connection: this,
      continueReading: () => this.#runReadFilters(index + 1),
    };
    filter.initializeReadFilterCallbacks(callbacks);
  }

  addWriteFilter(filter: WriteFilter): void {
    (this.#writeFilters ??= []).push(filter);
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
   *
   * What is written in one turn of the event loop leaves together, after the loop's I/O callbacks (many RPC
   * frames, from several downstream reads, or a response head and body): writes cost more than anything
   * else a proxy does. Chunks that lie back to back in one piece of memory (frames forwarded from one read)
   * are joined into one.
   */
  write(...chunks: Buffer[]): boolean {
    return this.writeAll(chunks);
  }

  /** `write` with the chunks in an array, which the connection may change (write filters get it). */
  writeAll(chunks: Buffer[]): boolean {
    if (this.#state === 'closed' || this.#t.writableEnded) return false;
    const wf = this.#writeFilters;
    if (wf) {
      for (let i = wf.length - 1; i >= 0; i--) {
        if (wf[i]!.onWrite(chunks) === 'stop') return !this.#aboveHigh;
      }
    }
    for (let i = 0; i < chunks.length; i++) this.#queue(chunks[i]!);
    return this.#checkHigh();
  }

  /** Hold writes until the loop's I/O callbacks are done, so that they leave in one system call. */
  corkUntilNextTick(): void {
    if (this.#flushScheduled || this.#t.destroyed) return;
    this.#flushScheduled = true;
    toFlush.push(this);
    if (toFlush.length === 1) setImmediate(Connection.#flushAll);
  }

  #queue(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    const pending = this.#pending;
    const last = pending.length - 1;
    this.#pendingBytes += n;
    if (last >= 0) {
      const prev = pending[last]!;
      if (prev.buffer === chunk.buffer && prev.byteOffset + prev.length + this.#joined === chunk.byteOffset) {
        this.#joined += n;
        return;
      }
      if (this.#joined > 0) this.#materializeLast();
    } else {
      this.corkUntilNextTick();
    }
    pending.push(chunk);
  }

  /** The last pending chunk grown over the chunks joined to it. */
  #materializeLast(): void {
    const pending = this.#pending;
    const prev = pending[pending.length - 1]!;
    pending[pending.length - 1] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + this.#joined);
    this.#joined = 0;
  }

  /**
   * Hand the writes collected this turn to the socket now (before someone else writes to the socket
   * directly, as an HTTP/2 session does after `detachSocket`).
   */
  flushWrites(): void {
    this.#flush();
  }

  /** Hand what is pending to the socket: one write, or one writev. */
  #flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    if (pending.length === 0) return;
    if (this.#joined > 0) this.#materializeLast();
    this.#pending = [];
    this.#pendingBytes = 0;
    const t = this.#t;
    if (t.destroyed) return;
    t.write(pending);
    // The socket may have taken it all at once: then it never emits 'drain' for what was counted pending.
    if (this.#aboveHigh) this.#onDrain();
  }

  /** One immediate per loop turn flushes every connection that wrote in it (not one per connection). */
  static #flushAll(): void {
    const list = toFlush;
    toFlush = [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.#flushScheduled) c.#flush();
    }
  }

  /** Half-close: send FIN after what is buffered; reading goes on. */
  closeWrite(): void {
    if (this.#state === 'closed' || this.#t.writableEnded) return;
    this.#flush();
    this.#t.end();
    if (this.#endReceived) this.close('flush', 'requested');
  }

  /**
   * Give this connection, open, to the process that took over in a hot upgrade (see inherit.ts): its socket goes to
   * the successor's listener on `handOffKey`, and this Connection closes ('local_close', reason 'handed_off') without
   * closing the socket. Only a connection with nothing buffered either way can go (the protocol calls this when it
   * is idle); false when it cannot, or when there is no successor: the caller then closes it as usual.
   */
  /** A hot upgrade's successor could take this connection once it is idle (see `handOff`). */
  get canHandOff(): boolean {
    return this.handOffKey !== undefined && this.#state === 'open' && this.#t.kind === 'handle' && connectionTaker() !== undefined;
  }

  handOff(): boolean {
    const key = this.handOffKey;
    const take = connectionTaker();
    if (key === undefined || !take || this.#state !== 'open' || this.readBuffer.length > 0) return false;
    // the last answer may still wait for this turn's flush: it goes now (the kernel takes it at once, or release refuses)
    if (this.#pending.length > 0) this.flushWrites();
    const socket = this.#t.release();
    if (!socket) return false;
    this.#state = 'closed';
    this.#closeReason = 'handed_off';
    if (!take(key, socket)) socket.destroy();
    this.emit('event', 'local_close', 'handed_off');
    return true;
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
    else {
      this.#dropPending();
      this.#t.destroy();
    }
    this.emit('event', 'local_close', reason);
  }

  /**
   * The protocol asked the peer to go (an HTTP/2 GOAWAY on an idle or draining session) and leaves the close to it:
   * when the peer's close comes, it completes this one and is reported as `local_close` for `reason`, not as the
   * peer's own `remote_close`.
   */
  closingFor(reason: CloseReason): void {
    if (this.#state !== 'closed') this.#closingFor = reason;
  }

  /** `remote_close`, or the local close the peer's close completes (see `closingFor`). */
  #emitPeerClose(): void {
    const reason = this.#closingFor;
    if (reason === undefined) return void this.emit('event', 'remote_close');
    this.#closeReason = reason;
    this.emit('event', 'local_close', reason);
  }

  /**
   * Stop (true) or resume (false) reading. Calls nest: reading resumes when every disable is undone.
   */
  readDisable(disable: boolean): void {
    if (disable) {
      if (this.#readDisable++ === 0) this.#t.pause();
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
    if (this.#readDisable === 0 && this.#state === 'open' && this.#readFilters.length > 0) this.#t.resume();
  }

  #connectEnded(event: 'connect_failed' | 'connect_timeout'): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'closed';
    this.#dropPending();
    this.#t.destroy();
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
    if (!this.#halfClose || this.#t.writableEnded) {
      this.#state = 'closed';
      this.#flushAndDestroy();
      this.#emitPeerClose();
    }
  }

  #flushAndDestroy(): void {
    if (this.#t.destroyed) return;
    this.#flush();
    this.#t.endAndDestroy(DEFAULT_IDLE_TIMEOUT_MS);
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

  #dropPending(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#joined = 0;
  }

  #checkHigh(): boolean {
    if (this.#t.writableLength + this.#pendingBytes > this.#bufferLimit) {
      if (!this.#aboveHigh) {
        this.#aboveHigh = true;
        this.emit('high_watermark');
      }
      return false;
    }
    return true;
  }

  #onDrain(): void {
    if (this.#aboveHigh && this.#t.writableLength + this.#pendingBytes <= this.#bufferLimit) {
      this.#aboveHigh = false;
      this.emit('low_watermark');
    }
  }

  #onSocketClose(): void {
    this.#dropPending();
    if (this.#state === 'closed') return;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closed';
    if (wasConnecting) {
      this.#connectError ??= new Error('closed before the connection was established');
      this.emit('event', 'connect_failed');
    } else this.#emitPeerClose();
  }
}

/**
 * What a transport calls: one small object per connection (an object of six closures and their context cost
 * ~0.5 KiB per idle connection).
 */
class ConnectionSink implements TransportSink {
  readonly #c: Connection;
  constructor(c: Connection) {
    this.#c = c;
  }
  data(chunk: Buffer): void {
    sinkCalls.data(this.#c, chunk);
  }
  end(): void {
    sinkCalls.end(this.#c);
  }
  drain(): void {
    sinkCalls.drain(this.#c);
  }
  error(err: NodeJS.ErrnoException): void {
    this.#c.log.debug({ err: { code: err.code, message: err.message } }, 'socket error');
  }
  close(): void {
    sinkCalls.close(this.#c);
  }
  timeout(): void {
    sinkCalls.timeout(this.#c);
  }
}

/** Filter status helpers so filters read as intent. */
export const CONTINUE: FilterStatus = 'continue';
export const STOP: FilterStatus = 'stop';
