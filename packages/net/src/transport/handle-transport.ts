import net from 'node:net';
import tls from 'node:tls';
import { libuvBinding, uvError, type LibuvBinding, type StreamHandle, type WriteRequest } from './libuv-binding.js';
import type { Transport, TransportSink } from './types.js';

const OWNER = Symbol('mosn.transport');
type OwnedHandle = StreamHandle & { [OWNER]?: HandleTransport | undefined };
type Peer = { address?: string; port?: number; family?: string };
const ignoreRead = (): void => {};

/**
 * Every handle reads into this one buffer and its bytes are copied out at once, into memory of their own (Node's
 * pool for small reads): cheaper than Node's default of a fresh 64 KiB allocation per read, shrunk and tracked by
 * the garbage collector. Safe to share: libuv allocates, reads and calls back in one go, and JavaScript runs one
 * callback at a time.
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);
const IDLE_TICKS = 4;

/**
 * A transport that drives a connected socket's libuv handle itself: one `readStart`, a callback per read with the
 * bytes, one `writeBuffer`/`writev` per write. This is what `net.Socket` does underneath, without a Duplex
 * stream's per-chunk work (push, 'data' events, write queues, nextTick callbacks, timer refreshes).
 *
 * The handle is taken from a connected `net.Socket` (accepted by a `net.Server`, or dialled by `net.connect`, so
 * addresses, connect errors and listening stay Node's), which is then released without closing it.
 */
export class HandleTransport implements Transport {
  readonly kind = 'handle';
  readonly #b: LibuvBinding;
  #h: OwnedHandle;
  #sink: TransportSink | undefined;
  #reading = false;
  #destroyed = false;
  #ended = false;
  #finished = false;
  #destroyWhenFinished = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  /** Writes the kernel did not take at once (libuv holds them until the socket is writable). */
  #asyncWrites = 0;
  /** A write request whose write completed at once: free for the next write. */
  #spare: WriteRequest | undefined;
  #idleMs = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  /** A byte moved since the idle timer last ticked. */
  #active = false;
  /** Idle timer ticks (a quarter of the timeout each) with nothing moving. */
  #idleTicks = 0;
  #bytesRead = 0;
  #bytesWritten = 0;
  #peer: Peer | undefined;
  #local: Peer | undefined;
  #socket: net.Socket | undefined;
  /** Reads go into READ_BUFFER (useSharedReadBuffer). */
  #shared = false;
  /** Bytes of writes the kernel (or OpenSSL) did not take at once. */
  #asyncBytes = 0;
  /** TLS: one write in flight at a time (a TLSWrap asserts it); the rest wait here, and the shutdown after them. */
  #oneWriteAtATime = false;
  #queue: Buffer[] | undefined;
  #queuedBytes = 0;
  #shutdownWaiting = false;
  /** A TLS connection's socket, kept whole beside its handle, and Node's read callback of that handle. */
  #tlsSocket: tls.TLSSocket | undefined;
  #nodeOnRead: StreamHandle['onread'] | undefined;

  /** Take over a connected socket's handle; undefined when it cannot be (see `adoptableHandle`). */
  static adopt(socket: net.Socket, handle: StreamHandle): HandleTransport {
    if (socket instanceof tls.TLSSocket) return HandleTransport.#adoptTls(socket, handle);
    const t = new HandleTransport(handle);
    // The socket lets go of the handle without closing it, and is done (a server counts it as closed).
    handle.readStop();
    (socket as unknown as { _handle: unknown })._handle = null;
    // The handle names its socket as owner (Node's callbacks find their socket so); ours do not need it, and it
    // would keep the released socket (~1 KiB with its stream states) alive as long as the connection.
    for (const sym of Object.getOwnPropertySymbols(handle)) {
      if (sym.description === 'owner_symbol') (handle as unknown as Record<symbol, unknown>)[sym] = undefined;
    }
    socket.destroy();
    return t;
  }

