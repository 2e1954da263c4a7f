import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import http2 from 'node:http2';
import type { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, cluster, httpBackend, requireTool, waitUntil } from '../helpers.js';
import { mosnJson, pathRouter, proxyListener, startMosnProcess, type MosnProcess } from '../reload/support.js';

// The gzip stream filter, mosn as its own process (the built CLI): clients (curl --compressed, node:http,
// node:http2) → mosn listeners `h1` (HTTP/1) and `h2` (h2c), both with gzip → a node:http backend whose paths
// answer as each test needs. Every compressed body is decompressed and compared with the backend's bytes.

const MiB = 1024 * 1024;

const PAGE = Buffer.from(Array.from({ length: 400 }, (_, i) => `<li>item ${i}: the quick brown fox jumps over the lazy dog</li>\n`).join(''));
const JSON_BODY = Buffer.from(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, name: `user ${i}`, active: i % 2 === 0 }))));
const SMALL = PAGE.subarray(0, 500);
const IMAGE = randomBytes(8192);
const PRE_GZIPPED = gzipSync(PAGE);
/** /stream's two parts: the second is sent only once the client inflated the first. */
const FIRST = Buffer.from('<p>first part, flushed on its own</p>\n'.repeat(60));
const SECOND = Buffer.from('<p>second part</p>\n'.repeat(200));
/** /big: 64 MiB of hex text (compresses to about half: the client's side fills up too), 1 MiB blocks. */
const BIG_BLOCK = Buffer.from(randomBytes(MiB / 2).toString('hex'));
const BIG_BLOCKS = 64;
const BIG_SHA256 = (() => {
  const h = createHash('sha256');
  for (let i = 0; i < BIG_BLOCKS; i++) h.update(BIG_BLOCK);
  return h.digest('hex');
})();

const GZIP = { type: 'gzip', config: { gzip_level: 6, content_length: 1024, content_types: ['text/html', 'application/json', 'text/plain'] } };

