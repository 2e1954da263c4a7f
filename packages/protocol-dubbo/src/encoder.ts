import type { DubboFrame } from './frame.js';
import { hasRequestId, writeRequestId } from './request-id.js';
import { BODY_LENGTH_OFFSET, HEADER_LENGTH } from './types.js';

/** Frames up to this size are copied whole to patch the id; bigger ones go out as a patched header plus the untouched body. */
const COPY_LIMIT = 16 * 1024;

/**
 * The frame's bytes with its current request id. An unchanged frame is its original bytes with the
 * 8-byte id patched in: in place the first time a decoded frame's own bytes are encoded (a proxy forwards
 * each frame once), into a copy after that; a changed header map of a readable hessian2 request rewrites
 * the body.
 */
export function encodeFrame(frame: DubboFrame): Buffer[] {
  const body = frame.headerChanged ? frame.header.rewriteBody() : undefined;
  return body === undefined ? patchRequestId(frame) : [reassemble(frame, body)];
}

function patchRequestId(frame: DubboFrame): Buffer[] {
  const { raw, requestId } = frame;
  const inPlace = frame.claimRaw();
  if (hasRequestId(raw, requestId)) return [raw];
  if (inPlace) {
    writeRequestId(raw, requestId);
    return [raw];
  }
  if (raw.length <= COPY_LIMIT) {
    const out = Buffer.allocUnsafe(raw.length);
    out.set(raw); // TypedArray#set: cheaper than Buffer#copy for small frames
    writeRequestId(out, requestId);
    return [out];
  }
  const head = Buffer.allocUnsafe(HEADER_LENGTH);
  raw.copy(head, 0, 0, HEADER_LENGTH);
  writeRequestId(head, requestId);
  return [head, raw.subarray(HEADER_LENGTH)];
}

/** The frame's header (with its current id and the new length) around a new body. */
function reassemble(frame: DubboFrame, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  frame.raw.copy(out, 0, 0, HEADER_LENGTH);
  writeRequestId(out, frame.requestId);
  out.writeUInt32BE(body.length, BODY_LENGTH_OFFSET);
  body.copy(out, HEADER_LENGTH);
  return out;
}
