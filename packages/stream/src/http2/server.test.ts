import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Listener, type Connection } from '@mosn/protocol';
import { HttpHeaders, type HttpRequestHead } from '../http-headers.js';
import type { ServerStream, StreamReceiver, StreamResetReason } from '../types.js';
import { Http2ServerConnection } from './server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What one request looked like to the proxy side. */
interface Seen {
  head: HttpRequestHead;
  endStream: boolean;
  body: Buffer[];
  trailers?: HttpHeaders;
  reset?: StreamResetReason;
  ended: Promise<void>;
}

type Handler = (stream: ServerStream, seen: Seen) => void;

/**
 * A listener whose connections are served by Http2ServerConnection once 24 bytes (the preface) are in,
 * the way the proxy filter detects the protocol. `onHead` answers each request.
 */
async function h2Server(onHead: Handler, onComplete?: Handler, opts: { idleTimeoutMs?: number; onProtocolError?: (err: Error) => void } = {}) {
  const seen: Seen[] = [];
  const conns: Connection[] = [];
  const servers: Http2ServerConnection[] = [];
  const listener = new Listener({
    name: 'h2',
    address: { host: '127.0.0.1', port: 0 },
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    filterChain: [
      {
        createFilterChain(conn) {
          conns.push(conn);
          let server: Http2ServerConnection | undefined;
          conn.addReadFilter({
            onData(buffer, endStream) {
              if (!server && buffer.length < 24 && !endStream) return 'stop';
              server ??= new Http2ServerConnection(conn, {
                onNewStream(stream) {
                  let done!: () => void;
                  const s: Seen = { head: undefined!, endStream: false, body: [], ended: new Promise<void>((r) => (done = r)) };
                  seen.push(s);
                  const receiver: StreamReceiver<HttpRequestHead> = {
                    onHeaders(head, endStream) {
                      s.head = head;
                      s.endStream = endStream;
                      onHead(stream, s);
                      if (endStream) {
                        done();
                        onComplete?.(stream, s);
                      }
                    },
                    onData(chunk, end) {
                      s.body.push(Buffer.from(chunk));
                      if (end) {
                        done();
                        onComplete?.(stream, s);
                      }
                    },
                    onTrailers(t) {
                      s.trailers = t;
                      done();
                      onComplete?.(stream, s);
                    },
                    onReset(reason) {
                      s.reset = reason;
                      done();
                    },
                  };
                  return receiver;
                },
              }, opts.onProtocolError ? { onProtocolError: opts.onProtocolError } : {});
              servers.push(server);
              server.onData(buffer, endStream);
              return 'stop';
            },
          });
        },
      },
    ],
  });
  await listener.start();
  cleanups.push(() => {
    listener.stopAccepting();
    listener.closeConnections();
  });
  const a = listener.address as { port: number };
  return { port: a.port, seen, conns, servers };
}

function client(port: number): http2.ClientHttp2Session {
  const c = http2.connect(`http://127.0.0.1:${port}`);
  c.on('error', () => {});
  cleanups.push(() => c.destroy());
  return c;
}

interface Reply {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers?: http2.IncomingHttpHeaders;
  rstCode: number;
}

function exchange(req: http2.ClientHttp2Stream): Promise<Reply> {
  return new Promise((resolve) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('close', () => resolve({ headers, body: Buffer.concat(chunks), rstCode: req.rstCode ?? 0, ...(trailers ? { trailers } : {}) }));
  });
}

const echo: Handler = () => {};
const answerEcho: Handler = (stream, s) => {
  stream.sendHeaders({ status: 200, headers: new HttpHeaders(['x-path', s.head.path, 'x-host', s.head.headers.get('host') ?? '']) }, false);
  stream.sendData(Buffer.concat(s.body), false);
  if (s.trailers) stream.sendTrailers(new HttpHeaders(['x-got-trailer', s.trailers.get('x-t') ?? '']));
  else stream.sendData(Buffer.alloc(0), true);
};

