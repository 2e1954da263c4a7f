import type net from 'node:net';
import type { Transport, TransportSink } from './types.js';

/** A transport through a `net.Socket` (or a `tls.TLSSocket`): Node's streams do the reading and writing. */
export class SocketTransport implements Transport {
  readonly kind = 'socket';
  readonly socket: net.Socket;
  #sink: TransportSink | undefined;
  #listeners: Array<[string, (...args: any[]) => void]> = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.pause();
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    const s = this.socket;
    const on: Array<[string, (...args: any[]) => void]> = [
      ['data', (chunk: Buffer) => sink.data(chunk)],
      ['end', () => sink.end()],
      ['drain', () => sink.drain()],
      ['error', (err: NodeJS.ErrnoException) => sink.error(err)],
      ['close', () => sink.close()],
    ];
    for (const [event, fn] of on) s.on(event, fn);
    this.#listeners = on;
  }

  /** Take this transport's listeners off the socket (another transport drives it from now on). */
  detach(): void {
    for (const [event, fn] of this.#listeners) this.socket.off(event, fn);
    this.#listeners = [];
    this.socket.setTimeout(0);
  }

  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }

  write(chunks: readonly Buffer[]): void {
    const s = this.socket;
    if (chunks.length === 1) s.write(chunks[0]!);
    else {
      s.cork();
      for (let i = 0; i < chunks.length; i++) s.write(chunks[i]!);
      s.uncork();
    }
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }
  get writableEnded(): boolean {
    return this.socket.writableEnded;
  }

  end(): void {
    this.socket.end();
  }

  endAndDestroy(lingerMs: number): void {
    const s = this.socket;
    if (s.destroyed) return;
    s.end();
    if (s.writableFinished) s.destroy();
    else {
      s.once('finish', () => s.destroy());
      // A peer that never reads must not keep the socket forever.
      s.setTimeout(lingerMs, () => s.destroy());
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  setIdleTimeout(ms: number): void {
    const s = this.socket;
    s.setTimeout(ms);
    if (ms > 0 && s.listenerCount('timeout') === 0) s.on('timeout', () => this.#sink?.timeout());
  }
  get idleTimeoutMs(): number {
    return this.socket.timeout ?? 0;
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

  release(): net.Socket | undefined {
    // the socket may hold bytes it read and no one took: they would not go with its handle
    return undefined;
  }

  toSocket(): net.Socket {
    return this.socket;
  }
}
