import { randomBytes } from 'node:crypto';
import { DecodeError } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { buildFrame, encodeRequestBody } from './builder.js';
import { encodeFrame } from './encoder.js';
import type { DubboFrame } from './frame.js';
import { decodeBytes as decode, feedInChunks, golden, LIMITS } from './golden.test-support.js';

function expectError(bytes: Buffer, message: RegExp, requestId?: number, options = LIMITS) {
  const { result } = decode(bytes, options);
  expect(result).toBeInstanceOf(DecodeError);
  expect((result as DecodeError).message).toMatch(message);
  expect((result as DecodeError).requestId).toBe(requestId);
}

const withId = (bytes: Buffer, id: bigint) => {
  const b = Buffer.from(bytes);
  b.writeBigUInt64BE(id, 4);
  return b;
};

/** Read every key a route or filter could ask for, and re-encode after a change: none of it may throw. */
function exercise(frame: DubboFrame): void {
  const h = frame.header;
  for (const k of ['service', 'method', 'version', 'dubbo', 'group', 'path']) h.get(k);
  void frame.routingError;
  void h.attachmentsError;
  h.forEach(() => {});
  frame.isHeartbeat();
  frame.isGoAway();
  h.set('x-trace', 'abc');
  h.set('version', '9.9.9');
  encodeFrame(frame);
}

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

  it('rejects a bad magic on the first byte, and on the second', () => {
    expectError(Buffer.from('GET / HTTP/1.1\r\n'), /bad magic 0x47 0x45, expected 0xda 0xbb/);
    expectError(Buffer.from([0x01]), /bad magic 0x01,/);
    expectError(Buffer.from([0xda, 0xbc]), /bad magic 0xda 0xbc/);
  });

  it('rejects a frame over maxFrameSize as soon as its 16-byte header is in, with the request id', () => {
    const bytes = golden.request_echo!;
    expectError(bytes.subarray(0, 16), /frame of 222 bytes is over the limit of 221/, 1, { maxFrameSize: 221 });
    expect(decode(bytes, { maxFrameSize: 222 }).result).not.toBeInstanceOf(DecodeError);
    const huge = Buffer.from(bytes.subarray(0, 16));
    huge.writeUInt32BE(0xffffffff, 12);
    expectError(huge, /frame of 4294967311 bytes is over the limit/, 1);
  });

  it('carries 8-byte ids up to 2^53 - 1 and rejects larger ones', () => {
    const bytes = golden.response_plus!;
    for (const id of [0n, 0xffffffffn, 0x1_0000_0000n, 2n ** 53n - 1n]) {
      const { result } = decode(withId(bytes, id));
      expect((result as DubboFrame).requestId).toBe(Number(id));
    }
    expectError(withId(bytes, 2n ** 53n), /request id 0x20000000000000 is above 2\^53 - 1/);
    expectError(withId(bytes, 2n ** 64n - 1n), /request id 0xffffffffffffffff is above/);
  });

  it('decodes one-way requests, and requests whose body is not hessian2, untouched', () => {
    const oneWay = buildFrame({ kind: 'request', requestId: 5, twoWay: false, body: encodeRequestBody({ service: 'a.B', method: 'm' }) });
    const { result } = decode(oneWay.raw);
    expect([(result as DubboFrame).isOneWay(), (result as DubboFrame).header.get('service'), (result as DubboFrame).flag]).toEqual([true, 'a.B', 0x82]);
    const kryo = Buffer.from(golden.request_echo!);
    kryo[2] = 0xc8; // serialization id 8
    const f = decode(kryo).result as DubboFrame;
    expect([f.kind, f.serializationId, f.header.get('service'), f.header.get('method'), f.header.size]).toEqual(['request', 8, undefined, undefined, 0]);
    expect(f.routingError).toMatch(/serialization id is 8, not hessian2/);
    f.header.set('group', 'g');
    expect(Buffer.concat(encodeFrame(f)).equals(kryo)).toBe(true);
    const forwarded = Buffer.concat(encodeFrame(f.withRequestId(2 ** 36)));
    expect(forwarded.subarray(12).equals(kryo.subarray(12))).toBe(true);
    expect(forwarded.readBigUInt64BE(4)).toBe(2n ** 36n);
  });

  it('never throws on random bytes, random frames or garbage after a valid frame', () => {
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 96));
      if (i % 2 === 0) junk[0] = 0xda;
      if (i % 4 === 0) junk[1] = 0xbb;
      if (i % 8 === 0 && junk.length >= 16) {
        junk.writeUInt32BE(0, 4); // a readable id
        junk.writeUInt32BE(junk.length - 16, 12); // a body that fits
        junk[2] = (junk[2]! & 0xe0) | 2; // hessian2
      }
      expect(() => {
        for (const r of feedInChunks(junk, 1 + (i % 5), { maxFrameSize: 4096 })) if (!(r instanceof DecodeError)) exercise(r);
      }).not.toThrow();
      expect(() => feedInChunks(Buffer.concat([golden.request_plus_Integer!, junk]), 13)).not.toThrow();
    }
  });

  it('reads random hessian2 bodies behind a valid request header without throwing', () => {
    const prefix = encodeRequestBody({ service: 'a.B', version: '1', method: 'm' }).subarray(0, 12);
    for (let i = 0; i < 2000; i++) {
      const tail = randomBytes(i % 64);
      const body = i % 3 === 0 ? Buffer.concat([prefix.subarray(0, i % prefix.length), tail]) : Buffer.concat([prefix, tail]);
      const f = buildFrame({ kind: 'request', requestId: i, body });
      expect(() => exercise(decode(f.raw).result as DubboFrame)).not.toThrow();
    }
  });

  it('reads golden request bodies with random bytes changed without throwing', () => {
    const requests = [golden.request_echo!, golden.request_plus_Integer!, golden.request_nothing!];
    for (let i = 0; i < 2000; i++) {
      const raw = Buffer.from(requests[i % requests.length]!);
      for (let n = 0; n <= i % 3; n++) raw[16 + ((Math.random() * (raw.length - 16)) | 0)] = (Math.random() * 256) | 0;
      expect(() => exercise(decode(raw).result as DubboFrame)).not.toThrow();
    }
  });

  it('answers frames first, then the error for garbage that follows', () => {
    const results = feedInChunks(Buffer.concat([golden.request_echo!, golden.response_echo_value_with_attachments!, Buffer.from([9, 9, 9])]), 50);
    expect(results.map((r) => (r instanceof DecodeError ? 'error' : r.kind))).toEqual(['request', 'response', 'error']);
  });
});
