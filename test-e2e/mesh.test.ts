import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, get, httpBackend, proxyHop, requireTool } from './helpers.js';

/*
 * The service-mesh shape: client → mosn (client side) → mosn (server side) → server, each mosn a separate
 * runtime instance, for HTTP/2 (h2c on both hops), HTTP/1, and HTTP/1 carried over an HTTP/2 hop between the
 * two mosn. (configs/mosn_config.json's three HTTP/1 hops ending at a direct response: default-config.test.ts;
 * gRPC through two hops: http2.test.ts.)
 */

const run = promisify(execFile);
const cleanups = cleanupAfterEach();

/** One mosn: listener `l` speaking `down`, forwarding in `up` to 127.0.0.1:upstreamPort. Returns its port. */
const hop = (down: 'Http1' | 'Http2' | 'Auto', up: 'Http1' | 'Http2', upstreamPort: number): Promise<number> => proxyHop(down, up, upstreamPort, cleanups);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const BIG = Buffer.alloc(1024 * 1024 + 17, 'z');

/** An h2c server: echoes the body with its sha256 and what it saw in headers; sends a trailer. */
async function h2Server() {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      stream.respond(
        { ':status': 200, 'x-sha': sha(body), 'x-seen': `${headers[':method']} ${headers[':authority']} ${headers[':path']} ${headers['x-hop'] ?? '-'}` },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-trailer': 'done' }));
      stream.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

/** An HTTP/1 server: echoes the body (chunked) with its sha256 and what it saw. */
async function h1Server() {
  const b = await httpBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('x-sha', sha(body));
      res.setHeader('x-seen', `${req.method} ${req.headers.host} ${req.url} ${req.headers['x-hop'] ?? '-'} HTTP/${req.httpVersion}`);
      res.write(body.subarray(0, 10));
      res.end(body.subarray(10));
    });
  });
  cleanups.push(b.close);
  return Number(b.address.split(':')[1]);
}

interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, trailers, body: Buffer.concat(chunks) }));
    req.end(body);
  });
}

/** HTTP/1 request with a body, keep-alive agent optional. */
function h1Request(p: number, path: string, body: Buffer, agent?: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p, path, method: 'POST', headers: { host: 'svc.mesh', 'x-hop': 'h1', 'content-length': body.length }, ...(agent ? { agent } : {}) });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('mesh: client → mosn → mosn → server', () => {
  it('HTTP/2 (h2c on both hops): concurrent streams, 1 MiB bodies both ways, trailers', async () => {
    const server = await h2Server();
    const b = await hop('Auto', 'Http2', server);
    const a = await hop('Http2', 'Http2', b);
    const session = http2.connect(`http://127.0.0.1:${a}`);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h2Request(session, { ':method': 'POST', ':path': `/s/${i}?q=${i}`, ':authority': 'svc.mesh', 'x-hop': `c${i}` }, i === 0 ? BIG : Buffer.from(`small-${i}`)),
      ),
    );
    replies.forEach((r, i) => {
      const sent = i === 0 ? BIG : Buffer.from(`small-${i}`);
      expect(r.status).toBe(200);
      expect(r.headers['x-seen']).toBe(`POST svc.mesh /s/${i}?q=${i} c${i}`);
      expect(r.headers['x-sha']).toBe(sha(sent));
      expect(sha(r.body)).toBe(sha(sent));
      expect(r.trailers['x-trailer']).toBe('done');
    });
  });

  it('HTTP/2 two hops with nghttp2 clients: nghttp and h2load -n 1000 -c 4 -m 10 all succeed', async () => {
    const nghttp = requireTool('nghttp', 'nghttp2-client');
    const h2load = requireTool('h2load', 'nghttp2-client');
    const server = await h2Server();
    const a = await hop('Http2', 'Http2', await hop('Http2', 'Http2', server));
    const { stdout } = await run(nghttp, ['-v', '-H', ':authority: nghttp.mesh', `http://127.0.0.1:${a}/n?x=1`], { timeout: 20_000 });
    expect(stdout).toMatch(/:status: 200\n/);
    expect(stdout).toMatch(/x-seen: GET nghttp\.mesh \/n\?x=1 -\n/);
    expect(stdout).toMatch(/x-trailer: done\n/);
    const load = await run(h2load, ['-n', '1000', '-c', '4', '-m', '10', `http://127.0.0.1:${a}/load`], { timeout: 90_000 });
    expect(load.stdout).toMatch(/requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored, 0 timeout/);
    expect(load.stdout).toMatch(/status codes: 1000 2xx, 0 3xx, 0 4xx, 0 5xx/);
  }, 120_000);

  it('HTTP/1 on both hops: POST bodies (1 MiB and small) over keep-alive, Host and headers kept', async () => {
    const server = await h1Server();
    const a = await hop('Http1', 'Http1', await hop('Http1', 'Http1', server));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    for (const body of [BIG, Buffer.from('tiny'), Buffer.alloc(0)]) {
      const r = await h1Request(a, '/p?k=v', body, agent);
      expect(r.status).toBe(200);
      expect(r.headers['x-seen']).toBe('POST svc.mesh /p?k=v h1 HTTP/1.1');
      expect(r.headers['x-sha']).toBe(sha(body));
      expect(sha(r.body)).toBe(sha(body));
    }
    // a GET with no body, through the plain helper
    const g = await get(a, '/g', { headers: { host: 'g.mesh' } });
    expect(g.status).toBe(200);
    expect(g.headers['x-seen']).toBe('GET g.mesh /g - HTTP/1.1');
  });

  it('HTTP/1 client → mosn (HTTP/1 → HTTP/2) → mosn (HTTP/2 → HTTP/1) → HTTP/1 server', async () => {
    const server = await h1Server();
    const b = await hop('Auto', 'Http1', server);
    const a = await hop('Http1', 'Http2', b);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    cleanups.push(() => agent.destroy());
    const replies = await Promise.all([BIG, Buffer.from('one'), Buffer.from('two'), Buffer.alloc(0)].map((body, i) => h1Request(a, `/x/${i}`, body, agent).then((r) => ({ r, body, i }))));
    for (const { r, body, i } of replies) {
      expect(r.status).toBe(200);
      // Host → :authority → Host across the HTTP/2 hop; the server speaks HTTP/1.1 to mosn
      expect(r.headers['x-seen']).toBe(`POST svc.mesh /x/${i} h1 HTTP/1.1`);
      expect(r.headers['x-sha']).toBe(sha(body));
      expect(sha(r.body)).toBe(sha(body));
    }
  });
});
