import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, get, httpBackend, port, startMosn } from './helpers.js';

/*
 * client → mosn → server over HTTP/2 (h2c), HTTP/1 → HTTP/2 and HTTP/2 → HTTP/1, through the runtime with
 * `downstream_protocol: "Auto"` (the HTTP/2 preface detected) and the route's upstream protocol.
 */
export function mosnConfig(upstreamProtocol: 'Http1' | 'Http2', upstream: string): unknown {
  return {
    servers: [
      {
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Auto', upstream_protocol: upstreamProtocol, router_config_name: 'r' } }] }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: upstream }] }] },
  };
}

const cleanups = cleanupAfterEach();

/** mosn (the real runtime, in-process) with one Auto listener and cluster `c` at `upstream`. */
async function startProxy(upstreamProtocol: 'Http1' | 'Http2', upstream: { port: number }): Promise<number> {
  const mosn = await startMosn(mosnConfig(upstreamProtocol, `127.0.0.1:${upstream.port}`));
  cleanups.push(() => mosn.stop(0));
  return port(mosn.listenerAddress('l'));
}

/** A plain node:http2 upstream that counts its sessions. */
async function h2Upstream(onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const server = http2.createServer();
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
  return { port: (server.address() as { port: number }).port, sessions };
}

function h2Client(port: number): http2.ClientHttp2Session {
  const c = http2.connect(`http://127.0.0.1:${port}`);
  c.on('error', () => {});
  cleanups.push(() => c.destroy());
  return c;
}

interface Reply {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  rstCode: number;
}

function exchange(req: http2.ClientHttp2Stream): Promise<Reply> {
  return new Promise((resolve) => {
    let headers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('close', () => resolve({ headers, body: Buffer.concat(chunks), rstCode: req.rstCode ?? 0 }));
  });
}

const MiB = 1024 * 1024;
const TOTAL = 64 * MiB;
const CHUNK = 64 * 1024;
const chunkAt = (i: number) => Buffer.alloc(CHUNK, i & 0xff);

/** Write TOTAL bytes with backpressure; `sent()` says how far it got. */
function pump(w: http2.Http2Stream): { sent: () => number } {
  let i = 0;
  const next = () => {
    while (i * CHUNK < TOTAL) {
      const c = chunkAt(i++);
      if (i * CHUNK >= TOTAL) return void w.end(c);
      if (!w.write(c)) return void w.once('drain', next);
    }
  };
  next();
  return { sent: () => i * CHUNK };
}

function expectedSha(): string {
  const h = createHash('sha256');
  for (let i = 0; i * CHUNK < TOTAL; i++) h.update(chunkAt(i));
  return h.digest('hex');
}

describe('HTTP/2 through mosn', () => {
  it('serves curl --http2-prior-knowledge, and HTTP/1 on the same (Auto) listener', async () => {
    const up = await h2Upstream((stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-authority': String(headers[':authority']), 'x-method': String(headers[':method']) });
        stream.end(`got ${Buffer.concat(chunks).toString()} on ${headers[':path']}`);
      });
    });
    const p = await startProxy('Http2', up);
    const { stdout } = await promisify(execFile)('curl', ['-s', '-i', '--http2-prior-knowledge', '-H', 'Host: curl.test', '-d', 'hello', `http://127.0.0.1:${p}/c?x=1`]);
    expect(stdout).toMatch(/^HTTP\/2 200/);
    expect(stdout).toContain('x-authority: curl.test');
    expect(stdout).toContain('x-method: POST');
    expect(stdout.endsWith('got hello on /c?x=1')).toBe(true);
    // HTTP/1 → HTTP/2: host becomes :authority, hop-by-hop fields go.
    const r = await get(p, '/h1', { method: 'POST', body: 'from h1', headers: { host: 'h1.test', 'content-length': '7' } });
    expect(r.status).toBe(200);
    expect(r.headers['x-authority']).toBe('h1.test');
    expect(r.body).toBe('got from h1 on /h1');
  });

  it('carries HTTP/2 downstream to an HTTP/1 upstream', async () => {
    const b = await httpBackend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-host', String(req.headers.host));
        res.setHeader('x-version', req.httpVersion);
        res.end(Buffer.concat(chunks));
      });
    });
    cleanups.push(b.close);
    const p = await startProxy('Http1', { port: Number(b.address.split(':')[1]) });
    const req = h2Client(p).request({ ':method': 'PUT', ':path': '/to-h1', ':authority': 'h2.test' });
    req.end('h2 body');
    const r = await exchange(req);
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['x-host']).toBe('h2.test');
    expect(r.headers['x-version']).toBe('1.1');
    expect(r.body.toString()).toBe('h2 body');
  });

  it('moves 64 MiB down to a client that stops reading, holding the upstream back', async () => {
    let source: { sent: () => number } | undefined;
    const up = await h2Upstream((stream) => {
      stream.respond({ ':status': 200 });
      source = pump(stream);
    });
    const p = await startProxy('Http2', up);
    const req = h2Client(p).request({ ':path': '/download' });
    req.pause();
    const h = createHash('sha256');
    let got = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      got += c.length;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(source!.sent()).toBeLessThan(16 * MiB); // flow control all the way back to the upstream
    const done = new Promise((r) => req.on('end', r));
    req.resume();
    await done;
    expect(got).toBe(TOTAL);
    expect(h.digest('hex')).toBe(expectedSha());
  });

  it('moves 64 MiB up to an upstream that stops reading, holding the client back', async () => {
    let upStream: http2.ServerHttp2Stream | undefined;
    const up = await h2Upstream((stream) => {
      upStream = stream;
      stream.pause();
      const h = createHash('sha256');
      let got = 0;
      stream.on('data', (c: Buffer) => {
        h.update(c);
        got += c.length;
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`${got} ${h.digest('hex')}`);
      });
    });
    const p = await startProxy('Http2', up);
    const req = h2Client(p).request({ ':method': 'POST', ':path': '/upload' });
    const reply = exchange(req);
    const sink = pump(req);
    await new Promise((r) => setTimeout(r, 500));
    expect(upStream).toBeDefined();
    expect(sink.sent()).toBeLessThan(16 * MiB);
    upStream!.resume();
    const r = await reply;
    expect(r.body.toString()).toBe(`${TOTAL} ${expectedSha()}`);
  });

  it('resets the client stream when the upstream resets after the response started; 502 before', async () => {
    const up = await h2Upstream((stream, headers) => {
      if (headers[':path'] === '/early') return void stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      stream.respond({ ':status': 200 });
      stream.write('partial');
      // destroy(): a bare RST_STREAM (Node's close(code) sends END_STREAM first when the request has ended)
      setTimeout(() => stream.destroy(new Error('upstream gives up')), 50);
    });
    const p = await startProxy('Http2', up);
    const c = h2Client(p);
    const lateReq = c.request({ ':path': '/late' });
    let looksComplete = false; // END_STREAM before the RST_STREAM would make the cut response look whole
    lateReq.on('end', () => (looksComplete = !lateReq.aborted && !lateReq.rstCode));
    const late = await exchange(lateReq);
    expect(late.headers[':status']).toBe(200);
    expect(late.body.toString()).toBe('partial');
    expect(late.rstCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
    expect(looksComplete).toBe(false);
    const early = await exchange(c.request({ ':path': '/early' }));
    expect(early.headers[':status']).toBe(502);
  });

  it('follows an upstream GOAWAY: the stream in flight finishes, new requests open a new session', async () => {
    const held: http2.ServerHttp2Stream[] = [];
    const up = await h2Upstream((stream, headers) => {
      if (headers[':path'] === '/held') return void held.push(stream);
      stream.respond({ ':status': 200 });
      stream.end('fresh');
    });
    const p = await startProxy('Http2', up);
    const c = h2Client(p);
    const first = exchange(c.request({ ':path': '/held' }));
    await expect.poll(() => held.length).toBe(1);
    up.sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR, held[0]!.id!);
    await new Promise((r) => setTimeout(r, 50));
    expect((await exchange(c.request({ ':path': '/next' }))).body.toString()).toBe('fresh');
    expect(up.sessions.length).toBe(2);
    held[0]!.respond({ ':status': 200 });
    held[0]!.end('held');
    expect((await first).body.toString()).toBe('held');
    await expect.poll(() => up.sessions[0]!.closed).toBe(true);
  });
});

