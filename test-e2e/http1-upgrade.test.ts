import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, get, httpProxyConfig, port, rawExchange, startMosn, startMosnWithCleanup } from './helpers.js';

const cleanups = cleanupAfterEach();

const mosnWith = (config: unknown) => startMosnWithCleanup(config, cleanups);

/** A node:http server on 127.0.0.1:0; counts connections and their closes; closed after the test. */
async function backend(handler?: http.RequestListener): Promise<{ server: http.Server; address: string; opened: () => number; closed: () => number }> {
  const server = http.createServer(handler ?? ((_req, res) => res.end('plain')));
  let opened = 0;
  let closed = 0;
  server.on('connection', (s: net.Socket) => {
    opened++;
    s.on('close', () => closed++);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { server, address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, opened: () => opened, closed: () => closed };
}

/** A real WebSocket echo server (npm `ws`) on a node:http server; `/deny` is refused with 403. */
async function wsEchoBackend() {
  const b = await backend();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const seen: http.IncomingHttpHeaders[] = [];
  const serverSockets: WebSocket[] = [];
  b.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push(req.headers);
    if (req.url === '/deny') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 6\r\nconnection: close\r\n\r\ndenied');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      serverSockets.push(ws);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  cleanups.push(() => {
    for (const ws of serverSockets) ws.terminate();
    wss.close();
  });
  return { ...b, seen, serverSockets };
}

function wsConfig(address: string, extra: Record<string, unknown> = {}) {
  return httpProxyConfig({
    routes: [
      {
        match: { prefix: '/' },
        route: {
          cluster_name: 'c',
          request_headers_to_add: [{ header: { key: 'x-via-mosn', value: 'yes' } }],
          response_headers_to_add: [{ header: { key: 'x-mosn-resp', value: 'r' } }],
        },
      },
    ],
    clusters: [cluster('c', [address])],
    ...extra,
  });
}

