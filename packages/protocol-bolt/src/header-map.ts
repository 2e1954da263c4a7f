import type { HeaderMap } from '@mosn/protocol';

/** A key or value length of -1: Java's null. MOSN drops such a pair; so do we. */
const NULL_LENGTH = 0xffffffff;

type PairFn = (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void;

/** The end of the length-prefixed string whose length field is at `at`, or -1 when it runs past `end`. */
/** The big-endian uint32 at `at` (the caller checked that 4 bytes are there). */
function u32(bytes: Buffer, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function stringEnd(bytes: Buffer, at: number, end: number): number {
  if (end - at < 4) return -1;
  const length = bytes.readUInt32BE(at);
  if (length === NULL_LENGTH) return at + 4;
  return length > end - at - 4 ? -1 : at + 4 + length;
}

/**
 * Walk a Bolt header section, `bytes[start, end)`: repeated (int32 length, UTF-8 key, int32 length, UTF-8
 * value). Returns false when a length runs past the end. Reads integers only; strings are left alone.
 */
export function walkHeaderSection(bytes: Buffer, start: number, end: number, onPair?: PairFn): boolean {
  for (let at = start; at < end; ) {
    const keyEnd = stringEnd(bytes, at, end);
    const valueEnd = keyEnd < 0 ? -1 : stringEnd(bytes, keyEnd, end);
    if (valueEnd < 0) return false;
    if (onPair !== undefined && bytes.readUInt32BE(at) !== NULL_LENGTH && bytes.readUInt32BE(keyEnd) !== NULL_LENGTH) {
      onPair(at + 4, keyEnd, keyEnd + 4, valueEnd);
    }
    at = valueEnd;
  }
  return true;
}

/**
 * Bolt's header section as a HeaderMap. It wraps the section's bytes in the frame and decodes the
 * strings on first use; until a set or delete changes it, the encoder copies the original bytes.
 */
export class BoltHeaderMap implements HeaderMap {
  #bytes: Buffer | undefined;
  #start: number;
  #end: number;
  #map: Map<string, string> | undefined;
  #changed = false;
  /** The last key `#find` looked up (only while the map is unparsed and unchanged), and its value. */
  #lastKey: string | undefined;
  #lastValue: string | undefined;

  /** A map over `bytes[start, end)`, which the decoder has already checked with walkHeaderSection. */
  constructor(bytes?: Buffer, start = 0, end = bytes?.length ?? 0) {
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }

  static fromEntries(entries: Iterable<readonly [string, string]>): BoltHeaderMap {
    const h = new BoltHeaderMap();
    h.#map = new Map(entries);
    return h;
  }

  get(key: string): string | undefined {
    return this.#map === undefined ? this.#find(key) : this.#map.get(key);
  }
  has(key: string): boolean {
    return this.#map === undefined ? this.#find(key) !== undefined : this.#map.has(key);
  }
  set(key: string, value: string): void {
    this.#parsed().set(key, value);
    this.#changed = true;
  }
  delete(key: string): void {
    if (this.#parsed().delete(key)) this.#changed = true;
  }
  forEach(fn: (value: string, key: string) => void): void {
    this.#parsed().forEach(fn);
  }
  get size(): number {
    return this.#parsed().size;
  }
  /** True once set/delete changed the map: the encoder then re-serializes the header section. */
  get changed(): boolean {
    return this.#changed;
  }

  /** The length of the serialized section. */
  encodedLength(): number {
    if (!this.#changed && this.#bytes !== undefined) return this.#end - this.#start;
    let n = 0;
    for (const [k, v] of this.#parsed()) n += 8 + Buffer.byteLength(k) + Buffer.byteLength(v);
    return n;
  }

  /** Write the section at `offset` (room for encodedLength() bytes); returns the offset after it. */
  encodeInto(out: Buffer, offset: number): number {
    if (!this.#changed && this.#bytes !== undefined) return offset + this.#bytes.copy(out, offset, this.#start, this.#end);
    for (const [k, v] of this.#parsed()) {
      offset = writeString(out, offset, k);
      offset = writeString(out, offset, v);
    }
    return offset;
  }

  /**
   * Routing's lookup before anything else touched the map: compare an ASCII key with the wire bytes and
   * decode only the value found (the last one, as a Map would keep). The last lookup is remembered (routes,
   * filters and logs tend to ask for the same header).
   */
  #find(key: string): string | undefined {
    if (key === this.#lastKey) return this.#lastValue;
    const bytes = this.#bytes;
    if (bytes === undefined) return undefined;
    const n = key.length;
    for (let i = 0; i < n; i++) if (key.charCodeAt(i) > 0x7f) return this.#parsed().get(key);
    let valueStart = -1;
    let valueEnd = -1;
    const end = this.#end;
    for (let at = this.#start; end - at >= 8; ) {
      // (the decoder checked the section; the bounds are checked again, cheaply, all the same)
      const keyLength = u32(bytes, at);
      const keyEnd = keyLength === NULL_LENGTH ? at + 4 : at + 4 + keyLength;
      if (keyEnd + 4 > end) break;
      const valueLength = u32(bytes, keyEnd);
      const next = valueLength === NULL_LENGTH ? keyEnd + 4 : keyEnd + 4 + valueLength;
      if (next > end) break;
      if (keyLength === n && valueLength !== NULL_LENGTH) {
        let i = 0;
        while (i < n && bytes[at + 4 + i] === key.charCodeAt(i)) i++;
        if (i === n) {
          valueStart = keyEnd + 4;
          valueEnd = next;
        }
      }
      at = next;
    }
    const value = valueStart < 0 ? undefined : bytes.toString('utf8', valueStart, valueEnd);
    this.#lastKey = key;
    this.#lastValue = value;
    return value;
  }

  #parsed(): Map<string, string> {
    if (this.#map !== undefined) return this.#map;
    const map = new Map<string, string>();
    const bytes = this.#bytes;
    if (bytes !== undefined) {
      walkHeaderSection(bytes, this.#start, this.#end, (ks, ke, vs, ve) => {
        map.set(bytes.toString('utf8', ks, ke), bytes.toString('utf8', vs, ve));
      });
    }
    return (this.#map = map);
  }
}

function writeString(out: Buffer, offset: number, s: string): number {
  const n = out.write(s, offset + 4, 'utf8');
  out.writeUInt32BE(n, offset);
  return offset + 4 + n;
}
