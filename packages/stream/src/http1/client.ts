import { type Connection, type IoBuffer } from '@mosn/protocol';
import { HttpHeaders, type HttpRequestHead, type HttpResponseHead } from '../http-headers.js';
import type { ClientStream, StreamReceiver, StreamResetReason, TunnelEnd } from '../types.js';
import { ConnectionFlow, WatermarkEvents } from '../flow.js';
import { chooseFraming, encodeRequestHead, encodeTrailers, frameBody, type Framing } from './codec.js';
import { createParser, type Http1Parser } from './parser.js';

const EMPTY = Buffer.alloc(0);
const MAX_RESPONSE_HEADER_SIZE = 64 * 1024;

/**
 * The upstream side of an HTTP/1.1 connection: one request at a time, the response parsed by llhttp.
 * `onIdle` is called when a request and its response are both complete and the connection can be reused.
 */
export class Http1ClientConnection {
  readonly connection: Connection;
  /** The connection's watermark events, passed to the stream in flight (made on first use). */
  #watermarks: WatermarkEvents | undefined;
  requests = 0;
  #parser: Http1Parser;
  #stream: Http1ClientStream | undefined;
  #reusable = true;
  #executing = false;
  #onIdle: (c: Http1ClientConnection) => void;
  /** The upstream answered 101: the parser stopped; what follows is the tunnel's. */
  #held = false;
  /** The message being parsed is an interim (1xx) response. */
  #interim = false;
  #tunnel: ((buffer: IoBuffer, endStream: boolean) => void) | undefined;

