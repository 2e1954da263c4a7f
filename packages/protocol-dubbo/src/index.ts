/**
 * @mosn/protocol-dubbo: the Apache Dubbo codec for mosn-ts. Frames keep their wire bytes; a hessian2
 * request's routing keys (dubbo version, service, version, method; attachments such as group on demand)
 * are read lazily from its body with hessian.js, the arguments are left alone, and a re-encode patches
 * the 8-byte request id into a copy of the original bytes unless a filter changed the header map.
 */
export { dubboCodec } from './codec.js';
/** From the protocol layer, so that the codec can be used with this one import. */
export { DecodeError, IoBuffer, isDecodeError, type DecodeOptions } from '@mosn/protocol';
export {
  buildFrame,
  encodeErrorBody,
  encodeRequestBody,
  encodeResponseBody,
  type DubboFrameSpec,
  type DubboInvocation,
} from './builder.js';
export { decodeFrame } from './decoder.js';
export { encodeFrame } from './encoder.js';
export { DubboFrame } from './frame.js';
export { DubboHeaderMap } from './header-map.js';
export { DUBBO_HIJACK, dubboStatusToHttp } from './mapping.js';
export { matchDubbo } from './matcher.js';
export {
  DubboStatus,
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_LENGTH,
  ResponseBodyType,
  SERIALIZATION_HESSIAN2,
} from './types.js';