let mosn: MosnProcess;
let ports: { h1: number; h2: number };
/** Bytes of /big the backend has written so far (what mosn took from it). */
let bigSent = 0;
/** Lets /stream send its second part. */
let releaseSecond: () => void = () => {};
const cleanups: Array<() => unknown> = [];

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(async () => {
  const b = await httpBackend(serve);
  cleanups.push(b.close);
  ports = { h1: await closedPort(), h2: await closedPort() };
  const listener = (name: string, port: number, protocol: string) => ({ ...proxyListener(name, port, protocol, 'r'), stream_filters: [GZIP] });
  mosn = await startMosnProcess(
    mosnJson({
      admin: await closedPort(),
      routers: [pathRouter('r', 'c')],
      listeners: [listener('h1', ports.h1, 'Http1'), listener('h2', ports.h2, 'Http2')],
      clusters: [cluster('c', [b.address])],
    }),
    cleanups,
  );
}, 30_000);

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const html = { 'content-type': 'text/html; charset=utf-8' };
  switch (req.url) {
    case '/page':
      return void res.writeHead(200, { ...html, 'content-length': PAGE.length, etag: '"p1"', vary: 'Origin' }).end(PAGE);
    case '/json':
      return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_BODY.length }).end(JSON_BODY);
    case '/image':
      return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': IMAGE.length }).end(IMAGE);
    case '/small':
      return void res.writeHead(200, { ...html, 'content-length': SMALL.length }).end(SMALL);
    case '/encoded':
      return void res.writeHead(200, { ...html, 'content-encoding': 'gzip', 'content-length': PRE_GZIPPED.length }).end(PRE_GZIPPED);
    case '/no-transform':
      return void res.writeHead(200, { ...html, 'cache-control': 'no-transform', 'content-length': PAGE.length }).end(PAGE);
    case '/no-content':
      return void res.writeHead(204).end();
    case '/not-modified':
      return void res.writeHead(304, { etag: '"p1"', ...html }).end();
    case '/chunked': {
      // no content-length: chunked, written in three parts
      res.writeHead(200, html);
      const third = Math.floor(PAGE.length / 3);
      res.write(PAGE.subarray(0, third));
      setImmediate(() => {
        res.write(PAGE.subarray(third, 2 * third));
        setTimeout(() => res.end(PAGE.subarray(2 * third)), 10);
      });
      return;
    }
    case '/stream':
      res.writeHead(200, html);
      res.write(FIRST);
      releaseSecond = () => res.end(SECOND);
      return;
    case '/trailers':
      res.writeHead(200, { ...html, trailer: 'x-checksum' });
      res.write(PAGE);
      res.addTrailers({ 'x-checksum': 'sha-of-page' });
      return void res.end();
    case '/big': {
      bigSent = 0;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(BIG_BLOCK.length * BIG_BLOCKS) });
      const pump = () => {
        while (bigSent < BIG_BLOCK.length * BIG_BLOCKS) {
          bigSent += BIG_BLOCK.length;
          if (!res.write(BIG_BLOCK)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
  }
  res.writeHead(404).end();
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it came on the wire (not decompressed). */
  body: Buffer;
  trailers: Record<string, string | string[] | undefined>;
}

type Client = (path: string, headers?: Record<string, string>, method?: string) => Promise<Answer>;

/** One request with node:http on a new connection. */
const viaHttp1: Client = (path, headers = {}, method = 'GET') =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ports.h1, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

/** One request with node:http2 (h2c) on its own session. */
const viaHttp2: Client = (path, headers = {}, method = 'GET') =>
  new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${ports.h2}`);
    session.on('error', reject);
    const req = session.request({ ':path': path, ':method': method, ...headers });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      session.close();
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks), trailers });
    });
    req.on('error', reject);
    req.end();
  });

const CLIENTS: Array<[string, Client]> = [
  ['HTTP/1', viaHttp1],
  ['HTTP/2', viaHttp2],
];

/** curl's (decompressed) output and the response headers it printed. */
function curl(args: string[]): Promise<{ body: Buffer; headers: string }> {
  const bin = requireTool('curl', 'curl');
  const dir = mkdtempSync(join(tmpdir(), 'mosn-gzip-curl-'));
  const out = join(dir, 'body');
  // the headers on stdout (a child's stdio here is a socket, which curl cannot open as /dev/stderr), the body to a file
  return new Promise<{ body: Buffer; headers: string }>((resolve, reject) => {
    execFile(bin, ['-sS', '-D', '-', '-o', out, ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve({ body: readFileSync(out), headers: stdout.toLowerCase() });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('gzip (mosn as its own process)', () => {
  it('curl --compressed gets a listed type gzip-encoded over HTTP/1 and HTTP/2, and its output is the original bytes', async () => {
    // curl asks with "deflate, gzip, br, zstd": a value MOSN's list of exact strings would not compress
    for (const args of [[`http://127.0.0.1:${ports.h1}/page`], ['--http2-prior-knowledge', `http://127.0.0.1:${ports.h2}/page`]]) {
      const compressed = await curl(['--compressed', ...args]);
      expect(compressed.headers).toMatch(/^content-encoding: gzip\r$/m);
      expect(compressed.headers).not.toMatch(/^content-length:/m);
      expect(compressed.body.equals(PAGE)).toBe(true);
      // without --compressed curl asks for no encoding: the response is the backend's
      const plain = await curl(args);
      expect(plain.headers).not.toMatch(/^content-encoding:/m);
      expect(plain.headers).toMatch(new RegExp(`^content-length: ${PAGE.length}\\r$`, 'm'));
      expect(plain.body.equals(PAGE)).toBe(true);
    }
    const json = await curl(['--compressed', `http://127.0.0.1:${ports.h1}/json`]);
    expect(json.headers).toMatch(/^content-encoding: gzip\r$/m);
    expect(json.body.equals(JSON_BODY)).toBe(true);
  });

  for (const [name, client] of CLIENTS) {
    describe(`${name} clients`, () => {
      it('with Accept-Encoding: gzip, listed types (content-length or chunked) come gzip-encoded and gunzip to the original', async () => {
        for (const [path, original] of [
          ['/page', PAGE],
          ['/json', JSON_BODY],
          ['/chunked', PAGE],
        ] as const) {
          const r = await client(path, { 'accept-encoding': 'gzip' });
          expect([path, r.status, r.headers['content-encoding'], r.headers['content-length']]).toEqual([path, 200, 'gzip', undefined]);
          expect(gunzipSync(r.body).equals(original)).toBe(true);
          expect(r.body.length).toBeLessThan(original.length / 2);
        }
        const page = await client('/page', { 'accept-encoding': 'gzip' });
        expect([page.headers.vary, page.headers.etag]).toEqual(['Origin, Accept-Encoding', 'W/"p1"']);
      });

      it('unlisted types, bodies below content_length, already encoded and no-transform responses go as they are', async () => {
        for (const [path, original, encoding] of [
          ['/image', IMAGE, undefined],
          ['/small', SMALL, undefined],
          ['/encoded', PRE_GZIPPED, 'gzip'],
          ['/no-transform', PAGE, undefined],
        ] as const) {
          const r = await client(path, { 'accept-encoding': 'gzip' });
          expect([path, r.status, r.headers['content-encoding'], r.headers['content-length']]).toEqual([path, 200, encoding, String(original.length)]);
          expect(r.body.equals(original)).toBe(true);
        }
      });

      it('without Accept-Encoding accepting gzip the response is untouched', async () => {
        for (const accept of [undefined, 'identity', 'br, deflate', 'gzip;q=0']) {
          const r = await client('/page', accept === undefined ? {} : { 'accept-encoding': accept });
          expect([accept, r.headers['content-encoding'], r.headers['content-length'], r.headers.etag]).toEqual([accept, undefined, String(PAGE.length), '"p1"']);
          expect(r.body.equals(PAGE)).toBe(true);
        }
      });

      it('HEAD, 204 and 304 are untouched', async () => {
        const head = await client('/page', { 'accept-encoding': 'gzip' }, 'HEAD');
        expect([head.status, head.headers['content-encoding'], head.headers['content-length'], head.body.length]).toEqual([200, undefined, String(PAGE.length), 0]);
        const noContent = await client('/no-content', { 'accept-encoding': 'gzip' });
        expect([noContent.status, noContent.headers['content-encoding'], noContent.body.length]).toEqual([204, undefined, 0]);
        const notModified = await client('/not-modified', { 'accept-encoding': 'gzip' });
        expect([notModified.status, notModified.headers['content-encoding'], notModified.headers.etag, notModified.body.length]).toEqual([304, undefined, '"p1"', 0]);
      });

      it('trailers follow the compressed body', async () => {
        const r = await client('/trailers', { 'accept-encoding': 'gzip' });
        expect(r.headers['content-encoding']).toBe('gzip');
        expect(gunzipSync(r.body).equals(PAGE)).toBe(true);
        expect(r.trailers['x-checksum']).toBe('sha-of-page');
      });
    });
  }

  it('streams: the client inflates the first part of a chunked response before the upstream sends the rest (HTTP/1, HTTP/2)', async () => {
    for (const open of [openHttp1, openHttp2]) {
      const { body, headers } = await open('/stream');
      expect(headers['content-encoding']).toBe('gzip');
      const received: Buffer[] = [];
      body.on('data', (c: Buffer) => received.push(c));
      // the backend holds its second part until the client has the first: without a flush per chunk, this waits forever
      await waitUntil(() => inflatedSoFar(Buffer.concat(received)).equals(FIRST), 10_000, 'the first part inflated');
      releaseSecond();
      await new Promise((r) => body.on('end', r));
      expect(gunzipSync(Buffer.concat(received)).equals(Buffer.concat([FIRST, SECOND]))).toBe(true);
    }
  });

  for (const [name, open] of [
    ['HTTP/1', openHttp1],
    ['HTTP/2', openHttp2],
  ] as const) {
    it(`${name}: a 64 MiB response streams to a reader that stalls without mosn holding it, and gunzips to the original`, async () => {
      await warmUp();
      const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${mosn.pid}/status`, 'utf8'))![1]) / 1024;
      const baseline = rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
      try {
        const { headers, body } = await open('/big');
        expect(headers['content-encoding']).toBe('gzip');
        // the client reads nothing yet: the backend soon cannot write more (mosn holds the upstream)
        let last = -1;
        let since = Date.now();
        await waitUntil(
          () => {
            if (bigSent !== last) [last, since] = [bigSent, Date.now()];
            return Date.now() - since >= 500;
          },
          20_000,
          'the backend stalled',
          () => `sent ${bigSent / MiB} MiB`,
        );
        // what the kernel's socket buffers and mosn's bounded buffers take; without backpressure, all 64 MiB
        expect(bigSent).toBeLessThan(32 * MiB);
        const { bytes, sha256 } = await readSlowly(body.pipe(createGunzip()));
        expect([bytes, sha256]).toEqual([BIG_BLOCK.length * BIG_BLOCKS, BIG_SHA256]);
      } finally {
        clearInterval(sampler);
      }
      // a few buffer limits, zlib's state, and garbage V8 has not collected yet: far below the 64 MiB body
      expect(peak - baseline).toBeLessThan(32);
    }, 120_000);
  }
});

let warmedUp: Promise<void> | undefined;

/**
 * One 64 MiB transfer without gzip (no Accept-Encoding), once: a fresh process's first big transfer grows its RSS
 * by some 30 MiB whatever the filters do (V8 sizes its heaps, and frees read buffers lazily), which would hide
 * what gzip holds. After it, the growth measured is the compressed transfer's own.
 */
function warmUp(): Promise<void> {
  return (warmedUp ??= new Promise<void>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: ports.h1, path: '/big', agent: false }, (res) => {
        expect(res.headers['content-encoding']).toBeUndefined();
        res.resume().on('end', resolve).on('error', reject);
      })
      .on('error', reject);
  }));
}

/** A response to `path` with Accept-Encoding: gzip over HTTP/1: its headers, and its body not read yet. */
function openHttp1(path: string): Promise<{ headers: http.IncomingHttpHeaders; body: Readable }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: ports.h1, path, headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => resolve({ headers: res.headers, body: res }))
      .on('error', reject);
  });
}

/** The same over HTTP/2, on a session of its own (closed with the stream). */
function openHttp2(path: string): Promise<{ headers: http2.IncomingHttpHeaders; body: Readable }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${ports.h2}`);
    session.on('error', reject);
    const req = session.request({ ':path': path, 'accept-encoding': 'gzip' });
    req.on('close', () => session.close());
    req.on('response', (headers) => resolve({ headers, body: req }));
    req.on('error', reject);
  });
}

/** What arrived of a gzip stream that has not ended yet, inflated (zlib writes a 10-byte header, then raw deflate). */
function inflatedSoFar(gz: Buffer): Buffer {
  if (gz.length <= 10) return Buffer.alloc(0);
  try {
    return inflateRawSync(gz.subarray(10), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

/** Read a stream to its end, stalling 50 ms after every 8 MiB; its length and SHA-256. */
function readSlowly(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (c: Buffer) => {
      hash.update(c);
      const before = bytes;
      bytes += c.length;
      if (Math.floor(before / (8 * MiB)) !== Math.floor(bytes / (8 * MiB))) {
        stream.pause();
        setTimeout(() => stream.resume(), 50);
      }
    });
    stream.on('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    stream.on('error', reject);
  });
}
