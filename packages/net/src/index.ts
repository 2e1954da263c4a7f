/**
 * @mosn/net: the NET/IO layer of mosn-ts. Listeners, connections with read/write filter chains,
 * a chunked read buffer, idle and connect timeouts, write-buffer watermarks for backpressure, and TLS on
 * both sides (node:tls). It knows nothing of protocols.
 */
export { IoBuffer } from './buffer.js';
export {
  Connection,
  CONTINUE,
  STOP,
  DEFAULT_BUFFER_LIMIT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  type ConnectionOptions,
  type DialOptions,
} from './connection.js';
export { Listener, type ListenerOptions } from './listener.js';
export { adoptConnection, handOverKey, listenOn, listeningCount, listeningSocket, setConnectionTaker, setSocketSource, shareKey, type ConnectionTaker, type InheritedSocket, type ServerHandle, type SocketSource } from './inherit.js';
export { MosnError } from './errors.js';
export type { InternalCheck, InternalCheckResult } from './internal-check.js';
export { libuvHandleCheck } from './transport/check.js';
export { silentLogger, type Logger, type LogFn } from './logger.js';
export { pipeWithBackpressure } from './pipe.js';
export {
  formatAddress,
  parseAddress,
  type Address,
  type CloseReason,
  type ConnectionEvent,
  type FilterStatus,
  type NetworkFilterFactory,
  type ReadFilter,
  type ReadFilterCallbacks,
  type WriteFilter,
} from './types.js';
export type { ClientTlsOptions, ConnectionTls, ServerTlsOptions, TlsHandshakeError, TlsSessionCache } from './tls.js';
export { LruSessionCache } from './tls-session-cache.js';
export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './tls-server.js';
