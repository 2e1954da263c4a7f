import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { cleanupAfterEach, cluster, httpBackend, httpProxyConfig, startMosnWithCleanup } from '../helpers.js';
import { decodeResponse as decodeBolt, encodeRequest as encodeBolt, SERVICE, splitFrames, startRpcServer, type RawFrame } from '../bolt/peers.js';
import { certsForFile, clusterTlsContext, echoThrough, serverTlsContext, sha256, tcpEchoServer, tlsConnect, withListenerTls } from './support.js';

// Protocols over TLS through mosn, with their own clients and servers: gRPC (grpc-js) with TLS on the listener and
// TLS to the upstream, tcp_proxy with TLS on either side, WebSocket (ws) over wss://, and an Auto listener that
// detects HTTP/1.1, HTTP/2 and Bolt after the TLS handshake.

const certs = certsForFile();
const cleanups = cleanupAfterEach();

// ---------------------------------------------------------------------------------------------------------
// gRPC

const PROTO = `
syntax = "proto3";
package tlse2e;
service Echo {
  rpc Unary (Msg) returns (Msg);
  rpc Count (Msg) returns (stream Msg);
}
message Msg { string text = 1; int32 n = 2; }
`;

interface Msg {
  text?: string;
  n?: number;
}
type CallFn = (...args: any[]) => any;
type EchoClient = grpc.Client & { Unary: CallFn; Count: CallFn };

function echoDefinition(): any {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-tls-grpc-'));
  try {
    writeFileSync(join(dir, 'echo.proto'), PROTO);
    return grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, 'echo.proto')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A grpc-js Echo server on 127.0.0.1:0 with `creds`; records the peer certificate CN seen on each call (TLS only). */
async function grpcServer(creds: grpc.ServerCredentials): Promise<{ port: number; calls: () => number }> {
  const def = echoDefinition();
  let calls = 0;
  const server = new grpc.Server();
  server.addService(def.tlse2e.Echo.service, {
    Unary(call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      calls++;
      const text = call.request.text ?? '';
      if (text === 'fail') {
        const md = new grpc.Metadata();
        md.set('x-why', 'because');
        return cb({ code: grpc.status.FAILED_PRECONDITION, details: 'refused: ü 100%', metadata: md });
      }
      const md = new grpc.Metadata();
      md.set('x-unary-trailer', 'done');
      cb(null, { text: `echo:${text}` }, md);
    },
    Count(call: grpc.ServerWritableStream<Msg, Msg>) {
      calls++;
      for (let i = 0; i < (call.request.n ?? 0); i++) call.write({ n: i, text: 'x'.repeat(1000) });
      const md = new grpc.Metadata();
      md.set('x-count', String(call.request.n ?? 0));
      call.end(md);
    },
  });
  const p = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', creds, (e, port) => (e ? rej(e) : res(port))));
  cleanups.push(() => server.forceShutdown());
  return { port: p, calls: () => calls };
}

function grpcClient(p: number, creds: grpc.ChannelCredentials): EchoClient {
  const def = echoDefinition();
  // the certificate is for localhost: connect to 127.0.0.1 and verify (and send SNI) as localhost
  const options = creds._isSecure() ? { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' } : {};
  const client = new def.tlse2e.Echo(`127.0.0.1:${p}`, creds, options) as EchoClient;
  cleanups.push(() => client.close());
  return client;
}

const unary = (c: EchoClient, m: Msg) =>
  new Promise<{ err: grpc.ServiceError | null; res?: Msg; trailers?: grpc.Metadata }>((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = c.Unary(m, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res?: Msg) =>
      // the callback runs before 'status': wait one turn for the trailers
      setImmediate(() => resolve({ err, ...(res ? { res } : {}), ...(trailers ? { trailers } : {}) })),
    );
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });

function count(c: EchoClient, n: number): Promise<{ ns: number[]; status: grpc.StatusObject }> {
  return new Promise((resolve, reject) => {
    const ns: number[] = [];
    const call = c.Count({ n }, { deadline: Date.now() + 10_000 });
    call.on('data', (m: Msg) => ns.push(m.n ?? 0));
    call.on('error', reject);
    call.on('status', (status: grpc.StatusObject) => resolve({ ns, status }));
  });
}

/** Unary (answer and trailers), a status with metadata, and server streaming (every message, status and trailers). */
async function expectGrpcWorks(client: EchoClient): Promise<void> {
  const ok = await unary(client, { text: 'hi' });
  expect(ok.err).toBeNull();
  expect(ok.res?.text).toBe('echo:hi');
  expect(ok.trailers?.get('x-unary-trailer')).toEqual(['done']);

  const failed = await unary(client, { text: 'fail' });
  expect(failed.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
  expect(failed.err?.details).toBe('refused: ü 100%');
  expect(failed.err?.metadata.get('x-why')).toEqual(['because']);

  const streamed = await count(client, 200);
  expect(streamed.ns).toEqual(Array.from({ length: 200 }, (_, i) => i));
  expect(streamed.status.code).toBe(grpc.status.OK);
  expect(streamed.status.metadata.get('x-count')).toEqual(['200']);

  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => unary(client, { text: `m${i}` })));
  expect(many.map((u) => u.res?.text)).toEqual(Array.from({ length: 50 }, (_, i) => `echo:m${i}`));
}

