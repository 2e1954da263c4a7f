import type { ExampleFrame } from './frame.js';
import { serializeHeader } from './header.js';
import { FIXED_HEADER_LENGTH, MAGIC, OFFSET, VERSION } from './types.js';

/** The fixed header fields a frame is written from. */
export interface FixedFields {
  readonly type: number;
  readonly flags: number;
  readonly requestId: number;
  readonly status: number;
}

/** One frame's bytes: the fixed header, the header section as given, the body. */
export function writeFrame(fields: FixedFields, header: Buffer, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FIXED_HEADER_LENGTH + header.length + body.length);
  MAGIC.copy(out, 0);
  out[OFFSET.version] = VERSION;
  out[OFFSET.type] = fields.type;
  out[OFFSET.flags] = fields.flags;
  out.writeUInt32BE(fields.requestId >>> 0, OFFSET.requestId);
  out.writeUInt16BE(fields.status, OFFSET.status);
  out.writeUInt16BE(header.length, OFFSET.headerLength);
  out.writeUInt32BE(body.length, OFFSET.bodyLength);
  header.copy(out, FIXED_HEADER_LENGTH);
  body.copy(out, FIXED_HEADER_LENGTH + header.length);
  return out;
}

/**
 * The frame's bytes with its current request id. An unchanged frame is its original bytes: as they are
 * when the id is the same, else a patched copy of the 17-byte fixed header plus the untouched rest. A
 * header map changed since decoding (a filter's `set`/`delete`) is re-serialized; that throws a
 * RangeError if the map now holds a pair the wire cannot carry.
 */
export function encodeFrame(frame: ExampleFrame): Buffer[] {
  const { raw, requestId } = frame;
  if (frame.header.changed) {
    const fields = { type: raw[OFFSET.type]!, flags: frame.flags, requestId, status: raw.readUInt16BE(OFFSET.status) };
    return [writeFrame(fields, serializeHeader(frame.header), frame.body)];
  }
  if (raw.readUInt32BE(OFFSET.requestId) === requestId) return [raw];
  const head = Buffer.allocUnsafe(FIXED_HEADER_LENGTH);
  raw.copy(head, 0, 0, FIXED_HEADER_LENGTH);
  head.writeUInt32BE(requestId, OFFSET.requestId);
  return raw.length > FIXED_HEADER_LENGTH ? [head, raw.subarray(FIXED_HEADER_LENGTH)] : [head];
}
