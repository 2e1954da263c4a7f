import { constants, createGzip, type Gzip } from 'node:zlib';
import type { HeaderMap } from '@mosn/stream';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';
import { acceptsGzip } from './accept-encoding.js';

/** MOSN's `gzip` stream filter config (v2.StreamGzip). */
export interface GzipConfig {
  /** zlib's compression level, 1 (fastest) to 9 (smallest). */
  readonly level: number;
  /** A response whose `content-length` is below this many bytes goes as it is. */
  readonly minLength: number;
  /** The content types to compress (lowercased): a response's whole `content-type`, or its media type, must be one. */
  readonly contentTypes: readonly string[];
}

/** MOSN's defaults: level 6 (also for `gzip_level: 0`), and `text/html` only. */
export const DEFAULT_GZIP_LEVEL = 6;
export const DEFAULT_GZIP_CONTENT_TYPES: readonly string[] = ['text/html'];

/**
 * `gzip` (pkg/filter/stream/gzip): compresses the response body of an HTTP/1 or HTTP/2 request whose
 * `Accept-Encoding` accepts gzip, when the response has a body, no `content-encoding`, a `content-type` of the
 * list and a `content-length` (when it has one) of at least `minLength`. The body is streamed through node:zlib
 * (a sync flush after each upstream chunk, so a streamed response keeps flowing), with backpressure: while zlib's
 * input buffer is full the upstream is not read. RPC requests are never touched.
 */
export function gzipFilterFactory(config: GzipConfig): StreamFilterFactory<GzipConfig> {
  const rules = new GzipRules(config);
  return { name: 'gzip', phase: 'before_route', config, createFilter: () => new GzipFilter(rules) };
}

/** The listener's config, compiled once: which responses get compressed. */
class GzipRules {
  readonly level: number;
  readonly #minLength: number;
  readonly #types: ReadonlySet<string>;

  constructor(config: GzipConfig) {
    this.level = config.level;
    this.#minLength = config.minLength;
    this.#types = new Set(config.contentTypes.map((t) => t.trim().toLowerCase()));
  }

