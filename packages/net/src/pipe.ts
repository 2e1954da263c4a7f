import type { Connection } from './connection.js';

/**
 * Backpressure between two connections: while `to`'s write buffer is over its limit, `from` stops
 * reading; it resumes when `to` drains. Returns a function that undoes the wiring.
 */
export function pipeWithBackpressure(from: Connection, to: Connection): () => void {
  let paused = false;
  const onHigh = () => {
    if (!paused) {
      paused = true;
      from.readDisable(true);
    }
  };
  const onLow = () => {
    if (paused) {
      paused = false;
      from.readDisable(false);
    }
  };
  to.on('high_watermark', onHigh);
  to.on('low_watermark', onLow);
  return () => {
    to.off('high_watermark', onHigh);
    to.off('low_watermark', onLow);
    onLow();
  };
}
