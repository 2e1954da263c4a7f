/**
 * @mosn/protocol-example: a deliberately small RPC protocol for mosn-ts, to copy when writing a new one.
 * `codec` is what mosn's `third_part_codec` loader imports; the builders make frames for clients and
 * servers that speak the protocol.
 */
export { codec, exampleCodec } from './codec.js';
export {
  buildFrame,
  buildRequest,
  buildResponse,
  type ExampleFrameSpec,
  type HeaderInit,
  type RequestSpec,
  type ResponseSpec,
} from './builder.js';
export { decodeFrame } from './decoder.js';
export { encodeFrame } from './encoder.js';
export { ExampleFrame } from './frame.js';
export { parseHeader, serializeHeader } from './header.js';
export { EXAMPLE_HIJACK_STATUS, exampleStatusToHttp } from './mapping.js';
export { matchExample } from './matcher.js';
export {
  ExampleStatus,
  FIXED_HEADER_LENGTH,
  FLAG_HEARTBEAT,
  FLAG_ONEWAY,
  MAGIC,
  MESSAGE_HEADER,
  TIMEOUT_HEADER,
  TYPE_REQUEST,
  TYPE_RESPONSE,
  VERSION,
} from './types.js';