  /**
   * A TLS socket (handshake done) stays whole and idle beside its TLSWrap: Node's TLS code reaches it as the wrap's
   * owner (alerts become its 'error', session tickets its 'session', closing the wrap frees the SSL through it), and
   * it is the socket handed back for node:http2 (ALPN h2).
   */
  static #adoptTls(socket: tls.TLSSocket, handle: StreamHandle): HandleTransport {
    const nodeOnRead = handle.onread;
    handle.readStop();
    (socket as unknown as { _handle: { reading?: boolean } })._handle.reading = false;
    const t = new HandleTransport(handle);
    t.#oneWriteAtATime = true;
    t.#tlsSocket = socket;
    t.#nodeOnRead = nodeOnRead;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (t.#socket) return; // handed back: the connection listens to the socket itself
      t.#fail(err);
    });
    return t;
  }

  private constructor(handle: StreamHandle) {
    this.#b = libuvBinding()!;
    this.#h = handle as OwnedHandle;
    this.#h[OWNER] = this;
    this.#h.onread = HandleTransport.#readCallback;
    this.#h.setNoDelay?.(true);
  }

  /**
   * Read into the shared READ_BUFFER from now on, copying each read out (for connections that are never handed to
   * node:http2: the handle cannot go back to Node's own allocation, which an HTTP/2 session needs).
   */
  useSharedReadBuffer(): void {
    if (this.#shared || this.#destroyed || this.#socket) return;
    this.#shared = true;
    this.#h.useUserBuffer(READ_BUFFER);
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
  }

  pause(): void {
    if (!this.#reading) return;
    this.#reading = false;
    if (!this.#destroyed) this.#h.readStop();
  }

  resume(): void {
    if (this.#reading || this.#destroyed || this.#socket) return;
    this.#reading = true;
    const err = this.#h.readStart();
    if (err !== 0) this.#fail(uvError(err, 'read'));
  }

  static #readCallback = function (this: OwnedHandle, arrayBuffer: ArrayBuffer | undefined): void {
    const t = this[OWNER];
    if (t) t.#onRead(arrayBuffer);
  };

  /** A read (in `arrayBuffer`, or at the start of READ_BUFFER), or the end, or an error. */
  #onRead(arrayBuffer: ArrayBuffer | undefined): void {
    const b = this.#b;
    const n = b.streamBaseState[b.kReadBytesOrError]!;
    if (n > 0) {
      if (this.#destroyed) return;
      this.#bytesRead += n;
      this.#active = true;
      let chunk: Buffer;
      if (this.#shared) {
        chunk = Buffer.allocUnsafe(n);
        chunk.set(n === READ_BUFFER.length ? READ_BUFFER : READ_BUFFER.subarray(0, n));
      } else {
        chunk = Buffer.from(arrayBuffer!, b.streamBaseState[b.kArrayBufferOffset]!, n);
      }
      this.#sink!.data(chunk);
      return;
    }
    if (n === 0 || this.#destroyed) return;
    // The end, or an error: no more reads either way.
    this.#reading = false;
    this.#h.readStop();
    if (n === b.UV_EOF) this.#sink!.end();
    else this.#fail(uvError(n, 'read'));
  }

  write(chunks: readonly Buffer[]): void {
    if (this.#destroyed || this.#ended) return;
    if (this.#queue || (this.#oneWriteAtATime && this.#asyncWrites > 0)) {
      // a TLSWrap takes one write at a time: the next waits for the one in flight (as node:tls's stream does)
      const q = (this.#queue ??= []);
      for (let i = 0; i < chunks.length; i++) {
        q.push(chunks[i]!);
        this.#queuedBytes += chunks[i]!.length;
      }
      return;
    }
    this.#writeNow(chunks);
  }

  #writeNow(chunks: readonly Buffer[]): void {
    const b = this.#b;
    const h = this.#h;
    const req = this.#spare ?? new b.WriteWrap();
    this.#spare = undefined;
    req.handle = h;
    req.oncomplete = HandleTransport.#onWriteDone;
    req.owner = this;
    req.async = false;
    req.buffer = null;
    const err = chunks.length === 1 ? h.writeBuffer(req, chunks[0]!) : h.writev(req, chunks, true);
    if (err !== 0) {
      this.#fail(uvError(err, 'write'));
      return;
    }
    this.#bytesWritten += b.streamBaseState[b.kBytesWritten]!;
    this.#active = true;
    if (b.streamBaseState[b.kLastWriteWasAsync]) {
      // libuv holds the rest until the socket is writable (TLS: every write): the memory must live until then
      req.async = true;
      req.buffer = chunks.length === 1 ? chunks[0]! : chunks;
      req.bytes = b.streamBaseState[b.kBytesWritten]!;
      this.#asyncBytes += req.bytes;
      this.#asyncWrites++;
    } else {
      this.#spare = req;
    }
  }

  static #onWriteDone = function (this: WriteRequest, status: number): void {
    const t = this.owner as HandleTransport;
    this.buffer = null;
    t.#asyncWrites--;
    t.#asyncBytes -= this.bytes;
    if (t.#destroyed || t.#socket) return;
    if (status < 0) {
      t.#fail(uvError(status, 'write'));
      return;
    }
    t.#active = true;
    if (t.#asyncWrites > 0) return;
    const queued = t.#queue;
    if (queued) {
      t.#queue = undefined;
      t.#queuedBytes = 0;
      t.#writeNow(queued);
      if (t.#destroyed || t.#asyncWrites > 0) return;
    }
    if (t.#shutdownWaiting) {
      t.#shutdownWaiting = false;
      t.#shutdown();
    }
    t.#sink?.drain();
  };

  get writableLength(): number {
    return this.#destroyed ? 0 : this.#asyncBytes + this.#queuedBytes;
  }
  get writableEnded(): boolean {
    return this.#ended;
  }

  end(): void {
    if (this.#ended || this.#destroyed) return;
    this.#ended = true;
    // a TLSWrap shuts down (close_notify) only once its write in flight and the queued ones are done
    if (this.#oneWriteAtATime && (this.#asyncWrites > 0 || this.#queue)) this.#shutdownWaiting = true;
    else this.#shutdown();
  }

  #shutdown(): void {
    const b = this.#b;
    const req = new b.ShutdownWrap();
    req.handle = this.#h;
    req.owner = this;
    req.oncomplete = HandleTransport.#onShutdownDone;
    // libuv sends the FIN after the writes it still holds
    const err = this.#h.shutdown(req);
    if (err === 1 || err === b.UV_ENOTCONN) this.#onFinished();
    else if (err !== 0) this.#fail(uvError(err, 'shutdown'));
  }

  static #onShutdownDone = function (this: { owner: unknown }, _status: number): void {
    (this.owner as HandleTransport).#onFinished();
  };

  #onFinished(): void {
    this.#finished = true;
    if (this.#destroyWhenFinished) this.destroy();
  }

  endAndDestroy(lingerMs: number): void {
    if (this.#destroyed) return;
    this.#destroyWhenFinished = true;
    this.end();
    if (this.#finished || this.#destroyed) return this.destroy();
    // A peer that never reads must not keep the socket forever.
    this.#lingerTimer = setTimeout(HandleTransport.#linger, lingerMs, this);
    this.#lingerTimer.unref();
  }

  static #linger(t: HandleTransport): void {
    t.destroy();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#reading = false;
    this.#spare = undefined;
    this.#queue = undefined;
    this.#queuedBytes = 0;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    const h = this.#h;
    h.readStop();
    h.onread = ignoreRead;
    h.close(() => {
      h[OWNER] = undefined;
      this.#sink?.close();
    });
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  release(): net.Socket | undefined {
    if (this.#destroyed || this.#socket || this.#tlsSocket || this.#asyncWrites > 0 || this.#ended) return undefined;
    this.pause();
    this.#destroyed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const h = this.#h;
    h[OWNER] = undefined;
    // a paused socket on the handle, not reading: what it is given to (child_process send) takes the handle as it is
    return new net.Socket({ handle: h, readable: true, writable: true, pauseOnCreate: true, allowHalfOpen: true } as net.SocketConstructorOpts);
  }

  #fail(err: NodeJS.ErrnoException): void {
    if (this.#destroyed) return;
    this.#sink?.error(err);
    this.destroy();
  }

  setIdleTimeout(ms: number): void {
    this.#idleMs = ms;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (ms > 0 && !this.#destroyed) {
      this.#idleTicks = 0;
      this.#active = false;
      this.#idleTimer = setTimeout(HandleTransport.#idleTick, Math.max(1, Math.ceil(ms / IDLE_TICKS)), this);
      this.#idleTimer.unref();
    }
  }

  get idleTimeoutMs(): number {
    return this.#idleMs;
  }

  /**
   * The idle timer ticks four times per timeout; reads and writes only set a flag (no clock on the hot path: reading
   * the clock costs more than a request's parsing on some machines). So the timeout fires between one and one and a
   * quarter timeouts after the last byte moved.
   */
  static #idleTick(t: HandleTransport): void {
    if (t.#destroyed || t.#idleMs === 0 || !t.#idleTimer) return;
    if (t.#active) {
      t.#active = false;
      t.#idleTicks = 0;
    } else if (++t.#idleTicks >= IDLE_TICKS) {
      t.#idleTicks = 0;
      t.#sink?.timeout();
      if (t.#destroyed || !t.#idleTimer) return;
    }
    t.#idleTimer.refresh();
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** The peer's (or our own) address, asked of the handle once and kept (it is gone once the handle is closed). */
  #peerName(): Peer {
    return (this.#peer ??= this.#askName('getpeername')) ?? {};
  }
  #sockName(): Peer {
    return (this.#local ??= this.#askName('getsockname')) ?? {};
  }
  #askName(call: 'getpeername' | 'getsockname'): Peer | undefined {
    const out: Peer = {};
    return !this.#destroyed && this.#h[call]?.(out) === 0 ? out : undefined;
  }

  get remoteAddress(): string | undefined {
    return this.#peerName().address;
  }
  get remotePort(): number | undefined {
    return this.#peerName().port;
  }
  get localAddress(): string | undefined {
    return this.#sockName().address;
  }
  get localPort(): number | undefined {
    return this.#sockName().port;
  }

  toSocket(): net.Socket {
    if (this.#socket) return this.#socket;
    if (this.#destroyed) throw new Error('the connection is closed');
    this.pause();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleMs = 0;
    const h = this.#h;
    if (this.#shared) throw new Error('this connection reads into the shared buffer: it cannot become a net.Socket');
    h[OWNER] = undefined;
    const tlsSocket = this.#tlsSocket;
    if (tlsSocket) {
      // the TLS socket takes its handle back, reading (into its paused stream) as before the adoption
      h.onread = this.#nodeOnRead!;
      // writes still waiting for the one in flight go through the socket, in order, after it
      const queued = this.#queue;
      this.#queue = undefined;
      this.#queuedBytes = 0;
      if (queued) for (const chunk of queued) tlsSocket.write(chunk);
      (h as unknown as { reading: boolean }).reading = true;
      const err = h.readStart();
      if (err !== 0) tlsSocket.destroy(uvError(err, 'read'));
      this.#socket = tlsSocket;
      return tlsSocket;
    }
    // A paused socket on the handle (it sets its own read callback); the connection goes through it from now on.
    const options = { handle: h, readable: true, writable: true, allowHalfOpen: true, pauseOnCreate: true };
    const socket = new net.Socket(options as net.SocketConstructorOpts);
    // The handle reads on (into the paused socket), as an accepted socket's does: node:http2 takes the handle
    // over as it finds it and does not start reading itself.
    (h as unknown as { reading: boolean }).reading = true;
    const err = h.readStart();
    if (err !== 0) socket.destroy(uvError(err, 'read'));
    this.#socket = socket;
    return socket;
  }
}
