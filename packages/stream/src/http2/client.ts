import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { Connection, type Address, type ClientTlsOptions, type Logger } from '@mosn/protocol';
import type { HttpHeaders, HttpRequestHead, HttpResponseHead } from '../http-headers.js';
import type { ClientStream, StreamReceiver, StreamResetReason } from '../types.js';
import { detachSocket } from './detach.js';
import { h2RequestHeaders, h2Trailers, responseHeadFromH2 } from './headers.js';
import { connectionWindow, sessionOptions, type Http2Options } from './settings.js';
import { H2StreamIo, resetCode, type InboundSink } from './stream-io.js';

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_CANCEL } = constants;

export interface Http2ClientOptions extends Http2Options {
  address: Address;
  /** TLS to the host (the cluster's `tls_context`); absent: plain TCP. */
  tls?: ClientTlsOptions;
  /** Bounds the TCP connect and the wait for the server's SETTINGS together. */
  connectTimeoutMs: number;
  /** Close the session after this long with no stream open; 0 keeps it. */
  idleTimeoutMs?: number;
  logger?: Logger;
}

/** What the pool hears from one upstream HTTP/2 connection. */
export interface Http2ClientEvents {
  /** The server's SETTINGS came: streams can be opened (also when its stream limit changes). */
  onReady(c: Http2ClientConnection): void;
  onConnectFailed(c: Http2ClientConnection, reason: 'connect_failed' | 'connect_timeout'): void;
  /** The server sent GOAWAY: no new streams here; the ones in flight finish. */
  onGoaway(c: Http2ClientConnection): void;
  onStreamDone(c: Http2ClientConnection): void;
  onClosed(c: Http2ClientConnection): void;
}

type State = 'connecting' | 'ready' | 'draining' | 'closed';

/** One multiplexed h2c session to an upstream host (prior knowledge: no upgrade dance). */
export class Http2ClientConnection {
  readonly connection: Connection;
  /** Streams opened over the session's life (`max_request_per_conn`). */
  requests = 0;
  #events: Http2ClientEvents;
  #options: Http2ClientOptions;
  #session: ClientHttp2Session | undefined;
  #state: State = 'connecting';
  #active = 0;
  #maxStreams = 100;
  #timer: NodeJS.Timeout | undefined;
  #drainWhenReady = false;
  readonly authority: string;

  constructor(options: Http2ClientOptions, events: Http2ClientEvents) {
    this.#options = options;
    this.#events = events;
    const a = options.address;
    this.authority = 'path' in a ? 'localhost' : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
    const conn = Connection.dial(a, {
      connectTimeoutMs: options.connectTimeoutMs,
      idleTimeoutMs: 0,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
    });
    this.connection = conn;
    this.#timer = setTimeout(() => this.#connectEnded('connect_timeout'), options.connectTimeoutMs);
    conn.on('event', (ev) => {
      if (ev === 'connected') this.#startSession();
      else if (ev === 'connect_failed' || ev === 'connect_timeout') this.#connectEnded(ev);
      else this.#onClosed();
    });
  }

  get state(): State {
    return this.#state;
  }
  get activeStreams(): number {
    return this.#active;
  }
  /** The session is destroyed (its streams were closed with it, not reset by the server). */
  get sessionGone(): boolean {
    return this.#session === undefined || this.#session.destroyed;
  }
  /** Ready and under the server's stream limit. */
  get hasCapacity(): boolean {
    return this.#state === 'ready' && this.#active < this.#maxStreams;
  }

  /** Reserve a stream; the HTTP/2 stream opens with the request headers. */
  newStream(receiver: StreamReceiver<HttpResponseHead>): Http2ClientStream {
    this.#active++;
    this.requests++;
    return new Http2ClientStream(this, receiver);
  }

