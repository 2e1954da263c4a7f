import { readFileSync } from 'node:fs';
import { DecodeError, IoBuffer } from '@mosn/protocol';
import hessian from 'hessian.js';
import { decodeFrame } from './decoder.js';
import { encodeFrame } from './encoder.js';
import type { DubboFrame } from './frame.js';

/** Test support (not built): the captured Dubbo frames and helpers to feed them to the decoder. */
const fixtures = JSON.parse(
  readFileSync(new URL('../../../fixtures/golden-frames.json', import.meta.url), 'utf8'),
) as { dubbo: Record<string, string> };

export const golden: Record<string, Buffer> = Object.fromEntries(
  Object.entries(fixtures.dubbo).map(([name, hex]) => [name, Buffer.from(hex, 'hex')]),
);

export const LIMITS = { maxFrameSize: 1024 * 1024 };

/** Decode exactly one frame from `bytes`, failing the test on anything else. */
export function decodeOne(bytes: Buffer, options = LIMITS): DubboFrame {
  const buffer = new IoBuffer();
  buffer.append(bytes);
  const frame = decodeFrame(buffer, options);
  if (frame === undefined || frame instanceof DecodeError) throw new Error(`expected a frame, got ${JSON.stringify(frame)}`);
  if (buffer.length !== 0) throw new Error(`${buffer.length} bytes left over`);
  return frame;
}

/** Feed `bytes` in chunks of `size`, decoding after each; returns every result that was not undefined. */
export function feedInChunks(bytes: Buffer, size: number, options = LIMITS): (DubboFrame | DecodeError)[] {
  const buffer = new IoBuffer();
  const out: (DubboFrame | DecodeError)[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    buffer.append(bytes.subarray(i, i + size));
    for (let r = decodeFrame(buffer, options); r !== undefined; r = decodeFrame(buffer, options)) {
      out.push(r);
      if (r instanceof DecodeError) return out;
    }
  }
  return out;
}

/** The frame's bytes as one buffer. */
export const encoded = (frame: DubboFrame): Buffer => Buffer.concat(encodeFrame(frame));

/** Every hessian2 value in `body`, decoded by hessian.js on its own. */
export function hessianValuesOf(body: Buffer): unknown[] {
  const decoder = new hessian.DecoderV2(body);
  const out: unknown[] = [];
  while (decoder.position() < body.length) out.push(decoder.read());
  return out;
}
