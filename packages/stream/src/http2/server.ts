import { constants, performServerHandshake, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { INTERNAL_STATUS_HTTP, type Connection, type InternalStatus, type IoBuffer } from '@mosn/protocol';
import { HttpHeaders, equalsIgnoreCase, type HttpRequestHead, type HttpResponseHead } from '../http-headers.js';
import type { ServerStream, ServerStreamCallbacks, StreamReceiver, StreamResetReason } from '../types.js';
import { statusHasNoBody } from '../http1/codec.js';
import { detachSocket } from './detach.js';
import { nghttp2Ended } from './ended.js';
import { grpcLocalReply, isGrpc } from './grpc.js';
import { h2ResponseHeaders, h2Trailers, requestHeadFromH2 } from './headers.js';
import { connectionWindow, sessionOptions, type Http2Options } from './settings.js';
import { H2StreamIo, resetCode } from './stream-io.js';

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = constants;
const CONTINUE_100 = { ':status': 100 };
const NOOP = (): void => {};
/** How often a session is checked for having been ended by nghttp2 (a protocol error in what the peer sent). */
const ENDED_CHECK_MS = 250;
/** After a graceful close (idle), how long the peer has to let the connection go before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

export interface Http2ServerOptions extends Http2Options {
  /** Told of a session error (a bad frame, a bad preface) before the connection is closed. */
  onProtocolError?: (err: Error) => void;
}

/**
 * The downstream side of an HTTP/2 (h2c) connection, on Node's nghttp2. On the first bytes it takes the
 * socket over from our Connection (which stops reading it) and gives the bytes read so far back to the
 * socket, where the HTTP/2 session reads them first. Each stream becomes a ServerStream for the proxy.
 * Graceful drain sends GOAWAY and closes once the streams in flight are done.
 */