/** An HTTP proxy listener `l` (`downstream`) sending everything upstream over `upstream` to cluster `c`. */
function proxyConfig(downstream: string, upstream: string, hosts: string[], clusterExtra: Record<string, unknown> = {}) {
  return httpProxyConfig({
    downstreamProtocol: downstream,
    upstreamProtocol: upstream,
    routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
    clusters: [cluster('c', hosts, clusterExtra)],
  });
}

describe('gRPC over TLS (grpc-js)', () => {
  it.each(['Http2', 'Auto'])('credentials.createSsl(ca) → mosn (%s listener, TLS) → h2c grpc-js server: unary, streaming, statuses and trailers', async (downstream) => {
    const up = await grpcServer(grpc.ServerCredentials.createInsecure());
    const { mosn, p } = await startMosnWithCleanup(withListenerTls(proxyConfig(downstream, 'Http2', [`127.0.0.1:${up.port}`]), { tls_context: serverTlsContext(certs()) }), cleanups);
    await expectGrpcWorks(grpcClient(p, grpc.credentials.createSsl(Buffer.from(certs().ca.cert))));
    expect(up.calls()).toBe(53);

    // a client that trusts another CA does not get through (node's TLS client checks the certificate after
    // OpenSSL's handshake and then closes: mosn does not see a failed handshake, only a closed connection)
    const distrustful = grpcClient(p, grpc.credentials.createSsl(Buffer.from(certs().otherCa.cert)));
    const refused = await unary(distrustful, { text: 'hi' });
    expect(refused.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(up.calls()).toBe(53);
    expect(mosn.stats.get('listener.l.downstream_rq_total') ?? 0).toBe(53);
  });

  it.each([
    ['ALPN from the pool (h2)', {}],
    ['alpn "h2" configured', { alpn: 'h2' }],
  ])('h2c client → mosn → grpc-js server with ServerCredentials.createSsl (cluster tls_context, %s)', async (_label, extra) => {
    const up = await grpcServer(grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(certs().server.cert), private_key: Buffer.from(certs().server.key) }], false));
    const { p } = await startMosnWithCleanup(proxyConfig('Http2', 'Http2', [`127.0.0.1:${up.port}`], { tls_context: clusterTlsContext(certs(), undefined, extra) }), cleanups);
    await expectGrpcWorks(grpcClient(p, grpc.credentials.createInsecure()));
    expect(up.calls()).toBe(53);
  });

  it('TLS on both sides, mutual TLS upstream: the grpc-js server requires the client certificate mosn presents', async () => {
    const creds = grpc.ServerCredentials.createSsl(Buffer.from(certs().ca.cert), [{ cert_chain: Buffer.from(certs().server.cert), private_key: Buffer.from(certs().server.key) }], true);
    const up = await grpcServer(creds);
    const config = proxyConfig('Http2', 'Http2', [`127.0.0.1:${up.port}`], { tls_context: clusterTlsContext(certs(), certs().client) });
    const { p } = await startMosnWithCleanup(withListenerTls(config, { tls_context: serverTlsContext(certs()) }), cleanups);
    await expectGrpcWorks(grpcClient(p, grpc.credentials.createSsl(Buffer.from(certs().ca.cert))));
    expect(up.calls()).toBe(53);
  });

  // BUG (mosn-ts): with TLS 1.3 the client's side of the handshake completes before the server has checked the
  // client certificate; the server then sends its alert and closes. mosn's HTTP/2 upstream connection does not
  // notice that close while it waits for the server's SETTINGS: the request waits the whole connect_timeout and
  // is answered 502 "upstream connect timed out" (counted as upstream_cx_connect_timeout). An HTTP/1 upstream
  // in the same situation is answered 502 at once; so is any HTTP/2 upstream that closes before its SETTINGS
  // (plain h2c included).
  it('an HTTP/2 upstream that refuses mosn without a client certificate: the call fails at once (UNAVAILABLE), not after connect_timeout', async () => {
    const creds = grpc.ServerCredentials.createSsl(Buffer.from(certs().ca.cert), [{ cert_chain: Buffer.from(certs().server.cert), private_key: Buffer.from(certs().server.key) }], true);
    const up = await grpcServer(creds);
    const anonymous = await startMosnWithCleanup(
      proxyConfig('Http2', 'Http2', [`127.0.0.1:${up.port}`], { connect_timeout: '3s', tls_context: clusterTlsContext(certs()) }),
      cleanups,
    );
    const t0 = Date.now();
    const refused = await unary(grpcClient(anonymous.p, grpc.credentials.createInsecure()), { text: 'hi' });
    const elapsed = Date.now() - t0;
    expect(refused.err?.code, refused.err?.message).toBe(grpc.status.UNAVAILABLE);
    expect(up.calls()).toBe(0);
    expect(anonymous.mosn.stats.get('cluster.c.upstream_cx_connect_timeout') ?? 0, 'counted as a connect timeout').toBe(0);
    expect(elapsed, `answered after ${elapsed} ms: ${refused.err?.details}`).toBeLessThan(1500);
  });
});

