import { DecodeDriver } from '@mosn/protocol';
import { decodeFrame } from './decoder.js';

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

const driver = new DecodeDriver(decodeFrame, LIMITS);

/** What one decode call makes of `bytes`, and how many bytes it left. */
export const decodeBytes = driver.once.bind(driver);
/** Decode exactly one frame from `bytes`, failing the test on anything else. */
export const decodeOne = driver.one.bind(driver);
/** Feed `bytes` in chunks of `size`, decoding after each; returns every result that was not undefined. */
export const feedInChunks = driver.chunked.bind(driver);
