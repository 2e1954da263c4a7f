import { MosnError } from '@mosn/protocol';
import { ID_OFFSET, MAX_REQUEST_ID, TWO_32 } from './types.js';

/**
 * Dubbo request ids are 8 bytes; the codec contract carries them as numbers, which hold every whole
 * number up to 2^53 - 1. Clients count from 0 or 1 per process or connection, so real ids stay far
 * below; a larger id is a decode error rather than a silently wrong answer.
 */

/** The id from its high and low 32 bits, or -1 when it is above 2^53 - 1. */
export function requestIdOf(high: number, low: number): number {
  return high > 0x1f_ffff ? -1 : high * TWO_32 + low;
}

/** Throws unless `id` is a whole number from 0 to 2^53 - 1 (a programming error, not bad input). */
export function checkRequestId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_REQUEST_ID) {
    throw new MosnError('MOSN_ERR_DUBBO_REQUEST_ID', `dubbo: request id ${id} is not a whole number from 0 to 2^53 - 1`);
  }
  return id;
}

/** True when `raw`'s 8 id bytes hold `id`. */
export function hasRequestId(raw: Buffer, id: number): boolean {
  return raw.readUInt32BE(ID_OFFSET + 4) === id >>> 0 && raw.readUInt32BE(ID_OFFSET) === Math.floor(id / TWO_32);
}

/** Write all 8 id bytes. */
export function writeRequestId(out: Buffer, id: number): void {
  out.writeUInt32BE(Math.floor(id / TWO_32), ID_OFFSET);
  out.writeUInt32BE(id >>> 0, ID_OFFSET + 4);
}
