import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildFrame } from './builder.js';
import { crc32, crc32Fallback } from './crc32.js';
import { encodeFrame } from './encoder.js';
import { decodeOne, golden } from './golden.test-support.js';

describe('encodeFrame', () => {
  it('returns the decoded bytes themselves when the id is unchanged', () => {
    const f = decodeOne(golden.v1_request_echo!);
    const out = encodeFrame(f);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(f.raw);
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
