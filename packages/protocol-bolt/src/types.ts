/**
 * SOFARPC Bolt wire constants (sofa-bolt `RpcProtocol`/`RpcProtocolV2`, MOSN `bolt/types.go`).
 *
 * Request, v1 (22-byte fixed header)           Response, v1 (20-byte fixed header)
 *   proto:1 type:1 cmdcode:2 ver2:1 id:4         proto:1 type:1 cmdcode:2 ver2:1 id:4
 *   codec:1 timeout:4                            codec:1 status:2
 *   classLen:2 headerLen:2 contentLen:4          classLen:2 headerLen:2 contentLen:4
 *   class, header, content                       class, header, content
 *
 * v2 adds `ver1` after `proto` and a `switch` byte after `codec` (24/22 bytes), and a CRC32 of the whole
 * frame after the content when ver1 is 2 and the switch's CRC bit is on.
 */

/** The first byte: 0x01 Bolt v1, 0x02 Bolt v2. */
export type BoltVersion = 1 | 2;
export const PROTO_V1 = 0x01;
export const PROTO_V2 = 0x02;

/** v2's `ver1`: 1 is v1's format plus the switch byte, 2 may carry a CRC32 trailer. */
export const V2_VER1_PLAIN = 0x01;
export const V2_VER1_CRC = 0x02;
/** Bit 0 of v2's switch byte: CRC32 on. */
export const SWITCH_CRC = 0x01;
export const CRC_LENGTH = 4;

/** The command type byte. */
export const CMD_TYPE_RESPONSE = 0;
export const CMD_TYPE_REQUEST = 1;
export const CMD_TYPE_ONEWAY = 2;

/** The command code. GoAway is MOSN's control code (control codes count up from 100). */
export const CMD_CODE_HEARTBEAT = 0;
export const CMD_CODE_REQUEST = 1;
export const CMD_CODE_RESPONSE = 2;
export const CMD_CODE_GOAWAY = 100;

/** `ver2`, the remoting command version every peer writes. */
export const CMD_VERSION = 1;

/** Content serializers (`codec` byte). */
export const CODEC_HESSIAN2 = 1;
export const CODEC_PROTOBUF = 11;

/** Fixed header lengths. */
export const V1_REQUEST_HEADER_LENGTH = 22;
export const V1_RESPONSE_HEADER_LENGTH = 20;
export const V2_REQUEST_HEADER_LENGTH = 24;
export const V2_RESPONSE_HEADER_LENGTH = 22;

/** Bolt response statuses (`ResponseStatus` in sofa-bolt). */
export const BoltStatus = {
  SUCCESS: 0x00,
  ERROR: 0x01,
  SERVER_EXCEPTION: 0x02,
  UNKNOWN: 0x03,
  SERVER_THREADPOOL_BUSY: 0x04,
  ERROR_COMM: 0x05,
  NO_PROCESSOR: 0x06,
  TIMEOUT: 0x07,
  CLIENT_SEND_ERROR: 0x08,
  CODEC_EXCEPTION: 0x09,
  CONNECTION_CLOSED: 0x10,
  SERVER_SERIAL_EXCEPTION: 0x11,
  SERVER_DESERIAL_EXCEPTION: 0x12,
} as const;
