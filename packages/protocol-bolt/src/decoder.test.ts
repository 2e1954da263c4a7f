import { randomBytes } from 'node:crypto';
import { DecodeError } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { buildFrame } from './builder.js';
import { decodeBytes as decode, decodeOne, feedInChunks, golden, LIMITS } from './golden.test-support.js';

function expectError(bytes: Buffer, message: RegExp, requestId?: number, options = LIMITS) {
  const { result } = decode(bytes, options);
  expect(result).toBeInstanceOf(DecodeError);
  expect((result as DecodeError).message).toMatch(message);
  expect((result as DecodeError).requestId).toBe(requestId);
}

const patch = (bytes: Buffer, at: number, value: number) => {
  const b = Buffer.from(bytes);
  b[at] = value;
  return b;
};

describe('decodeFrame', () => {
  it('needs more bytes for every proper prefix of a frame, consuming nothing', () => {
    for (const bytes of Object.values(golden)) {
      for (let n = 0; n < bytes.length; n++) {
        const { result, left } = decode(bytes.subarray(0, n));
        expect(result).toBeUndefined();
        expect(left).toBe(n);
      }
    }
  });

  it('rejects unknown protocol codes, v2 versions and cmd types', () => {
    expectError(Buffer.from('GET / HTTP/1.1\r\n'), /unknown protocol code 71/);
    expectError(patch(golden.v2_crc_request_plus!, 1, 3), /unknown v2 protocol version 3/);
    expectError(patch(golden.v1_request_echo!, 1, 3), /unknown cmd type 3/);
    expectError(patch(golden.v2_crc_request_plus!, 2, 9), /unknown cmd type 9/);
  });

  it('rejects unknown cmd codes with the request id', () => {
    expectError(patch(golden.v1_request_echo!, 3, 2), /unknown cmd code 2 for cmd type 1/, 1);
    expectError(patch(golden.v1_response_echo!, 3, 1), /unknown cmd code 1 for cmd type 0/, 1);
    expectError(patch(golden.v2_crc_request_plus!, 4, 7), /unknown cmd code 7/, 7);
  });

  it('rejects a frame over maxFrameSize as soon as its fixed header is in', () => {
    const bytes = golden.v1_request_echo!;
    const options = { maxFrameSize: bytes.length - 1 };
    expectError(bytes.subarray(0, 22), /frame of 364 bytes is over the limit of 363/, 1, options);
    expect(decode(bytes, { maxFrameSize: bytes.length }).result).not.toBeInstanceOf(DecodeError);
    // a huge content length: an error, not a wait for 4 GB
    const huge = Buffer.from(bytes.subarray(0, 22));
    huge.writeUInt32BE(0xffffffff, 18);
    expectError(huge, /over the limit/, 1);
    // the CRC trailer counts
    const v2 = golden.v2_crc_request_plus!;
    expectError(v2.subarray(0, 24), /over the limit/, 7, { maxFrameSize: v2.length - 1 });
  });

  it('rejects a CRC mismatch with the request id', () => {
    for (const at of [30, golden.v2_crc_request_plus!.length - 1]) {
      const bad = patch(golden.v2_crc_request_plus!, at, golden.v2_crc_request_plus![at]! ^ 0xff);
      expectError(bad, /CRC32 mismatch/, 7);
    }
    expectError(patch(golden.v2_crc_response_plus!, 60, 0), /CRC32 mismatch/, 7);
  });

  it('reads no CRC when ver1 is 1, even with the switch bit on (as sofa-bolt)', () => {
    const f = buildFrame({ version: 2, kind: 'request', requestId: 5, header: [['service', 's']], body: Buffer.from('x') });
    const raw = patch(f.raw, 11, 1);
    const { result, left } = decode(raw);
    expect(result).toMatchObject({ requestId: 5, crc: false });
    expect(left).toBe(0);
  });

  it('rejects a malformed header section with the request id', () => {
    const f = buildFrame({ version: 1, kind: 'request', requestId: 9, header: [['service', 'abc']] });
    const keyTooLong = Buffer.from(f.raw);
    keyTooLong.writeUInt32BE(100, 22);
    expectError(keyTooLong, /malformed header section/, 9);
    const valueTooLong = Buffer.from(f.raw);
    valueTooLong.writeUInt32BE(0x7ffffffe, 22 + 4 + 7);
    expectError(valueTooLong, /malformed header section/, 9);
    // header length cutting a length field in half
    const g = buildFrame({ version: 1, kind: 'request', requestId: 9, header: [['k', 'v']], body: Buffer.from('abcd') });
    const cut = Buffer.from(g.raw);
    cut.writeUInt16BE(12, 16); // 10 bytes of header said to be 12, the body 2 shorter: a length cut in half
    cut.writeUInt32BE(2, 18);
    expectError(cut, /malformed header section/, 9);
  });

  it('accepts -1 (null) lengths in the header section and drops those pairs, as MOSN', () => {
    const header = Buffer.alloc(4 + 1 + 4 + 4 + 1 + 4 + 1);
    let at = header.writeUInt32BE(1, 0);
    at += header.write('a', at);
    at = header.writeUInt32BE(0xffffffff, at);
    at = header.writeUInt32BE(1, at);
    at += header.write('b', at);
    at = header.writeUInt32BE(1, at);
    header.write('c', at);
    const f = buildFrame({ version: 1, kind: 'request', requestId: 3 });
    const raw = Buffer.concat([f.raw, header]);
    raw.writeUInt16BE(header.length, 16);
    const frame = decodeOne(raw);
    expect(frame.header.get('a')).toBeUndefined();
    expect(frame.header.get('b')).toBe('c');
  });

  it('never throws on random bytes and garbage after a valid prefix', () => {
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 64));
      if (i % 3 === 0) junk[0] = 1 + (i % 2);
      if (i % 5 === 0) junk[1] = i % 3;
      expect(() => feedInChunks(junk, 1 + (i % 5), { maxFrameSize: 4096 })).not.toThrow();
      expect(() => feedInChunks(Buffer.concat([golden.v1_request_plus!, junk]), 13)).not.toThrow();
    }
  });

  it('answers frames first, then the error for garbage that follows', () => {
    const results = feedInChunks(Buffer.concat([golden.v1_request_echo!, golden.v1_response_echo!, Buffer.from([9, 9, 9])]), 50);
    expect(results.map((r) => (r instanceof DecodeError ? 'error' : r.kind))).toEqual(['request', 'response', 'error']);
  });
});
