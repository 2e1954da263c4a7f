import type { Rng } from './prng.js';

/**
 * A small hessian2 writer for the Dubbo fuzzer: well-formed values of every kind a body may hold, and
 * hostile ones (huge declared lengths, deep nesting, bad references, truncated chunks), so a generated body
 * reaches hessian.js's readers with both.
 */

const STRINGS = ['', 'a', 'service', 'com.alipay.test.TestService', '1.0.0', 'group', 'path', 'interface', 'version', 'x'.repeat(40), 'é中文', '\u0000', 'k'.repeat(2000)];

export function str(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const n = s.length; // UTF-16 units; every string here is in the BMP
  if (n < 32) return Buffer.concat([Buffer.from([n]), body]);
  if (n < 1024) return Buffer.concat([Buffer.from([0x30 + (n >> 8), n & 0xff]), body]);
  const head = Buffer.from([0x53, 0, 0]);
  head.writeUInt16BE(n, 1);
  return Buffer.concat([head, body]);
}

export function int(v: number): Buffer {
  if (v >= -16 && v <= 47) return Buffer.from([0x90 + v]);
  const b = Buffer.alloc(5);
  b[0] = 0x49;
  b.writeInt32BE(v | 0, 1);
  return b;
}

function long(rng: Rng): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0x4c;
  b.writeUInt32BE(rng.u32(), 1);
  b.writeUInt32BE(rng.u32(), 5);
  return b;
}

export function randomString(rng: Rng): string {
  return rng.chance(0.7) ? rng.pick(STRINGS) : rng.bytes(rng.int(20)).toString('latin1').replace(/[\ud800-\udfff]/g, '');
}

/** A well-formed hessian2 value, nested up to `depth`. */
export function value(rng: Rng, depth = 3): Buffer {
  const kinds = depth > 0 ? 12 : 8;
  switch (rng.int(kinds)) {
    case 0:
      return Buffer.from([0x4e]);
    case 1:
      return Buffer.from([rng.chance(0.5) ? 0x54 : 0x46]);
    case 2:
      return int(rng.chance(0.5) ? rng.int(64) - 16 : rng.u32() | 0);
    case 3:
      return long(rng);
    case 4: {
      const b = Buffer.alloc(9);
      b[0] = 0x44;
      b.writeDoubleBE(rng.u32() / 7, 1);
      return b;
    }
    case 5:
    case 6:
      return str(randomString(rng));
    case 7: {
      const n = rng.int(16);
      return Buffer.concat([Buffer.from([0x20 + n]), rng.bytes(n)]);
    }
    case 8: {
      const n = rng.int(8);
      return Buffer.concat([Buffer.from([0x78 + n]), ...Array.from({ length: n }, () => value(rng, depth - 1))]);
    }
    case 9:
      return map(rng, depth - 1);
    case 10: {
      // a class definition and one instance of it
      const fields = rng.int(4);
      return Buffer.concat([
        Buffer.from([0x43]), str(rng.pick(['com.example.Pojo', 'java.util.HashMap', 'a'])), int(fields),
        ...Array.from({ length: fields }, (_, i) => str(`f${i}`)),
        Buffer.from([0x60]), ...Array.from({ length: fields }, () => value(rng, depth - 1)),
      ]);
    }
    default:
      return Buffer.concat([Buffer.from([0x4d]), str('java.util.HashMap'), str(randomString(rng)), value(rng, depth - 1), Buffer.from([0x5a])]);
  }
}

export function map(rng: Rng, depth = 2, entries?: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x48])];
  for (const [k, v] of entries ?? []) parts.push(str(k), str(v));
  for (let n = rng.int(4); n > 0; n--) parts.push(rng.chance(0.8) ? str(randomString(rng)) : value(rng, depth), value(rng, depth));
  parts.push(Buffer.from([0x5a]));
  return Buffer.concat(parts);
}

/** A value that is hostile to a reader: a huge declared length, deep nesting, a bad reference, a cut chunk. */
export function hostile(rng: Rng): Buffer {
  switch (rng.int(11)) {
    case 0:
      return Buffer.concat([Buffer.from([0x58]), int(rng.pick([0x7fffffff, -1, 0x10000000, 1 << 24]))]); // fixed list, huge length
    case 1:
      return Buffer.concat([Buffer.from([0x56]), str('[int'), int(rng.pick([0x7fffffff, -5, 1 << 20]))]); // typed fixed list
    case 2:
      return Buffer.from([0x53, 0xff, 0xff]); // string of 65535 chars, cut
    case 3:
      return Buffer.from([0x52, 0xff, 0xff, 0x61]); // a chunk that never ends
    case 4:
      return Buffer.from([0x42, 0xff, 0xff]); // binary of 65535 bytes, cut
    case 5:
      return Buffer.concat([Buffer.from([0x43]), str('C'), int(rng.pick([0x7fffffff, 100000, -1]))]); // class with huge field count
    case 6:
      return Buffer.concat([Buffer.from([0x51]), int(rng.pick([0x7fffffff, -1, 5]))]); // reference to nothing
    case 7:
      return Buffer.alloc(rng.pick([100, 2000, 20000]), rng.pick([0x48, 0x78 + 1, 0x55, 0x57])); // deep nesting
    case 8:
      return Buffer.from([0x4f, 0x90 + rng.int(16)]); // instance of an undefined class
    case 9:
      return Buffer.from([0x60 + rng.int(16)]); // compact instance of an undefined class
    default:
      return Buffer.concat([Buffer.from([0x30 + rng.int(4), 0xff]), Buffer.from('\u00e9'.repeat(10))]); // short string, lengths in chars
  }
}
