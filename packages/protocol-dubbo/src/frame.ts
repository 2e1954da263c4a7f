import type { XFrame } from '@mosn/protocol';
import { DubboHeaderMap } from './header-map.js';
import { checkRequestId } from './request-id.js';
import {
  FLAG_EVENT,
  FLAG_OFFSET,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_LENGTH,
  READONLY_EVENT_BODY,
  SERIALIZATION_HESSIAN2,
  SERIALIZATION_MASK,
  STATUS_OFFSET,
} from './types.js';

/**
 * One Dubbo frame over its wire bytes: the 16-byte header and the body, a sub-range of them. Header
 * fields are read from `raw` when asked; only the request id lives outside it, so `withRequestId` is one
 * small object (sharing the bytes and the header map) and the encoder patches the id into the bytes: in
 * place, once, when they were decoded from a connection's own reads (see `claimRaw`), else into a copy.
 */
export class DubboFrame implements XFrame {
  readonly kind: 'request' | 'response';
  /** The request id, a whole number below 2^53 (the wire has 8 bytes; see the README). */
  readonly requestId: number;
  /**
   * The frame's bytes as decoded or built. Only the encoder changes them: the id field of a decoded
   * frame's own bytes, once (`claimRaw`); every other encode patches a copy.
   */
  readonly raw: Buffer;
  /** The Dubbo response status (responses only; 20 is OK). */
  declare readonly status?: number;
  #header: DubboHeaderMap | undefined;
  /** The frame this one was made from by `withRequestId`: it holds the header map and `raw`'s ownership. */
  #origin: DubboFrame | undefined;
  /** `raw` belongs to this frame alone (decoded from a connection's reads) and no encode has used it yet. */
  #ownsRaw: boolean;

  /** `ownsRaw`: nothing else holds `raw` (it was taken from an exclusive IoBuffer). */
  constructor(raw: Buffer, requestId: number, header?: DubboHeaderMap, ownsRaw = false) {
    this.kind = (raw[FLAG_OFFSET]! & FLAG_REQUEST) !== 0 ? 'request' : 'response';
    this.requestId = requestId;
    this.raw = raw;
    this.#header = header;
    this.#origin = undefined;
    this.#ownsRaw = ownsRaw;
    if (this.kind === 'response') this.status = raw[STATUS_OFFSET]!;
  }

  /** The same frame with another request id; it shares the bytes and the header map. */
  withRequestId(requestId: number): DubboFrame {
    const f = new DubboFrame(this.raw, checkRequestId(requestId));
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

  /** The flag byte: request, two-way, event bits and the serialization id. */
  get flag(): number {
    return this.raw[FLAG_OFFSET]!;
  }
  /** The body's serialization id (2 is hessian2). */
  get serializationId(): number {
    return this.flag & SERIALIZATION_MASK;
  }
  /** The request wants a response (the two-way bit). */
  get twoWay(): boolean {
    return (this.flag & FLAG_TWO_WAY) !== 0;
  }
  /** An event: a heartbeat, its answer, or a readonly event. */
  get event(): boolean {
    return (this.flag & FLAG_EVENT) !== 0;
  }
  /** The body, never decoded here (`header` reads what routing needs). */
  get body(): Buffer {
    return this.raw.subarray(HEADER_LENGTH);
  }

  /**
   * Routing keys (`dubbo`, `service`, `version`, `method`, `group`, attachments) of a hessian2 request,
   * read lazily from the body; a plain empty map for responses and events.
   */
  get header(): DubboHeaderMap {
    if (this.#origin !== undefined) return this.#origin.header;
    if (this.#header === undefined) {
      const routable = this.kind === 'request' && !this.event;
      const hessian2 = this.serializationId === SERIALIZATION_HESSIAN2;
      this.#header = routable && hessian2
        ? new DubboHeaderMap(this.raw, HEADER_LENGTH)
        : new DubboHeaderMap(undefined, 0, routable ? notHessian2(this.serializationId) : undefined);
    }
    return this.#header;
  }
  /** True when the header map was changed since decoding: the encoder rewrites the body if it can. */
  get headerChanged(): boolean {
    if (this.#origin !== undefined) return this.#origin.headerChanged;
    return this.#header !== undefined && this.#header.changed;
  }
  /**
   * Why this request cannot be routed by service and method (its body is not hessian2, or unreadable);
   * undefined when it can, and for responses and events. A proxy answers such a request with
   * `hijack(request, 'codec_error', frame.routingError)` rather than "no route".
   */
  get routingError(): string | undefined {
    return this.header.error;
  }

  isHeartbeat(): boolean {
    return this.event && !this.#readonly();
  }
  isOneWay(): boolean {
    return this.kind === 'request' && !this.twoWay;
  }
  /** A readonly event from a server: it is going away, send it nothing new (Dubbo's GoAway). */
  isGoAway(): boolean {
    return this.kind === 'request' && this.event && this.#readonly();
  }

  #readonly(): boolean {
    const raw = this.raw;
    return raw.length === HEADER_LENGTH + 2 && raw[HEADER_LENGTH] === READONLY_EVENT_BODY[0] && raw[HEADER_LENGTH + 1] === READONLY_EVENT_BODY[1];
  }
}

function notHessian2(id: number): string {
  return `dubbo: the request body's serialization id is ${id}, not hessian2 (2): mosn routes Dubbo requests by service and method in hessian2 bodies only`;
}
