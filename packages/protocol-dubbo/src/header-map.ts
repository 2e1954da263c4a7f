import type { HeaderMap } from '@mosn/protocol';
import { hessianStrings, leadingValue, readAttachments, readLeading, type Attachments, type Leading } from './invocation.js';
import { LEADING_KEYS } from './types.js';

type LeadingKey = 'dubbo' | 'service' | 'version' | 'method';
const isLeadingKey = (key: string): key is LeadingKey => LEADING_KEYS.includes(key);
/** The leading value's index (0 dubbo, 1 service, 2 version, 3 method), -1 for other keys. */
const leadingIndex = (key: string): number => LEADING_KEYS.indexOf(key);

/**
 * For a leading key, the attachments a Dubbo server reads the same thing from: it merges the attachments
 * over the leading values and looks the service up by the `path`, `version` (and `group`) attachments.
 * A changed `service` or `version` is written to these too, when the body has them.
 */
const MIRRORS: Readonly<Record<LeadingKey, readonly string[]>> = {
  dubbo: [],
  service: ['path', 'interface'],
  version: ['version'],
  method: [],
};

const MAP_END = Buffer.from([0x5a]);
const MAP_START = Buffer.from([0x48]);

/**
 * The routing view of a Dubbo request: `dubbo`, `service`, `version`, `method` from the body's four
 * leading values, read on first use; `group` and every other string attachment from the attachments
 * map, read only when such a key is asked for (that decodes the arguments: see readAttachments).
 * Attachments named like a leading key are shadowed by it.
 *
 * Responses, events and bodies that are not hessian2 have a plain, initially empty map. Changes made
 * with set/delete reach the wire only for hessian2 requests whose body could be read; see rewriteBody.
 */
export class DubboHeaderMap implements HeaderMap {
  /** Bytes holding a hessian2 request body from #start to their end; undefined for a plain map. */
  readonly #bytes: Buffer | undefined;
  readonly #start: number;
  /** Why the body cannot be routed (set for requests whose body is not hessian2). */
  readonly #unreadable: string | undefined;
  #leading: Leading | string | undefined;
  /** The leading values turned into strings so far. */
  #leadingValues: (string | undefined)[] | undefined;
  #attachments: Attachments | string | undefined;
  /** The string attachments, less those a leading key shadows. */
  #strings: Map<string, string> | undefined;
  /** The whole map, once forEach, set or delete needed it. */
  #map: Map<string, string> | undefined;
  #dirty: Set<string> | undefined;

  /** A map over the hessian2 request body in `bytes` from `start` to the end, or a plain one without `bytes`. */
  constructor(bytes?: Buffer, start = 0, unreadable?: string) {
    this.#bytes = bytes;
    this.#start = start;
    this.#unreadable = unreadable;
  }

