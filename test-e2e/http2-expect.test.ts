import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, httpProxyConfig, port, requireTool, startMosn } from './helpers.js';

/*
 * `Expect: 100-continue` from HTTP/2 (h2c) clients: mosn answers 100 itself once the request has an upstream
 * stream to go to (as it does for HTTP/1 clients), and never sends the expectation upstream.
 */

const cleanups = cleanupAfterEach();

interface Seen {
  version: string;
  expect: string | undefined;
  bytes: number;
  sha: string;
}

/** Both backends: report what they saw (protocol, any Expect header, body size and hash). */
function reporter(seen: Seen[]) {
  return (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    const h = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const s: Seen = { version: req.httpVersion, expect: req.headers.expect, bytes, sha: h.digest('hex') };
      seen.push(s);
      res.end(JSON.stringify(s));
    });
  };
}

async function backends() {
  const seen: Seen[] = [];
  const h1 = http.createServer(reporter(seen));
  // an HTTP/1 server that would answer an expectation itself: it must never be asked
  h1.on('checkContinue', (req, res) => {
    seen.push({ version: req.httpVersion, expect: req.headers.expect, bytes: -1, sha: '' });
    res.writeContinue();
    reporter(seen)(req, res);
  });
  const h2 = http2.createServer(reporter(seen));
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (s) => sessions.add(s));
  await Promise.all([new Promise<void>((r) => h1.listen(0, '127.0.0.1', r)), new Promise<void>((r) => h2.listen(0, '127.0.0.1', r))]);
  cleanups.push(() => {
    h1.closeAllConnections();
    h1.close();
    for (const s of sessions) s.destroy();
    h2.close();
  });
  const mosn = await startMosn(
    httpProxyConfig({
      downstreamProtocol: 'Auto',
      routes: [
        { match: { prefix: '/h1' }, route: { cluster_name: 'h1', upstream_protocol: 'Http1' } },
        { match: { prefix: '/h2' }, route: { cluster_name: 'h2', upstream_protocol: 'Http2' } },
        { match: { prefix: '/direct' }, direct_response: { status: 403, body: 'no' } },
      ],
      clusters: [cluster('h1', [`127.0.0.1:${(h1.address() as net.AddressInfo).port}`]), cluster('h2', [`127.0.0.1:${(h2.address() as net.AddressInfo).port}`])],
    }),
  );
  cleanups.push(() => mosn.stop(0));
  return { p: port(mosn.listenerAddress('l')), seen };
}

const MiB = 1024 * 1024;
const body = Buffer.alloc(2 * MiB + 7, 'abcdefgh');
const bodySha = createHash('sha256').update(body).digest('hex');

interface Exchange {
  continues: number;
  status: number;
  text: string;
  rstCode: number;
}

/**
 * A node:http2 request with `expect: 100-continue` that writes its body only after the 100 (or, when a final
 * answer comes first, never). Bounded: fails if nothing happens within 10 s.
 */
function expectContinue(s: http2.ClientHttp2Session, path: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = s.request({ ':method': 'POST', ':path': path, expect: '100-continue', 'content-length': String(body.length) });
    const r: Exchange = { continues: 0, status: 0, text: '', rstCode: 0 };
    const timer = setTimeout(() => {
      req.close();
      reject(new Error(`no answer within 10 s: ${JSON.stringify(r)}`));
    }, 10_000);
    req.on('continue', () => {
      r.continues++;
      req.end(body);
    });
    req.on('response', (h) => (r.status = Number(h[':status'])));
    req.on('data', (c: Buffer) => (r.text += c.toString()));
    req.on('error', () => {});
    req.on('close', () => {
      clearTimeout(timer);
      r.rstCode = req.rstCode ?? 0;
      resolve(r);
    });
  });
}

function h2Session(p: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${p}`);
  s.on('error', () => {});
  cleanups.push(() => s.destroy());
  return s;
}

describe('Expect: 100-continue from HTTP/2 clients', () => {
  it('node:http2 gets one 100 when the request is dispatched; the body goes up to HTTP/1 and HTTP/2 upstreams without Expect', async () => {
    const { p, seen } = await backends();
    const s = h2Session(p);
    for (const path of ['/h1', '/h2']) {
      const r = await expectContinue(s, path);
      expect(r).toMatchObject({ continues: 1, status: 200, rstCode: 0 });
      expect(JSON.parse(r.text)).toEqual({ version: path === '/h1' ? '1.1' : '2.0', bytes: body.length, sha: bodySha });
    }
    expect(seen.map((x) => [x.version, x.expect, x.bytes])).toEqual([
      ['1.1', undefined, body.length],
      ['2.0', undefined, body.length],
    ]);
    // the session is still good for more requests, with and without an expectation
    const again = await expectContinue(s, '/h2');
    expect(again).toMatchObject({ continues: 1, status: 200 });
  });

  it('an answer before the 100 (direct response, no route) comes with no 100; the stream ends without the body', async () => {
    const { p, seen } = await backends();
    const s = h2Session(p);
    const direct = await expectContinue(s, '/direct');
    expect(direct).toMatchObject({ continues: 0, status: 403, text: 'no', rstCode: 0 });
    const none = await expectContinue(s, '/nothing-here');
    expect(none).toMatchObject({ continues: 0, status: 404 });
    expect(seen).toEqual([]);
    // the connection goes on
    const ok = await expectContinue(s, '/h1');
    expect(ok).toMatchObject({ continues: 1, status: 200 });
  });

  it('curl --http2-prior-knowledge with Expect: 100-continue and a 2 MiB body gets the 100 and sends the body', async () => {
    requireTool('curl', 'curl');
    const { p, seen } = await backends();
    const dir = mkdtempSync(join(tmpdir(), 'mosn-h2-expect-'));
    const file = join(dir, 'body.bin');
    writeFileSync(file, body);
    for (const path of ['/h1', '/h2']) {
      // a long expect100 timeout: without mosn's 100 curl would wait it out, and the test would fail by time
      const { stdout, stderr } = await promisify(execFile)(
        'curl',
        ['-sS', '-v', '--http2-prior-knowledge', '--expect100-timeout', '60', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, '--max-time', '20', `http://127.0.0.1:${p}${path}`],
        { maxBuffer: 8 * MiB },
      );
      expect(stderr).toMatch(/< HTTP\/2 100/);
      expect(JSON.parse(stdout)).toEqual({ version: path === '/h1' ? '1.1' : '2.0', bytes: body.length, sha: bodySha });
    }
    expect(seen.map((x) => x.expect)).toEqual([undefined, undefined]);
  }, 60_000);
});
