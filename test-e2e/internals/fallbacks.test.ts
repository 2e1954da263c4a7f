import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { closedPort, cluster, httpBackend } from '../helpers.js';
import { mosnJson, pathRouter, proxyListener, startMosnProcess, type LogLine, type MosnProcess } from '../reload/support.js';

/*
 * mosn (its own process) on the fallbacks of the Node internals it relies on (issue 17):
 * - `MOSN_HTTP1_PARSER=wasm`: HTTP/1 parsed by undici's llhttp build (wasm) instead of Node's binding. The messages
 *   here are the ones mosn's JavaScript fast path leaves to llhttp (split heads, chunked bodies and trailers,
 *   pipelined requests, upgrades, more than 32 fields, QUERY, malformed and oversized heads), on a keep-alive
 *   connection, on pipelined ones and through a WebSocket.
 * - a Node whose internals changed (simulated by break-internals.cjs, preloaded): the start-up self-test says so in
 *   one warn line per internal (the internal, the Node version, what is used instead), counts it, and mosn serves
 *   the same traffic on the fallbacks (the wasm parser, connections on net.Socket). With the broken binding still
 *   in use, no chunked request would get an answer.
 */

const cleanups: Array<() => unknown> = [];
let backend: Awaited<ReturnType<typeof httpBackend>>;
const PRELOAD = fileURLToPath(new URL('./break-internals.cjs', import.meta.url));

beforeAll(async () => {
  backend = await httpBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      if (req.url === '/chunked-answer') {
        res.writeHead(200, { 'transfer-encoding': 'chunked', trailer: 'x-sum' });
        res.write(`got ${body.length} bytes;`);
        res.addTrailers({ 'x-sum': `len-${body.length}` });
        res.end(' done');
        return;
      }
      // one line that says what the backend saw
      const te = req.headers['transfer-encoding'] ?? '-';
      res.end(`${req.method} ${req.url} te=${te} fields=${req.rawHeaders.length / 2} trailer=${req.trailers['x-req'] ?? '-'} body=${body}|`);
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  backend.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  });
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await backend.close();
});

async function startMosn(opts: { env?: Record<string, string>; nodeArgs?: string[] }): Promise<{ mosn: MosnProcess; port: number }> {
  const admin = await closedPort();
  const config = mosnJson({ admin, listeners: [proxyListener('l', 0, 'Http1', 'r')], routers: [pathRouter('r', 'c')], clusters: [cluster('c', [backend.address])] });
  const mosn = await startMosnProcess(config, cleanups, opts);
  const started = mosn.logs().find((l) => l.msg === 'mosn started') as LogLine & { listeners: string[] };
  const port = Number(started.listeners[0]!.split(':').at(-1));
  return { mosn, port };
}

/** Write `pieces` on one connection, a pause after each (so that each is its own read), then read until mosn closes. */
async function exchange(port: number, pieces: string[]): Promise<{ text: string; closed: boolean }> {
  const s = net.connect(port, '127.0.0.1');
  cleanups.push(() => s.destroy());
  await once(s, 'connect');
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => {});
  const closed = new Promise<true>((r) => s.on('close', () => r(true)));
  for (const p of pieces) {
    s.write(p);
    await sleep(30);
  }
  const wasClosed = await Promise.race([closed, sleep(5000).then(() => false as const)]);
  s.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), closed: wasClosed };
}

/** The backend's lines, in the order the responses came (`fields` counts the `connection` field mosn sends upstream). */
const seen = (text: string) => [...text.matchAll(/([A-Z-]+ \S+ te=\S+ fields=\d+ trailer=\S+ body=[^|]*)\|/g)].map((m) => m[1]);

