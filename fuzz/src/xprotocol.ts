/**
 * The decoder-level check shared by every RPC codec (Bolt, Dubbo, the example protocol): bytes arrive in
 * reads, as from a connection, and after each read the codec's `decode` is called until it answers "need
 * more" or an error. The codec is passed in (the fuzz runner passes the built packages, the CI tests their
 * sources), so this file depends on no package of mosn's.
 */

/** The parts of an XFrame the check uses. */
export interface FrameLike {
  readonly kind: string;
  readonly requestId: number;
  readonly header: {
    get(k: string): string | undefined;
    has(k: string): boolean;
    set(k: string, v: string): void;
    forEach(fn: (v: string, k: string) => void): void;
  };
  readonly body: Buffer;
  readonly status?: number;
  readonly timeoutMs?: number;
  readonly routingError?: string | undefined;
  isHeartbeat(): boolean;
  isOneWay(): boolean;
  isGoAway?(): boolean;
}

export interface BufferLike {
  readonly length: number;
  append(chunk: Buffer): void;
}

export interface CodecLike<F extends FrameLike = FrameLike> {
  /** The Auto listener's protocol detection on a connection's first bytes. */
  match?(buffer: BufferLike): string;
  decode(buffer: BufferLike, options: { maxFrameSize: number }): F | undefined | object;
  encode(frame: F): Buffer[];
  withRequestId(frame: F, requestId: number): F;
  heartbeatReply?(request: F): F;
  hijack(request: F, status: 'codec_error' | 'no_route', message?: string): F;
}

export interface XCheckOptions<F extends FrameLike> {
  codec: CodecLike<F>;
  newBuffer: (exclusive: boolean) => BufferLike;
  isDecodeError: (x: unknown) => boolean;
  maxFrameSize: number;
  /** Largest request id the protocol carries (Bolt and the example 2^32-1, Dubbo 2^53-1). */
  maxRequestId: number;
  /** More the protocol's frames must survive (routing reads, header rewrites). */
  exercise?: (frame: F, check: XChecker<F>) => void;
}

export class Violation extends Error {
  override name = 'Violation';
}

function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Violation(message);
}

export interface XChecker<F extends FrameLike> {
  /** Decode `bytes` alone: exactly one frame, all bytes used (throws a Violation otherwise). */
  decodeOne(bytes: Buffer): F;
}

/**
 * The check: decode answers a frame, "need more" (consuming nothing) or a DecodeError; never throws, always
 * makes progress, never hands out a frame over maxFrameSize. Each frame must survive what the proxy does
 * with it: routing reads, header iteration, re-encoding (an unchanged frame re-encodes to its own bytes),
 * a new request id (re-decodes with that id and nothing else changed), a hijack answer and a heartbeat reply
 * (both decode).
 */
export function xprotocolCheck<F extends FrameLike>(o: XCheckOptions<F>): (reads: readonly Buffer[], bytes: Buffer) => void {
  const options = { maxFrameSize: o.maxFrameSize };
  const checker: XChecker<F> = {
    decodeOne(bytes) {
      const b = o.newBuffer(false);
      b.append(bytes);
      const r = o.codec.decode(b, options);
      assert(r !== undefined && !o.isDecodeError(r), `re-encoded frame does not decode: ${r === undefined ? 'needs more' : (r as { message?: string }).message}`);
      assert(b.length === 0, `re-encoded frame leaves ${b.length} bytes`);
      return r as F;
    },
  };
  let exclusive = false;
  return (reads) => {
    exclusive = !exclusive; // alternate: frames decoded from a connection's own reads may be patched in place
    if (o.codec.match) {
      // what an Auto listener asks of the first read(s)
      const first = o.newBuffer(false);
      for (const r of reads) first.append(r);
      const m = o.codec.match(first);
      assert(m === 'match' || m === 'again' || m === 'no', `match answered ${m}`);
    }
    const buffer = o.newBuffer(exclusive);
    for (const read of reads) {
      // a connection's reads are its own copies
      buffer.append(exclusive ? Buffer.from(read) : read);
      for (let guard = 0; ; guard++) {
        assert(guard <= read.length + 1, 'decode loops without consuming bytes');
        const before = buffer.length;
        const r = o.codec.decode(buffer, options);
        if (r === undefined) {
          assert(buffer.length === before, `"need more" consumed ${before - buffer.length} bytes`);
          break;
        }
        if (o.isDecodeError(r)) {
          assert(typeof (r as { message?: unknown }).message === 'string', 'DecodeError without a message');
          return; // the connection is closed
        }
        const used = before - buffer.length;
        assert(used > 0, 'a frame consumed no bytes');
        assert(used <= o.maxFrameSize, `a frame of ${used} bytes over maxFrameSize ${o.maxFrameSize}`);
        checkFrame(r as F, used, o, checker);
      }
    }
  };
}

const IDS = [0, 1, 0x7fffffff, 0xffffffff, 12345];

function checkFrame<F extends FrameLike>(f: F, used: number, o: XCheckOptions<F>, checker: XChecker<F>): void {
  assert(f.kind === 'request' || f.kind === 'response', `kind ${f.kind}`);
  assert(Number.isSafeInteger(f.requestId) && f.requestId >= 0 && f.requestId <= o.maxRequestId, `request id ${f.requestId}`);
  assert(f.body.length <= used, 'body longer than the frame');
  const t = f.timeoutMs ?? 0;
  assert(Number.isFinite(t) && t >= 0, `timeoutMs ${t}`);
  f.isHeartbeat();
  f.isOneWay();
  f.isGoAway?.();
  void f.status;
  // what routing reads (and what the access log and stream filters iterate)
  f.header.get('service');
  f.header.has('method');
  void f.routingError;
  // the proxy's path: a new id, encoded, decoded by the peer
  const original = Buffer.concat(o.codec.encode(f));
  assert(original.length === used, `re-encoded ${original.length} bytes, decoded ${used}`);
  const id = IDS[(used + f.requestId) % IDS.length]! % (o.maxRequestId + 1);
  const moved = o.codec.withRequestId(f, id);
  const again = checker.decodeOne(Buffer.concat(o.codec.encode(moved)));
  assert(again.requestId === id, `withRequestId(${id}) re-decodes as ${again.requestId}`);
  assert(again.kind === f.kind && again.body.equals(f.body), 'withRequestId changed the kind or the body');
  assert(again.header.get('service') === f.header.get('service'), 'withRequestId changed the header map');
  if (f.kind === 'request' && !f.isOneWay()) {
    const answer = f.isHeartbeat() && o.codec.heartbeatReply ? o.codec.heartbeatReply(f) : o.codec.hijack(f, 'codec_error', 'fuzz');
    const decoded = checker.decodeOne(Buffer.concat(o.codec.encode(answer)));
    assert(decoded.kind === 'response' && decoded.requestId === f.requestId, 'the answer to a request is not a response with its id');
  }
  const entries: string[] = [];
  f.header.forEach((v, k) => entries.push(k, v));
  o.exercise?.(f, checker);
}
