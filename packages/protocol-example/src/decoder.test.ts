import { randomBytes } from 'node:crypto';
import { DecodeError } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { decodeBytes, decodeOne, feedInChunks, golden, LIMITS } from './golden.test-support.js';
import { ExampleFrame } from './frame.js';
import { FIXED_HEADER_LENGTH, OFFSET } from './types.js';

function expectError(bytes: Buffer, message: RegExp, requestId?: number, options = LIMITS) {
  const { result } = decodeBytes(bytes, options);
  expect(result).toBeInstanceOf(DecodeError);
  expect((result as DecodeError).message).toMatch(message);
  expect((result as DecodeError).requestId).toBe(requestId);
}

const patch = (bytes: Buffer, at: number, value: number) => {
  const b = Buffer.from(bytes);
  b[at] = value;
  return b;
};

/** The golden request with another header section (lengths fixed up). */
const withHeader = (text: string) => {
  const header = Buffer.from(text);
  const head = Buffer.from(golden.request.subarray(0, FIXED_HEADER_LENGTH));
  head.writeUInt16BE(header.length, OFFSET.headerLength);
  return Buffer.concat([head, header, Buffer.from('hi')]);
};

describe('decodeFrame', () => {
  it('decodes the golden frames field by field', () => {
    const req = decodeOne(golden.request);
    expect([req.kind, req.requestId, req.status, req.isOneWay(), req.isHeartbeat()]).toEqual(['request', 7, undefined, false, false]);
    expect(req.header.get('service')).toBe('echo');
    expect(req.header.size).toBe(1);
    expect(req.body.toString()).toBe('hi');
    expect(req.timeoutMs).toBe(0);

    const res = decodeOne(golden.response);
    expect([res.kind, res.requestId, res.status, res.body.toString()]).toEqual(['response', 7, 0, 'hi']);
    expect(decodeOne(golden.oneWay).isOneWay()).toBe(true);
    expect(decodeOne(golden.heartbeat).isHeartbeat()).toBe(true);
    expect(decodeOne(golden.heartbeatReply).kind).toBe('response');
  });

  it('reads the timeout header as milliseconds, ignoring what is not a whole number', () => {
    expect(decodeOne(withHeader('timeout=250\n')).timeoutMs).toBe(250);
    expect(decodeOne(withHeader('timeout=1.5\n')).timeoutMs).toBe(0);
    expect(decodeOne(withHeader('timeout=-3\n')).timeoutMs).toBe(0);
  });

  it('accepts a value with "=" in it and an empty value', () => {
    const f = decodeOne(withHeader('a=b=c\nempty=\n'));
    expect([f.header.get('a'), f.header.get('empty')]).toEqual(['b=c', '']);
  });

  it('needs more bytes for every proper prefix of a frame, consuming nothing', () => {
    for (const bytes of Object.values(golden)) {
      for (let n = 0; n < bytes.length; n++) {
        const { result, left } = decodeBytes(bytes.subarray(0, n));
        expect(result).toBeUndefined();
        expect(left).toBe(n);
      }
    }
  });

  it('decodes several frames fed one byte at a time', () => {
    const all = Buffer.concat(Object.values(golden));
    const frames = feedInChunks(all, 1);
    expect(frames.every((f) => f instanceof ExampleFrame)).toBe(true);
    expect(frames.map((f) => (f as ExampleFrame).requestId)).toEqual([7, 8, 7, 1, 1]);
    expect(frames.map((f) => (f as ExampleFrame).raw)).toEqual(Object.values(golden));
  });

  it('rejects garbage at the first wrong byte, without waiting for a whole header', () => {
    expectError(Buffer.from('G'), /bad magic/);
    expectError(Buffer.from('XEhello'), /unknown version 104/);
    expectError(patch(golden.request, OFFSET.type, 3).subarray(0, 4), /unknown frame type 3/);
    expectError(patch(golden.request, OFFSET.flags, 0x80).subarray(0, 5), /unknown flags 0x80/);
    expectError(patch(golden.response, OFFSET.flags, 1).subarray(0, 5), /one-way response/);
  });

  it('rejects a frame over maxFrameSize as soon as the fixed header is in, with its id', () => {
    const bytes = golden.request;
    const options = { maxFrameSize: bytes.length - 1 };
    expectError(bytes.subarray(0, FIXED_HEADER_LENGTH), new RegExp(`frame of ${bytes.length} bytes is over the limit of ${bytes.length - 1}`), 7, options);
    expect(decodeBytes(bytes, { maxFrameSize: bytes.length }).result).toBeInstanceOf(ExampleFrame);
    // a 4 GiB body length: an error now, not a wait for 4 GiB
    expectError(Buffer.from(bytes.subarray(0, FIXED_HEADER_LENGTH)).fill(0xff, OFFSET.bodyLength), /over the limit/, 7);
  });

  it('rejects a malformed header section with the request id', () => {
    for (const text of ['service=echo', 'service\n', '=echo\n', 'a=1\na=2\n', 'a=1\nb']) {
      expectError(withHeader(text), /malformed header section/, 7);
    }
  });

  it('never throws on random bytes or on mutated golden frames', () => {
    for (let i = 0; i < 2000; i++) {
      const noise = randomBytes(1 + (i % 64));
      expect(() => decodeBytes(noise)).not.toThrow();
      const mutated = Buffer.from(golden.request);
      mutated[i % mutated.length] = noise[0]!;
      mutated[(i * 7) % mutated.length] = noise[noise.length - 1]!;
      for (const size of [1, 5, mutated.length]) expect(() => feedInChunks(mutated, size)).not.toThrow();
    }
  });
});