/** HTTP/1 traffic that reaches llhttp in mosn (the fast path takes none of it), each answer checked. */
async function exerciseHttp1(port: number): Promise<void> {
  // keep-alive, heads split across reads, chunked bodies both ways with trailers
  const keepAlive = await exchange(port, [
    'POST /one HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n',
    '5\r\nhello\r\n0\r\nx-req: t1\r\n\r\n',
    'GET /tw',
    'o HTTP/1.1\r\nHo',
    'st: h\r\n\r\n',
    'POST /chunked-answer HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  ]);
  expect(seen(keepAlive.text)).toEqual(['POST /one te=chunked fields=3 trailer=t1 body=hello', 'GET /two te=- fields=2 trailer=- body=']);
  expect(keepAlive.text).toMatch(/transfer-encoding: chunked\r\n/i);
  expect(keepAlive.text).toMatch(/got 3 bytes;\r\n5\r\n done\r\n0\r\nx-sum: len-3\r\n\r\n$/);
  expect(keepAlive.closed).toBe(true);

  // pipelined: three requests in one write, a chunked one in the middle, answered in order
  const pipelined = await exchange(port, [
    [
      'GET /p1 HTTP/1.1\r\nHost: h\r\n\r\n',
      'POST /p2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
      'GET /p3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    ].join(''),
  ]);
  expect(seen(pipelined.text)).toEqual(['GET /p1 te=- fields=2 trailer=- body=', 'POST /p2 te=chunked fields=3 trailer=- body=hi', 'GET /p3 te=- fields=2 trailer=- body=']);

  // more than 32 fields (llhttp hands them over early), and QUERY (llhttp's method 46)
  const fields = Array.from({ length: 40 }, (_, i) => `x-f${i}: ${i}\r\n`).join('');
  const many = await exchange(port, [`QUERY /q HTTP/1.1\r\nHost: h\r\n${fields}Content-Length: 2\r\nConnection: close\r\n\r\n{}`]);
  expect(seen(many.text)).toEqual(['QUERY /q te=- fields=43 trailer=- body={}']);

  // a node:http client on one keep-alive connection, chunked request bodies
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => agent.destroy());
  const reused: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: `/ka${i}`, method: 'POST', agent }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.on('socket', () => reused.push(req.reusedSocket));
      req.write('part-a ');
      req.end('part-b');
    });
    expect(answer).toBe(`POST /ka${i} te=chunked fields=3 trailer=- body=part-a part-b|`);
  }
  expect(reused).toEqual([false, true, true]);

  // an upgrade: a WebSocket through mosn
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  cleanups.push(() => ws.terminate());
  await once(ws, 'open');
  const echoed = once(ws, 'message');
  ws.send('through the tunnel');
  expect(String((await echoed)[0])).toBe('through the tunnel');
  ws.close();

  // malformed and oversized heads: 400 and 431, that connection closed
  const bad = await exchange(port, ['GET / HTTP/1.1\r\nHost h\r\nBad Header Line\r\n\r\n']);
  expect(bad.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(bad.closed).toBe(true);
  const badChunk = await exchange(port, ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']);
  expect(badChunk.text).toMatch(/^HTTP\/1\.1 400 /);
  const big = await exchange(port, [`GET /${'a'.repeat(64 * 1024)} HTTP/1.1\r\n\r\n`]);
  expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
}

describe('MOSN_HTTP1_PARSER=wasm: HTTP/1 on the wasm llhttp', () => {
  it('says so at start, and proxies keep-alive, split heads, chunked bodies and trailers, pipelining, upgrades, errors', async () => {
    const { mosn, port } = await startMosn({ env: { MOSN_HTTP1_PARSER: 'wasm' } });
    const done = mosn.logs().find((l) => l.msg === 'self-test of Node internals done');
    expect(done).toMatchObject({ checks: { http1_parser: "off (undici's llhttp built to WebAssembly)", libuv_stream_handle: 'ok', http2_session_handle: 'ok' } });
    expect(mosn.logs().filter((l) => l.level === 40)).toEqual([]);
    await exerciseHttp1(port);
    const stats = await mosn.stats();
    expect(stats['listener.l.downstream_protocol_error']).toBe(3);
    expect(mosn.running()).toBe(true);
  });
});

describe('a Node whose internals changed (break-internals.cjs)', () => {
  it('the self-test warns once per internal and counts it; mosn serves on the fallbacks', async () => {
    const { mosn, port } = await startMosn({ nodeArgs: ['--require', PRELOAD] });
    const warns = mosn.logs().filter((l) => l.level === 40);
    expect(warns).toEqual([
      expect.objectContaining({
        check: 'libuv_stream_handle',
        internal: "process.binding('stream_wrap') (libuv stream handles driven directly)",
        node: process.version,
        problem: 'the binding is missing or has changed',
        instead: 'net.Socket for every connection',
      }),
      expect.objectContaining({
        check: 'http1_parser',
        internal: "node:_http_common HTTPParser (Node's llhttp binding)",
        node: process.version,
        problem: expect.stringMatching(/^chunked request with trailers, then a pipelined one: got /),
        instead: "undici's llhttp built to WebAssembly",
        msg: `self-test: node:_http_common HTTPParser (Node's llhttp binding) does not work as expected on Node ${process.version}; mosn uses undici's llhttp built to WebAssembly instead`,
      }),
    ]);
    expect(mosn.logs().find((l) => l.msg === 'self-test of Node internals done')).toMatchObject({
      checks: { libuv_stream_handle: 'failed', http1_parser: 'failed', http2_session_handle: 'ok' },
    });
    const stats = await mosn.stats();
    expect(stats['process.self_test_failed.http1_parser']).toBe(1);
    expect(stats['process.self_test_failed.libuv_stream_handle']).toBe(1);
    expect(stats['process.self_test_failed.http2_session_handle']).toBeUndefined();
    await exerciseHttp1(port);
    expect(mosn.running()).toBe(true);
  });
});