/** Open a `ws` client; resolves once open (rejects on an error or a non-101 answer). */
function openWs(url: string): Promise<{ ws: WebSocket; upgradeHeaders: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    cleanups.push(() => ws.terminate());
    let upgradeHeaders: http.IncomingHttpHeaders = {};
    ws.once('upgrade', (res) => (upgradeHeaders = res.headers));
    ws.once('open', () => resolve({ ws, upgradeHeaders }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => resolve({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), isBinary }));
    ws.once('close', () => reject(new Error('closed before a message')));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('WebSocket through mosn (ws client → mosn → ws server)', () => {
  it('echoes text, binary and an 8 MiB message; the upgrade is routed with header edits', async () => {
    const b = await wsEchoBackend();
    const { p, mosn } = await mosnWith(wsConfig(b.address));
    const { ws, upgradeHeaders } = await openWs(`ws://127.0.0.1:${p}/echo`);
    // the route's request and response header edits apply to the upgrade request and its 101
    expect(b.seen[0]!['x-via-mosn']).toBe('yes');
    expect(b.seen[0]!.upgrade).toBe('websocket');
    expect(upgradeHeaders['x-mosn-resp']).toBe('r');

    ws.send('hello');
    const text = await nextMessage(ws);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe('hello');

    const bin = Buffer.from([0, 1, 2, 255, 254]);
    ws.send(bin);
    const echoed = await nextMessage(ws);
    expect(echoed.isBinary).toBe(true);
    expect(echoed.data.equals(bin)).toBe(true);

    const big = randomBytes(8 * 1024 * 1024);
    ws.send(big);
    const bigEcho = await nextMessage(ws);
    expect(bigEcho.data.length).toBe(big.length);
    expect(sha(bigEcho.data)).toBe(sha(big));
    expect(mosn.stats.get('listener.l.downstream_cx_upgrades_total')).toBe(1);
  });

  it('the close handshake passes from the client to the server', async () => {
    const b = await wsEchoBackend();
    const { p } = await mosnWith(wsConfig(b.address));
    const { ws } = await openWs(`ws://127.0.0.1:${p}/echo`);
    ws.send('x');
    await nextMessage(ws);
    const serverSide = b.serverSockets[0]!;
    const serverClosed = closed(serverSide);
    const clientClosed = closed(ws);
    ws.close(1000, 'client bye');
    expect(await serverClosed).toEqual({ code: 1000, reason: 'client bye' });
    expect(await clientClosed).toEqual({ code: 1000, reason: 'client bye' });
  });

  it('the close handshake passes from the server to the client', async () => {
    const b = await wsEchoBackend();
    const { p } = await mosnWith(wsConfig(b.address));
    const { ws } = await openWs(`ws://127.0.0.1:${p}/echo`);
    ws.send('x');
    await nextMessage(ws);
    const clientClosed = closed(ws);
    b.serverSockets[0]!.close(4001, 'server bye');
    expect(await clientClosed).toEqual({ code: 4001, reason: 'server bye' });
  });

  it('a refused upgrade (403) is an ordinary answer; its upstream connection is not pooled', async () => {
    const b = await wsEchoBackend();
    const { p } = await mosnWith(wsConfig(b.address));
    expect((await get(p, '/plain')).body).toBe('plain'); // one pooled upstream connection
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${p}/deny`);
      ws.once('open', () => reject(new Error('opened')));
      ws.once('error', () => {});
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(refused).toEqual({ status: 403, body: 'denied' });
    expect((await get(p, '/plain')).body).toBe('plain');
    // the upgrade had a connection of its own, closed after the 403; the plain requests shared the pooled one
    expect(b.opened()).toBe(2);
    await expect.poll(() => b.closed()).toBe(1);
  });

  it('an upgrade to an HTTP/2 upstream is answered 501', async () => {
    const h2 = http2.createServer((_req, res) => res.end('h2'));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => h2.close(() => r())));
    const config = httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [`127.0.0.1:${(h2.address() as net.AddressInfo).port}`])] }) as {
      servers: Array<{ listeners: Array<{ filter_chains: Array<{ filters: Array<{ config: Record<string, unknown> }> }> }> }>;
    };
    config.servers[0]!.listeners[0]!.filter_chains[0]!.filters[0]!.config.upstream_protocol = 'Http2';
    const { p } = await mosnWith(config);
    expect((await get(p, '/plain')).body).toBe('h2');
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${p}/echo`);
      ws.once('open', () => reject(new Error('opened')));
      ws.once('error', () => {});
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(501);
  });
});

/** Read from a socket until `pred(text so far)` holds; bounded by `timeoutMs`. */
function readUntil(s: net.Socket, pred: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`timed out; got ${JSON.stringify(text)}`)), timeoutMs);
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if (pred(text)) done();
    };
    const onEnd = () => done(pred(text) ? undefined : new Error(`ended; got ${JSON.stringify(text)}`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      if (err) reject(err);
      else resolve(text);
    };
    s.on('data', onData);
    s.on('end', onEnd);
  });
}

/**
 * A backend that accepts `Upgrade: foo`: it answers 101 with `server-first` in the same write, then
 * upper-cases what it reads; on the client's half-close it writes `bye` and ends its side.
 */
async function fooBackend() {
  const b = await backend();
  const got: { head?: string; headers?: http.IncomingHttpHeaders; ended: boolean } = { ended: false };
  b.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    got.headers = req.headers;
    got.head = head.toString();
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nserver-first;');
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    socket.on('end', () => {
      got.ended = true;
      socket.end('bye');
    });
    socket.on('error', () => {});
  });
  return { ...b, got };
}

const FOO_REQUEST = 'GET /tunnel HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n';

