import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpHeaders, type HttpRequestHead, type HttpResponseHead } from '../http-headers.js';
import type { ClientStream, PoolFailureReason, StreamReceiver, StreamResetReason } from '../types.js';
import { Http2ConnectionPool, type Http2PoolOptions } from './pool.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An h2c upstream on 127.0.0.1:0 that counts its sessions. */
async function upstream(onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void, settings?: http2.Settings) {
  const server = http2.createServer(settings ? { settings } : {});
  const sessions: http2.ServerHttp2Session[] = [];
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    onStream(stream, headers);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, sessions };
}

function pool(port: number, extra: Partial<Http2PoolOptions> = {}): Http2ConnectionPool {
  const p = new Http2ConnectionPool({ address: { host: '127.0.0.1', port }, connectTimeoutMs: 2000, ...extra });
  cleanups.push(() => p.close());
  return p;
}

/** What one upstream request saw come back. */
class Collector implements StreamReceiver<HttpResponseHead> {
  head: HttpResponseHead | undefined;
  headEnd = false;
  body: Buffer[] = [];
  trailers: HttpHeaders | undefined;
  resetReason: StreamResetReason | undefined;
  done: Promise<void>;
  #resolve!: () => void;
  constructor() {
    this.done = new Promise((r) => (this.#resolve = r));
  }
  onHeaders(head: HttpResponseHead, endStream: boolean): void {
    this.head = head;
    this.headEnd = endStream;
    if (endStream) this.#resolve();
  }
  onData(chunk: Buffer, endStream: boolean): void {
    this.body.push(Buffer.from(chunk));
    if (endStream) this.#resolve();
  }
  onTrailers(trailers: HttpHeaders): void {
    this.trailers = trailers;
    this.#resolve();
  }
  onReset(reason: StreamResetReason): void {
    this.resetReason = reason;
    this.#resolve();
  }
  get text(): string {
    return Buffer.concat(this.body).toString();
  }
}

/** A stream from the pool, or why there is none. */
function open(p: Http2ConnectionPool, receiver: StreamReceiver<HttpResponseHead>): Promise<ClientStream> {
  return new Promise((resolve, reject) => {
    p.newStream(receiver, { onReady: resolve, onFailure: (r: PoolFailureReason) => reject(new Error(r)) });
  });
}

function head(method: string, path: string, raw: string[]): HttpRequestHead {
  return { method, path, versionMajor: 1, versionMinor: 1, headers: new HttpHeaders(raw) };
}

async function readAll(stream: http2.ServerHttp2Stream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('Http2ConnectionPool', () => {
  it('an upstream that hangs up before its SETTINGS fails the connect at once, not after the connect timeout', async () => {
    const server = net.createServer((s) => {
      s.on('data', () => {});
      setTimeout(() => s.end(), 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    const p = pool((server.address() as net.AddressInfo).port, { connectTimeoutMs: 30_000 });
    await expect(open(p, new Collector())).rejects.toThrow('connect_failed');
  });

  it('a request that waits for the first session when the pool starts draining still gets it; then the session drains', async () => {
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('served');
    });
    const p = pool(up.port);
    const r = new Collector();
    const opened = open(p, r); // waits: the session is being dialled
    p.drain(); // a removed host or cluster: no new requests from now on
    const s = await opened;
    s.sendHeaders(head('GET', '/', ['Host', 'h']), true);
    await r.done;
    expect([r.head?.status, r.text]).toEqual([200, 'served']);
    await expect(open(p, new Collector())).rejects.toThrow('closed');
    for (const start = Date.now(); p.connectionCount > 0 && Date.now() - start < 3000; ) await new Promise((res) => setTimeout(res, 10));
    expect(p.connectionCount).toBe(0);
  });

  it('maps the request head to pseudo-headers, drops hop-by-hop fields, carries bodies and trailers', async () => {
    let seen: http2.IncomingHttpHeaders = {};
    let reqTrailers: http2.IncomingHttpHeaders | undefined;
    const up = await upstream(async (stream, headers) => {
      seen = headers;
      stream.on('trailers', (t) => (reqTrailers = t));
      const body = await readAll(stream);
      stream.respond({ ':status': 201, 'x-r': 'v' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine%20ok' }));
      stream.end(Buffer.concat([Buffer.from('echo:'), body]));
    });
    const p = pool(up.port);
    const r = new Collector();
    const s = await open(p, r);
    s.sendHeaders(
      head('POST', '/a?b=1', ['Host', 'svc.test', 'Connection', 'keep-alive', 'Keep-Alive', '5', 'Transfer-Encoding', 'chunked', 'TE', 'trailers', 'X-Multi', '1', 'x-multi', '2']),
      false,
    );
    s.sendData(Buffer.from('hello '), false);
    s.sendData(Buffer.from('world'), false);
    s.sendTrailers(new HttpHeaders(['X-Req-Trailer', 'rt']));
    await r.done;
    expect(seen).toMatchObject({ ':method': 'POST', ':path': '/a?b=1', ':authority': 'svc.test', ':scheme': 'http', te: 'trailers', 'x-multi': '1, 2' });
    for (const h of ['host', 'connection', 'keep-alive', 'transfer-encoding']) expect(seen[h]).toBeUndefined();
    expect(reqTrailers?.['x-req-trailer']).toBe('rt');
    expect(r.head?.status).toBe(201);
    expect(r.head?.headers.get('x-r')).toBe('v');
    expect(r.head?.headers.raw.some((n) => n.startsWith(':'))).toBe(false);
    expect(r.text).toBe('echo:hello world');
    expect(r.trailers?.raw).toEqual(['grpc-status', '0', 'grpc-message', 'fine%20ok']);
    expect(p.connectionCount).toBe(1);
    await expect.poll(() => p.activeRequests).toBe(0);
  });

  it('drops te other than trailers; multiplexes concurrent requests over one session', async () => {
    const tes: Array<string | string[] | undefined> = [];
    const up = await upstream((stream, headers) => {
      tes.push(headers.te);
      stream.respond({ ':status': 200 });
      stream.end(String(headers[':path']));
    });
    const p = pool(up.port);
    const rs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const r = new Collector();
        (await open(p, r)).sendHeaders(head('GET', `/n${i}`, ['host', 'h', 'te', 'gzip']), true);
        await r.done;
        return r;
      }),
    );
    expect(rs.map((r) => r.text)).toEqual(Array.from({ length: 20 }, (_, i) => `/n${i}`));
    expect(rs[0]!.head?.status).toBe(200);
    expect(tes.every((t) => t === undefined)).toBe(true);
    expect(up.sessions.length).toBe(1);
  });

  it('fails fast: connect_failed on a closed port, connect_failed on an HTTP/1 server, connect_timeout on a silent one', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(open(pool(closedPort), new Collector())).rejects.toThrow('connect_failed');

    const h1 = http.createServer((_q, s) => s.end('h1'));
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    cleanups.push(() => h1.close());
    await expect(open(pool((h1.address() as net.AddressInfo).port), new Collector())).rejects.toThrow('connect_failed');

    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const started = Date.now();
    await expect(open(pool((silent.address() as net.AddressInfo).port, { connectTimeoutMs: 200 }), new Collector())).rejects.toThrow('connect_timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('resets the upstream stream with CANCEL, and hears an upstream reset as remote_reset', async () => {
    const codes: number[] = [];
    let cleanEnd = false;
    const up = await upstream((stream, headers) => {
      stream.on('close', () => codes.push(stream.rstCode ?? -1));
      // END_STREAM before the RST_STREAM would make a cut upload look complete
      stream.on('end', () => (cleanEnd = !stream.aborted && !stream.rstCode));
      stream.resume();
      if (headers[':path'] === '/rst') stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else stream.respond({ ':status': 200 });
    });
    const p = pool(up.port);
    const r1 = new Collector();
    const s1 = await open(p, r1);
    s1.sendHeaders(head('POST', '/hang', ['host', 'h']), false);
    s1.sendData(Buffer.from('part of a body'), false);
    await expect.poll(() => r1.head).toBeDefined();
    s1.reset('local_reset');
    await expect.poll(() => codes).toEqual([http2.constants.NGHTTP2_CANCEL]);
    expect(cleanEnd).toBe(false);
    expect(r1.resetReason).toBeUndefined();

    const r2 = new Collector();
    (await open(p, r2)).sendHeaders(head('GET', '/rst', ['host', 'h']), true);
    await r2.done;
    expect(r2.resetReason).toBe('remote_reset');
    await expect.poll(() => p.activeRequests).toBe(0);
  });

  it('cancels the request side when the response completes first', async () => {
    const codes: number[] = [];
    const up = await upstream((stream) => {
      stream.on('close', () => codes.push(stream.rstCode ?? -1));
      stream.resume(); // a server that reads would wait for the rest of the body forever
      stream.respond({ ':status': 413 }, { endStream: true });
    });
    const p = pool(up.port);
    const r = new Collector();
    const s = await open(p, r);
    s.sendHeaders(head('POST', '/big', ['host', 'h']), false);
    s.sendData(Buffer.alloc(1000), false);
    await r.done;
    expect(r.head?.status).toBe(413);
    expect(r.headEnd).toBe(true);
    await expect.poll(() => codes).toEqual([http2.constants.NGHTTP2_CANCEL]);
    await expect.poll(() => p.activeRequests).toBe(0);
  });

  it('drains a session the upstream sends GOAWAY on: the stream in flight ends, new ones get a new session', async () => {
    let held: http2.ServerHttp2Stream | undefined;
    const up = await upstream((stream, headers) => {
      if (headers[':path'] === '/held') held = stream;
      else {
        stream.respond({ ':status': 200 });
        stream.end('new');
      }
    });
    const p = pool(up.port);
    const r1 = new Collector();
    (await open(p, r1)).sendHeaders(head('GET', '/held', ['host', 'h']), true);
    await expect.poll(() => held).toBeDefined();
    up.sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    await new Promise((r) => setTimeout(r, 50));
    const r2 = new Collector();
    (await open(p, r2)).sendHeaders(head('GET', '/next', ['host', 'h']), true);
    await r2.done;
    expect(r2.text).toBe('new');
    expect(up.sessions.length).toBe(2);
    held!.respond({ ':status': 200 });
    held!.end('old');
    await r1.done;
    expect(r1.text).toBe('old');
    await expect.poll(() => p.connectionCount).toBe(1);
  });

  it('waits for room under the server stream limit, bounded by maxPendingRequests', async () => {
    const held: http2.ServerHttp2Stream[] = [];
    const up = await upstream((stream) => held.push(stream), { maxConcurrentStreams: 1 });
    const p = pool(up.port, { maxPendingRequests: 1 });
    const r1 = new Collector();
    (await open(p, r1)).sendHeaders(head('GET', '/1', ['host', 'h']), true);
    await expect.poll(() => held.length).toBe(1);
    const r2 = new Collector();
    const second = open(p, r2);
    await expect(open(p, new Collector())).rejects.toThrow('overflow');
    held[0]!.respond({ ':status': 200 }, { endStream: true });
    await r1.done;
    (await second).sendHeaders(head('GET', '/2', ['host', 'h']), true);
    await expect.poll(() => held.length).toBe(2);
    held[1]!.respond({ ':status': 204 }, { endStream: true });
    await r2.done;
    expect(r2.head?.status).toBe(204);
  });

  it('pauses the response while read-disabled and reports its send side over the watermark', async () => {
    let upBody = 0;
    const up = await upstream((stream) => {
      stream.pause();
      stream.respond({ ':status': 200 });
      const chunk = Buffer.alloc(64 * 1024, 3);
      let n = 0;
      const pump = () => {
        while (n < 64) {
          n++;
          if (n === 64) return void stream.end(chunk);
          if (!stream.write(chunk)) return void stream.once('drain', pump);
        }
      };
      pump();
      setTimeout(() => {
        stream.on('data', (c: Buffer) => (upBody += c.length));
        stream.resume();
      }, 300);
    });
    const p = pool(up.port);
    const r = new Collector();
    const s = await open(p, r);
    const events: boolean[] = [];
    s.setWatermarkListener((above) => events.push(above));
    s.readDisable(true);
    s.sendHeaders(head('POST', '/x', ['host', 'h']), false);
    for (let i = 0; i < 16; i++) s.sendData(Buffer.alloc(64 * 1024, 4), false);
    s.sendData(Buffer.alloc(0), true);
    expect(events).toEqual([true]);
    await new Promise((res) => setTimeout(res, 150));
    const got = r.body.reduce((n, b) => n + b.length, 0);
    expect(got).toBe(0);
    s.readDisable(false);
    await r.done;
    expect(r.body.reduce((n, b) => n + b.length, 0)).toBe(64 * 64 * 1024);
    await expect.poll(() => upBody).toBe(16 * 64 * 1024);
    expect(events).toEqual([true, false]);
  });

  it('drain and close: no new streams; waiting requests fail with closed', async () => {
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('x');
    });
    const p = pool(up.port);
    const waiting = open(p, new Collector());
    p.close();
    await expect(waiting).rejects.toThrow('closed');
    await expect(open(p, new Collector())).rejects.toThrow('closed');
    const p2 = pool(up.port);
    const r = new Collector();
    (await open(p2, r)).sendHeaders(head('GET', '/', ['host', 'h']), true);
    await r.done;
    p2.drain();
    await expect(open(p2, new Collector())).rejects.toThrow('closed');
    await expect.poll(() => p2.connectionCount).toBe(0);
  });

  it('closes idle sessions after idleTimeoutMs and opens a new session after maxRequestsPerConnection', async () => {
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const p = pool(up.port, { idleTimeoutMs: 100, maxRequestsPerConnection: 2 });
    for (let i = 0; i < 3; i++) {
      const r = new Collector();
      (await open(p, r)).sendHeaders(head('GET', `/${i}`, ['host', 'h']), true);
      await r.done;
    }
    expect(up.sessions.length).toBe(2);
    await expect.poll(() => p.connectionCount).toBe(0);
  });
});

