/**
 * @mosn/stream: the stream layer of mosn-ts. Stream connections over a connection (server and client
 * sides), HTTP/1 on Node's llhttp, and connection pools. It re-exports what the layers above use of
 * @mosn/protocol and @mosn/net (the list at the end).
 */
export { HttpHeaders, equalsIgnoreCase, type HttpRequestHead, type HttpResponseHead } from './http-headers.js';
export { Http1ServerConnection, Http1ServerStream, DEFAULT_MAX_HEADER_SIZE, DEFAULT_REQUEST_HEADERS_TIMEOUT_MS, type Http1ServerOptions } from './http1/server.js';
export { Http1ClientConnection, Http1ClientStream } from './http1/client.js';
export { Http1ConnectionPool, type PoolOptions } from './http1/pool.js';
export { isHopByHop } from './http1/codec.js';
export { ConnectionFlow, linkFlow } from './flow.js';
export { spliceTunnel } from './tunnel.js';
export type {
  ClientStream,
  StreamFlow,
  ResourceLimit,
  ConnectionPool,
  NewStreamOptions,
  PoolCallbacks,
  PoolFailureReason,
  PoolHandle,
  ServerStream,
  ServerStreamCallbacks,
  StreamReceiver,
  StreamResetReason,
  TunnelEnd,
} from './types.js';
export { XServerConnection, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_INFLIGHT, type XServerCallbacks, type XServerOptions } from './xprotocol/server.js';
export { XClientConnection, DEFAULT_KEEPALIVE, type KeepaliveOptions, type RpcResponseReceiver } from './xprotocol/client.js';
export { XConnectionPool, type RpcCallHandle, type XPoolOptions } from './xprotocol/pool.js';
export { http1ParserCheck } from './http1/llhttp/check.js';
export { http2SessionHandleCheck } from './http2/check.js';
export { Http2ServerConnection, Http2ServerStream, Http2ClientConnection, Http2ClientStream, Http2ConnectionPool, detachSocket, DEFAULT_H2_MAX_HEADER_SIZE, DEFAULT_H2_MAX_CONCURRENT_STREAMS, DEFAULT_H2_INITIAL_WINDOW_SIZE, DEFAULT_H2_CONNECTION_WINDOW_SIZE, type Http2ServerOptions, type Http2ClientOptions, type Http2PoolOptions, type Http2Options } from './http2/index.js';
/**
 * From @mosn/protocol (and through it @mosn/net), the layers below: what the layers above use through this
 * package (each depends on the layer directly below only). Add a name when one of them needs it.
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
  detectProtocol,
  type FilterStatus,
  formatAddress,
  type HeaderMap,
  INTERNAL_STATUS_HTTP,
  type InternalStatus,
  type InternalCheck,
  type InternalCheckResult,
  IoBuffer,
  isDecodeError,
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
  type ProtocolEntry,
  ProtocolRegistry,
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
  SimpleHeaderMap,
  type XFrame,
  type XProtocolCodec,
} from '@mosn/protocol';