// ---------------------------------------------------------------------------------------------------------
// tcp_proxy

function tcpProxyConfig(backend: string, o: { listenerTls?: Record<string, unknown>; clusterTls?: Record<string, unknown> }) {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ ...(o.listenerTls ? { tls_context: o.listenerTls } : {}), filters: [{ type: 'tcp_proxy', config: { cluster: 'c' } }] }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [cluster('c', [backend], o.clusterTls ? { tls_context: o.clusterTls } : {})] },
  };
}

describe('tcp_proxy and TLS', () => {
  it('a TLS listener: node:tls clients → mosn → a plaintext TCP echo server, 4 MiB each, byte for byte', async () => {
    const echo = await tcpEchoServer();
    cleanups.push(echo.close);
    const { mosn, p } = await startMosnWithCleanup(tcpProxyConfig(`127.0.0.1:${echo.port}`, { listenerTls: serverTlsContext(certs()) }), cleanups);
    const data = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
    const results = await Promise.all(
      [0, 1, 2].map(async () => {
        const s = await tlsConnect(p, { ca: certs().ca.cert, servername: 'localhost' });
        cleanups.push(() => s.destroy());
        expect(s.authorized).toBe(true);
        return echoThrough(s, data);
      }),
    );
    for (const r of results) expect(r).toEqual({ sha: sha256(data), bytes: data.length });
    expect(echo.connections()).toBe(3);
    // a plaintext client gets no bytes through to the echo server
    const plain = net.connect(p, '127.0.0.1');
    plain.on('error', () => {});
    cleanups.push(() => plain.destroy());
    plain.write('plain text, no ClientHello\r\n');
    await new Promise((r) => plain.once('close', r));
    expect(echo.connections()).toBe(3);
    expect(mosn.stats.get('listener.l.downstream_tls_handshake_failed')).toBeGreaterThanOrEqual(1);
  });

  it('a TLS upstream cluster (mTLS): a plaintext client → mosn → a node:tls echo server that requires the client certificate', async () => {
    const seen: Array<{ cn: string; sni: string | false; authorized: boolean }> = [];
    const server = tls.createServer({ cert: certs().server.cert, key: certs().server.key, ca: certs().ca.cert, requestCert: true, rejectUnauthorized: true, allowHalfOpen: true }, (s) => {
      seen.push({ cn: String(s.getPeerCertificate().subject?.CN), sni: (s as tls.TLSSocket & { servername: string | false }).servername, authorized: s.authorized });
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const backend = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const { p } = await startMosnWithCleanup(tcpProxyConfig(backend, { clusterTls: clusterTlsContext(certs(), certs().client) }), cleanups);
    const data = Buffer.from('x'.repeat(1024 * 1024) + 'end');
    const s = net.connect({ port: p, host: '127.0.0.1', allowHalfOpen: true });
    cleanups.push(() => s.destroy());
    expect(await echoThrough(s, data)).toEqual({ sha: sha256(data), bytes: data.length });
    expect(seen).toEqual([{ cn: 'client', sni: 'localhost', authorized: true }]);

    // without the client certificate the server refuses mosn: the client's connection is closed, nothing echoed
    const anonymous = await startMosnWithCleanup(tcpProxyConfig(backend, { clusterTls: clusterTlsContext(certs()) }), cleanups);
    const refused = net.connect({ port: anonymous.p, host: '127.0.0.1', allowHalfOpen: true });
    cleanups.push(() => refused.destroy());
    const outcome = await echoThrough(refused, Buffer.from('hello?'), 10_000).catch((e: Error) => ({ error: e.message }));
    expect(outcome).not.toEqual({ sha: sha256(Buffer.from('hello?')), bytes: 6 });
    expect(seen).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// WebSocket

describe('WebSocket over TLS (ws)', () => {
  it('wss:// client with the CA → mosn (TLS listener) → ws server: the upgrade goes through, messages both ways', async () => {
    const b = await httpBackend((_req, res) => res.end('plain'));
    cleanups.push(b.close);
    const wss = new WebSocketServer({ noServer: true });
    const serverSockets: WebSocket[] = [];
    const upgrades: http.IncomingHttpHeaders[] = [];
    b.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      upgrades.push(req.headers);
      wss.handleUpgrade(req, socket, head, (ws) => {
        serverSockets.push(ws);
        ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${data.toString()}`, { binary: isBinary }));
        ws.send('hello from the server');
      });
    });
    cleanups.push(() => {
      for (const ws of serverSockets) ws.terminate();
      wss.close();
    });
    const config = proxyConfig('Http1', 'Http1', [b.address]);
    const { p } = await startMosnWithCleanup(withListenerTls(config, { tls_context: serverTlsContext(certs()) }), cleanups);

    const ws = new WebSocket(`wss://127.0.0.1:${p}/chat`, { ca: certs().ca.cert }); // verified by the certificate's IP SAN
    cleanups.push(() => ws.terminate());
    const received: Array<string | Buffer> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data, isBinary) => {
      received.push(isBinary ? Buffer.from(data as Buffer) : data.toString());
      for (const w of waiters.splice(0)) w();
    });
    const until = async (n: number) => {
      const end = Date.now() + 5000;
      while (received.length < n) {
        if (Date.now() > end) throw new Error(`${received.length} of ${n} messages: ${JSON.stringify(received)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    };
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    });
    expect((ws as unknown as { _socket: tls.TLSSocket })._socket.encrypted).toBe(true);
    expect(upgrades[0]!.upgrade).toBe('websocket');
    await until(1);
    expect(received[0]).toBe('hello from the server');

    const binary = Buffer.alloc(256 * 1024, 7);
    ws.send('one');
    ws.send(binary);
    ws.send('two');
    await until(4);
    expect(received.slice(1, 2)).toEqual(['echo:one']);
    expect(Buffer.isBuffer(received[2]) && (received[2] as Buffer).equals(binary)).toBe(true);
    expect(received[3]).toBe('echo:two');
    // the server speaks first again, unprompted
    serverSockets[0]!.send('push');
    await until(5);
    expect(received[4]).toBe('push');

    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.close(1000, 'bye');
    expect(await closed).toBe(1000);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Auto after TLS

/** Bolt over a TLS socket: write one request, read frames until its answer. */
function boltOverTls(s: tls.TLSSocket, id: number, args: unknown[]): Promise<RawFrame> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`no Bolt answer to ${id} in 5 s (${buf.length} bytes read)`)), 5000);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const { frames, error } = splitFrames(buf);
      if (error) reject(new Error(error));
      const f = frames.find((x) => x.requestId === id);
      if (f) {
        clearTimeout(timer);
        resolve(f);
      }
    });
    s.once('close', () => reject(new Error(`closed before the answer to ${id}`)));
    s.write(encodeBolt(id, { method: 'echo', args }));
  });
}

describe('an Auto listener over TLS detects the protocol after the handshake', () => {
  it('serves HTTP/1.1 (with and without ALPN), h2 (ALPN) and SOFARPC Bolt on one TLS port', async () => {
    const web = await httpBackend((req, res) => res.end(`web saw HTTP/${req.httpVersion} ${req.method} ${req.url}`));
    cleanups.push(web.close);
    const rpc = await startRpcServer('rpc');
    cleanups.push(rpc.close);
    const config = httpProxyConfig({
      downstreamProtocol: 'Auto',
      routes: [
        { match: { headers: [{ name: 'service', value: SERVICE }] }, route: { cluster_name: 'rpc', upstream_protocol: 'bolt' } },
        { match: { prefix: '/' }, route: { cluster_name: 'web', upstream_protocol: 'Http1' } },
      ],
      clusters: [cluster('rpc', [rpc.address]), cluster('web', [web.address])],
    });
    const { p } = await startMosnWithCleanup(withListenerTls(config, { tls_context: serverTlsContext(certs()) }), cleanups);

    // HTTP/1.1: node:https offers no ALPN (the first bytes decide), then with ALPN http/1.1
    for (const alpn of [undefined, ['http/1.1']]) {
      const r = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: p, path: `/h1?alpn=${alpn ? 'yes' : 'no'}`, ca: certs().ca.cert, servername: 'localhost', agent: false, ...(alpn ? { ALPNProtocols: alpn } : {}) },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), alpn: (res.socket as tls.TLSSocket).alpnProtocol }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(r).toEqual({ status: 200, body: `web saw HTTP/1.1 GET /h1?alpn=${alpn ? 'yes' : 'no'}`, alpn: alpn ? 'http/1.1' : false });
    }

    // h2, negotiated by ALPN
    const session = http2.connect(`https://127.0.0.1:${p}`, { ca: certs().ca.cert, servername: 'localhost' });
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const h2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = session.request({ ':path': '/h2' });
      let status = 0;
      const chunks: Buffer[] = [];
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
      req.on('error', reject);
      req.end();
    });
    expect(session.alpnProtocol).toBe('h2');
    expect(h2).toEqual({ status: 200, body: 'web saw HTTP/1.1 GET /h2' });

    // Bolt: no ALPN, the first bytes after the handshake are a Bolt frame
    const s = await tlsConnect(p, { ca: certs().ca.cert, servername: 'localhost' });
    cleanups.push(() => s.destroy());
    const frame = await boltOverTls(s, 4242, ['bolt over tls']);
    expect(frame.status).toBe(0);
    expect(decodeBolt(frame).appResponse).toBe('bolt over tls');
    const again = await boltOverTls(s, 4243, ['second on the same connection']);
    expect(decodeBolt(again).appResponse).toBe('second on the same connection');
    expect(rpc.requests.map((r) => r.args[0])).toEqual(['bolt over tls', 'second on the same connection']);
  });
});
