import { IoBuffer } from '@mosn/net';
import { DecodeError, isDecodeError, type DecodeOptions } from './codec.js';

/** A decoder as the stream layer calls it: one frame off the front, `undefined` for "more bytes", or an error. */
export type DecodeFn<F> = (buffer: IoBuffer, options: DecodeOptions) => F | DecodeError | undefined;

/**
 * Drive a decoder over bytes the way a connection would, for a codec's own tests and fuzzers. Every
 * codec needs the same three questions answered: what does one decode call make of these bytes, is this
 * exactly one frame, and what comes out when the bytes arrive in chunks of any size.
 */
export class DecodeDriver<F> {
  readonly #decode: DecodeFn<F>;
  readonly options: DecodeOptions;

  constructor(decode: DecodeFn<F>, options: DecodeOptions) {
    this.#decode = decode;
    this.options = options;
  }

  /** What one decode call answers for `bytes`, and how many bytes it left unconsumed. */
  once(bytes: Buffer, options = this.options): { result: F | DecodeError | undefined; left: number } {
    const buffer = new IoBuffer();
    buffer.append(bytes);
    return { result: this.#decode(buffer, options), left: buffer.length };
  }

  /** Exactly one frame from `bytes`; throws on anything else (more bytes needed, an error, bytes left over). */
  one(bytes: Buffer, options = this.options): F {
    const { result, left } = this.once(bytes, options);
    if (result === undefined || isDecodeError(result)) throw new Error(`expected a frame, got ${describe(result)}`);
    if (left !== 0) throw new Error(`${left} bytes left over`);
    return result;
  }

  /**
   * Exactly one frame from a copy of `bytes` in an exclusive IoBuffer, as a connection's reads are: the codec may
   * patch such a frame's bytes in place (see docs/new-protocol.md).
   */
  owned(bytes: Buffer, options = this.options): F {
    const buffer = new IoBuffer({ exclusive: true });
    buffer.append(Buffer.from(bytes));
    const result = this.#decode(buffer, options);
    if (result === undefined || isDecodeError(result)) throw new Error(`expected a frame, got ${describe(result)}`);
    return result;
  }

  /** Feed `bytes` in chunks of `size`, decoding after each; every result that was not undefined, up to the first error. */
  chunked(bytes: Buffer, size: number, options = this.options): (F | DecodeError)[] {
    const buffer = new IoBuffer();
    const out: (F | DecodeError)[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      buffer.append(bytes.subarray(i, i + size));
      for (let r = this.#decode(buffer, options); r !== undefined; r = this.#decode(buffer, options)) {
        out.push(r);
        if (isDecodeError(r)) return out;
      }
    }
    return out;
  }
}

function describe(result: unknown): string {
  return isDecodeError(result) ? `DecodeError: ${result.message}` : String(result);
}
