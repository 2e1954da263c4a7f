import { STATUS_CODES } from 'node:http';
import { INTERNAL_STATUS_HTTP, type Connection, type InternalStatus, type IoBuffer } from '@mosn/protocol';
import { HttpHeaders, equalsIgnoreCase, type HttpRequestHead, type HttpResponseHead } from '../http-headers.js';
import type { ServerStream, ServerStreamCallbacks, StreamReceiver, StreamResetReason, TunnelEnd } from '../types.js';
import { ConnectionFlow, WatermarkEvents } from '../flow.js';
import {
  CONTINUE_100,
  chooseFraming,
  encodeResponseHead,
  encodeTrailers,
  frameBody,
  statusHasNoBody,
  upgradeProtocols,
  type Framing,
} from './codec.js';
import { createParser, METHODS, type Http1Parser, type ParseError } from './parser.js';

export const DEFAULT_MAX_HEADER_SIZE = 8 * 1024;
/** From a request's first byte to the end of its head (`extend_config.http1.request_headers_timeout`). */
export const DEFAULT_REQUEST_HEADERS_TIMEOUT_MS = 30_000;
/** How long an idle keep-alive connection of a draining listener stays open for a request its client may be sending. */
export const DRAIN_IDLE_CLOSE_MS = 1000;

export interface Http1ServerOptions {
  /** Largest request head in bytes (`extend_config.Http1.max_header_size`); larger gets 431. */
  maxHeaderSize?: number;
  /**
   * Close a connection whose request head is not complete this long after its first byte, with a 408 when
   * no response is under way; 0 disables. Default DEFAULT_REQUEST_HEADERS_TIMEOUT_MS.
   */
  requestHeadersTimeoutMs?: number;
  /** Told of every protocol error before the connection is closed (logs, stats). */
  onProtocolError?: (err: ParseError) => void;
  /** Told when the request-headers timeout fires, before the connection is answered and closed. */
  onHeadersTimeout?: () => void;
}

const EMPTY = Buffer.alloc(0);

/**
 * The downstream side of an HTTP/1.1 connection. Requests are parsed by llhttp; each becomes a stream
 * handed to the proxy. Pipelined requests are answered in order: a request parsed while another is in
 * flight waits (head and body kept, reading paused) until the one before it is done.
 */
export class Http1ServerConnection {
  readonly connection: Connection;
  /** The connection's watermark events, passed to the stream in flight (made on first use). */
  #watermarks: WatermarkEvents | undefined;
  #callbacks: ServerStreamCallbacks;
  #options: Http1ServerOptions;
  #parser: Http1Parser;
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
  #drainTimer: NodeJS.Timeout | undefined;
  /**
   * The parser stopped after an upgrade (or CONNECT) request: the bytes after it are not HTTP. They wait in
   * the read buffer, reading off, for the answer: a 101 makes them the tunnel's first bytes.
   */
  #held = false;
  /** After a 101: every byte read goes here, raw. */
  #tunnel: ((buffer: IoBuffer, endStream: boolean) => void) | undefined;
  #headersTimeoutMs: number;
  #headTimer: NodeJS.Timeout | undefined;
  /** A request head has started (bytes fed with no message in progress) and is not complete yet. */
  #headTiming = false;
  /** The active request was answered before its body ended: the rest must come in time (`awaitRequestEnd`). */
  #restTiming = false;
  #parserClosed = false;

