import type { Connection } from '@mosn/protocol';

/**
 * Hand a connection's socket to another reader (Node's nghttp2 session) and return the bytes mosn read
 * but nobody consumed, in order. Afterwards the Connection no longer reads the socket: its 'data' and
 * 'end' handlers are removed and its idle timer is off (the HTTP/2 session keeps its own). Everything else
 * stays: `close()`, 'close' events, addresses, byte counts, logging.
 *
 * The Connection is the only reader of its socket, so its handlers are every 'data' and 'end' listener.
 * (The precise form is a `Connection.detachSocket()` that removes exactly its own two handlers.)
 */
export function detachSocket(connection: Connection): Buffer[] {
  const socket = connection.socket;
  connection.flushWrites(); // what mosn wrote goes out before anything the new owner writes
  socket.pause();
  socket.removeAllListeners('data');
  socket.removeAllListeners('end');
  connection.setIdleTimeout(0);
  const unread = connection.readBuffer.chunks();
  connection.readBuffer.clear();
  return unread;
}
