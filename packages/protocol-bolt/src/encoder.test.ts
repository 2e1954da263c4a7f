import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildFrame } from './builder.js';
import { crc32, crc32Fallback } from './crc32.js';
import { encodeFrame } from './encoder.js';
import { decodeOne, decodeOwned, golden } from './golden.test-support.js';

describe('encodeFrame', () => {
  it('returns the decoded bytes themselves when the id is unchanged', () => {
    const f = decodeOne(golden.v1_request_echo!);
    const out = encodeFrame(f);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(f.raw);
  });

  it('patches the id of a frame decoded from a connection into its own bytes, once; later encodes copy', () => {
    for (const name of ['v1_request_echo', 'v2_crc_request_plus', 'v2_crc_response_plus']) {
      const f = decodeOwned(golden[name]!);
      const before = Buffer.from(f.raw);
      const first = encodeFrame(f.withRequestId(0x01020304));
      expect(first).toHaveLength(1);
      expect(first[0]).toBe(f.raw); // no copy
      const sent = Buffer.from(first[0]!);
      const back = decodeOne(sent); // the CRC32 trailer was recomputed too
      expect([back.requestId, back.crc, back.body.equals(f.body)]).toEqual([0x01020304, f.crc, true]);
      // a second encode (a retry on another connection) must leave the bytes already handed out alone
      const second = Buffer.concat(encodeFrame(f.withRequestId(99)));
      expect(f.raw.equals(sent)).toBe(true);
      expect(decodeOne(second).requestId).toBe(99);
      // the original frame keeps its id, and encodes to the bytes it came as
      expect(f.requestId).toBe(before.readUInt32BE(f.layout.requestId));
      expect(Buffer.concat(encodeFrame(f)).equals(before)).toBe(true);
    }
  });

  it('a frame made by withRequestId shares the header map of the frame it came from', () => {
    const f = decodeOwned(golden.v1_request_plus!);
    const g = f.withRequestId(5);
    g.header.set('added', 'yes');
    expect(f.header.get('added')).toBe('yes');
    expect(f.headerChanged).toBe(true);
    const back = decodeOne(Buffer.concat(encodeFrame(g)));
    expect([back.requestId, back.header.get('added')]).toEqual([5, 'yes']);
  });

  it('sends a large frame as a patched fixed header plus the untouched rest, with a fresh CRC', () => {
    for (const crc of [false, true]) {
      const body = randomBytes(100_000);
      const f = buildFrame({ version: 2, kind: 'request', requestId: 1, crc, header: [['service', 'big']], body });
      const out = encodeFrame(f.withRequestId(2));
      expect(out.length).toBe(crc ? 3 : 2);
      expect(out[0]!.length).toBe(24);
      expect(out[1]!.buffer).toBe(f.raw.buffer); // no copy of the body
      const back = decodeOne(Buffer.concat(out));
      expect([back.requestId, back.crc, back.header.get('service')]).toEqual([2, crc, 'big']);
      expect(back.body.equals(body)).toBe(true);
    }
  });

  it('throws when a filter grows the header section past its 16-bit length', () => {
    const f = decodeOne(golden.v1_request_plus!);
    f.header.set('huge', 'x'.repeat(70_000));
    expect(() => encodeFrame(f)).toThrow(/over 65535 bytes/);
  });

  it('serializes UTF-8 header keys and values with their byte lengths', () => {
    const f = buildFrame({ version: 1, kind: 'response', requestId: 4, status: 2, header: [['trace', 'ünïcödé ✓'], ['', '']] });
    const back = decodeOne(Buffer.concat(encodeFrame(f)));
    expect(back.header.get('trace')).toBe('ünïcödé ✓');
    expect(back.header.get('')).toBe('');
    expect(back.status).toBe(2);
  });
});

describe('crc32', () => {
  it('the fallback agrees with zlib, also when chained', () => {
    for (const n of [0, 1, 7, 1000]) {
      const data = randomBytes(n);
      expect(crc32Fallback(data)).toBe(crc32(data));
      expect(crc32Fallback(data.subarray(n >> 1), crc32Fallback(data.subarray(0, n >> 1)))).toBe(crc32(data));
    }
    expect(crc32Fallback(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});
