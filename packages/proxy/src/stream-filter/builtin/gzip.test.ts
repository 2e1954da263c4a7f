import { constants, gunzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap, type Connection, type HeaderMap } from '@mosn/stream';
import { Stats } from '../../stats/stats.js';
import type { StreamFilterPhase } from '../api.js';
import { StreamFilterChainFactory, type StreamFilterChain, type StreamFilterOwner } from '../chain.js';
import { acceptsGzip } from './accept-encoding.js';
import { gzipFilterFactory, type GzipConfig } from './gzip.js';

/** An HTTP request as the chain sees it: what went downstream, and how often the upstream was held. */
class Owner implements StreamFilterOwner {
  readonly connection = { remoteAddress: '127.0.0.1' } as Connection;
  readonly route = undefined;
  readonly clusterName = 'c';
  readonly upstreamHost = undefined;
  readonly requestHeaders: SimpleHeaderMap;
  readonly protocol: string;
  readonly method: string;
  body: Buffer[] = [];
  ended = false;
  trailers: HeaderMap | undefined;
  holds: boolean[] = [];
  failures: string[] = [];
  #onChange: (() => void) | undefined;

  constructor(o: { acceptEncoding?: string; method?: string; protocol?: string }) {
    this.requestHeaders = new SimpleHeaderMap(o.acceptEncoding === undefined ? [] : [['accept-encoding', o.acceptEncoding]]);
    this.method = o.method ?? 'GET';
    this.protocol = o.protocol ?? 'Http1';
  }
  variable(name: string): string | undefined {
    return name === 'x-mosn-method' ? this.method : undefined;
  }
  filtersContinued(_phase: StreamFilterPhase): void {}
  mirror(): number {
    return 0;
  }
  filterReply(status: number, message: string | undefined): void {
    this.failures.push(`reply ${status} ${message}`);
  }
  filterFailed(message: string): void {
    this.failures.push(message);
  }
  filteredResponseData(data: Buffer, endStream: boolean): void {
    if (data.length > 0) this.body.push(data);
    if (endStream) this.ended = true;
    this.#onChange?.();
  }
  filteredResponseTrailers(trailers: HeaderMap): void {
    this.trailers = trailers;
    this.ended = true;
    this.#onChange?.();
  }
  holdUpstream(hold: boolean): void {
    this.holds.push(hold);
    this.#onChange?.();
  }
  /** Resolves once `cond` holds (checked whenever something went downstream or the upstream hold changed). */
  until(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      if (cond()) return resolve();
      this.#onChange = () => {
        if (!cond()) return;
        this.#onChange = undefined;
        resolve();
      };
    });
  }
}

const CONFIG: GzipConfig = { level: 6, minLength: 100, contentTypes: ['text/html', 'application/json'] };

/** A request through a gzip filter up to its response headers; the headers as they would go downstream. */
function respond(o: { acceptEncoding?: string; method?: string; protocol?: string }, status: number, headers: Array<[string, string]>, endStream = false) {
  const owner = new Owner(o);
  const chain = StreamFilterChainFactory.of([gzipFilterFactory(CONFIG)], new Stats(), 'listener.l.')!.create(owner);
  chain.runRequestHeaders('before_route', true);
  chain.runRequestHeaders('after_route', true);
  const out = new SimpleHeaderMap(headers);
  chain.runResponseHeaders(out, status, endStream);
  return { owner, chain, headers: out };
}

const HTML: Array<[string, string]> = [['content-type', 'text/html; charset=utf-8']];
const gzipped = (r: { headers: HeaderMap }) => r.headers.get('content-encoding') === 'gzip';

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as RFC 9110 does: gzip or * with a q above 0', () => {
    const yes = ['gzip', 'GZip', 'deflate, gzip, br, zstd', 'gzip;q=0.5', ' br ; q=1 , gzip ; q=0.001', 'x-gzip', '*', 'br, *;q=0.1'];
    const no = [undefined, '', 'identity', 'br', 'gzip;q=0', 'gzip; q=0.0, *', '*;q=0', 'gzipped', 'gzip;q=abc'];
    expect(yes.map(acceptsGzip)).toEqual(yes.map(() => true));
    expect(no.map(acceptsGzip)).toEqual(no.map(() => false));
  });
});

