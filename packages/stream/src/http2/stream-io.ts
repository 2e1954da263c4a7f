import { constants, type Http2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { addAbortSignal } from 'node:stream';
import { HttpHeaders } from '../http-headers.js';
import type { StreamFlow, StreamResetReason } from '../types.js';

const EMPTY = Buffer.alloc(0);
const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = constants;

/** The RST_STREAM code for a reset we send: a cancelled or timed-out request says CANCEL. */
export function resetCode(reason: StreamResetReason): number {
  return reason === 'local_reset' || reason === 'timeout' ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR;
}

/**
 * Send RST_STREAM alone. Node's `close(code)` first ends the writable side (END_STREAM, or 'wantTrailers'
 * on our streams) and races the reset with it: a peer can see a cut message end as if complete.
 * `destroy()` resets without that: with an AbortError the code is CANCEL, with any other error INTERNAL_ERROR.
 */
function rstStream(stream: Http2Stream, code: number): void {
  if (stream.destroyed) return;
  if (code === NGHTTP2_CANCEL) addAbortSignal(AbortSignal.abort(), stream);
  else stream.destroy(new Error('stream reset'));
}

/** Where an incoming message's body goes. */
export interface InboundSink {
  onData(chunk: Buffer, endStream: boolean): void;
  onTrailers(trailers: HttpHeaders): void;
}

/**
 * One HTTP/2 stream's body both ways and its flow control; what the server and the client stream share.
 *
 * In: 'data' events to the sink; trailers are held until 'end' so they follow every byte of the body
 * (Node reports them as soon as the frame arrives, which can be before buffered data of a paused stream).
 * `readDisable` pauses the stream: Node then stops returning the stream's window to the peer, so the
 * peer stops sending. Out: `write()` returning false reports above-watermark, 'drain' below. Streams are
 * opened with `waitForTrailers` (unless they end with their headers), so `end` can carry trailers; with
 * none, Node ends the stream with an empty DATA frame.
 */
export class H2StreamIo implements StreamFlow {
  #stream: Http2Stream | undefined;
  #disabled = 0;
  /** The stream was paused by readDisable (and must be resumed for Node to let it go). */
  #paused = false;
  #listener: ((above: boolean) => void) | undefined;
  #above = false;
  #outEnded = false;
  #inTrailers: HttpHeaders | undefined;
  #inEnded = false;
  /** 'drain' and 'finish' are listened to (from the first write over the watermark on). */
  #watchingDrain = false;

  /**
   * Start moving bytes on `stream`. `inEnded`: the incoming message ended with its headers. `onThrow` gets
   * what the sink throws: these handlers run from Node's events, where a throw would end the process.
   */
  attach(stream: Http2Stream, sink: InboundSink, inEnded: boolean, onThrow: (err: unknown) => void): void {
    this.#stream = stream;
    this.#inEnded = inEnded;
    // A message that ended with its headers has no body to read: no listeners. Reading it anyway ('data' makes the
    // stream flow, so Node emits 'end' at once) has Node destroy the stream as soon as nghttp2 closes it, which is
    // before the write of the response's last DATA frame completes; Node then builds an ERR_STREAM_DESTROYED per
    // stream (Node 20's writable.errorBuffer builds it even with no callback to give it to): ~14% of mosn's CPU
    // on h2c → HTTP/1.1. Left unread, the stream ends once its last write has completed.
    if (inEnded) return;
    // 'wantTrailers' is listened to only when there are trailers (with no listener Node sends an empty
    // trailing HEADERS frame itself); 'drain' / 'finish' only once a write went over the watermark: fewer
    // listeners to add per stream.
    stream.on('trailers', (_h: unknown, _f: unknown, raw: string[]) => (this.#inTrailers = new HttpHeaders(raw)));
    stream.on('data', (chunk: Buffer) => {
      if (this.#inEnded) return;
      try {
        sink.onData(chunk, false);
      } catch (err) {
        onThrow(err);
      }
    });
    stream.on('end', () => {
      // A stream the peer aborted can still emit 'end': that is not the message's end.
      if (this.#inEnded || stream.aborted || (stream.rstCode ?? 0) !== 0) return;
      this.#inEnded = true;
      const t = this.#inTrailers;
      try {
        if (t) sink.onTrailers(t);
        else sink.onData(EMPTY, true);
      } catch (err) {
        onThrow(err);
      }
    });
    if (this.#disabled > 0) this.#pause();
  }

  /** The incoming message ended with its headers (a response known only after `attach`). */
  endedInWithHeaders(): void {
    this.#inEnded = true;
  }

  get inEnded(): boolean {
    return this.#inEnded;
  }
  get outEnded(): boolean {
    return this.#outEnded;
  }

  /** The outgoing message ended with its headers. */
  endedWithHeaders(): void {
    this.#outEnded = true;
  }

  write(chunk: Buffer, end: boolean): void {
    const s = this.#stream;
    if (!s || this.#outEnded || s.destroyed) return;
    if (end) {
      this.#outEnded = true;
      if (chunk.length > 0) s.end(chunk);
      else s.end();
    } else if (chunk.length > 0 && !s.write(chunk)) {
      if (!this.#watchingDrain) {
        this.#watchingDrain = true;
        s.on('drain', () => this.#setAbove(false));
        s.on('finish', () => this.#setAbove(false)); // after end() there is no 'drain'
      }
      this.#setAbove(true);
    }
  }

  /** End the outgoing message with trailers. */
  endWithTrailers(trailers: OutgoingHttpHeaders): void {
    const s = this.#stream;
    if (!s || this.#outEnded || s.destroyed) return;
    this.#outEnded = true;
    s.on('wantTrailers', () => s.sendTrailers(trailers));
    s.end();
  }

  /** Send RST_STREAM (CANCEL or INTERNAL_ERROR) if the stream is still open, and let go. */
  reset(code: number): void {
    this.#outEnded = true;
    this.#inEnded = true;
    if (this.#stream) rstStream(this.#stream, code);
    this.release();
  }

  readDisable(disable: boolean): void {
    if (disable) {
      if (this.#disabled++ === 0 && !this.#inEnded) this.#pause();
    } else if (this.#disabled > 0 && --this.#disabled === 0) this.#resume();
  }

  /** Pause reading (flow control); a message that has ended is never paused: there is nothing left to read. */
  #pause(): void {
    if (this.#paused || !this.#stream) return;
    this.#paused = true;
    this.#stream.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#stream?.resume();
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    this.#listener = listener;
    if (listener && this.#above) listener(true);
  }

  /** The stream is done: undo every readDisable (Node destroys a stream only once it has been read). */
  release(): void {
    this.#listener = undefined;
    this.#disabled = 0;
    this.#resume();
  }

  #setAbove(above: boolean): void {
    if (this.#above === above) return;
    this.#above = above;
    this.#listener?.(above);
  }
}
