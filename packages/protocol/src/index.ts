/**
 * @mosn/protocol: the protocol layer of mosn-ts. The codec contract every RPC protocol implements,
 * the protocol registry, detection by first bytes, and MOSN's internal status codes.
 * It re-exports what the layers above use of @mosn/net (the list at the end), so they depend on one package each.
 */
export { DecodeError, isDecodeError, type DecodeOptions, type XFrame, type XProtocolCodec } from './codec.js';
export { DecodeDriver, type DecodeFn } from './decode-driver.js';
export { SimpleHeaderMap, type HeaderMap } from './header-map.js';
export { HTTP1, HTTP2, http1Matcher, http2Matcher } from './http.js';
export { detectProtocol, matchPrefix, type DetectResult, type MatchResult, type ProtocolMatcher } from './matcher.js';
export { ProtocolRegistry, type ProtocolEntry } from './registry.js';
export { INTERNAL_STATUS_HTTP, type InternalStatus } from './status.js';
/**
 * From @mosn/net, the layer below: what the layers above use through this package (each depends on the layer
 * directly below only). Add a name when one of them needs it; the rest of @mosn/net is imported from it.
 */
export {
  type Address,
  adoptConnection,
  type ClientTlsOptions,
  type CloseReason,
  Connection,
  DEFAULT_BUFFER_LIMIT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  type FilterStatus,
  formatAddress,
  type InternalCheck,
  type InternalCheckResult,
  IoBuffer,
  libuvHandleCheck,
  Listener,
  listeningSocket,
  listenOn,
  type Logger,
  LruSessionCache,
  MosnError,
  type NetworkFilterFactory,
  parseAddress,
  pipeWithBackpressure,
  type ReadFilter,
  type ReadFilterCallbacks,
  type ServerTlsOptions,
  setConnectionTaker,
  setSocketSource,
  shareKey,
  type InheritedSocket,
  type ServerHandle,
  type SocketSource,
  silentLogger,
} from '@mosn/net';
