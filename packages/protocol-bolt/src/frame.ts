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
 * `withRequestId` is one small object (sharing the bytes and the header map) and the encoder patches the id
 * into the bytes: in place, once, when they were decoded from a connection's own reads (see `claimRaw`),
 * else into a copy.
 */
export class BoltFrame implements XFrame {
  readonly kind: 'request' | 'response';
  readonly requestId: number;
  /**
   * The frame's bytes as decoded or built. Only the encoder changes them: the request id field (and the
   * CRC32 trailer) of a decoded frame's own bytes, once (`claimRaw`); every other encode patches a copy.
   */
  readonly raw: Buffer;
  /** Where the fixed header fields lie in `raw`. */
  readonly layout: Layout;
  /** The response status (responses only). */
  declare readonly status?: number;
  #header: BoltHeaderMap | undefined;
  /** The frame this one was made from by `withRequestId`: it holds the header map and `raw`'s ownership. */
  #origin: BoltFrame | undefined;
  /** `raw` belongs to this frame alone (decoded from a connection's reads) and no encode has used it yet. */
  #ownsRaw: boolean;

  /** `ownsRaw`: nothing else holds `raw` (it was taken from an exclusive IoBuffer, or built for this frame). */
  constructor(raw: Buffer, layout: Layout, requestId: number, header?: BoltHeaderMap, ownsRaw = false) {
    this.kind = layout.kind;
    this.requestId = requestId;
    this.raw = raw;
    this.layout = layout;
    this.#header = header;
    this.#origin = undefined;
    this.#ownsRaw = ownsRaw;
    if (layout.kind === 'response') this.status = raw.readUInt16BE(layout.status);
  }

  /** The same command with another request id; it shares the bytes and the header map. */
  withRequestId(requestId: number): BoltFrame {
    const f = new BoltFrame(this.raw, this.layout, requestId >>> 0);
    f.#origin = this.#origin ?? this;
    return f;
  }

  /**
   * For the encoder: true when it may patch `raw` in place, which this frame and every frame made from it
   * by `withRequestId` allow once (the bytes then go to a socket, which may still hold them after the
   * encode). Every call, true or false, marks `raw` as handed out, so later encodes copy it.
   */
  claimRaw(): boolean {
    const o = this.#origin ?? this;
    const owns = o.#ownsRaw;
    o.#ownsRaw = false;
    return owns;
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
    if (this.#origin !== undefined) return this.#origin.header;
    if (this.#header === undefined) {
      const start = this.#headerStart();
      this.#header = new BoltHeaderMap(this.raw, start, start + this.raw.readUInt16BE(this.layout.headerLen));
    }
    return this.#header;
  }
  /** True when the header map was changed since decoding: the encoder re-serializes it. */
  get headerChanged(): boolean {
    if (this.#origin !== undefined) return this.#origin.headerChanged;
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