const PROTO = `
syntax = "proto3";
package e2e;
service Echo {
  rpc Unary (Msg) returns (Msg);
  rpc Count (Msg) returns (stream Msg);
  rpc Sum (stream Msg) returns (Msg);
  rpc Chat (stream Msg) returns (stream Msg);
}
message Msg { string text = 1; int32 n = 2; }
`;

interface Msg {
  text?: string;
  n?: number;
}

type CallFn = (...args: any[]) => any;
type EchoClient = grpc.Client & { Unary: CallFn; Count: CallFn; Sum: CallFn; Chat: CallFn };

/** A grpc-js server behind `hops` mosn in a row (h2c on every hop), and a client of the first. */
async function grpcSetup(hops = 1) {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-h2-'));
  writeFileSync(join(dir, 'echo.proto'), PROTO);
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, 'echo.proto'))) as any;
  const cancelled: string[] = [];
  const server = new grpc.Server();
  server.addService(def.e2e.Echo.service, {
    Unary(call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      const text = call.request.text ?? '';
      call.on('cancelled', () => cancelled.push(text));
      if (text === 'fail') {
        const md = new grpc.Metadata();
        md.set('x-why', 'because');
        return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'bad input: ü 100% wrong', metadata: md });
      }
      if (text === 'slow' || text === 'hang') return; // never answered
      cb(null, { text: `echo:${text}` });
    },
    Count(call: grpc.ServerWritableStream<Msg, Msg>) {
      for (let i = 0; i < (call.request.n ?? 0); i++) call.write({ n: i });
      call.end();
    },
    Sum(call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      let sum = 0;
      call.on('data', (m: Msg) => (sum += m.n ?? 0));
      call.on('end', () => cb(null, { n: sum }));
    },
    Chat(call: grpc.ServerDuplexStream<Msg, Msg>) {
      call.on('data', (m: Msg) => call.write({ text: `re:${m.text}` }));
      call.on('end', () => call.end());
    },
  });
  const upPort = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? rej(e) : res(port))));
  cleanups.push(() => server.forceShutdown());
  let p = upPort;
  for (let i = 0; i < hops; i++) p = await startProxy('Http2', { port: p });
  const client = new def.e2e.Echo(`127.0.0.1:${p}`, grpc.credentials.createInsecure()) as EchoClient;
  cleanups.push(() => client.close());
  return { client, cancelled };
}

