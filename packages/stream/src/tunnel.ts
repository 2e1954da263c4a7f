import { pipeWithBackpressure, type Connection, type IoBuffer } from '@mosn/protocol';
import type { TunnelEnd } from './types.js';

/** Writes what one end reads to the other connection; the reader's half-close becomes the writer's. */
function forwardTo(to: Connection): (buffer: IoBuffer, endStream: boolean) => void {
  return (buffer, endStream) => {
    if (buffer.length > 0) to.write(...buffer.chunks());
    buffer.clear();
    if (endStream) to.closeWrite();
  };
}

/**
 * Join two connections after an HTTP/1 upgrade: bytes are copied both ways as they come, each side stops
 * reading while the other's send buffer is over its limit, a half-close (FIN) is passed on, and when one
 * side closes the other closes after sending what it has buffered. Each connection keeps its idle timeout.
 */
export function spliceTunnel(a: TunnelEnd, b: TunnelEnd): void {
  const ca = a.connection;
  const cb = b.connection;
  ca.halfClose = true;
  cb.halfClose = true;
  const unpipe = [pipeWithBackpressure(ca, cb), pipeWithBackpressure(cb, ca)];
  const closeOther = (other: Connection) => (ev: string) => {
    if (ev !== 'local_close' && ev !== 'remote_close') return;
    for (const u of unpipe.splice(0)) u();
    other.close('flush', 'requested');
  };
  ca.on('event', closeOther(cb));
  cb.on('event', closeOther(ca));
  if (ca.state !== 'open') cb.close('flush', 'requested');
  else if (cb.state !== 'open') ca.close('flush', 'requested');
  a.start(forwardTo(cb));
  b.start(forwardTo(ca));
}