describe('Http2ServerConnection', () => {
  it('maps a request head: pseudo-headers, :authority as host, cookies joined, HTTP/2.0', async () => {
    const { port, seen } = await h2Server((stream) => stream.sendResponse(200, 'hi', new HttpHeaders(['x-a', '1', 'x-a', '2'])));
    const c = client(port);
    const r = await exchange(c.request({ ':method': 'GET', ':path': '/a/b?q=1', ':authority': 'example.test', cookie: ['a=1', 'b=2'], 'x-y': 'z' }));
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['x-a']).toBe('1, 2');
    expect(r.headers['content-length']).toBe('2');
    expect(r.body.toString()).toBe('hi');
    const head = seen[0]!.head;
    expect(head).toMatchObject({ method: 'GET', path: '/a/b?q=1', versionMajor: 2 });
    expect(head.headers.raw.slice(0, 2)).toEqual(['host', 'example.test']);
    expect(head.headers.get('cookie')).toBe('a=1; b=2');
    expect(head.headers.get('x-y')).toBe('z');
    expect(head.headers.raw.some((n) => n.startsWith(':'))).toBe(false);
    expect(seen[0]!.endStream).toBe(true);
  });

  it('takes the socket over with the preface read in several chunks', async () => {
    const { port } = await h2Server(echo, answerEcho);
    // A relay that hands the first bytes on in 5-byte pieces, one per turn of the event loop.
    const relay = net.createServer((down) => {
      const up = net.connect(port, '127.0.0.1');
      let sent = 0;
      down.on('data', async (chunk: Buffer) => {
        if (sent > 60) return void up.write(chunk);
        down.pause();
        for (let i = 0; i < chunk.length; i += 5) {
          up.write(chunk.subarray(i, i + 5));
          sent += 5;
          await new Promise((r) => setTimeout(r, 2));
        }
        down.resume();
      });
      up.pipe(down);
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    cleanups.push(() => relay.close());
    const c = client((relay.address() as net.AddressInfo).port);
    const req = c.request({ ':method': 'POST', ':path': '/split' });
    req.end('payload');
    const r = await exchange(req);
    expect(r.headers['x-path']).toBe('/split');
    expect(r.body.toString()).toBe('payload');
  });

  it('passes request trailers after the body, and response trailers (grpc-status) untouched', async () => {
    const { port, seen } = await h2Server(echo, answerEcho);
    const c = client(port);
    const req = c.request({ ':method': 'POST', ':path': '/t', te: 'trailers' }, { waitForTrailers: true });
    req.on('wantTrailers', () => req.sendTrailers({ 'x-t': 'tv' }));
    req.write('one-');
    req.end('two');
    const r = await exchange(req);
    expect(Buffer.concat(seen[0]!.body).toString()).toBe('one-two');
    expect(seen[0]!.trailers?.raw).toEqual(['x-t', 'tv']);
    expect(r.body.toString()).toBe('one-two');
    expect(r.trailers?.['x-got-trailer']).toBe('tv');
  });

  it('sends response headers held for a body in the same task at the end of the task, before a later body', async () => {
    let gotHeaders!: () => void;
    const clientHasHeaders = new Promise<void>((r) => (gotHeaders = r));
    const { port } = await h2Server((stream) => {
      stream.sendHeaders({ status: 200, headers: new HttpHeaders(['x-a', '1']) }, false);
      // the body only once the client has the headers: headers held until a body would never come
      void clientHasHeaders.then(() => {
        stream.sendData(Buffer.from('late '), false);
        stream.sendData(Buffer.from('body'), true);
      });
    });
    const c = client(port);
    const req = c.request({ ':path': '/slow' });
    req.once('response', () => gotHeaders());
    const r = await exchange(req);
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['x-a']).toBe('1');
    expect(r.body.toString()).toBe('late body');
    expect(r.rstCode).toBe(0);
  });

  it('answers a local reply with the mapped status, and a gRPC request with grpc-status', async () => {
    const { port } = await h2Server((stream) => stream.sendLocalReply('no_healthy_upstream', 'no healthy upstream ü'));
    const c = client(port);
    const plain = await exchange(c.request({ ':path': '/' }));
    expect(plain.headers[':status']).toBe(502);
    expect(plain.body.toString()).toBe('no healthy upstream ü\n');
    const grpc = await exchange(c.request({ ':method': 'POST', ':path': '/pkg.Svc/M', 'content-type': 'application/grpc' }, { endStream: true }));
    expect(grpc.headers[':status']).toBe(200);
    expect(grpc.headers['grpc-status']).toBe('14');
    expect(grpc.headers['grpc-message']).toBe('no healthy upstream %C3%BC');
  });

  it('hears a client RST_STREAM as remote_reset, and resets with CANCEL', async () => {
    const { port, seen } = await h2Server(echo);
    const c = client(port);
    const req = c.request({ ':method': 'POST', ':path': '/cancel' });
    req.write('x');
    await expect.poll(() => seen.length).toBe(1);
    // (Node's client sends END_STREAM before its RST_STREAM: the body may end first, then the reset.)
    req.close(http2.constants.NGHTTP2_CANCEL);
    await expect.poll(() => seen[0]!.reset).toBe('remote_reset');

    let stream: ServerStream | undefined;
    const s2 = await h2Server((s) => (stream = s));
    const req2 = client(s2.port).request({ ':path': '/reset-me' });
    const done = exchange(req2);
    await expect.poll(() => stream).toBeDefined();
    stream!.reset('local_reset');
    expect((await done).rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    expect(s2.seen[0]!.reset).toBeUndefined();
  });

  it('tells the streams when the connection goes', async () => {
    const { port, seen, conns } = await h2Server(echo);
    const c = client(port);
    const r = exchange(c.request({ ':method': 'POST', ':path': '/hang' }));
    await expect.poll(() => seen.length).toBe(1);
    conns[0]!.close('now', 'requested');
    await seen[0]!.ended;
    expect(seen[0]!.reset).toBe('connection_termination');
    await r;
  });

  it('stops reading a stream while read-disabled (flow control holds the client) and resumes', async () => {
    let stream: ServerStream | undefined;
    const { port, seen } = await h2Server((s) => {
      stream = s;
      s.readDisable(true);
    });
    const c = client(port);
    const req = c.request({ ':method': 'POST', ':path': '/up' });
    const total = 8 * 1024 * 1024;
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        const last = written >= total;
        if (last) req.end(chunk);
        else if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
    await new Promise((r) => setTimeout(r, 300));
    const got = () => seen[0]!.body.reduce((n, b) => n + b.length, 0);
    expect(got()).toBe(0);
    // the window (1 MiB) and the client's own buffers hold the rest
    expect(written).toBeLessThan(total);
    stream!.readDisable(false);
    await seen[0]!.ended;
    expect(got()).toBe(total);
    stream!.sendResponse(200, 'ok');
  });

  it('reports the send side above its watermark while the client does not read', async () => {
    const events: boolean[] = [];
    let stream: ServerStream | undefined;
    const { port } = await h2Server((s) => {
      stream = s;
      s.setWatermarkListener((above) => events.push(above));
      s.sendHeaders({ status: 200, headers: new HttpHeaders() }, false);
    });
    const c = client(port);
    const req = c.request({ ':path': '/down' });
    req.pause();
    await expect.poll(() => stream).toBeDefined();
    const chunk = Buffer.alloc(64 * 1024, 2);
    for (let i = 0; i < 32; i++) stream!.sendData(chunk, false);
    stream!.sendData(Buffer.alloc(0), true);
    expect(events).toEqual([true]);
    const r = exchange(req);
    req.resume();
    expect((await r).body.length).toBe(32 * chunk.length);
    expect(events).toEqual([true, false]);
  });

  it('drains: GOAWAY, the stream in flight finishes, then the connection closes', async () => {
    let stream: ServerStream | undefined;
    const { port, conns } = await h2Server((s) => (stream = s));
    const c = client(port);
    const goaway = new Promise<number>((r) => c.on('goaway', (code) => r(code)));
    const r = exchange(c.request({ ':path': '/slow' }));
    await expect.poll(() => stream).toBeDefined();
    const closed = new Promise((r) => conns[0]!.on('event', r));
    conns[0]!.onDrain?.();
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    stream!.sendResponse(200, 'late');
    expect((await r).body.toString()).toBe('late');
    await closed;
    expect(conns[0]!.state).toBe('closed');
  });

  it('closes a connection that does not speak HTTP/2, telling onProtocolError', async () => {
    const errors: Error[] = [];
    const { port } = await h2Server(echo, undefined, { onProtocolError: (e) => errors.push(e) });
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.resume();
    s.write('GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a-long-enough-request\r\n\r\n');
    await new Promise((r) => s.on('close', r));
    expect(errors.length).toBeGreaterThan(0);
  });

  it('closes an idle connection (the listener idle timeout) with GOAWAY, not one with a stream open', async () => {
    let stream: ServerStream | undefined;
    const { port, conns } = await h2Server((st) => (stream = st), undefined, { idleTimeoutMs: 150 });
    const c = client(port);
    const r = exchange(c.request({ ':path': '/long' }));
    await new Promise((res) => setTimeout(res, 400));
    expect(conns[0]!.state).toBe('open');
    stream!.sendResponse(200, 'done');
    expect((await r).body.toString()).toBe('done');
    const goaway = new Promise((res) => c.on('goaway', res));
    await goaway;
    await expect.poll(() => conns[0]!.state).toBe('closed');
  });
});