  /** From the stream: open it on the session. Throws if the session no longer takes streams. */
  request(headers: OutgoingHttpHeaders, endStream: boolean): ClientHttp2Stream {
    if (!this.#session || this.#state === 'closed') throw new Error('HTTP/2 session closed');
    return this.#session.request(headers, { endStream, waitForTrailers: !endStream });
  }

  /** From the stream: it is done (ended, reset or failed). */
  streamDone(): void {
    this.#active--;
    if (this.#state === 'draining' && this.#active === 0) this.#session?.close();
    this.#events.onStreamDone(this);
  }

  /** No new streams; close once the ones in flight are done. */
  drain(): void {
    if (this.#state === 'closed' || this.#state === 'draining') return;
    if (this.#state === 'connecting') {
      this.#drainWhenReady = true;
      return;
    }
    this.#state = 'draining';
    if (this.#active === 0) this.#session?.close();
  }

  close(): void {
    this.#destroySession(new Error('the upstream connection was closed'));
    this.connection.close('now', 'requested');
    this.#onClosed();
  }

  #startSession(): void {
    const conn = this.connection;
    detachSocket(conn);
    const session = connect(`${this.#options.tls ? 'https' : 'http'}://${this.authority}`, {
      ...sessionOptions(this.#options, false),
      createConnection: () => conn.socket,
    });
    this.#session = session;
    // An upstream that hangs up before its SETTINGS (one that refused our TLS certificate, or is no HTTP/2 server)
    // fails the connect now: the socket is half-open-capable, so nghttp2 alone would wait for the connect timeout.
    // Later, a hang-up without GOAWAY (the server crashed or was killed, or closed an idle connection) ends the
    // session at once: HTTP/2 has no half-closed connection, and nghttp2 would keep the session open and its streams
    // waiting.
    const hungUp = () => {
      if (this.#state === 'connecting') this.#connectEnded('connect_failed');
      else if (this.#state !== 'closed') {
        this.#destroySession(new Error('the upstream closed the connection'));
        this.#onClosed();
      }
    };
    // An upstream that ends its side later (restarted, crashed) ends the session too, with an error, so that the streams
    // in flight fail (a session destroyed without one would finish them as if complete).
    conn.socket.once('end', hungUp);
    conn.socket.once('close', hungUp);
    conn.socket.once('error', hungUp); // a TLS alert (a refused client certificate): an error, and no 'end' or 'close' yet
    session.setLocalWindowSize(connectionWindow(this.#options));
    session.on('remoteSettings', (settings) => {
      this.#maxStreams = settings.maxConcurrentStreams ?? Number.MAX_SAFE_INTEGER;
      if (this.#state === 'connecting') {
        this.#state = 'ready';
        clearTimeout(this.#timer);
      }
      if (this.#state === 'ready') this.#events.onReady(this);
      if (this.#drainWhenReady) this.drain();
    });
    session.on('goaway', () => {
      if (this.#state !== 'ready') return;
      this.#state = 'draining';
      this.#events.onGoaway(this);
    });
    session.on('error', (err: Error) => conn.log.debug({ err: { message: err.message } }, 'upstream HTTP/2 session error'));
    session.on('close', () => {
      conn.close('flush', 'requested');
      this.#onClosed();
    });
    const idle = this.#options.idleTimeoutMs ?? 0;
    if (idle > 0) {
      session.on('timeout', () => {
        if (this.#active === 0) this.drain();
        else session.setTimeout(idle); // fires once: arm it again while streams are open
      });
      session.setTimeout(idle);
    }
  }

  /**
   * Destroy the session with an error, so that its open streams close as reset (RST_STREAM INTERNAL_ERROR): a session
   * destroyed without one ends every open stream as if its response were complete.
   */
  #destroySession(err: Error): void {
    const session = this.#session;
    if (session && !session.destroyed) session.destroy(err);
  }

  #connectEnded(reason: 'connect_failed' | 'connect_timeout'): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#session?.destroy();
    this.connection.close('now', 'upstream_failed');
    this.#events.onConnectFailed(this, reason);
  }

  #onClosed(): void {
    if (this.#state === 'connecting') return this.#connectEnded('connect_failed');
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#events.onClosed(this);
  }
}

/** One request on an upstream HTTP/2 session. */
export class Http2ClientStream implements ClientStream {
  #owner: Http2ClientConnection;
  #receiver: StreamReceiver<HttpResponseHead>;
  #io = new H2StreamIo();
  #req: ClientHttp2Stream | undefined;
  #done = false;

  constructor(owner: Http2ClientConnection, receiver: StreamReceiver<HttpResponseHead>) {
    this.#owner = owner;
    this.#receiver = receiver;
  }

  get connection(): Connection {
    return this.#owner.connection;
  }

  readDisable(disable: boolean): void {
    this.#io.readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    this.#io.setWatermarkListener(listener);
  }

  sendHeaders(head: HttpRequestHead, endStream: boolean): void {
    if (this.#done || this.#req) return;
    let req: ClientHttp2Stream;
    try {
      req = this.#owner.request(h2RequestHeaders(head, this.#owner.authority), endStream);
    } catch (err) {
      this.connection.log.debug({ err: { message: (err as Error).message } }, 'cannot open an upstream HTTP/2 stream');
      // Told later: the proxy is still in the middle of handing this stream its request.
      queueMicrotask(() => this.#fail('connection_failure'));
      return;
    }
    this.#req = req;
    if (endStream) this.#io.endedWithHeaders();
    req.on('error', () => {}); // reported by 'close' (rstCode)
    req.on('response', (_h: unknown, flags: number, raw: string[]) => {
      if (this.#done) return;
      const end = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
      if (end) this.#io.endedInWithHeaders();
      this.#deliver(() => this.#receiver.onHeaders(responseHeadFromH2(raw), end), end);
    });
    const sink: InboundSink = {
      onData: (chunk, end) => this.#deliver(() => this.#receiver.onData(chunk, end), end),
      onTrailers: (trailers) => this.#deliver(() => this.#receiver.onTrailers(trailers), true),
    };
    this.#io.attach(req, sink, false, (err) => this.#receiverThrew(err));
    req.on('close', () => this.#closed());
  }

  sendData(chunk: Buffer, endStream: boolean): void {
    if (!this.#done) this.#io.write(chunk, endStream);
  }

  sendTrailers(trailers: HttpHeaders): void {
    if (!this.#done) this.#io.endWithTrailers(h2Trailers(trailers));
  }

  /** The proxy gives up on this request (client cancel, timeout): RST_STREAM, CANCEL. */
  reset(reason: StreamResetReason): void {
    if (this.#done) return;
    this.#done = true;
    this.#io.reset(resetCode(reason));
    this.#owner.streamDone();
  }

  /** Hand a part of the response to the receiver; after its end, stop a request still being sent. */
  #deliver(fn: () => void, end: boolean): void {
    if (this.#done) return;
    try {
      fn();
    } catch (err) {
      this.#receiverThrew(err);
      return;
    }
    // The response is complete but the request is not: nobody will finish it (RFC 9113 §8.1).
    if (end && !this.#io.outEnded && !this.#done) {
      this.#done = true;
      this.#io.reset(NGHTTP2_CANCEL);
      this.#owner.streamDone();
    }
  }

  /** From 'close': a close before the response ended is a reset the proxy hears of. */
  #closed(): void {
    if (this.#done) return;
    this.#done = true;
    this.#io.release();
    this.#owner.streamDone();
    if (!this.#io.inEnded) this.#receiver.onReset(this.#owner.sessionGone ? 'connection_termination' : 'remote_reset');
  }

  #fail(reason: StreamResetReason): void {
    if (this.#done) return;
    this.#done = true;
    this.#owner.streamDone();
    this.#receiver.onReset(reason);
  }

  #receiverThrew(err: unknown): void {
    this.connection.log.error({ err }, 'HTTP/2 response receiver threw; resetting the upstream stream');
    this.reset('local_reset');
  }
}