  get(key: string): string | undefined {
    if (this.#map !== undefined) return this.#map.get(key);
    if (this.#bytes === undefined) return undefined;
    const i = leadingIndex(key);
    return i < 0 ? this.#readStrings()?.get(key) : this.#leadingValue(i);
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  set(key: string, value: string): void {
    this.#parsed().set(key, value);
    (this.#dirty ??= new Set()).add(key);
  }
  delete(key: string): void {
    if (this.#parsed().delete(key)) (this.#dirty ??= new Set()).add(key);
  }
  forEach(fn: (value: string, key: string) => void): void {
    this.#parsed().forEach(fn);
  }
  get size(): number {
    return this.#parsed().size;
  }
  /** True once set/delete changed the map: the encoder then asks rewriteBody for a new body. */
  get changed(): boolean {
    return this.#dirty !== undefined;
  }

  /**
   * Why this request cannot be routed by service and method: its body is not hessian2, or its leading
   * values cannot be read. Undefined when they can (and for plain maps).
   */
  get error(): string | undefined {
    if (this.#unreadable !== undefined) return this.#unreadable;
    if (this.#bytes === undefined) return undefined;
    const leading = this.#readLeading();
    return typeof leading === 'string' ? leading : undefined;
  }

  /** Why the attachments cannot be read (reads them), or undefined when they can. */
  get attachmentsError(): string | undefined {
    const error = this.error;
    if (error !== undefined || this.#bytes === undefined) return error;
    const attachments = this.#readAttachments();
    return typeof attachments === 'string' ? attachments : undefined;
  }

  /**
   * The body with this map's changes written, or undefined when there is nothing to write (no change,
   * a plain map, a body that cannot be read). Changed leading keys are written in place and into their
   * mirror attachments; changed attachments replace their entries, new ones are added at the end of the
   * map. Everything else, arguments included, is copied byte for byte. Values are written as strings.
   * When the attachments cannot be read only the leading changes are written.
   */
  rewriteBody(): Buffer | undefined {
    const bytes = this.#bytes;
    const dirty = this.#dirty;
    const map = this.#map;
    const leading = this.#leading;
    if (bytes === undefined || dirty === undefined || map === undefined || leading === undefined || typeof leading === 'string') {
      return undefined;
    }
    const parts: Buffer[] = [];
    const { bounds } = leading;
    LEADING_KEYS.forEach((key, i) => {
      parts.push(dirty.has(key) ? hessianStrings([map.get(key)]) : bytes.subarray(bounds[i], bounds[i + 1]));
    });
    const attachments = this.#attachments;
    const mirrored = new Map<string, string | undefined>();
    for (const key of LEADING_KEYS) {
      if (dirty.has(key)) for (const m of MIRRORS[key as LeadingKey]) mirrored.set(m, map.get(key));
    }
    const touches = (key: string | undefined) => key !== undefined && (mirrored.has(key) || (dirty.has(key) && !isLeadingKey(key)));
    const added = [...dirty].filter((k) => !isLeadingKey(k) && map.has(k));
    if (
      attachments === undefined ||
      typeof attachments === 'string' ||
      (!attachments.entries.some((e) => touches(e.key)) && added.length === 0)
    ) {
      parts.push(bytes.subarray(bounds[4]));
      return Buffer.concat(parts);
    }
    parts.push(bytes.subarray(bounds[4], attachments.start));
    parts.push(attachments.headEnd > attachments.start ? bytes.subarray(attachments.start, attachments.headEnd) : MAP_START);
    const written = new Set<string>();
    for (const e of attachments.entries) {
      const key = e.key;
      if (key === undefined || !touches(key)) {
        parts.push(bytes.subarray(e.start, e.end));
        continue;
      }
      const value = mirrored.has(key) ? mirrored.get(key) : written.has(key) ? undefined : map.get(key);
      written.add(key);
      if (value !== undefined) parts.push(hessianStrings([key, value]));
    }
    for (const key of added) if (!written.has(key)) parts.push(hessianStrings([key, map.get(key)]));
    parts.push(MAP_END, bytes.subarray(attachments.end));
    return Buffer.concat(parts);
  }

  #readLeading(): Leading | string {
    return (this.#leading ??= readLeading(this.#bytes!, this.#start));
  }

  #leadingValue(i: number): string | undefined {
    const cached = this.#leadingValues?.[i];
    if (cached !== undefined) return cached;
    const leading = this.#readLeading();
    if (typeof leading === 'string') return undefined;
    return ((this.#leadingValues ??= [])[i] = leadingValue(this.#bytes!, leading, i));
  }

  #readAttachments(): Attachments | string {
    if (this.#attachments !== undefined) return this.#attachments;
    const leading = this.#readLeading();
    return (this.#attachments = typeof leading === 'string' ? leading : readAttachments(this.#bytes!, leading.bounds[4]!));
  }

  #readStrings(): Map<string, string> | undefined {
    if (this.#strings !== undefined) return this.#strings;
    const attachments = this.#readAttachments();
    if (typeof attachments === 'string') return undefined;
    const strings = new Map<string, string>();
    for (const { key, value } of attachments.entries) {
      if (key !== undefined && value !== undefined && !isLeadingKey(key)) strings.set(key, value);
    }
    return (this.#strings = strings);
  }

  #parsed(): Map<string, string> {
    if (this.#map !== undefined) return this.#map;
    const map = new Map<string, string>();
    if (this.#bytes !== undefined) {
      LEADING_KEYS.forEach((key, i) => {
        const value = this.#leadingValue(i);
        if (value !== undefined) map.set(key, value);
      });
      this.#readStrings()?.forEach((value, key) => map.set(key, value));
    }
    return (this.#map = map);
  }
}