  constructor(connection: Connection, callbacks: ServerStreamCallbacks, options: Http1ServerOptions = {}) {
    this.connection = connection;
    // never handed to node:http2: reads can be copied out of the shared read buffer
    connection.neverNeedsSocket();
    this.#callbacks = callbacks;
    this.#options = options;
    this.#headersTimeoutMs = options.requestHeadersTimeoutMs ?? DEFAULT_REQUEST_HEADERS_TIMEOUT_MS;
    this.#parser = createParser('request', options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE, {
      onHeadersComplete: (vMaj, vMin, headers, method, url, _s, _m, upgrade, keepAlive) => {
        if (this.#closed) return 0; // refused below: nothing more of this read is a request
        this.#headTiming = false;
        if (vMaj !== 1) {
          // llhttp takes a request line without a version as HTTP/0.9 (and `HTTP/2.0` in one); mosn speaks 1.x only
          this.#protocolError(Object.assign(new Error(`HTTP/${vMaj}.${vMin}`), { code: 'HPE_INVALID_VERSION', reason: `HTTP/${vMaj}.${vMin} is not supported` }));
          return 0;
        }
        const head: HttpRequestHead = {
          method: METHODS[method ?? 0] ?? 'GET',
          path: url ?? '/',
          versionMajor: vMaj,
          versionMinor: vMin,
          headers: new HttpHeaders(headers ?? []),
        };
        // llhttp stops after an upgrade request's message: CONNECT, or Upgrade with Connection: upgrade.
        let tunnel = false;
        if (upgrade) {
          const protocols = head.method === 'CONNECT' ? undefined : upgradeProtocols(head.headers.get('upgrade'));
          if (protocols !== undefined) head.upgrade = protocols;
          // An upgrade to h2c alone is declined: the connection goes on as HTTP/1 after the answer.
          tunnel = head.method === 'CONNECT' || protocols !== undefined;
        }
        const hasBody =
          head.method !== 'CONNECT' &&
          (head.headers.get('transfer-encoding') !== undefined || Number(head.headers.get('content-length') ?? 0) > 0);
        // A declined upgrade closes the connection after its answer: what the client sent after the request
        // was meant for the other protocol and must not be read as HTTP.
        const s = new Http1ServerStream(this, this.#nextStreamId++, head, keepAlive && !tunnel, !hasBody, tunnel);
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
        if (s?.upgradeRequested && !this.#held) {
          this.#held = true;
          connection.readDisable(true);
        }
        if (trailers && s) s.requestTrailers(new HttpHeaders(trailers));
        else s?.requestData(EMPTY, true);
      },
    });
    connection.on('event', (ev) => {
      if (ev === 'local_close' || ev === 'remote_close') this.#onClose();
    });
    connection.onDrain = () => this.drain();
  }

