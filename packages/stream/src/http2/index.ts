/** HTTP/2 (h2c) streams on Node's nghttp2: the server side of a downstream connection, and an upstream pool. */
export { Http2ServerConnection, Http2ServerStream, type Http2ServerOptions } from './server.js';
export { Http2ClientConnection, Http2ClientStream, type Http2ClientOptions } from './client.js';
export { Http2ConnectionPool, type Http2PoolOptions } from './pool.js';
export { detachSocket } from './detach.js';
export {
  DEFAULT_H2_CONNECTION_WINDOW_SIZE,
  DEFAULT_H2_INITIAL_WINDOW_SIZE,
  DEFAULT_H2_MAX_CONCURRENT_STREAMS,
  DEFAULT_H2_MAX_HEADER_SIZE,
  type Http2Options,
} from './settings.js';
