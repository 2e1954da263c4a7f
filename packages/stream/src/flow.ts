import type { Connection } from '@mosn/protocol';
import type { StreamFlow } from './types.js';

/**
 * A connection's watermark events, subscribed to once and passed to the stream flow that listens now. An HTTP/1
 * connection carries one stream after another: each would otherwise add and remove two event listeners.
 */
export class WatermarkEvents {
  #conn: Connection;
  #subscribed = false;
  /** The flow told of the connection's watermarks (the current stream's). */
  owner: ConnectionFlow | undefined;

  constructor(conn: Connection) {
    this.#conn = conn;
  }

  attach(flow: ConnectionFlow): void {
    this.owner = flow;
    if (this.#subscribed) return;
    this.#subscribed = true;
    this.#conn.on('high_watermark', () => this.owner?.watermark(true));
    this.#conn.on('low_watermark', () => this.owner?.watermark(false));
  }
}

/**
 * StreamFlow for a stream that has its connection to itself (an HTTP/1 stream): reading and watermarks are
 * the connection's.
 */
export class ConnectionFlow implements StreamFlow {
  #conn: Connection;
  #events: WatermarkEvents;
  #listener: ((above: boolean) => void) | undefined;
  #disabled = 0;

  constructor(conn: Connection, events: WatermarkEvents) {
    this.#conn = conn;
    this.#events = events;
  }

  readDisable(disable: boolean): void {
    if (disable) this.#disabled++;
    else if (this.#disabled > 0) this.#disabled--;
    else return;
    this.#conn.readDisable(disable);
  }

  setWatermarkListener(listener: ((above: boolean) => void) | undefined): void {
    this.#listener = listener;
    if (listener) this.#events.attach(this);
    else if (this.#events.owner === this) this.#events.owner = undefined;
    if (listener && this.#conn.aboveWriteBufferHighWatermark) listener(true);
  }

  /** From WatermarkEvents. */
  watermark(above: boolean): void {
    this.#listener?.(above);
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
