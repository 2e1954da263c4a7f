import type { XFrame } from '@mosn/protocol';
import { BoltHeaderMap } from './header-map.js';
import type { Layout } from './layout.js';
import {
  CMD_CODE_GOAWAY,
  CMD_CODE_HEARTBEAT,
  CMD_TYPE_ONEWAY,
  SWITCH_CRC,
  V2_VER1_CRC,
  type BoltVersion,
} from './types.js';

/** True when a v2 frame's ver1 and switch byte say a CRC32 trailer follows the content. */
export function hasCrc(layout: Layout, raw: Buffer): boolean {
  return layout.version === 2 && raw[layout.ver1] === V2_VER1_CRC && (raw[layout.switchCode]! & SWITCH_CRC) !== 0;
}

/**
 * One Bolt command over its wire bytes. Fixed header fields are read from `raw` when asked; the class
 * name, header map and body are sub-ranges of it. Only the request id lives outside `raw`, so that
 * `withRequestId` is one small object and the encoder patches the id into a copy of the bytes.
 */
export class BoltFrame implements XFrame {
  readonly kind: 'request' | 'response';
  readonly requestId: number;
  /** The frame's bytes as decoded or built. Never modified: the encoder patches a copy. */
  readonly raw: Buffer;
  /** Where the fixed header fields lie in `raw`. */
  readonly layout: Layout;
  /** The response status (responses only). */
  declare readonly status?: number;
  #header: BoltHeaderMap | undefined;

  constructor(raw: Buffer, layout: Layout, requestId: number, header?: BoltHeaderMap) {
    this.kind = layout.kind;
    this.requestId = requestId;
    this.raw = raw;
    this.layout = layout;
    this.#header = header;
    if (layout.kind === 'response') this.status = raw.readUInt16BE(layout.status);
  }

  /** The same command with another request id; it shares the bytes and the header map. */
  withRequestId(requestId: number): BoltFrame {
    return new BoltFrame(this.raw, this.layout, requestId >>> 0, this.header);
  }

  get version(): BoltVersion {
    return this.layout.version;
  }
  /** v2's protocol version byte (0 for v1 frames). */
  get ver1(): number {
    return this.layout.ver1 < 0 ? 0 : this.raw[this.layout.ver1]!;
  }
  /** v2's switch byte (0 for v1 frames). */
  get switchCode(): number {
    return this.layout.switchCode < 0 ? 0 : this.raw[this.layout.switchCode]!;
  }
  /** True when the frame ends with a CRC32 trailer (v2, ver1 2, CRC switch on). */
  get crc(): boolean {
    return hasCrc(this.layout, this.raw);
  }
  get cmdType(): number {
    return this.raw[this.layout.cmdType]!;
  }
  get cmdCode(): number {
    return this.raw.readUInt16BE(this.layout.cmdCode);
  }
  get ver2(): number {
    return this.raw[this.layout.ver2]!;
  }
  /** The content serializer (1 hessian2, 11 protobuf). */
  get codec(): number {
    return this.raw[this.layout.codec]!;
  }
  /** The request's timeout field as sent (signed; -1 or 0 means none); 0 for responses. */
  get timeout(): number {
    return this.layout.timeout < 0 ? 0 : this.raw.readInt32BE(this.layout.timeout);
  }
  get timeoutMs(): number {
    const t = this.timeout;
    return t > 0 ? t : 0;
  }
  /** The content's Java class name (`com.alipay.sofa.rpc.core.request.SofaRequest`), '' if none. */
  get className(): string {
    const start = this.layout.size;
    return this.raw.toString('utf8', start, start + this.raw.readUInt16BE(this.layout.classLen));
  }
  get header(): BoltHeaderMap {
    if (this.#header === undefined) {
      const start = this.#headerStart();
      this.#header = new BoltHeaderMap(this.raw, start, start + this.raw.readUInt16BE(this.layout.headerLen));
    }
    return this.#header;
  }
  /** True when the header map was changed since decoding: the encoder re-serializes it. */
  get headerChanged(): boolean {
    return this.#header !== undefined && this.#header.changed;
  }
  /** The content bytes, never decoded here. */
  get body(): Buffer {
    const start = this.#headerStart() + this.raw.readUInt16BE(this.layout.headerLen);
    return this.raw.subarray(start, start + this.raw.readUInt32BE(this.layout.contentLen));
  }

  isHeartbeat(): boolean {
    return this.cmdCode === CMD_CODE_HEARTBEAT;
  }
  isOneWay(): boolean {
    return this.cmdType === CMD_TYPE_ONEWAY;
  }
  isGoAway(): boolean {
    return this.cmdCode === CMD_CODE_GOAWAY;
  }

  #headerStart(): number {
    return this.layout.size + this.raw.readUInt16BE(this.layout.classLen);
  }
}
