import { STATUS_CODES } from 'node:http';
import { INTERNAL_STATUS_HTTP, type Connection, type InternalStatus, type IoBuffer } from '@mosn/protocol';
import { HttpHeaders, type HttpRequestHead, type HttpResponseHead } from '../http-headers.js';
import type { ServerStream, ServerStreamCallbacks, StreamReceiver, StreamResetReason } from '../types.js';
import { ConnectionFlow } from '../flow.js';
import { chooseFraming, encodeResponseHead, encodeTrailers, frameBody, statusHasNoBody, type Framing } from './codec.js';
import { createParser, METHODS, type HTTPParserInstance, type ParseError } from './parser.js';

export const DEFAULT_MAX_HEADER_SIZE = 8 * 1024;

export interface Http1ServerOptions {
  /** Largest request head in bytes (`extend_config.Http1.max_header_size`); larger gets 431. */
  maxHeaderSize?: number;
  /** Told of every protocol error before the connection is closed (logs, stats). */
  onProtocolError?: (err: ParseError) => void;
}

const EMPTY = Buffer.alloc(0);

/**
 * The downstream side of an HTTP/1.1 connection. Requests are parsed by llhttp; each becomes a stream
 * handed to the proxy. Pipelined requests are answered in order: a request parsed while another is in
 * flight waits (head and body kept, reading paused) until the one before it is done.
 */
export class Http1ServerConnection {
  readonly connection: Connection;
  #callbacks: ServerStreamCallbacks;
  #options: Http1ServerOptions;
  #parser: HTTPParserInstance;
  /** The stream the parser is filling. */
  #parsing: Http1ServerStream | undefined;
  /** The stream whose response is being written; the only one the proxy has seen. */
  #active: Http1ServerStream | undefined;
  #queue: Http1ServerStream[] = [];
  #nextStreamId = 1;
  #closed = false;
  #paused = false;
  #advancing = false;
  #executing = false;
  #draining = false;

  constructor(connection: Connection, callbacks: ServerStreamCallbacks, options: Http1ServerOptions = {}) {
    this.connection = connection;
    this.#callbacks = callbacks;
    this.#options = options;
    this.#parser = createParser('request', options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE, {
      onHeadersComplete: (vMaj, vMin, headers, method, url, _s, _m, _upgrade, keepAlive) => {
        const head: HttpRequestHead = {
          method: METHODS[method ?? 0] ?? 'GET',
          path: url ?? '/',
          versionMajor: vMaj,
          versionMinor: vMin,
          headers: new HttpHeaders(headers ?? []),
        };
        const hasBody =
          head.headers.get('transfer-encoding') !== undefined || Number(head.headers.get('content-length') ?? 0) > 0;
        const s = new Http1ServerStream(this, this.#nextStreamId++, head, keepAlive, !hasBody);
        this.#parsing = s;
        if (this.#active === undefined) this.#dispatch(s);
        else {
          this.#queue.push(s);
          if (!this.#paused) {
            this.#paused = true;
            connection.readDisable(true);
          }
        }
        return 0;
      },
      onBody: (chunk) => this.#parsing?.requestData(chunk, false),
      onMessageComplete: (trailers) => {
        const s = this.#parsing;
        this.#parsing = undefined;
        if (trailers && s) s.requestTrailers(new HttpHeaders(trailers));
        else s?.requestData(EMPTY, true);
      },
    });
    connection.on('event', (ev) => {
      if (ev === 'local_close' || ev === 'remote_close') this.#onClose();
    });
    connection.onDrain = () => this.drain();
  }

