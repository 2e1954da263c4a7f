import type { Connection } from '@mosn/protocol';
import type { StreamFlow } from './types.js';

/**
 * StreamFlow for a stream that has its connection to itself (an HTTP/1 stream): reading and watermarks are
 * the connection's.
 */
export class ConnectionFlow implements StreamFlow {
  #conn: Connection;
  #listener: ((above: boolean) => void) | undefined;
  #disabled = 0;
  #onHigh = () => this.#listener?.(true);
  #onLow = () => this.#listener?.(false);

  constructor(conn: Connection) {
    this.#conn = conn;
  }

  readDisable(disable: boolean): void {
    if (disable) this.#disabled++;
    else if (this.#disabled > 0) this.#disabled--;
    else return;
    this.#conn.readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    if (listener && !this.#listener) {
      this.#conn.on('high_watermark', this.#onHigh);
      this.#conn.on('low_watermark', this.#onLow);
    } else if (!listener && this.#listener) {
      this.#conn.off('high_watermark', this.#onHigh);
      this.#conn.off('low_watermark', this.#onLow);
    }
    this.#listener = listener;
    if (listener && this.#conn.aboveWriteBufferHighWatermark) listener(true);
  }

  /** Undo every readDisable this flow made (the stream is done with the connection). */
  release(): void {
    this.setWatermarkListener(undefined);
    while (this.#disabled > 0) this.readDisable(false);
  }
}

/**
 * Link two sides: while `to`'s send buffer is over its limit, `from` stops reading. Returns the unlink,
 * which also resumes `from` if it was stopped.
 */
export function linkFlow(from: StreamFlow, to: StreamFlow): () => void {
  let stopped = false;
  to.setWatermarkListener((above) => {
    if (above === stopped) return;
    stopped = above;
    from.readDisable(above);
  });
  return () => {
    to.setWatermarkListener(undefined);
    if (stopped) {
      stopped = false;
      from.readDisable(false);
    }
  };
}