  get watermarks(): WatermarkEvents {
    return (this.#watermarks ??= new WatermarkEvents(this.connection));
  }

  /** True once asked to drain: the response in flight says `connection: close`, then the connection closes. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Graceful shutdown: close now if idle, else after the response in flight. */
  drain(): void {
    this.#draining = true;
    if (this.#active !== undefined || this.#drainTimer !== undefined) return;
    // An idle keep-alive connection is closed once it stayed idle a moment: its client may be writing its next
    // request right now (a close at once would lose that request); one that comes is answered with connection: close.
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      if (this.#active === undefined && this.#parsing === undefined && !this.#closed) this.connection.close('flush', 'shutdown');
    }, DRAIN_IDLE_CLOSE_MS);
  }

  get protocol(): string {
    return 'Http1';
  }

  /** Feed what the connection read. */
  onData(buffer: IoBuffer, endStream: boolean): void {
    if (this.#tunnel) return this.#tunnel(buffer, endStream);
    if (this.#closed) {
      buffer.clear();
      return;
    }
    if (this.#executing) return; // re-entered from a parser callback: the loop below goes on
    this.#executing = true;
    try {
      while (buffer.length > 0 && this.connection.readEnabled && !this.#closed && !this.#held) {
        if (this.#parsing === undefined && !this.#headTiming) this.#startHeadTimer();
        const chunk = buffer.peek(Math.min(buffer.length, 65536));
        const r = this.#parser.execute(chunk);
        if (typeof r !== 'number') {
          buffer.drain(chunk.length);
          return this.#protocolError(r);
        }
        if (r < 0 || r > chunk.length) {
          // Node reports a parse error as a byte count once a request asked for an upgrade (a declined h2c one
          // included): error position minus this chunk, negative when the error began in an earlier read
          buffer.clear();
          return this.#protocolError(Object.assign(new Error('parse error after an upgrade request'), { code: 'HPE_INVALID_AFTER_UPGRADE', reason: 'malformed request after an upgrade request' }));
        }
        // Less than the chunk only after an upgrade request: the rest stays for the tunnel (or, for a
        // declined h2c upgrade, is parsed next).
        buffer.drain(r);
        if (r === 0 && !this.#held) {
          buffer.clear();
          return this.#protocolError(Object.assign(new Error('parser made no progress'), { code: 'HPE_STALLED' }));
        }
      }
      // (set by a parser callback: TypeScript cannot see it)
      const tunnel = this.#tunnel as ((b: IoBuffer, end: boolean) => void) | undefined;
      if (tunnel && buffer.length > 0) return tunnel(buffer, endStream);
      // A client that ends its side in the middle of a request (its head, its body) went away: not a protocol error,
      // and nothing is answered; the connection closes as the client's close (a request under way is reset).
      if (endStream && buffer.length === 0 && !this.#closed && !this.#held) this.#parser.finish();
    } finally {
      this.#executing = false;
    }
  }

  #dispatch(s: Http1ServerStream): void {
    this.#active = s;
    s.receiver = this.#callbacks.onNewStream(s);
    s.deliver();
  }

  /**
   * The active request was answered before its body ended: the rest of the body is read and dropped (the connection
   * stays usable), but it must come within `request_headers_timeout` of the answer, or the connection is closed: a
   * body trickled after the answer (a route timeout's 504, say) would otherwise hold the connection for good.
   */
  awaitRequestEnd(): void {
    if (this.#headersTimeoutMs <= 0 || this.#closed) return;
    this.#restTiming = true;
    this.#armHeadTimer();
  }

  /** A stream's request and response are both done: the next pipelined request gets its turn. */
  streamDone(s: Http1ServerStream): void {
    if (this.#active !== s) return;
    this.#active = undefined;
    this.#restTiming = false;
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

  /**
   * After a 101 on the active stream: the connection as one end of a tunnel. Its reads go to the tunnel
   * from `start` on, beginning with the bytes held since the upgrade request.
   */
  tunnelEnd(): TunnelEnd {
    const conn = this.connection;
    this.#headTiming = false;
    return {
      connection: conn,
      start: (onData) => {
        this.#tunnel = onData;
        if (this.#held) {
          this.#held = false;
          conn.readDisable(false);
        }
        queueMicrotask(() => {
          if (this.#tunnel === onData && conn.state === 'open' && conn.readBuffer.length > 0) onData(conn.readBuffer, false);
        });
      },
    };
  }

  #startHeadTimer(): void {
    if (this.#headersTimeoutMs <= 0) return;
    this.#headTiming = true;
    this.#armHeadTimer();
  }

  /** One timer per connection, re-armed for each request head (cheaper than a new one per request). */
  #armHeadTimer(): void {
    if (this.#headTimer) this.#headTimer.refresh();
    else {
      this.#headTimer = setTimeout(() => this.#onHeadersTimeout(), this.#headersTimeoutMs);
      this.#headTimer.unref();
    }
  }

  #onHeadersTimeout(): void {
    if (this.#closed || this.#tunnel) return;
    if (this.#restTiming) {
      // the rest of an answered request's body did not come in time
      this.#restTiming = false;
      this.connection.log.debug({ timeoutMs: this.#headersTimeoutMs }, 'the rest of an answered request did not come in time: closing');
      this.connection.close('now', 'idle_timeout');
      return;
    }
    if (!this.#headTiming) return;
    this.#headTiming = false;
    this.#options.onHeadersTimeout?.();
    if (this.#active === undefined) {
      this.#answerAndClose(408, 'request headers not received in time', 'idle_timeout');
      return;
    }
    // A response is under way: it ends the connection (`connection: close`); nothing more is read.
    this.connection.readDisable(true);
    this.drain();
  }

  #protocolError(err: ParseError): void {
    this.#options.onProtocolError?.(err);
    const active = this.#active;
    if (active && active.responseStarted) {
      this.connection.close('now', 'protocol_error');
      return;
    }
    this.#answerAndClose(err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, err.reason ?? err.code, 'protocol_error');
  }

  /** Answer outside any stream (a bad or late request head), then close. */
  #answerAndClose(status: number, reason: string, closeReason: 'protocol_error' | 'idle_timeout'): void {
    const body = `${STATUS_CODES[status]}: ${reason}\n`;
    const headers = new HttpHeaders(['content-type', 'text/plain', 'content-length', String(body.length)]);
    this.#closed = true;
    this.connection.write(encodeResponseHead(1, status, STATUS_CODES[status]!, headers, 'length', true), Buffer.from(body));
    this.connection.close('flush', closeReason);
  }

  #onClose(): void {
    if (this.#drainTimer !== undefined) {
      clearTimeout(this.#drainTimer);
      this.#drainTimer = undefined;
    }
    if (this.#headTimer !== undefined) {
      clearTimeout(this.#headTimer);
      this.#headTimer = undefined;
    }
    this.#headTiming = false;
    this.#restTiming = false;
    if (!this.#parserClosed) {
      // also after a refused request (#closed already set): an unclosed parser is never freed
      this.#parserClosed = true;
      const parser = this.#parser;
      queueMicrotask(() => parser.close()); // never under a running execute()
    }
    if (this.#closed && !this.#active) return;
    this.#closed = true;
    const active = this.#active;
    this.#active = undefined;
    this.#queue.length = 0;
    active?.connectionClosed();
  }
}

/** One request on an HTTP/1 downstream connection, and the response to it. */
export class Http1ServerStream implements ServerStream {
  readonly id: number;
  readonly request: HttpRequestHead;
  readonly keepAlive: boolean;
  /** The request asked for an upgrade (or is a CONNECT): a 101 may turn the connection into a tunnel. */
  readonly upgradeRequested: boolean;
  receiver: StreamReceiver<HttpRequestHead> | undefined;
  #owner: Http1ServerConnection;
  /** `Expect: 100-continue` with a body: the client may wait for `100 Continue` before sending it. */
  #expectContinue = false;
  #continueSent = false;
  /** The response ends the connection at once: the client may never send the body it was not asked for. */
  #closeEarly = false;
  /** Answered 101: the connection is a tunnel now. */
  #switched = false;
  #requestComplete: boolean;
  /** Body bytes that came while the stream waited its turn. */
  #buffered: Buffer[] | undefined;
  #bufferedTrailers: HttpHeaders | undefined;
  #framing: Framing = 'none';
  #responseStarted = false;
  #responseComplete = false;
  #reset = false;
  #flow: ConnectionFlow | undefined;

  constructor(owner: Http1ServerConnection, id: number, request: HttpRequestHead, keepAlive: boolean, noBody: boolean, upgradeRequested = false) {
    this.#owner = owner;
    this.id = id;
    this.request = request;
    this.keepAlive = keepAlive;
    this.upgradeRequested = upgradeRequested;
    this.#requestComplete = noBody;
    const expect = request.headers.get('expect');
    if (expect !== undefined && equalsIgnoreCase(expect.trim(), '100-continue')) {
      // This hop answers the expectation (sendContinue); the upstream gets the body without being asked.
      request.headers.delete('expect');
      this.#expectContinue = !noBody && request.versionMinor >= 1;
    }
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
    (this.#flow ??= new ConnectionFlow(this.connection, this.#owner.watermarks)).readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    (this.#flow ??= new ConnectionFlow(this.connection, this.#owner.watermarks)).setWatermarkListener(listener);
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

  sendContinue(): void {
    if (!this.#expectContinue || this.#continueSent || this.#responseStarted || this.#reset || this.#requestComplete) return;
    this.#continueSent = true;
    this.connection.write(CONTINUE_100);
  }

  switchProtocols(head: HttpResponseHead): TunnelEnd | undefined {
    if (!this.upgradeRequested || this.request.upgrade === undefined || this.#responseStarted || this.#reset) return undefined;
    this.#responseStarted = true;
    this.#responseComplete = true;
    this.#switched = true;
    this.#flow?.release();
    const upgrade = head.headers.get('upgrade') ?? this.request.upgrade;
    const message = head.statusMessage ?? STATUS_CODES[101]!;
    this.connection.write(encodeResponseHead(this.request.versionMinor, 101, message, head.headers, 'none', false, upgrade));
    return this.#owner.tunnelEnd();
  }

  sendHeaders(head: HttpResponseHead, endStream: boolean): void {
    if (this.#responseStarted || this.#reset) return;
    this.#responseStarted = true;
    const noBody = this.request.method === 'HEAD' || statusHasNoBody(head.status);
    this.#framing = noBody ? 'none' : chooseFraming(head.headers, endStream, this.request.versionMinor >= 1);
    if (this.#framing === 'none' && !noBody && endStream) head.headers.set('content-length', '0');
    // Answered before asking for the body: the client may or may not send it now, so the connection ends.
    this.#closeEarly = this.#expectContinue && !this.#continueSent && !this.#requestComplete;
    const close = !this.keepAlive || this.#framing === 'close' || this.#owner.draining || this.#closeEarly;
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
    if (this.#framing === 'close' || (this.#closeEarly && !this.#requestComplete)) {
      this.connection.close('flush', 'requested');
      return;
    }
    if (!this.#requestComplete) this.#owner.awaitRequestEnd();
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#responseComplete && this.#requestComplete && !this.#switched) {
      this.#flow?.release();
      this.#owner.streamDone(this);
    }
  }
}
