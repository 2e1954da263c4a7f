import type net from 'node:net';

/** What a transport tells its connection. Set once, before reading starts. */
export interface TransportSink {
  /** Bytes read; the chunk is the connection's own (nothing else holds it). */
  data(chunk: Buffer): void;
  /** The peer half-closed (FIN). */
  end(): void;
  /** Every write handed to the kernel has been taken: the write buffer is empty. */
  drain(): void;
  /** A read or write failed; 'close' follows. */
  error(err: NodeJS.ErrnoException): void;
  /** The transport is closed (after `destroy`, an error, or the end of a flushed half-close). */
  close(): void;
  /** No byte moved either way for the idle timeout. */
  timeout(): void;
}

/**
 * The byte pipe under a Connection: a connected stream socket. Two kinds: `HandleTransport` drives the socket's
 * libuv handle directly (plaintext TCP and unix sockets: the hot path), `SocketTransport` goes through a
 * `net.Socket` (TLS, or where the handle is not reachable).
 */
export interface Transport {
  readonly kind: 'handle' | 'socket';
  start(sink: TransportSink): void;
  pause(): void;
  resume(): void;
  /** One write (or one writev) of these chunks, in order. */
  write(chunks: readonly Buffer[]): void;
  /** Bytes written but not yet taken by the kernel. */
  readonly writableLength: number;
  /** `end` was called. */
  readonly writableEnded: boolean;
  /** Half-close: FIN once what is written has left. */
  end(): void;
  /** `end`, then close once the FIN is out (or after `lingerMs` if the peer never reads). */
  endAndDestroy(lingerMs: number): void;
  /** Close now; pending writes are dropped. */
  destroy(): void;
  readonly destroyed: boolean;
  /** Emit 'timeout' after `ms` without a read or a write; 0 disables. */
  setIdleTimeout(ms: number): void;
  readonly idleTimeoutMs: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /**
   * The transport as a `net.Socket`, for code that needs one (node:http2 sessions). A `HandleTransport` stops
   * reading and gives its handle to a new paused socket: from then on the connection goes through that socket.
   */
  toSocket(): net.Socket;
  /**
   * Let go of the socket without closing it, to give it to another process (a hot upgrade's successor): reading
   * stops and the transport is done (no callback comes any more). Undefined when it cannot: TLS, writes not yet
   * taken by the kernel, a half-close sent, or a socket transport.
   */
  release(): net.Socket | undefined;
}
