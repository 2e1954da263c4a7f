import { MosnError } from '@mosn/protocol';
import { crc32 } from './crc32.js';
import type { BoltFrame } from './frame.js';
import type { BoltHeaderMap } from './header-map.js';
import type { Layout } from './layout.js';
import { CRC_LENGTH } from './types.js';

/** Frames up to this size are copied whole to patch the id; bigger ones go out as a patched head plus the untouched rest. */
const COPY_LIMIT = 16 * 1024;
const MAX_UINT16 = 0xffff;

/**
 * The frame's bytes with its current request id. An unchanged frame is its original bytes with the id
 * patched in (and the CRC32 recomputed): in place the first time a decoded frame's own bytes are encoded
 * (a proxy forwards each frame once), into a copy after that; a changed header map is re-serialized.
 */
export function encodeFrame(frame: BoltFrame): Buffer[] {
  return frame.headerChanged ? [reassemble(frame)] : patchRequestId(frame);
}

function patchRequestId(frame: BoltFrame): Buffer[] {
  const { raw, layout, requestId } = frame;
  const inPlace = frame.claimRaw();
  if (raw.readUInt32BE(layout.requestId) === requestId) return [raw];
  const crc = frame.crc;
  if (inPlace) {
    raw.writeUInt32BE(requestId, layout.requestId);
    if (crc) writeCrc(raw);
    return [raw];
  }
  if (raw.length <= COPY_LIMIT) {
    const out = Buffer.allocUnsafe(raw.length);
    out.set(raw); // TypedArray#set: cheaper than Buffer#copy for small frames
    out.writeUInt32BE(requestId, layout.requestId);
    if (crc) writeCrc(out);
    return [out];
  }
  const head = Buffer.allocUnsafe(layout.size);
  raw.copy(head, 0, 0, layout.size);
  head.writeUInt32BE(requestId, layout.requestId);
  if (!crc) return [head, raw.subarray(layout.size)];
  const rest = raw.subarray(layout.size, raw.length - CRC_LENGTH);
  const trailer = Buffer.allocUnsafe(CRC_LENGTH);
  trailer.writeUInt32BE(crc32(rest, crc32(head)));
  return [head, rest, trailer];
}

/** The frame rebuilt around its re-serialized header map: fixed header, class name and body as they were. */
function reassemble(frame: BoltFrame): Buffer {
  const { raw, layout } = frame;
  const classEnd = layout.size + raw.readUInt16BE(layout.classLen);
  const { header, body, crc } = frame;
  const out = allocFrame(layout, classEnd - layout.size, header, body.length, crc);
  raw.copy(out, 0, 0, layout.size);
  out.writeUInt32BE(frame.requestId, layout.requestId);
  writeSections(out, layout, raw.subarray(layout.size, classEnd), header, body, crc);
  return out;
}

/** A buffer sized for a frame with these sections; throws when a section is over its 16-bit length field. */
export function allocFrame(layout: Layout, classLen: number, header: BoltHeaderMap, bodyLen: number, crc: boolean): Buffer {
  const headerLen = header.encodedLength();
  if (classLen > MAX_UINT16 || headerLen > MAX_UINT16) {
    throw new MosnError('MOSN_ERR_BOLT_FRAME_TOO_LARGE', `bolt: class name (${classLen} bytes) or header (${headerLen} bytes) is over 65535 bytes`);
  }
  return Buffer.allocUnsafe(layout.size + classLen + headerLen + bodyLen + (crc ? CRC_LENGTH : 0));
}

/** After a fixed header already in `out`: the three length fields, class name, header, body, CRC32 trailer. */
export function writeSections(out: Buffer, layout: Layout, className: Buffer, header: BoltHeaderMap, body: Buffer, crc: boolean): void {
  const at = layout.size + className.copy(out, layout.size);
  const headerEnd = header.encodeInto(out, at);
  out.writeUInt16BE(className.length, layout.classLen);
  out.writeUInt16BE(headerEnd - at, layout.headerLen);
  out.writeUInt32BE(body.length, layout.contentLen);
  body.copy(out, headerEnd);
  if (crc) writeCrc(out);
}

function writeCrc(out: Buffer): void {
  const end = out.length - CRC_LENGTH;
  out.writeUInt32BE(crc32(out.subarray(0, end)), end);
}