  /** Whether a response with these headers gets compressed (its request accepts gzip and is not HEAD). */
  compresses(headers: HeaderMap, status: number): boolean {
    // no body (1xx, 204, 304), or a part of a representation whose ranges count uncompressed bytes (206)
    if (status < 200 || status === 204 || status === 206 || status === 304) return false;
    // already encoded (any coding, as MOSN): compressing it again helps nobody
    if (headers.has('content-encoding')) return false;
    const length = headers.get('content-length');
    if (length !== undefined) {
      const n = Number(length);
      // an empty body stays empty (MOSN skips it too)
      if (!(n > 0 && n >= this.#minLength)) return false;
    }
    const type = headers.get('content-type');
    if (type === undefined || !this.#typeListed(type)) return false;
    // RFC 9111 §5.2.2.6: a proxy must not transform such a response
    const cacheControl = headers.get('cache-control');
    return cacheControl === undefined || !/(^|,)\s*no-transform\s*(,|$)/i.test(cacheControl);
  }

  /** The whole value (MOSN compares that), or its media type without parameters (`text/html; charset=utf-8`). */
  #typeListed(value: string): boolean {
    const lower = value.trim().toLowerCase();
    if (this.#types.has(lower)) return true;
    const semi = lower.indexOf(';');
    return semi >= 0 && this.#types.has(lower.slice(0, semi).trim());
  }
}

/** One request's gzip filter: decides at the request's headers and the response's, compresses when both agree. */
class GzipFilter implements StreamFilter {
  readonly #rules: GzipRules;
  /** The request is HTTP (not HEAD) and its client accepts gzip. */
  #accepted = false;
  /** The response's body is being compressed. */
  #body: GzipBody | undefined;

  constructor(rules: GzipRules) {
    this.#rules = rules;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    // RPC frames are not HTTP bodies: nothing to do for them
    if (h.protocol !== 'Http1' && h.protocol !== 'Http2') return 'continue';
    this.#accepted = acceptsGzip(headers.get('accept-encoding')) && h.variable('x-mosn-method') !== 'HEAD';
    return 'continue';
  }

  onResponseHeaders(h: StreamFilterHandler, headers: HeaderMap, status: number, endStream: boolean): void {
    if (!this.#accepted || endStream || !this.#rules.compresses(headers, status)) return;
    markGzipped(headers);
    this.#body = new GzipBody(this, h, this.#rules.level);
  }

  onResponseData(_h: StreamFilterHandler, data: Buffer, endStream: boolean): 'stop' | void {
    const body = this.#body;
    if (body === undefined) return;
    body.write(data, endStream);
    return 'stop';
  }

  onResponseTrailers(_h: StreamFilterHandler, trailers: HeaderMap): 'stop' | void {
    const body = this.#body;
    if (body === undefined) return;
    body.endWithTrailers(trailers);
    return 'stop';
  }

  onDestroy(): void {
    this.#body?.destroy();
    this.#body = undefined;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A response body through node:zlib: each upstream chunk is written and flushed (Z_SYNC_FLUSH, as Envoy's
 * compressor flushes per chunk), and what zlib makes goes on to the filters after this one and downstream as it
 * comes. While zlib's input is over its buffer (`write` answered false) the upstream is held, until 'drain'.
 * (Its listeners are closures, made only for a response that is compressed: zlib's own state is far larger.)
 */
class GzipBody {
  readonly #zlib: Gzip;
  readonly #filter: StreamFilter;
  readonly #h: StreamFilterHandler;
  #holding = false;
  #trailers: HeaderMap | undefined;

  constructor(filter: StreamFilter, h: StreamFilterHandler, level: number) {
    this.#filter = filter;
    this.#h = h;
    const zlib = (this.#zlib = createGzip({ level, flush: constants.Z_SYNC_FLUSH }));
    zlib.on('data', (chunk: Buffer) => h.sendResponseData(filter, chunk, false));
    zlib.on('end', () => this.#end());
    zlib.on('drain', () => this.#hold(false));
    // deflate fails only on a bug or no memory: that one response is cut (reset), as an upstream reset would
    zlib.on('error', (err) => h.sendLocalReply(500, `gzip failed: ${err.message}`));
  }

  write(data: Buffer, endStream: boolean): void {
    if (data.length > 0 && !this.#zlib.write(data)) this.#hold(true);
    if (endStream) this.#zlib.end();
  }

  /** The upstream ended with trailers: they follow the last compressed bytes. */
  endWithTrailers(trailers: HeaderMap): void {
    this.#trailers = trailers;
    this.#zlib.end();
  }

  destroy(): void {
    this.#hold(false);
    this.#zlib.destroy();
  }

  #end(): void {
    this.#hold(false);
    const trailers = this.#trailers;
    if (trailers !== undefined) this.#h.sendResponseTrailers(this.#filter, trailers);
    else this.#h.sendResponseData(this.#filter, EMPTY, true);
  }

  #hold(hold: boolean): void {
    if (hold === this.#holding) return;
    this.#holding = hold;
    this.#h.holdUpstream(hold);
  }
}

/**
 * The response's headers as they go out compressed: `content-encoding: gzip`; no `content-length` (the body is
 * streamed: chunked on HTTP/1) and no `accept-ranges` (ranges of the compressed body are not served); `vary`
 * names `Accept-Encoding` (caches keep both forms apart); a strong `etag` becomes weak (the bytes differ).
 */
function markGzipped(headers: HeaderMap): void {
  headers.set('content-encoding', 'gzip');
  headers.delete('content-length');
  headers.delete('accept-ranges');
  let vary: string | undefined;
  headers.forEach((value, name) => {
    if (name.length === 4 && name.toLowerCase() === 'vary') vary = vary === undefined ? value : `${vary}, ${value}`;
  });
  if (vary === undefined || vary.trim() === '') headers.set('vary', 'Accept-Encoding');
  else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) headers.set('vary', `${vary}, Accept-Encoding`);
  const etag = headers.get('etag');
  if (etag !== undefined && etag.startsWith('"')) headers.set('etag', `W/${etag}`);
}
