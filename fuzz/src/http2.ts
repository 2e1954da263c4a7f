import type { Field, Structure } from './mutate.js';
import type { Rng } from './prng.js';

/**
 * HTTP/2 (h2c) connections for the end-to-end fuzzer: the preface, then frames. Mutates each frame's length,
 * type, flags and stream id, HPACK blocks (indexed and literal fields, huge integers, table size updates,
 * Huffman flags), SETTINGS values, padding, window increments, priorities (a stream depending on itself),
 * and inserts frames a client must not send (PUSH_PROMISE, CONTINUATION without HEADERS, DATA on stream 0).
 * There is no decoder level: nghttp2 runs inside a session, so every input goes through mosn's HTTP/2 listener.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function h2frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length & 0xffffff, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream >>> 0, 5);
  return Buffer.concat([h, payload]);
}

function literal(name: string, value: string): Buffer {
  // literal without indexing, new name (0x00), lengths < 127, no Huffman
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

/** A request's header block: GET (or POST) http /fuzz..., authority a. */
function block(rng: Rng, path = '/fuzz'): Buffer {
  const parts = [Buffer.from([rng.chance(0.8) ? 0x82 : 0x83, 0x86]), literal(':path', path), literal(':authority', 'a')];
  if (rng.chance(0.3)) parts.push(Buffer.from([0x40 | rng.int(62)])); // an indexed-name literal, cut
  if (rng.chance(0.2)) parts.push(Buffer.from([0x3f, 0xff, 0xff, 0xff, 0xff, 0x0f])); // table size update, huge
  if (rng.chance(0.2)) parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])); // index past everything
  if (rng.chance(0.3)) parts.push(literal(rng.pick(['x-a', 'connection', 'te', ':method', 'Upper', '']), rng.pick(['1', 'trailers', 'keep-alive', '\u0000'])));
  return Buffer.concat(parts);
}

const settings = (pairs: Array<[number, number]>) => {
  const b = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, v], i) => {
    b.writeUInt16BE(id, 6 * i);
    b.writeUInt32BE(v >>> 0, 6 * i + 2);
  });
  return b;
};

function frameOf(rng: Rng, stream: number): Buffer {
  switch (rng.int(13)) {
    case 0:
      return h2frame(0, rng.pick([0, 1, 8, 9]), rng.pick([stream, 0, stream + 2]), rng.bytes(rng.int(32)));
    case 1:
      return h2frame(1, rng.pick([4, 5, 0, 1, 0x20 | 4, 8 | 4]), rng.pick([stream, stream, 0, 2]), block(rng));
    case 2:
      return h2frame(2, 0, stream, Buffer.from([0, 0, 0, rng.pick([stream, 0, 1]) & 0xff, 16]));
    case 3:
      return h2frame(3, 0, rng.pick([stream, 0, 99]), Buffer.from([0, 0, 0, rng.int(14)]));
    case 4:
      return h2frame(4, rng.pick([0, 1]), 0, settings([[rng.int(10), rng.pick([0, 1, 0xffffffff, 0x7fffffff, 16384, 16777215, 16777216])]]));
    case 5:
      return h2frame(5, 4, rng.pick([stream, 1]), Buffer.concat([Buffer.from([0, 0, 0, stream + 1]), block(rng)])); // PUSH_PROMISE from a client
    case 6:
      return h2frame(6, rng.pick([0, 1]), rng.pick([0, 1]), rng.bytes(rng.pick([8, 7, 9])));
    case 7:
      return h2frame(7, 0, rng.pick([0, 1]), Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, rng.int(14)]), rng.bytes(rng.int(8))]));
    case 8: {
      const inc = Buffer.alloc(4);
      inc.writeUInt32BE(rng.pick([0, 1, 0x7fffffff, 0x80000000, 65535]));
      return h2frame(8, 0, rng.pick([0, stream]), inc);
    }
    case 9:
      return h2frame(9, rng.pick([0, 4]), rng.pick([stream, 0, stream + 2]), block(rng)); // CONTINUATION
    case 10:
      return h2frame(rng.int(256), rng.int(256), rng.int(8), rng.bytes(rng.int(16))); // unknown type
    case 11: // padded HEADERS with a pad length past the payload
      return h2frame(1, 0x08 | 0x04 | 0x01, stream, Buffer.concat([Buffer.from([rng.pick([0, 200, 255])]), block(rng)]));
    default:
      return h2frame(1, 5, stream, block(rng, `/f/${rng.int(1000)}`));
  }
}

function generate(rng: Rng): Buffer {
  const parts = [rng.chance(0.97) ? PREFACE : PREFACE.subarray(0, rng.int(PREFACE.length)), h2frame(4, 0, 0, rng.chance(0.5) ? Buffer.alloc(0) : settings([[3, 100], [4, 65535]]))];
  let stream = 1;
  for (let n = 1 + rng.int(8); n > 0; n--) {
    parts.push(frameOf(rng, stream));
    if (rng.chance(0.4)) stream += 2;
  }
  return Buffer.concat(parts);
}

function fields(b: Buffer): Field[] {
  const f: Field[] = [];
  for (let at = PREFACE.length; at + 9 <= b.length && f.length < 64; ) {
    f.push({ at, width: 1, name: 'length high' }, { at: at + 1, width: 2, name: 'length' }, { at: at + 3, width: 1, name: 'type' }, { at: at + 4, width: 1, name: 'flags' }, { at: at + 5, width: 4, name: 'stream id' });
    if (at + 9 < b.length) f.push({ at: at + 9, width: 1, name: 'first payload byte' });
    at += 9 + b.readUIntBE(at, 3);
  }
  return f;
}

/** A generated frame inserted after one of the frames. */
function mutate(rng: Rng, b: Buffer): Buffer {
  const ends = [PREFACE.length];
  for (let at = PREFACE.length; at + 9 <= b.length; ) {
    at += 9 + b.readUIntBE(at, 3);
    if (at <= b.length) ends.push(at);
  }
  const at = rng.pick(ends);
  return Buffer.concat([b.subarray(0, at), frameOf(rng, 1 + 2 * rng.int(4)), b.subarray(at)]);
}

export const http2Structure: Structure = {
  seeds: [],
  fields,
  generate,
  mutate,
};
// generate() alone makes the bases (no captured seeds): makeInput picks a seed only when there are some