describe('gzip: which responses', () => {
  it('compresses a listed type (whole value or media type) at or above content_length, for a client that accepts gzip', () => {
    expect(gzipped(respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['content-length', '100']]))).toBe(true);
    expect(gzipped(respond({ acceptEncoding: 'gzip' }, 404, [['content-type', 'Application/JSON']]))).toBe(true);
    // no content-length (chunked, HTTP/2): compressed whatever its size
    expect(gzipped(respond({ acceptEncoding: 'gzip, deflate' }, 200, HTML))).toBe(true);
    expect(gzipped(respond({ acceptEncoding: 'gzip', protocol: 'Http2' }, 200, HTML))).toBe(true);
  });

  it('leaves alone what MOSN leaves alone, and what a proxy must not transform', () => {
    const untouched = [
      respond({}, 200, HTML), // no Accept-Encoding
      respond({ acceptEncoding: 'br' }, 200, HTML),
      respond({ acceptEncoding: 'gzip', method: 'HEAD' }, 200, [...HTML, ['content-length', '5000']]),
      respond({ acceptEncoding: 'gzip', protocol: 'bolt' }, 200, HTML),
      respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['content-length', '99']]),
      respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['content-length', '0']]),
      respond({ acceptEncoding: 'gzip' }, 200, [['content-type', 'image/png']]),
      respond({ acceptEncoding: 'gzip' }, 200, []), // no content-type
      respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['content-encoding', 'br']]),
      respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['cache-control', 'public, no-transform']]),
      respond({ acceptEncoding: 'gzip' }, 204, HTML),
      respond({ acceptEncoding: 'gzip' }, 206, HTML),
      respond({ acceptEncoding: 'gzip' }, 304, HTML),
      respond({ acceptEncoding: 'gzip' }, 200, HTML, true), // ended with its headers
    ];
    expect(untouched.map((r) => r.headers.get('content-encoding') ?? null)).toEqual([null, null, null, null, null, null, null, null, 'br', null, null, null, null, null]);
    expect(untouched[4]!.headers.get('content-length')).toBe('99');
    expect(untouched[0]!.headers.has('vary')).toBe(false);
  });

  it('marks a compressed response: no content-length or accept-ranges, vary gains Accept-Encoding, a strong etag turns weak', () => {
    const { headers } = respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['content-length', '5000'], ['accept-ranges', 'bytes'], ['vary', 'Origin'], ['etag', '"v1"']]);
    expect([headers.get('content-length'), headers.get('accept-ranges'), headers.get('vary'), headers.get('etag')]).toEqual([undefined, undefined, 'Origin, Accept-Encoding', 'W/"v1"']);
    const already = respond({ acceptEncoding: 'gzip' }, 200, [...HTML, ['vary', 'accept-encoding'], ['etag', 'W/"v2"']]).headers;
    expect([already.get('vary'), already.get('etag')]).toEqual(['accept-encoding', 'W/"v2"']);
  });
});

/** Run a response body through the chain of a compressed response. */
function compressing(): { owner: Owner; chain: StreamFilterChain } {
  const r = respond({ acceptEncoding: 'gzip' }, 200, HTML);
  expect(gzipped(r)).toBe(true);
  return r;
}

describe('gzip: the body', () => {
  it('streams: each chunk is flushed as it comes, and the whole gunzips to the original bytes', async () => {
    const { owner, chain } = compressing();
    const first = Buffer.from('<p>first part</p>'.repeat(50));
    const second = Buffer.from('<p>second part</p>'.repeat(80));
    expect(chain.runResponseData(first, false)).toBeUndefined();
    // before the upstream sends more, what went downstream already inflates to the first chunk (a sync flush)
    await owner.until(() => owner.body.length > 0 && decompressedSoFar(owner).equals(first));
    expect(owner.ended).toBe(false);
    chain.runResponseData(second, true);
    await owner.until(() => owner.ended);
    expect(gunzipSync(Buffer.concat(owner.body))).toEqual(Buffer.concat([first, second]));
    expect(owner.failures).toEqual([]);
  });

  it('trailers go after the last compressed bytes', async () => {
    const { owner, chain } = compressing();
    chain.runResponseData(Buffer.from('x'.repeat(1000)), false);
    expect(chain.runResponseTrailers(new SimpleHeaderMap([['grpc-status', '0']]))).toBe(false);
    await owner.until(() => owner.ended);
    expect(owner.trailers?.get('grpc-status')).toBe('0');
    expect(gunzipSync(Buffer.concat(owner.body)).toString()).toBe('x'.repeat(1000));
  });

  it('holds the upstream while zlib has more input than its buffer, and lets go when it drained', async () => {
    const { owner, chain } = compressing();
    chain.runResponseData(Buffer.alloc(1024 * 1024, 'a'), false);
    expect(owner.holds).toEqual([true]);
    await owner.until(() => owner.holds.length === 2);
    expect(owner.holds).toEqual([true, false]);
    chain.runResponseData(Buffer.alloc(0), true);
    await owner.until(() => owner.ended);
    expect(gunzipSync(Buffer.concat(owner.body)).length).toBe(1024 * 1024);
  });

  it('a request that ends mid-body (client gone) stops the compressor: nothing more is sent', async () => {
    const { owner, chain } = compressing();
    chain.runResponseData(Buffer.alloc(1024 * 1024, 'a'), false);
    chain.destroy();
    const sent = owner.body.length;
    await new Promise((r) => setTimeout(r, 50));
    expect([owner.body.length, owner.ended]).toEqual([sent, false]);
  });
});

/** What went downstream so far, inflated without its gzip header (the stream is not finished yet). */
function decompressedSoFar(owner: Owner): Buffer {
  const gz = Buffer.concat(owner.body);
  // a gzip member: a 10-byte header (no optional fields from zlib), then raw deflate data
  return inflateRawSync(gz.subarray(10), { finishFlush: constants.Z_SYNC_FLUSH });
}
