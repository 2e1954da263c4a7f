import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { H2CClient } from 'undici';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, httpBackend, proxyHop, requireTool } from './helpers.js';

/*
 * mosn driven by nghttp2's own clients: `nghttp` (one verbose exchange, HTTP/2 prior knowledge) and `h2load`
 * (a bounded load: every request must succeed), and by undici 7's h2c client. scripts/run-tests.mjs installs
 * nghttp2-client when missing.
 */

const run = promisify(execFile);
const cleanups = cleanupAfterEach();

/** mosn with one listener (`downstream`) and cluster `c` at 127.0.0.1:upstreamPort spoken to in `upstream`. */
const proxy = (downstream: string, upstream: 'Http1' | 'Http2', upstreamPort: number): Promise<number> => proxyHop(downstream, upstream, upstreamPort, cleanups);

/** A node:http2 (h2c) upstream: 201, `x-seen` = what it got, body `got <body> on <path>`; counts requests. */
async function h2Echo() {
  let requests = 0;
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      requests++;
      stream.respond({ ':status': 201, 'x-seen': `${headers[':method']} ${headers[':authority']} foo=${headers['x-foo'] ?? '-'}` });
      stream.end(`got ${Buffer.concat(chunks).toString()} on ${headers[':path']}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, requests: () => requests };
}

function tmpFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-nghttp2-'));
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

/** h2load's summary: requests done/succeeded/failed/errored/timeout and the 2xx count. */
function h2loadSummary(out: string) {
  const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const s = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (!m || !s) throw new Error(`no h2load summary in:\n${out}`);
  const [total, , done, succeeded, failed, errored, timeout] = m.slice(1).map(Number);
  return { total, done, succeeded, failed, errored, timeout, s2xx: Number(s[1]), non2xx: Number(s[2]) + Number(s[3]) + Number(s[4]) };
}

describe('nghttp2 clients through mosn', () => {
  it('nghttp -v (prior knowledge, with its PRIORITY frames) POSTs through mosn to an h2c upstream', async () => {
    const nghttp = requireTool('nghttp', 'nghttp2-client');
    const up = await h2Echo();
    const p = await proxy('Http2', 'Http2', up.port);
    const body = tmpFile('body.txt', 'hello from nghttp');
    const { stdout } = await run(nghttp, ['-v', '-H', 'x-foo: bar', '-H', ':authority: nghttp.test', '-d', body, `http://127.0.0.1:${p}/echo?q=1`], {
      timeout: 20_000,
    });
    expect(stdout).toMatch(/recv \(stream_id=\d+\) :status: 201\n/);
    expect(stdout).toMatch(/recv \(stream_id=\d+\) x-seen: POST nghttp\.test foo=bar\n/);
    expect(stdout).toContain('got hello from nghttp on /echo?q=1');
    expect(stdout).not.toMatch(/RST_STREAM|error_code=(?!NO_ERROR)/);
    expect(up.requests()).toBe(1);
  });

  it('nghttp through mosn to an HTTP/1 upstream: status, headers and body come back over HTTP/2', async () => {
    const nghttp = requireTool('nghttp', 'nghttp2-client');
    const b = await httpBackend((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 202;
        res.setHeader('x-version', req.httpVersion);
        res.setHeader('x-host', String(req.headers.host));
        res.end(`h1 saw ${req.method} ${req.url}`);
      });
    });
    cleanups.push(b.close);
    const p = await proxy('Auto', 'Http1', Number(b.address.split(':')[1]));
    const { stdout } = await run(nghttp, ['-v', '-H', ':authority: h1.test', `http://127.0.0.1:${p}/a/b?c=d`], { timeout: 20_000 });
    expect(stdout).toMatch(/:status: 202\n/);
    expect(stdout).toMatch(/x-version: 1\.1\n/);
    expect(stdout).toMatch(/x-host: h1\.test\n/);
    expect(stdout).toContain('h1 saw GET /a/b?c=d');
    // The whole response came in one read: the body's DATA frame ends the stream, with no empty DATA frame
    // (or trailers) after it.
    const body = 'h1 saw GET /a/b?c=d';
    expect(stdout).toMatch(new RegExp(`recv DATA frame <length=${body.length}, flags=0x01, stream_id=\\d+>`));
    expect(stdout).not.toMatch(/recv DATA frame <length=0,/);
  });

  it('h2load -n 2000 -c 10 -m 10: every request succeeds through mosn to an h2c upstream', async () => {
    const h2load = requireTool('h2load', 'nghttp2-client');
    const up = await h2Echo();
    const p = await proxy('Http2', 'Http2', up.port);
    const { stdout } = await run(h2load, ['-n', '2000', '-c', '10', '-m', '10', `http://127.0.0.1:${p}/load`], { timeout: 90_000 });
    const s = h2loadSummary(stdout);
    expect(s).toMatchObject({ total: 2000, done: 2000, succeeded: 2000, failed: 0, errored: 0, timeout: 0, s2xx: 2000, non2xx: 0 });
    expect(up.requests()).toBe(2000);
  }, 120_000);

  it('h2load POSTs 1000 bodies over an Auto listener to an HTTP/1 upstream; every body arrives whole', async () => {
    const h2load = requireTool('h2load', 'nghttp2-client');
    const payload = Buffer.alloc(3000, 'p');
    const sizes = new Map<number, number>();
    const b = await httpBackend((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        sizes.set(n, (sizes.get(n) ?? 0) + 1);
        res.end('ok');
      });
    });
    cleanups.push(b.close);
    const p = await proxy('Auto', 'Http1', Number(b.address.split(':')[1]));
    const data = tmpFile('payload.bin', payload);
    const { stdout } = await run(h2load, ['-n', '1000', '-c', '5', '-m', '10', '-d', data, `http://127.0.0.1:${p}/post`], { timeout: 90_000 });
    expect(h2loadSummary(stdout)).toMatchObject({ total: 1000, succeeded: 1000, failed: 0, errored: 0, timeout: 0, s2xx: 1000 });
    expect([...sizes]).toEqual([[payload.length, 1000]]);
  }, 120_000);
});

describe('undici 7 (H2CClient, h2c prior knowledge) through mosn', () => {
  it('50 concurrent PUTs with bodies to an h2c upstream', async () => {
    const up = await h2Echo();
    const p = await proxy('Auto', 'Http2', up.port);
    const client = new H2CClient(`http://127.0.0.1:${p}`);
    cleanups.push(() => client.close());
    const replies = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const r = await client.request({ method: 'PUT', path: `/u/${i}`, headers: { 'x-foo': `f${i}` }, body: `body-${i}` });
        return { status: r.statusCode, seen: r.headers['x-seen'], body: await r.body.text() };
      }),
    );
    replies.forEach((r, i) => {
      expect(r).toEqual({ status: 201, seen: `PUT 127.0.0.1:${p} foo=f${i}`, body: `got body-${i} on /u/${i}` });
    });
    expect(up.requests()).toBe(50);
  });
});

