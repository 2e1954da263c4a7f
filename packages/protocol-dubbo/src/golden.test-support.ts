import { readFileSync } from 'node:fs';
import { DecodeDriver } from '@mosn/protocol';
import hessian from 'hessian.js';
import { decodeFrame } from './decoder.js';
import { encodeFrame } from './encoder.js';
import type { DubboFrame } from './frame.js';

/** Test support (not built): the captured Dubbo frames and a driver that feeds them to the decoder. */
const fixtures = JSON.parse(
  readFileSync(new URL('../../../fixtures/golden-frames.json', import.meta.url), 'utf8'),
) as { dubbo: Record<string, string> };

export const golden: Record<string, Buffer> = Object.fromEntries(
  Object.entries(fixtures.dubbo).map(([name, hex]) => [name, Buffer.from(hex, 'hex')]),
);

export const LIMITS = { maxFrameSize: 1024 * 1024 };

const driver = new DecodeDriver(decodeFrame, LIMITS);

/** What one decode call makes of `bytes`, and how many bytes it left. */
export const decodeBytes = driver.once.bind(driver);
/** Decode exactly one frame from `bytes`, failing the test on anything else. */
export const decodeOne = driver.one.bind(driver);
/** Feed `bytes` in chunks of `size`, decoding after each; returns every result that was not undefined. */
export const feedInChunks = driver.chunked.bind(driver);
/** Exactly one frame from a copy of `bytes` in an exclusive IoBuffer, as a connection's reads are (patchable in place). */
export const decodeOwned = driver.owned.bind(driver);

/** The frame's bytes as one buffer. */
export const encoded = (frame: DubboFrame): Buffer => Buffer.concat(encodeFrame(frame));

/** Every hessian2 value in `body`, decoded by hessian.js on its own. */
export function hessianValuesOf(body: Buffer): unknown[] {
  const decoder = new hessian.DecoderV2(body);
  const out: unknown[] = [];
  while (decoder.position() < body.length) out.push(decoder.read());
  return out;
}
