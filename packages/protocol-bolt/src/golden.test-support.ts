import { readFileSync } from 'node:fs';
import { DecodeDriver } from '@mosn/protocol';
import { decodeFrame } from './decoder.js';

/** Test support (not built): the captured Bolt frames and a driver that feeds them to the decoder. */
const fixtures = JSON.parse(
  readFileSync(new URL('../../../fixtures/golden-frames.json', import.meta.url), 'utf8'),
) as { bolt: Record<string, string> };

export const golden: Record<string, Buffer> = Object.fromEntries(
  Object.entries(fixtures.bolt).map(([name, hex]) => [name, Buffer.from(hex, 'hex')]),
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
