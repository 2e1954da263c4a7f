/**
 * @mosn/protocol: the protocol layer of mosn-ts. The codec contract every RPC protocol implements,
 * the protocol registry, detection by first bytes, and MOSN's internal status codes.
 * It re-exports @mosn/net, the layer below, so the layers above depend on one package each.
 */
export * from '@mosn/net';
export { DecodeError, isDecodeError, type DecodeOptions, type XFrame, type XProtocolCodec } from './codec.js';
export { DecodeDriver, type DecodeFn } from './decode-driver.js';
export { SimpleHeaderMap, type HeaderMap } from './header-map.js';
export { HTTP1, HTTP2, http1Matcher, http2Matcher } from './http.js';
export { detectProtocol, matchPrefix, type DetectResult, type MatchResult, type ProtocolMatcher } from './matcher.js';
export { ProtocolRegistry, type ProtocolEntry } from './registry.js';
export { INTERNAL_STATUS_HTTP, type InternalStatus } from './status.js';
