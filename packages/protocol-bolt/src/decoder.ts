import { DecodeError, type DecodeOptions, type IoBuffer } from '@mosn/protocol';
import { crc32 } from './crc32.js';
import { BoltFrame } from './frame.js';
import { walkHeaderSection } from './header-map.js';
import { layoutOf } from './layout.js';
import {
  CMD_CODE_GOAWAY,
  CMD_CODE_HEARTBEAT,
  CMD_CODE_REQUEST,
  CMD_CODE_RESPONSE,
  CMD_TYPE_ONEWAY,
  CMD_TYPE_RESPONSE,
  CRC_LENGTH,
  PROTO_V1,
  PROTO_V2,
  SWITCH_CRC,
  V2_VER1_CRC,
  V2_VER1_PLAIN,
} from './types.js';

function validCmdCode(cmdType: number, cmdCode: number): boolean {
  if (cmdCode === CMD_CODE_HEARTBEAT) return true;
  if (cmdType === CMD_TYPE_RESPONSE) return cmdCode === CMD_CODE_RESPONSE;
  return cmdCode === CMD_CODE_REQUEST || cmdCode === CMD_CODE_GOAWAY;
}

/**
 * Take one Bolt v1 or v2 frame off the front of `buffer`. Returns the frame, `undefined` when more bytes
 * are needed (nothing consumed), or a DecodeError; never throws on bad bytes. The frame's size is
 * checked against `maxFrameSize` as soon as the fixed header is in, before the rest arrives.
 */
export function decodeFrame(buffer: IoBuffer, options: DecodeOptions): BoltFrame | undefined | DecodeError {
  const available = buffer.length;
  if (available === 0) return undefined;
  const proto = buffer.uint8(0);
  if (proto !== PROTO_V1 && proto !== PROTO_V2) return new DecodeError(`bolt: unknown protocol code ${proto}`);
  const typeAt = proto === PROTO_V1 ? 1 : 2;
  if (available <= typeAt) return undefined;
  if (proto === PROTO_V2) {
    const ver1 = buffer.uint8(1);
    if (ver1 !== V2_VER1_PLAIN && ver1 !== V2_VER1_CRC) return new DecodeError(`bolt: unknown v2 protocol version ${ver1}`);
  }
  const cmdType = buffer.uint8(typeAt);
  if (cmdType > CMD_TYPE_ONEWAY) return new DecodeError(`bolt: unknown cmd type ${cmdType}`);
  const layout = layoutOf(proto, cmdType);
  if (available < layout.size) return undefined;

  const requestId = buffer.uint32(layout.requestId);
  const cmdCode = buffer.uint16(layout.cmdCode);
  if (!validCmdCode(cmdType, cmdCode)) {
    return new DecodeError(`bolt: unknown cmd code ${cmdCode} for cmd type ${cmdType}`, requestId);
  }
  const crc = proto === PROTO_V2 && buffer.uint8(1) === V2_VER1_CRC && (buffer.uint8(layout.switchCode) & SWITCH_CRC) !== 0;
  const classLen = buffer.uint16(layout.classLen);
  const headerLen = buffer.uint16(layout.headerLen);
  const frameLen = layout.size + classLen + headerLen + buffer.uint32(layout.contentLen) + (crc ? CRC_LENGTH : 0);
  if (frameLen > options.maxFrameSize) {
    return new DecodeError(`bolt: frame of ${frameLen} bytes is over the limit of ${options.maxFrameSize}`, requestId);
  }
  if (available < frameLen) return undefined;

  const raw = buffer.take(frameLen);
  if (crc) {
    const end = frameLen - CRC_LENGTH;
    if (crc32(raw.subarray(0, end)) !== raw.readUInt32BE(end)) return new DecodeError('bolt: CRC32 mismatch', requestId);
  }
  const headerStart = layout.size + classLen;
  if (!walkHeaderSection(raw, headerStart, headerStart + headerLen)) {
    return new DecodeError('bolt: malformed header section', requestId);
  }
  return new BoltFrame(raw, layout, requestId, undefined, buffer.exclusive);
}
