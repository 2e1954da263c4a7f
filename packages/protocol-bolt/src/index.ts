/**
 * @mosn/protocol-bolt: the SOFARPC Bolt v1/v2 codec for mosn-ts. Frames keep their wire bytes; the
 * header section is a lazily decoded HeaderMap for routing, the content stays opaque, and a re-encode
 * patches the request id into a copy of the original bytes unless the header map changed.
 */
export { boltCodec, boltv2Codec, createBoltCodec, type BoltCodecOptions } from './codec.js';
export { buildFrame, type BoltFrameSpec } from './builder.js';
export { decodeFrame } from './decoder.js';
export { encodeFrame } from './encoder.js';
export { BoltFrame } from './frame.js';
export { BoltHeaderMap } from './header-map.js';
export type { Layout } from './layout.js';
export { BOLT_HIJACK_STATUS, boltStatusToHttp } from './mapping.js';
export { matchBoltV1, matchBoltV2 } from './matcher.js';
export {
  BoltStatus,
  CMD_CODE_GOAWAY,
  CMD_CODE_HEARTBEAT,
  CMD_CODE_REQUEST,
  CMD_CODE_RESPONSE,
  CMD_TYPE_ONEWAY,
  CMD_TYPE_REQUEST,
  CMD_TYPE_RESPONSE,
  CODEC_HESSIAN2,
  CODEC_PROTOBUF,
  PROTO_V1,
  PROTO_V2,
  type BoltVersion,
} from './types.js';
