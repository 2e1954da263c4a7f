import { DecodeError, IoBuffer } from '@mosn/protocol';
import { decodeFrame } from './decoder.js';
import type { ExampleFrame } from './frame.js';

/**
 * Test support (not built). Golden frames written by hand from the wire format in types.ts, not by the
 * encoder, so the encoder and the decoder are both checked against the format itself.
 */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const golden = {
  /** Request id 7, header `service=echo\n`, body "hi". */
  request: hex(`5845 01 01 00 00000007 0000 000d 00000002 ${Buffer.from('service=echo\n').toString('hex')} 6869`),
  /** One-way request id 8, no header, body "x". */
  oneWay: hex('5845 01 01 01 00000008 0000 0000 00000001 78'),
  /** Response id 7, status 0, body "hi". */
  response: hex('5845 01 02 00 00000007 0000 0000 00000002 6869'),
  /** Heartbeat request id 1 and its reply. */
  heartbeat: hex('5845 01 01 02 00000001 0000 0000 00000000'),
  heartbeatReply: hex('5845 01 02 02 00000001 0000 0000 00000000'),
};

export const LIMITS = { maxFrameSize: 64 * 1024 };

/** Decode whatever one decode call answers for `bytes`, and how many bytes it left. */
export function decodeBytes(bytes: Buffer, options = LIMITS): { result: ExampleFrame | DecodeError | undefined; left: number } {
  const buffer = new IoBuffer();
  buffer.append(bytes);
  return { result: decodeFrame(buffer, options), left: buffer.length };
}

/** Decode exactly one frame from `bytes`, failing the test on anything else. */
export function decodeOne(bytes: Buffer, options = LIMITS): ExampleFrame {
  const { result, left } = decodeBytes(bytes, options);
  if (result === undefined || result instanceof DecodeError) throw new Error(`expected a frame, got ${JSON.stringify(result)}`);
  if (left !== 0) throw new Error(`${left} bytes left over`);
  return result;
}

/** Feed `bytes` in chunks of `size`, decoding after each; returns every result that was not undefined. */
export function feedInChunks(bytes: Buffer, size: number, options = LIMITS): (ExampleFrame | DecodeError)[] {
  const buffer = new IoBuffer();
  const out: (ExampleFrame | DecodeError)[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    buffer.append(bytes.subarray(i, i + size));
    for (let r = decodeFrame(buffer, options); r !== undefined; r = decodeFrame(buffer, options)) {
      out.push(r);
      if (r instanceof DecodeError) return out;
    }
  }
  return out;
}