describe('raw Upgrade tunnel (net client → mosn → net server)', () => {
  it('keeps bytes sent with the request, pipes both ways, and passes a half-close both ways', async () => {
    const b = await fooBackend();
    const { p } = await mosnWith(wsConfig(b.address));
    const s = net.connect(p, '127.0.0.1');
    cleanups.push(() => void s.destroy());
    s.on('error', () => {});
    // the first tunnel bytes leave in the same write as the request head
    s.write(FOO_REQUEST + 'early;');
    const first = await readUntil(s, (t) => t.includes('EARLY;'));
    expect(first).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(first.toLowerCase()).toContain('upgrade: foo\r\n');
    expect(first.toLowerCase()).toContain('connection: upgrade\r\n');
    // the bytes sent with the request reached the server (after the 101: mosn held them until then)
    expect(first).toContain('\r\n\r\nserver-first;EARLY;');
    expect(b.got.headers!['x-via-mosn']).toBe('yes');
    expect(b.got.headers!.connection?.toLowerCase()).toBe('upgrade');

    s.write('abc');
    expect(await readUntil(s, (t) => t.includes('ABC'))).toBe('ABC');
    // half-close: the server sees the end, answers, and ends its side, which reaches the client
    const rest = readUntil(s, (t) => t.includes('bye'));
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    s.end();
    expect(await rest).toBe('bye');
    await ended;
    expect(b.got.ended).toBe(true);
  });

  it('a tunnel closed by the server closes the client connection', async () => {
    const b = await backend();
    b.server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nhi');
      socket.on('data', () => socket.destroy());
    });
    const { p } = await mosnWith(wsConfig(b.address));
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write(FOO_REQUEST);
    await readUntil(s, (t) => t.endsWith('hi'));
    const gone = new Promise<void>((r) => s.once('close', () => r()));
    s.write('x');
    await gone;
  });

  it('an idle tunnel is closed by the listener idle timeout', async () => {
    const b = await fooBackend();
    const { p } = await mosnWith(wsConfig(b.address, { listener: { connection_idle_timeout: '500ms' } }));
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write(FOO_REQUEST);
    await readUntil(s, (t) => t.includes('server-first;'));
    await new Promise<void>((r) => s.once('close', () => r()));
  });

  it('stops reading the upstream side of a tunnel while the client does not read', async () => {
    const total = 128 * 1024 * 1024;
    let written = 0;
    const b = await backend();
    b.server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n');
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    const { p } = await mosnWith(wsConfig(b.address));
    const s = net.connect(p, '127.0.0.1');
    cleanups.push(() => void s.destroy());
    s.write(FOO_REQUEST);
    s.pause();
    await new Promise((r) => setTimeout(r, 1000));
    // kernel buffers on both hops plus mosn's 1 MiB limits: far below the 128 MiB sent into the tunnel
    expect(written).toBeLessThan(48 * 1024 * 1024);
    let n = 0;
    await new Promise<void>((resolve) => {
      s.on('data', (c: Buffer) => (n += c.length));
      s.on('end', () => resolve());
      s.resume();
    });
    const head = 'HTTP/1.1 101 Switching Protocols\r\n'.length;
    expect(n).toBeGreaterThan(total + head);
    expect(n).toBeLessThan(total + 512);
  });

  it('an upgrade to h2c alone is declined: an ordinary HTTP/1.1 exchange, the connection kept', async () => {
    const seen: Array<string | undefined> = [];
    const settings: Array<string | undefined> = [];
    const b = await backend((req, res) => {
      seen.push(req.headers.upgrade);
      settings.push(req.headers['http2-settings'] as string | undefined);
      res.end(`plain ${req.url}`);
    });
    const { p } = await mosnWith(wsConfig(b.address));
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    // curl --http2 on http:// sends this; a pipelined request follows in the same write
    s.write('GET /one HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n');
    const text = await readUntil(s, (t) => t.endsWith('plain /two'));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('plain /one');
    expect(text).not.toContain('101');
    expect(seen).toEqual([undefined, undefined]);
    // HTTP2-Settings belongs to the declined upgrade of this hop: not forwarded
    expect(settings).toEqual([undefined, undefined]);
  });

  it('CONNECT is answered 501 and the connection closed', async () => {
    const b = await backend();
    const { p } = await mosnWith(wsConfig(b.address));
    const r = await rawExchange(p, 'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n\x16\x03\x01');
    expect(r.text).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(r.text.toLowerCase()).toContain('connection: close');
    expect(r.closed).toBe(true);
    expect(b.opened()).toBe(0);
  });
});
