import { matchPrefix, type IoBuffer, type MatchResult } from '@mosn/protocol';
import { MAGIC_HIGH, MAGIC_LOW } from './types.js';

const MAGIC = [MAGIC_HIGH, MAGIC_LOW];

/** Dubbo's magic, 0xda 0xbb ('again' on 0xda alone). MOSN waits for the whole 16-byte header; two bytes decide. */
export function matchDubbo(buffer: IoBuffer): MatchResult {
  return matchPrefix(buffer, MAGIC);
}
