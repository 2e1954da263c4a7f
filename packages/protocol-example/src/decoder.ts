import { DecodeError, type DecodeOptions, type IoBuffer } from '@mosn/protocol';
import { ExampleFrame } from './frame.js';
import { parseHeader } from './header.js';
import { FIXED_HEADER_LENGTH, FLAG_ONEWAY, KNOWN_FLAGS, MAGIC, OFFSET, TYPE_REQUEST, TYPE_RESPONSE, VERSION } from './types.js';

/** What is wrong with the leading bytes that have arrived (magic, version, type, flags), if anything. */
function checkLeadingBytes(buffer: IoBuffer): string | undefined {
  const n = buffer.length;
  for (let i = 0; i < MAGIC.length && i < n; i++) if (buffer.uint8(i) !== MAGIC[i]) return 'example: bad magic';
  if (n <= OFFSET.version) return undefined;
  const version = buffer.uint8(OFFSET.version);
  if (version !== VERSION) return `example: unknown version ${version}`;
  if (n <= OFFSET.type) return undefined;
  const type = buffer.uint8(OFFSET.type);
  if (type !== TYPE_REQUEST && type !== TYPE_RESPONSE) return `example: unknown frame type ${type}`;
  if (n <= OFFSET.flags) return undefined;
  const flags = buffer.uint8(OFFSET.flags);
  if ((flags & ~KNOWN_FLAGS) !== 0) return `example: unknown flags 0x${flags.toString(16)}`;
  if (type === TYPE_RESPONSE && (flags & FLAG_ONEWAY) !== 0) return 'example: a one-way response';
  return undefined;
}

/**
 * Take one frame off the front of `buffer`. Returns the frame, `undefined` when more bytes are needed
 * (nothing consumed), or a DecodeError; never throws on bad bytes. The leading bytes are checked as soon
 * as they arrive, and the frame's size against `maxFrameSize` as soon as the fixed header is in, before
 * waiting for the header section and body.
 */
export function decodeFrame(buffer: IoBuffer, options: DecodeOptions): ExampleFrame | undefined | DecodeError {
  const problem = checkLeadingBytes(buffer);
  if (problem !== undefined) return new DecodeError(problem);
  const available = buffer.length;
  if (available < FIXED_HEADER_LENGTH) return undefined;

  const requestId = buffer.uint32(OFFSET.requestId);
  const headerLength = buffer.uint16(OFFSET.headerLength);
  const frameLength = FIXED_HEADER_LENGTH + headerLength + buffer.uint32(OFFSET.bodyLength);
  if (frameLength > options.maxFrameSize) {
    return new DecodeError(`example: frame of ${frameLength} bytes is over the limit of ${options.maxFrameSize}`, requestId);
  }
  if (available < frameLength) return undefined;

  const raw = buffer.take(frameLength);
  const bodyStart = FIXED_HEADER_LENGTH + headerLength;
  const header = parseHeader(raw.subarray(FIXED_HEADER_LENGTH, bodyStart));
  if (header === undefined) return new DecodeError('example: malformed header section', requestId);
  return new ExampleFrame(raw, requestId, header, raw.subarray(bodyStart));
}
