/**
 * IoBuffer: the bytes read from a connection and not yet consumed by a decoder.
 *
 * Chunks are kept as they came from the socket; nothing is copied on append. A decoder peeks at fixed
 * offsets (`uint8`, `uint16`, `uint32`), then takes a frame with `take(n)`, which returns a zero-copy
 * slice when the frame lies in one chunk and copies only that frame when it spans several.
 */
export class IoBuffer {
  /**
   * True when every chunk appended belongs to this buffer alone (a connection's socket reads, which nothing
   * else holds): whoever takes bytes from it owns them and may change them in place (a codec patching a
   * request id). False (the default) for bytes a caller may still hold, such as a test's fixtures.
   */
  readonly exclusive: boolean;
  #chunks: Buffer[] = [];
  /** Offset into #chunks[0] of the first unread byte. */
  #head = 0;
  #length = 0;

  constructor(options: { exclusive?: boolean } = {}) {
    this.exclusive = options.exclusive ?? false;
  }

  get length(): number {
    return this.#length;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The byte at `offset` from the first unread byte. The caller checks `offset < length`. */
  uint8(offset: number): number {
    let i = 0;
    let pos = offset + this.#head;
    for (;;) {
      const c = this.#chunks[i++];
      if (c === undefined) throw new RangeError(`offset ${offset} beyond buffer length ${this.#length}`);
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
    }
  }

  uint16(offset: number): number {
    const c = this.#chunks[0];
    if (c !== undefined && this.#head + offset + 2 <= c.length) return c.readUInt16BE(this.#head + offset);
    return (this.uint8(offset) << 8) | this.uint8(offset + 1);
  }

  uint32(offset: number): number {
    const c = this.#chunks[0];
    if (c !== undefined && this.#head + offset + 4 <= c.length) return c.readUInt32BE(this.#head + offset);
    return this.uint16(offset) * 0x10000 + this.uint16(offset + 2);
  }

  /** The first `n` unread bytes, without consuming them. */
  peek(n: number): Buffer {
    return this.#range(Math.min(n, this.#length), false);
  }

  /** Consume and return the first `n` unread bytes (`n <= length`). */
  take(n: number): Buffer {
    if (n > this.#length) throw new RangeError(`take(${n}) beyond buffer length ${this.#length}`);
    return this.#range(n, true);
  }

  /** Consume and return everything. */
  takeAll(): Buffer {
    return this.#range(this.#length, true);
  }

  /** Drop the first `n` unread bytes. */
  drain(n: number): void {
    n = Math.min(n, this.#length);
    this.#length -= n;
    while (n > 0) {
      const c = this.#chunks[0]!;
      const avail = c.length - this.#head;
      if (n < avail) {
        this.#head += n;
        return;
      }
      n -= avail;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Every unread chunk, in order, without copying (the first may be a sub-slice). */
  chunks(): Buffer[] {
    if (this.#chunks.length === 0) return [];
    const out = this.#chunks.slice();
    if (this.#head > 0) out[0] = out[0]!.subarray(this.#head);
    return out;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#length = 0;
  }

  #range(n: number, consume: boolean): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    let out: Buffer;
    if (this.#head + n <= first.length) {
      out = first.subarray(this.#head, this.#head + n);
    } else {
      out = Buffer.allocUnsafe(n);
      let written = 0;
      let pos = this.#head;
      for (const c of this.#chunks) {
        const copied = c.copy(out, written, pos, Math.min(c.length, pos + n - written));
        written += copied;
        pos = 0;
        if (written === n) break;
      }
    }
    if (consume) this.drain(n);
    return out;
  }
}
