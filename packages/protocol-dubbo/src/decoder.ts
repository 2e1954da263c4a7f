import { DecodeError, type DecodeOptions, type IoBuffer } from '@mosn/protocol';
import { DubboFrame } from './frame.js';
import { requestIdOf } from './request-id.js';
import { BODY_LENGTH_OFFSET, HEADER_LENGTH, ID_OFFSET, MAGIC_HIGH, MAGIC_LOW } from './types.js';

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * Take one Dubbo frame off the front of `buffer`. Returns the frame, `undefined` when more bytes are
 * needed (nothing consumed), or a DecodeError; never throws on bad bytes. The magic is checked on the
 * first two bytes, the frame's size against `maxFrameSize` as soon as the 16-byte header is in, before
 * the body arrives. The body is not looked at here: routing reads it lazily through `frame.header`.
 */
export function decodeFrame(buffer: IoBuffer, options: DecodeOptions): DubboFrame | undefined | DecodeError {
  const available = buffer.length;
  if (available === 0) return undefined;
  if (buffer.uint8(0) !== MAGIC_HIGH || (available > 1 && buffer.uint8(1) !== MAGIC_LOW)) {
    const got = available > 1 ? `${hex(buffer.uint8(0))} ${hex(buffer.uint8(1))}` : hex(buffer.uint8(0));
    return new DecodeError(`dubbo: bad magic ${got}, expected 0xda 0xbb`);
  }
  if (available < HEADER_LENGTH) return undefined;

  const high = buffer.uint32(ID_OFFSET);
  const requestId = requestIdOf(high, buffer.uint32(ID_OFFSET + 4));
  if (requestId < 0) {
    return new DecodeError(`dubbo: request id 0x${high.toString(16)}${buffer.uint32(ID_OFFSET + 4).toString(16).padStart(8, '0')} is above 2^53 - 1, which mosn cannot carry`);
  }
  const frameLength = HEADER_LENGTH + buffer.uint32(BODY_LENGTH_OFFSET);
  if (frameLength > options.maxFrameSize) {
    return new DecodeError(`dubbo: frame of ${frameLength} bytes is over the limit of ${options.maxFrameSize}`, requestId);
  }
  if (available < frameLength) return undefined;
  return new DubboFrame(buffer.take(frameLength), requestId, undefined, buffer.exclusive);
}