const unary = (c: EchoClient, m: Msg, opts: grpc.CallOptions = {}) =>
  new Promise<{ err: grpc.ServiceError | null; res?: Msg }>((resolve) => c.Unary(m, opts, (err: grpc.ServiceError | null, res?: Msg) => resolve({ err, ...(res ? { res } : {}) })));

describe('gRPC (grpc-js, h2c) through mosn', () => {
  it('unary, server streaming, client streaming, bidi', async () => {
    const { client } = await grpcSetup();
    expect((await unary(client, { text: 'hi' })).res?.text).toBe('echo:hi');

    const counted: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.Count({ n: 50 });
      call.on('data', (m: Msg) => counted.push(m.n ?? 0));
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(counted).toEqual(Array.from({ length: 50 }, (_, i) => i));

    const sum = await new Promise<Msg>((resolve, reject) => {
      const call = client.Sum((err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
      for (let i = 1; i <= 100; i++) call.write({ n: i });
      call.end();
    });
    expect(sum.n).toBe(5050);

    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.Chat();
      call.on('data', (m: Msg) => {
        replies.push(m.text ?? '');
        if (replies.length < 5) call.write({ text: `m${replies.length}` });
        else call.end();
      });
      call.on('error', reject);
      call.on('end', resolve);
      call.write({ text: 'm0' });
    });
    expect(replies).toEqual(['re:m0', 're:m1', 're:m2', 're:m3', 're:m4']);
  });

  it('through two mosn hops (mesh): unary, server streaming, bidi, a thrown status with metadata, a deadline', async () => {
    const { client, cancelled } = await grpcSetup(2);
    const unaries = await Promise.all(Array.from({ length: 20 }, (_, i) => unary(client, { text: `m${i}` })));
    expect(unaries.map((u) => u.res?.text)).toEqual(Array.from({ length: 20 }, (_, i) => `echo:m${i}`));
    const counted: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.Count({ n: 30 });
      call.on('data', (m: Msg) => counted.push(m.n ?? 0));
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(counted).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.Chat();
      call.on('data', (m: Msg) => {
        replies.push(m.text ?? '');
        if (replies.length < 3) call.write({ text: `c${replies.length}` });
        else call.end();
      });
      call.on('error', reject);
      call.on('end', resolve);
      call.write({ text: 'c0' });
    });
    expect(replies).toEqual(['re:c0', 're:c1', 're:c2']);
    const { err } = await unary(client, { text: 'fail' });
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('bad input: ü 100% wrong');
    expect(err?.metadata.get('x-why')).toEqual(['because']);
    const slow = await unary(client, { text: 'slow' }, { deadline: Date.now() + 300 });
    expect(slow.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => cancelled).toContain('slow');
  });

  it('passes a thrown status, its grpc-message and trailing metadata through untouched', async () => {
    const { client } = await grpcSetup();
    const { err } = await unary(client, { text: 'fail' });
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('bad input: ü 100% wrong');
    expect(err?.metadata.get('x-why')).toEqual(['because']);
  });

  it('ends a call at its deadline and cancels the upstream call', async () => {
    const { client, cancelled } = await grpcSetup();
    const { err } = await unary(client, { text: 'slow' }, { deadline: Date.now() + 300 });
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => cancelled).toContain('slow');
  });

  it('resets the upstream stream when the client cancels', async () => {
    const { client, cancelled } = await grpcSetup();
    let call: grpc.ClientUnaryCall | undefined;
    const result = new Promise<grpc.ServiceError | null>((resolve) => {
      call = client.Unary({ text: 'hang' }, (err: grpc.ServiceError | null) => resolve(err));
    });
    await new Promise((r) => setTimeout(r, 200));
    call!.cancel();
    expect((await result)?.code).toBe(grpc.status.CANCELLED);
    await expect.poll(() => cancelled).toContain('hang');
  });
});
