import type { SimpleHeaderMap, XFrame } from '@mosn/protocol';
import { FLAG_HEARTBEAT, FLAG_ONEWAY, OFFSET, TIMEOUT_HEADER, TYPE_RESPONSE } from './types.js';

/**
 * One example-protocol frame over its wire bytes. The fixed header fields are read from `raw`; the header
 * map and the body were cut from it by the decoder (or the builder). Only the request id lives outside
 * `raw`, so `withRequestId` is one small object and the encoder patches the id into a copy of the head.
 */
export class ExampleFrame implements XFrame {
  readonly kind: 'request' | 'response';
  readonly requestId: number;
  /** The frame's bytes as decoded or built. Never modified: the encoder patches a copy. */
  readonly raw: Buffer;
  readonly header: SimpleHeaderMap;
  /** Opaque body bytes, a slice of `raw`. */
  readonly body: Buffer;
  /** The response status (responses only). */
  declare readonly status?: number;

  constructor(raw: Buffer, requestId: number, header: SimpleHeaderMap, body: Buffer) {
    this.kind = raw[OFFSET.type] === TYPE_RESPONSE ? 'response' : 'request';
    this.requestId = requestId;
    this.raw = raw;
    this.header = header;
    this.body = body;
    if (this.kind === 'response') this.status = raw.readUInt16BE(OFFSET.status);
  }

  /** The same frame with another request id; it shares the bytes and the header map. */
  withRequestId(requestId: number): ExampleFrame {
    return new ExampleFrame(this.raw, requestId >>> 0, this.header, this.body);
  }

  get flags(): number {
    return this.raw[OFFSET.flags]!;
  }

  /** The `timeout` header in milliseconds; 0 when absent or not a positive whole number. */
  get timeoutMs(): number {
    const t = this.header.get(TIMEOUT_HEADER);
    return t !== undefined && /^[0-9]{1,9}$/.test(t) ? Number(t) : 0;
  }

  isHeartbeat(): boolean {
    return (this.flags & FLAG_HEARTBEAT) !== 0;
  }

  isOneWay(): boolean {
    return (this.flags & FLAG_ONEWAY) !== 0;
  }
}