  constructor(connection: Connection, onIdle: (c: Http1ClientConnection) => void) {
    this.connection = connection;
    // never handed to node:http2: reads can be copied out of the shared read buffer
    connection.neverNeedsSocket();
    this.#onIdle = onIdle;
    this.#parser = createParser('response', MAX_RESPONSE_HEADER_SIZE, {
      onHeadersComplete: (_vMaj, _vMin, headers, _m, _u, status, statusMessage, upgrade, keepAlive) => {
        const s = this.#stream;
        if (!s) return 0;
        const code = status ?? 502;
        // Interim responses are not forwarded (this hop answers `Expect: 100-continue` itself); llhttp ends each as
        // a message, which must not end the stream's response (its real one follows on this connection)
        if (code >= 100 && code < 200 && code !== 101) {
          this.#interim = true;
          return 0;
        }
        if (!keepAlive) this.#reusable = false;
        const head: HttpResponseHead = { status: code, headers: new HttpHeaders(headers ?? []) };
        if (statusMessage) head.statusMessage = statusMessage;
        if (code === 101) {
          this.#reusable = false;
          this.#held = true;
          // A 101 the request did not ask for cannot be carried: the upstream is broken.
          if (!upgrade || !s.upgradeRequested) {
            this.#failStream('protocol_error');
            return 0;
          }
        }
        return s.responseHeaders(head);
      },
      onBody: (chunk) => this.#stream?.responseData(chunk, false),
      onMessageComplete: (trailers) => {
        if (this.#interim) {
          this.#interim = false;
          return;
        }
        if (trailers) this.#stream?.responseTrailers(new HttpHeaders(trailers));
        else this.#stream?.responseData(EMPTY, true);
      },
    });
    connection.addReadFilter({
      onData: (buffer, endStream) => {
        this.#onData(buffer, endStream);
        return 'stop';
      },
    });
    connection.on('event', (ev) => {
      if (ev === 'remote_close' || ev === 'local_close') this.#onClose();
    });
  }

  get watermarks(): WatermarkEvents {
    return (this.#watermarks ??= new WatermarkEvents(this.connection));
  }

  get busy(): boolean {
    return this.#stream !== undefined;
  }

  /** Start a request on this (idle, connected) connection. */
  newStream(receiver: StreamReceiver<HttpResponseHead>): Http1ClientStream {
    this.requests++;
    const s = new Http1ClientStream(this, receiver);
    this.#stream = s;
    return s;
  }

  /** From the stream: request and response are both done. */
  streamDone(s: Http1ClientStream, reusable: boolean): void {
    if (this.#stream !== s) return;
    this.#stream = undefined;
    if (!reusable || !this.#reusable) this.#reusable = false;
    if (this.#reusable && this.connection.state === 'open') this.#onIdle(this);
    else this.connection.close('now', 'requested');
  }

  get reusable(): boolean {
    return this.#reusable;
  }

  /** After a 101: the connection as one end of a tunnel, beginning with the bytes read after the 101. */
  tunnelEnd(): TunnelEnd {
    const conn = this.connection;
    return {
      connection: conn,
      start: (onData) => {
        this.#tunnel = onData;
        queueMicrotask(() => {
          if (this.#tunnel === onData && conn.state === 'open' && conn.readBuffer.length > 0) onData(conn.readBuffer, false);
        });
      },
    };
  }

  #onData(buffer: IoBuffer, endStream: boolean): void {
    if (this.#tunnel) return this.#tunnel(buffer, endStream);
    if (this.#executing || this.#held) return;
    this.#executing = true;
    try {
      while (buffer.length > 0 && !this.#held) {
        if (!this.#stream) {
          // Bytes with no request outstanding: the server is broken; this connection is not reusable.
          buffer.clear();
          this.#reusable = false;
          this.connection.close('now', 'protocol_error');
          return;
        }
        const chunk = buffer.peek(Math.min(buffer.length, 65536));
        const r = this.#parser.execute(chunk);
        if (typeof r !== 'number') {
          buffer.drain(chunk.length);
          this.connection.log.debug({ code: r.code }, 'upstream HTTP/1 parse error');
          this.#failStream('protocol_error');
          return;
        }
        buffer.drain(r);
        if (r === 0 && !this.#held) {
          buffer.clear();
          this.#failStream('protocol_error');
          return;
        }
      }
      // A 101: what came after it (and the end, if it came) belongs to the tunnel.
      // (set by a parser callback: TypeScript cannot see it)
      const tunnel = this.#tunnel as ((b: IoBuffer, end: boolean) => void) | undefined;
      if (tunnel) return tunnel(buffer, endStream);
      if (this.#held) return;
      if (endStream) {
        this.#reusable = false;
        // A response delimited by the connection's end completes here.
        const r = this.#parser.finish();
        if (r !== undefined) this.#failStream('connection_termination');
      }
    } finally {
      this.#executing = false;
    }
  }

  #failStream(reason: StreamResetReason): void {
    const s = this.#stream;
    this.#stream = undefined;
    this.#reusable = false;
    // the stream first hears why (closing would tell it `connection_termination` instead)
    s?.remoteReset(reason);
    this.connection.close('now', 'protocol_error');
  }

  #onClose(): void {
    this.#reusable = false;
    const s = this.#stream;
    this.#stream = undefined;
    s?.remoteReset('connection_termination');
    const parser = this.#parser;
    queueMicrotask(() => parser.close());
  }
}

/** One request on an upstream HTTP/1 connection. */
export class Http1ClientStream implements ClientStream {
  #owner: Http1ClientConnection;
  #receiver: StreamReceiver<HttpResponseHead>;
  #framing: Framing = 'none';
  #isHead = false;
  #requestComplete = false;
  #responseComplete = false;
  #done = false;
  #flow: ConnectionFlow | undefined;
  #upgrade = false;
  #switched = false;

  constructor(owner: Http1ClientConnection, receiver: StreamReceiver<HttpResponseHead>) {
    this.#owner = owner;
    this.#receiver = receiver;
  }

  get connection(): Connection {
    return this.#owner.connection;
  }

  readDisable(disable: boolean): void {
    (this.#flow ??= new ConnectionFlow(this.connection, this.#owner.watermarks)).readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    (this.#flow ??= new ConnectionFlow(this.connection, this.#owner.watermarks)).setWatermarkListener(listener);
  }

  /** The request asked for an upgrade (it went with `connection: upgrade`). */
  get upgradeRequested(): boolean {
    return this.#upgrade;
  }

  sendHeaders(head: HttpRequestHead, endStream: boolean): void {
    if (this.#done) return;
    this.#isHead = head.method === 'HEAD';
    this.#upgrade = head.upgrade !== undefined;
    this.#framing = chooseFraming(head.headers, endStream, true);
    this.connection.write(encodeRequestHead(head.method, head.path, head.headers, this.#framing, head.upgrade));
    if (endStream) this.#requestEnd();
  }

  tunnel(): TunnelEnd | undefined {
    if (!this.#switched) return undefined;
    this.#switched = false;
    return this.#owner.tunnelEnd();
  }

  sendData(chunk: Buffer, endStream: boolean): void {
    if (this.#done) return;
    const parts = frameBody(chunk, endStream, this.#framing);
    if (parts.length > 0) this.connection.write(...parts);
    if (endStream) this.#requestEnd();
  }

  sendTrailers(trailers: HttpHeaders): void {
    if (this.#done) return;
    const parts = encodeTrailers(trailers, this.#framing);
    if (parts.length > 0) this.connection.write(...parts);
    else if (this.#framing === 'chunked') this.connection.write(...frameBody(EMPTY, true, 'chunked'));
    this.#requestEnd();
  }

  /** The proxy gives up on this request (timeout, downstream gone): the connection cannot be reused. */
  reset(_reason: StreamResetReason): void {
    if (this.#done) return;
    this.#done = true;
    this.#flow?.release();
    this.#owner.streamDone(this, false);
  }

  /** From the connection: returns 1 to tell llhttp a HEAD response has no body. */
  responseHeaders(head: HttpResponseHead): number {
    if (this.#done) return 0;
    if (head.status === 101) {
      // The stream ends here; its connection becomes a tunnel if the receiver takes it (`tunnel()`), and
      // is closed if it does not.
      this.#done = true;
      this.#switched = true;
      this.#flow?.release();
      this.#receiver.onHeaders(head, false);
      if (this.#switched) {
        this.#switched = false;
        this.connection.close('now', 'requested');
      }
      return 0;
    }
    const noBody = this.#isHead || head.status === 204 || head.status === 304;
    this.#receiver.onHeaders(head, false);
    return noBody ? 1 : 0;
  }

  responseData(chunk: Buffer, end: boolean): void {
    if (this.#done) return;
    if (end) this.#responseComplete = true;
    this.#receiver.onData(chunk, end);
    if (end) this.#maybeDone();
  }

  responseTrailers(trailers: HttpHeaders): void {
    if (this.#done) return;
    this.#responseComplete = true;
    this.#receiver.onTrailers(trailers);
    this.#maybeDone();
  }

  remoteReset(reason: StreamResetReason): void {
    if (this.#done) return;
    this.#done = true;
    this.#flow?.release();
    this.#receiver.onReset(reason);
  }

  #requestEnd(): void {
    this.#requestComplete = true;
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#done || !this.#requestComplete || !this.#responseComplete) return;
    this.#done = true;
    this.#flow?.release();
    this.#owner.streamDone(this, true);
  }
}