  /** True once asked to drain: the response in flight says `connection: close`, then the connection closes. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Graceful shutdown: close now if idle, else after the response in flight. */
  drain(): void {
    this.#draining = true;
    if (this.#active === undefined) this.connection.close('flush', 'shutdown');
  }

  get protocol(): string {
    return 'Http1';
  }

  /** Feed what the connection read. */
  onData(buffer: IoBuffer, endStream: boolean): void {
    if (this.#closed) {
      buffer.clear();
      return;
    }
    if (this.#executing) return; // re-entered from a parser callback: the loop below goes on
    this.#executing = true;
    try {
      while (buffer.length > 0 && this.connection.readEnabled && !this.#closed) {
        const chunk = buffer.take(Math.min(buffer.length, 65536));
        const r = this.#parser.execute(chunk);
        if (typeof r !== 'number') return this.#protocolError(r);
      }
      if (endStream && buffer.length === 0 && !this.#closed) {
        const r = this.#parser.finish();
        if (r !== undefined) this.#protocolError(r);
      }
    } finally {
      this.#executing = false;
    }
  }

  #dispatch(s: Http1ServerStream): void {
    this.#active = s;
    s.receiver = this.#callbacks.onNewStream(s);
    s.deliver();
  }

  /** A stream's request and response are both done: the next pipelined request gets its turn. */
  streamDone(s: Http1ServerStream): void {
    if (this.#active !== s) return;
    this.#active = undefined;
    if (!s.keepAlive || this.#draining) {
      this.connection.close('flush', 'requested');
      return;
    }
    if (this.#advancing) return; // the loop below, further up the stack, dispatches the next one
    this.#advancing = true;
    while (this.#active === undefined && this.#queue.length > 0) this.#dispatch(this.#queue.shift()!);
    this.#advancing = false;
    if (this.#queue.length === 0 && this.#paused) {
      this.#paused = false;
      this.connection.readDisable(false);
    }
  }

  #protocolError(err: ParseError): void {
    this.#options.onProtocolError?.(err);
    const active = this.#active;
    if (active && active.responseStarted) {
      this.connection.close('now', 'protocol_error');
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = `${STATUS_CODES[status]}: ${err.reason ?? err.code}\n`;
    const headers = new HttpHeaders(['content-type', 'text/plain', 'content-length', String(body.length)]);
    this.#closed = true;
    this.connection.write(encodeResponseHead(1, status, STATUS_CODES[status]!, headers, 'length', true), Buffer.from(body));
    this.connection.close('flush', 'protocol_error');
  }

  #onClose(): void {
    if (this.#closed && !this.#active) return;
    this.#closed = true;
    const active = this.#active;
    this.#active = undefined;
    this.#queue.length = 0;
    const parser = this.#parser;
    queueMicrotask(() => parser.close()); // never under a running execute()
    active?.connectionClosed();
  }
}

/** One request on an HTTP/1 downstream connection, and the response to it. */
export class Http1ServerStream implements ServerStream {
  readonly id: number;
  readonly request: HttpRequestHead;
  readonly keepAlive: boolean;
  receiver: StreamReceiver<HttpRequestHead> | undefined;
  #owner: Http1ServerConnection;
  #requestComplete: boolean;
  /** Body bytes that came while the stream waited its turn. */
  #buffered: Buffer[] | undefined;
  #bufferedTrailers: HttpHeaders | undefined;
  #framing: Framing = 'none';
  #responseStarted = false;
  #responseComplete = false;
  #reset = false;
  #flow: ConnectionFlow | undefined;

  constructor(owner: Http1ServerConnection, id: number, request: HttpRequestHead, keepAlive: boolean, noBody: boolean) {
    this.#owner = owner;
    this.id = id;
    this.request = request;
    this.keepAlive = keepAlive;
    this.#requestComplete = noBody;
  }

  get protocol(): string {
    return 'Http1';
  }
  get connection(): Connection {
    return this.#owner.connection;
  }
  get responseStarted(): boolean {
    return this.#responseStarted;
  }

  readDisable(disable: boolean): void {
    (this.#flow ??= new ConnectionFlow(this.connection)).readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    (this.#flow ??= new ConnectionFlow(this.connection)).setWatermarkListener(listener);
  }

  /** Hand the head (and anything buffered) to the receiver. */
  deliver(): void {
    const r = this.receiver!;
    const buffered = this.#buffered;
    this.#buffered = undefined;
    const trailers = this.#bufferedTrailers;
    const complete = this.#requestComplete && trailers === undefined;
    r.onHeaders(this.request, complete && buffered === undefined);
    if (buffered) {
      for (let i = 0; i < buffered.length; i++) {
        r.onData(buffered[i]!, complete && i === buffered.length - 1);
      }
    }
    if (trailers) r.onTrailers(trailers);
  }

  /** From the parser: the request's trailers, which end it. */
  requestTrailers(trailers: HttpHeaders): void {
    this.#requestComplete = true;
    if (this.receiver === undefined) {
      this.#bufferedTrailers = trailers;
      return;
    }
    if (!this.#reset) this.receiver.onTrailers(trailers);
    this.#maybeDone();
  }

  /** From the parser: body bytes of this request, or its end. */
  requestData(chunk: Buffer, end: boolean): void {
    if (end && this.#requestComplete) return; // no body: the head already said endStream
    if (end) this.#requestComplete = true;
    if (this.receiver === undefined) {
      if (chunk.length > 0 || end) (this.#buffered ??= []).push(chunk);
      return;
    }
    if (!this.#reset) this.receiver.onData(chunk, end);
    if (end) this.#maybeDone();
  }

  sendHeaders(head: HttpResponseHead, endStream: boolean): void {
    if (this.#responseStarted || this.#reset) return;
    this.#responseStarted = true;
    const noBody = this.request.method === 'HEAD' || statusHasNoBody(head.status);
    this.#framing = noBody ? 'none' : chooseFraming(head.headers, endStream, this.request.versionMinor >= 1);
    if (this.#framing === 'none' && !noBody && endStream) head.headers.set('content-length', '0');
    const close = !this.keepAlive || this.#framing === 'close' || this.#owner.draining;
    const buf = encodeResponseHead(
      this.request.versionMinor,
      head.status,
      head.statusMessage ?? STATUS_CODES[head.status] ?? 'Unknown',
      head.headers,
      this.#framing,
      close,
    );
    this.connection.write(buf);
    if (endStream) this.#responseEnd();
  }

  sendData(chunk: Buffer, endStream: boolean): void {
    if (this.#responseComplete || this.#reset) return;
    if (this.#framing !== 'none') {
      const parts = frameBody(chunk, endStream, this.#framing);
      if (parts.length > 0) this.connection.write(...parts);
    }
    if (endStream) this.#responseEnd();
  }

  sendTrailers(trailers: HttpHeaders): void {
    if (this.#responseComplete || this.#reset) return;
    const parts = encodeTrailers(trailers, this.#framing);
    if (parts.length > 0) this.connection.write(...parts);
    else if (this.#framing === 'chunked') this.connection.write(...frameBody(EMPTY, true, 'chunked'));
    this.#responseEnd();
  }

  sendResponse(status: number, body: string | Buffer | undefined, headers = new HttpHeaders()): void {
    const b = body === undefined ? EMPTY : typeof body === 'string' ? Buffer.from(body) : body;
    headers.set('content-length', String(b.length));
    if (b.length > 0 && !headers.has('content-type')) headers.set('content-type', 'text/plain');
    this.sendHeaders({ status, headers }, b.length === 0);
    if (b.length > 0) this.sendData(b, true);
  }

  sendLocalReply(status: InternalStatus, message?: string): void {
    this.sendResponse(INTERNAL_STATUS_HTTP[status], message === undefined ? undefined : message + '\n');
  }

  reset(_reason: StreamResetReason): void {
    if (this.#reset) return;
    this.#reset = true;
    // HTTP/1 cannot reset one stream: the connection goes.
    this.connection.close(this.#responseStarted ? 'now' : 'flush', 'requested');
  }

  /** The connection closed under this stream. */
  connectionClosed(): void {
    this.#flow?.release();
    if (this.#responseComplete || this.#reset) return;
    this.#reset = true;
    this.receiver?.onReset('connection_termination');
  }

  #responseEnd(): void {
    this.#responseComplete = true;
    if (this.#framing === 'close') {
      this.connection.close('flush', 'requested');
      return;
    }
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#responseComplete && this.#requestComplete) {
      this.#flow?.release();
      this.#owner.streamDone(this);
    }
  }
}