export class Http2ServerConnection {
  readonly connection: Connection;
  #callbacks: ServerStreamCallbacks;
  #options: Http2ServerOptions;
  #session: ServerHttp2Session | undefined;
  #streams = new Set<Http2ServerStream>();
  #draining = false;
  /** We asked the session to close (idle, drain, end of input): its ending is not the peer's protocol error. */
  #closing = false;
  /** The session was closed for being idle: its connection closes as such. */
  #idle = false;
  /** Streams holding their response headers until the end of this loop turn's I/O (one immediate for all). */
  #held: Http2ServerStream[] = [];
  #flushHeld = (): void => {
    const held = this.#held;
    this.#held = [];
    for (let i = 0; i < held.length; i++) held[i]!.flushHeld();
  };

  constructor(connection: Connection, callbacks: ServerStreamCallbacks, options: Http2ServerOptions = {}) {
    this.connection = connection;
    this.#callbacks = callbacks;
    this.#options = options;
    connection.onDrain = () => this.drain();
  }

  get protocol(): string {
    return 'Http2';
  }
  get activeStreams(): number {
    return this.#streams.size;
  }
  get draining(): boolean {
    return this.#draining;
  }

  /** Feed what the connection read: the first call hands the socket to the HTTP/2 session. */
  onData(buffer: IoBuffer, endStream: boolean): void {
    if (this.#session !== undefined) {
      buffer.clear();
      return;
    }
    if (endStream) {
      buffer.clear();
      this.connection.close('flush', 'protocol_error');
      return;
    }
    this.#start();
  }

  /** From a stream: flush its held response headers once this loop turn's I/O callbacks have run. */
  hold(stream: Http2ServerStream): void {
    if (this.#held.push(stream) === 1) setImmediate(this.#flushHeld);
  }

  /** Graceful shutdown: GOAWAY now, close once the streams in flight are done. */
  drain(): void {
    this.#draining = true;
    if (this.#session) this.#closeSession(this.#session);
    else this.connection.close('flush', 'shutdown');
  }

  /** GOAWAY, and close once the streams in flight are done; a peer that holds on past the grace loses it. */
  #closeSession(session: ServerHttp2Session): void {
    this.#closing = true;
    // the client's close that follows the GOAWAY is the end of ours
    this.connection.closingFor(this.#draining ? 'shutdown' : this.#idle ? 'idle_timeout' : 'requested');
    session.close();
    if (session.destroyed || this.#streams.size > 0) return;
    setTimeout(() => session.destroy(), CLOSE_GRACE_MS).unref();
  }

  #start(): void {
    const conn = this.connection;
    const socket = conn.socket;
    const idleMs = socket.timeout ?? 0;
    const unread = detachSocket(conn);
    for (let i = unread.length - 1; i >= 0; i--) socket.unshift(unread[i]!);
    const session = performServerHandshake(socket, sessionOptions(this.#options, true));
    this.#session = session;
    session.setLocalWindowSize(connectionWindow(this.#options));
    if (idleMs > 0) {
      session.on('timeout', () => {
        if (this.#streams.size > 0) {
          // Node's session timer fires once, when no stream read or wrote for the timeout. With streams open the
          // connection is not idle (a request may wait for its upstream's answer as long as its route allows): the
          // timer is armed again, unless answers wait for the client all that time: a client that does not read is
          // closed and its streams reset, as an idle HTTP/1 connection would be.
          let waiting = false;
          for (const st of this.#streams) waiting ||= st.waitingForPeer;
          if (!waiting) return void session.setTimeout(idleMs);
          conn.log.debug({ idleTimeoutMs: idleMs, streams: this.#streams.size }, 'HTTP/2 connection idle timeout, answers waiting for the client: closing it');
          this.#idle = true;
          this.#closing = true;
          conn.close('now', 'idle_timeout');
          session.destroy();
          return;
        }
        conn.log.debug({ idleTimeoutMs: idleMs }, 'HTTP/2 connection idle timeout');
        this.#idle = true;
        this.#closeSession(session);
      });
      session.setTimeout(idleMs);
    }
    // The socket was handed over with half-open allowed (tcp_proxy needs it): end of input must end the session
    // here, as Node's own HTTP/2 server does, or a peer gone mid-frame holds the connection.
    socket.once('end', () => {
      this.#closing = true;
      conn.log.debug({ streams: this.#streams.size }, 'HTTP/2 peer ended its side; closing the session');
      session.destroy();
    });
    // A bad frame from the peer: nghttp2 answers GOAWAY and stops reading, and Node says nothing; it is found
    // here, counted and closed (otherwise only the idle timeout would close it).
    if (nghttp2Ended(session) !== undefined) {
      const check = setInterval(() => {
        if (this.#closing || session.destroyed || nghttp2Ended(session) !== true) return;
        clearInterval(check);
        this.#options.onProtocolError?.(new Error('nghttp2 ended the session: a connection error in what the peer sent (GOAWAY sent)'));
        // its GOAWAY went out when nghttp2 ended the session; nothing else is owed to this peer
        session.destroy();
        conn.close('now', 'protocol_error');
      }, ENDED_CHECK_MS);
      check.unref();
      session.once('close', () => clearInterval(check));
    }
    session.on('stream', (stream: ServerHttp2Stream, _headers: unknown, flags: number, raw: string[]) => {
      this.#onStream(stream, flags, raw);
    });
    session.on('error', (err: Error) => {
      this.#closing = true;
      this.#options.onProtocolError?.(err);
      conn.log.debug({ err: { message: err.message } }, 'HTTP/2 session error');
      // Node destroys the session; its socket goes now, not after a shutdown that may never finish
      conn.close('now', 'protocol_error');
    });
    session.on('close', () => {
      conn.close('flush', this.#draining ? 'shutdown' : this.#idle ? 'idle_timeout' : 'requested');
      // A destroyed session can leave the socket's end unfinished: it must not wait for the 90 s fallback.
      if (!socket.destroyed) setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }

  #onStream(stream: ServerHttp2Stream, flags: number, raw: string[]): void {
    stream.on('error', NOOP); // reported by 'close' (rstCode)
    if (this.#draining) {
      stream.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    const s = new Http2ServerStream(this, stream, requestHeadFromH2(raw));
    this.#streams.add(s);
    stream.on('close', () => {
      this.#streams.delete(s);
      s.closed(this.#session?.destroyed ?? true);
    });
    s.start(this.#callbacks, (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
  }
}

/** One request on an HTTP/2 downstream connection, and the response to it. */
export class Http2ServerStream implements ServerStream {
  readonly request: HttpRequestHead;
  receiver: StreamReceiver<HttpRequestHead> | undefined;
  #owner: Http2ServerConnection;
  #stream: ServerHttp2Stream;
  #io = new H2StreamIo();
  #responseStarted = false;
  #reset = false;
  /** `expect: 100-continue` with a body to come: the client may wait for a 100 before sending it. */
  #expectContinue = false;
  #continueSent = false;
  /**
   * Response headers not sent yet, and the body chunks that came after them: they wait until the I/O
   * callbacks of the current loop turn have run (an immediate, one per connection), so that a body that ends
   * in the same turn goes on a stream opened without `waitForTrailers`: END_STREAM on the last DATA frame, no
   * 'wantTrailers' round trip, no trailing HEADERS or empty DATA frame. That covers an HTTP/1 upstream's whole
   * response in one read and an HTTP/2 upstream's HEADERS + DATA in one read (Node delivers those in separate
   * callbacks, with the microtasks run between them: holding to the end of the task missed it). What is held
   * is bounded by what one loop turn reads.
   */
  #pendingHead: HttpResponseHead | undefined;
  #pendingBody: Buffer[] | undefined;

  constructor(owner: Http2ServerConnection, stream: ServerHttp2Stream, request: HttpRequestHead) {
    this.#owner = owner;
    this.#stream = stream;
    this.request = request;
  }

  /** Answer bytes written that the session has not sent yet: the client's windows or its socket are full. */
  get waitingForPeer(): boolean {
    return this.#stream.writableLength > 0;
  }

  get id(): number {
    return this.#stream.id ?? 0;
  }
  get protocol(): string {
    return 'Http2';
  }
  get connection(): Connection {
    return this.#owner.connection;
  }
  get responseStarted(): boolean {
    return this.#responseStarted;
  }

  readDisable(disable: boolean): void {
    this.#io.readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    this.#io.setWatermarkListener(listener);
  }

  /** Open the proxy's side and hand it the head; the body follows as it comes. */
  start(callbacks: ServerStreamCallbacks, endStream: boolean): void {
    const expect = this.request.headers.get('expect');
    if (expect !== undefined && equalsIgnoreCase(expect.trim(), '100-continue')) {
      // This hop answers the expectation (sendContinue); the upstream gets the body without being asked.
      this.request.headers.delete('expect');
      this.#expectContinue = !endStream;
    }
    const sink = {
      onData: (chunk: Buffer, end: boolean) => this.receiver?.onData(chunk, end),
      onTrailers: (trailers: HttpHeaders) => this.receiver?.onTrailers(trailers),
    };
    this.#io.attach(this.#stream, sink, endStream, (err) => this.#receiverThrew(err));
    try {
      this.receiver = callbacks.onNewStream(this);
      this.receiver.onHeaders(this.request, endStream);
    } catch (err) {
      this.#receiverThrew(err);
    }
  }

  /** The request has somewhere to go: a client waiting on `expect: 100-continue` may send its body now. */
  sendContinue(): void {
    if (!this.#expectContinue || this.#continueSent || this.#responseStarted || this.#reset || this.#io.inEnded) return;
    this.#continueSent = true;
    try {
      this.#stream.additionalHeaders(CONTINUE_100);
    } catch (err) {
      // the stream closed meanwhile; its 'close' tells the proxy
      this.connection.log.debug({ err: { message: (err as Error).message } }, 'could not send 100 Continue');
    }
  }

  sendHeaders(head: HttpResponseHead, endStream: boolean): void {
    if (this.#responseStarted || this.#reset) return;
    this.#responseStarted = true;
    if (endStream || this.request.method === 'HEAD' || statusHasNoBody(head.status)) {
      this.#respond(head, true, false);
      return;
    }
    this.#pendingHead = head;
    this.#owner.hold(this);
  }

  /** @internal From the connection, after the loop turn's I/O: send the response headers if still held. */
  flushHeld(): void {
    this.#flushHead();
  }

  /** The response headers, if still held: the body goes on in later tasks (or trailers follow). */
  #flushHead(): boolean {
    const head = this.#pendingHead;
    if (head === undefined) return !this.#reset;
    const body = this.#pendingBody;
    this.#pendingHead = this.#pendingBody = undefined;
    if (this.#reset || !this.#respond(head, false, true)) return false;
    if (body !== undefined) for (const chunk of body) this.#io.write(chunk, false);
    return true;
  }

  #respond(head: HttpResponseHead, end: boolean, waitForTrailers: boolean): boolean {
    try {
      this.#stream.respond(h2ResponseHeaders(head), { endStream: end, waitForTrailers });
    } catch (err) {
      // Fields HTTP/2 cannot carry (a repeated single-value field, a bad character): nothing was sent.
      this.connection.log.debug({ err: { message: (err as Error).message } }, 'response headers rejected by HTTP/2');
      this.reset('protocol_error');
      return false;
    }
    if (end) {
      this.#io.endedWithHeaders();
      this.#responseEnded();
    }
    return true;
  }

  sendData(chunk: Buffer, endStream: boolean): void {
    if (this.#reset) return;
    const head = this.#pendingHead;
    if (head !== undefined) {
      if (!endStream) {
        if (chunk.length > 0) (this.#pendingBody ??= []).push(chunk);
        return;
      }
      const body = this.#pendingBody;
      this.#pendingHead = this.#pendingBody = undefined;
      if (body === undefined && chunk.length === 0) {
        this.#respond(head, true, false);
        return;
      }
      if (!this.#respond(head, false, false)) return;
      if (body !== undefined) for (const c of body) this.#io.write(c, false);
    }
    this.#io.write(chunk, endStream);
    if (endStream) this.#responseEnded();
  }

  sendTrailers(trailers: HttpHeaders): void {
    if (this.#reset || !this.#flushHead()) return;
    this.#io.endWithTrailers(h2Trailers(trailers));
    this.#responseEnded();
  }

  /**
   * The whole response is out. A client that was never sent its 100 may never send the body it was not asked
   * for: RST_STREAM(NO_ERROR) once the response is written ends the stream (RFC 9113 §8.1), as the HTTP/1 side
   * closes the connection.
   */
  #responseEnded(): void {
    if (!this.#expectContinue || this.#continueSent || this.#io.inEnded || this.#stream.destroyed) return;
    this.#reset = true;
    this.#io.release();
    // with NO_ERROR, Node sends the RST_STREAM after the response's last frame ('finish')
    this.#stream.close(NGHTTP2_NO_ERROR);
  }

  sendResponse(status: number, body: string | Buffer | undefined, headers = new HttpHeaders()): void {
    const b = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    headers.set('content-length', String(b?.length ?? 0));
    if (b !== undefined && b.length > 0 && !headers.has('content-type')) headers.set('content-type', 'text/plain');
    this.sendHeaders({ status, headers }, b === undefined || b.length === 0);
    if (b !== undefined && b.length > 0) this.sendData(b, true);
  }

  sendLocalReply(status: InternalStatus, message?: string): void {
    if (this.#responseStarted || this.#reset || !isGrpc(this.request.headers)) {
      this.sendResponse(INTERNAL_STATUS_HTTP[status], message === undefined ? undefined : message + '\n');
      return;
    }
    this.#responseStarted = true;
    this.#stream.respond(grpcLocalReply(status, message), { endStream: true });
    this.#io.endedWithHeaders();
  }

  reset(reason: StreamResetReason): void {
    if (this.#reset) return;
    this.#reset = true;
    this.#pendingHead = this.#pendingBody = undefined;
    this.#io.reset(resetCode(reason));
  }

  /** From the stream's 'close': a close before both messages ended is a reset the proxy hears of. */
  closed(sessionGone: boolean): void {
    this.#io.release();
    if (this.#reset || (this.#io.inEnded && this.#io.outEnded)) return;
    this.#reset = true;
    this.receiver?.onReset(sessionGone ? 'connection_termination' : 'remote_reset');
  }

  /** The proxy threw from a stream event: this stream goes (the H1 path would lose its connection). */
  #receiverThrew(err: unknown): void {
    this.connection.log.error({ err }, 'HTTP/2 stream receiver threw; resetting the stream');
    this.connection.emit('filter_error', err);
    if (this.#reset) return;
    this.#reset = true;
    this.#io.reset(NGHTTP2_INTERNAL_ERROR);
  }
}
