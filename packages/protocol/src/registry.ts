import { MosnError } from '@mosn/net';
import type { XProtocolCodec } from './codec.js';
import { HTTP1, HTTP2, http1Matcher, http2Matcher } from './http.js';
import type { ProtocolMatcher } from './matcher.js';

/** A protocol known to the runtime: HTTP ones run on Node's parsers, RPC ones through a codec. */
export type ProtocolEntry =
  | { readonly kind: 'http1'; readonly name: string; readonly matcher: ProtocolMatcher }
  | { readonly kind: 'http2'; readonly name: string; readonly matcher: ProtocolMatcher }
  | { readonly kind: 'xprotocol'; readonly name: string; readonly matcher: ProtocolMatcher; readonly codec: XProtocolCodec };

/**
 * Protocols by name. Names are matched case-insensitively, as MOSN's configs mix `Http1`, `HTTP1` and
 * `http1`. A second registration of a name (or alias) is an error. Detection order is fixed: HTTP/2's
 * preface, then HTTP/1, then RPC protocols in registration order.
 */
export class ProtocolRegistry {
  #byName = new Map<string, ProtocolEntry>();
  #order: ProtocolEntry[] = [];

  /** A registry with HTTP/1 and HTTP/2 already in it. */
  static withHttp(): ProtocolRegistry {
    const r = new ProtocolRegistry();
    r.#add({ kind: 'http2', name: HTTP2, matcher: http2Matcher }, ['h2']);
    r.#add({ kind: 'http1', name: HTTP1, matcher: http1Matcher }, ['http']);
    return r;
  }

  registerCodec(codec: XProtocolCodec): void {
    const entry: ProtocolEntry = {
      kind: 'xprotocol',
      name: codec.name,
      codec,
      matcher: { name: codec.name, match: (b) => codec.match(b) },
    };
    this.#add(entry, codec.aliases ?? []);
  }

  get(name: string): ProtocolEntry | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** Like get, but an unknown name is an error that lists the known ones. */
  require(name: string): ProtocolEntry {
    const e = this.get(name);
    if (!e) throw new MosnError('MOSN_ERR_UNKNOWN_PROTOCOL', `unknown protocol "${name}"; known: ${this.names().join(', ')}`);
    return e;
  }

  names(): string[] {
    return this.#order.map((e) => e.name);
  }

  /** Every protocol in detection order. */
  entries(): readonly ProtocolEntry[] {
    return this.#order;
  }

  #add(entry: ProtocolEntry, aliases: readonly string[]): void {
    for (const n of [entry.name, ...aliases]) {
      const key = n.toLowerCase();
      if (this.#byName.has(key) || key === 'auto' || key === 'x') {
        throw new MosnError('MOSN_ERR_DUPLICATE_EXTENSION', `protocol "${n}" is already registered`);
      }
    }
    for (const n of [entry.name, ...aliases]) this.#byName.set(n.toLowerCase(), entry);
    this.#order.push(entry);
  }
}
