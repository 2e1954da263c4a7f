import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, port, rawExchange, startMosn, startMosnWithCleanup } from './helpers.js';

const cleanups = cleanupAfterEach();

const mosnWith = (config: unknown) => startMosnWithCleanup(config, cleanups);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A backend that answers with the body's length and hash, and what it saw of `expect`. */
async function hashBackend() {
  const b = await httpBackend((req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      h.update(c);
    });
    req.on('end', () => res.end(JSON.stringify({ n, sha: h.digest('hex'), expect: req.headers.expect ?? null })));
  });
  cleanups.push(b.close);
  return b;
}

/** Rejects every request at once, without reading its body. */
async function rejectingBackend(status: number) {
  const b = await httpBackend((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('rejected early');
  });
  cleanups.push(b.close);
  return b;
}

function proxyTo(address: string) {
  return httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [address])] });
}

function curl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ stdout, stderr, code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0 }),
    );
  });
}

function tempFile(bytes: Buffer): string {
  const f = join(tmpdir(), `mosn-expect-${process.pid}-${bytes.length}-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(f, bytes);
  cleanups.push(() => rmSync(f, { force: true }));
  return f;
}

/** Read until `pred` holds on what came so far; bounded. */
function readUntil(s: net.Socket, pred: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => finish(new Error(`timed out waiting; got ${JSON.stringify(text.slice(0, 300))}`)), timeoutMs);
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if (pred(text)) finish();
    };
    const onClose = () => finish(pred(text) ? undefined : new Error(`closed; got ${JSON.stringify(text.slice(0, 300))}`));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve(text);
    };
    s.on('data', onData);
    s.on('close', onClose);
  });
}

describe('Expect: 100-continue', () => {
  it('curl gets 100 Continue from mosn and its body reaches the upstream whole, without the Expect header', async () => {
    const b = await hashBackend();
    const { p } = await mosnWith(proxyTo(b.address));
    const body = randomBytes(2 * 1024 * 1024 + 17);
    const file = tempFile(body);
    const r = await curl(['-sS', '-v', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, `http://127.0.0.1:${p}/upload`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('< HTTP/1.1 100 Continue');
    expect(JSON.parse(r.stdout)).toEqual({ n: body.length, sha: sha(body), expect: null });
  });

  it('a raw client that waits for 100 Continue before its body is not left waiting', async () => {
    const b = await hashBackend();
    const { p } = await mosnWith(proxyTo(b.address));
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write('POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const interim = await readUntil(s, (t) => t.includes('\r\n\r\n'));
    expect(interim).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    s.write('hello');
    const res = await readUntil(s, (t) => t.endsWith('}'));
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4))).toEqual({ n: 5, sha: sha(Buffer.from('hello')), expect: null });
    // the connection stays usable: a second request on it
    s.write('GET /again HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(await readUntil(s, (t) => t.endsWith('}'))).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('an upstream that answers 413 without reading the body: curl gets the 413', async () => {
    const b = await rejectingBackend(413);
    const { p } = await mosnWith(proxyTo(b.address));
    const file = tempFile(randomBytes(8 * 1024 * 1024));
    const r = await curl(['-sS', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, '-w', '\n%{http_code}', `http://127.0.0.1:${p}/upload`]);
    expect(r.stdout).toBe('rejected early\n413');
  });

  it('an upstream that answers 417 without reading the body: the raw client gets it', async () => {
    const b = await rejectingBackend(417);
    const { p } = await mosnWith(proxyTo(b.address));
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write('PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n');
    await readUntil(s, (t) => t.includes('100 Continue\r\n\r\n'));
    s.write(Buffer.alloc(1024 * 1024, 1));
    const res = await readUntil(s, (t) => t.endsWith('0\r\n\r\n'));
    expect(res).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
    expect(res).toContain('rejected early');
  });

  it('a local answer before the body (no route) closes the connection instead of waiting for the body', async () => {
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/only' }, direct_response: { status: 200, body: 'x' } }] }));
    const r = await rawExchange(p, 'POST /other HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(r.text).not.toContain('100 Continue');
    expect(r.text.toLowerCase()).toContain('connection: close');
    expect(r.closed).toBe(true);
  });

  it('a retried request resends the body after one 100 Continue', async () => {
    let attempts = 0;
    const b = await httpBackend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        attempts++;
        if (attempts === 1) {
          res.writeHead(503);
          res.end();
        } else res.end(`got ${Buffer.concat(chunks).toString()}`);
      });
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', retry_policy: { retry_on: true, num_retries: 1, status_codes: [503] } } }],
        clusters: [cluster('c', [b.address])],
      }),
    );
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    let all = '';
    s.on('data', (c: Buffer) => (all += c.toString('latin1')));
    s.write('POST /r HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await readUntil(s, (t) => t.includes('\r\n\r\n'));
    s.write('again');
    await readUntil(s, (t) => t.endsWith('got again'));
    expect(all).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(all.match(/100 Continue/g)).toHaveLength(1);
    expect(attempts).toBe(2);
  });
});

describe('request_headers_timeout', () => {
  it('a client sending its head a byte at a time gets 408 and is closed; another client is undisturbed', async () => {
    const b = await httpBackend((_req, res) => res.end('fine'));
    cleanups.push(b.close);
    const { p, mosn } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [cluster('c', [b.address])],
        extendConfig: { http1: { request_headers_timeout: '1s' } },
      }),
    );
    const slow = net.connect(p, '127.0.0.1');
    slow.on('error', () => {});
    cleanups.push(() => void slow.destroy());
    const head = 'GET /slow HTTP/1.1\r\nHost: h\r\nX-Long-Header: ' + 'a'.repeat(100) + '\r\n\r\n';
    let i = 0;
    const trickle = setInterval(() => {
      if (i < head.length && !slow.destroyed) slow.write(head[i++]!);
    }, 200);
    cleanups.push(() => clearInterval(trickle));
    let answer = '';
    slow.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    // meanwhile an ordinary client on the same listener
    const normal = await get(p, '/normal');
    expect(normal.body).toBe('fine');
    await new Promise<void>((r) => slow.once('close', () => r()));
    clearInterval(trickle);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(i).toBeLessThan(head.length); // closed before the head was complete
    expect(mosn.stats.get('listener.l.downstream_rq_header_timeout')).toBe(1);
    expect((await get(p, '/after')).body).toBe('fine');
  }, 30_000);

  it('applies to the next request on a keep-alive connection, from its first byte', async () => {
    const b = await httpBackend((_req, res) => res.end('fine'));
    cleanups.push(b.close);
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [cluster('c', [b.address])],
        extendConfig: { http1: { request_headers_timeout: '1s' } },
      }),
    );
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write('GET /one HTTP/1.1\r\nHost: h\r\n\r\n');
    await readUntil(s, (t) => t.endsWith('fine'));
    // idle longer than the header timeout: not a head in progress, so the connection stays
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.destroyed).toBe(false);
    s.write('GET /two HTTP/1.1\r\nHost: h\r\n\r\n');
    await readUntil(s, (t) => t.endsWith('fine'));
    // a started head that never completes is answered 408
    s.write('GET /three HTTP/1.1\r\nHo');
    const res = await readUntil(s, (t) => t.includes('408'));
    expect(res).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  }, 30_000);

  it('a bad request_headers_timeout fails the config with its path', async () => {
    await expect(
      startMosn(httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }], extendConfig: { http1: { request_headers_timeout: 'soon' } } })),
    ).rejects.toThrow(/extend_config\.http1\.request_headers_timeout/);
  });
});

describe('HTTP/1 responses that end before the request body', () => {
  it('do not keep the upstream connection: the request is reset upstream, the next request gets a fresh one', async () => {
    const sockets: net.Socket[] = [];
    const b = await httpBackend((req, res) => {
      if (req.url === '/early') {
        res.writeHead(200, { 'content-length': '5' });
        res.end('early');
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    b.server.on('connection', (s: net.Socket) => sockets.push(s));
    cleanups.push(b.close);
    const { p } = await mosnWith(proxyTo(b.address));
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write('POST /early HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc');
    await readUntil(s, (t) => t.endsWith('early'));
    // the upstream connection that carried half a body is closed by mosn
    await expect.poll(() => sockets[0]?.destroyed || sockets[0]?.readableEnded).toBe(true);
    // the rest of the body is read and dropped; the downstream connection goes on
    s.write('defghij');
    s.write('GET /next HTTP/1.1\r\nHost: h\r\n\r\n');
    const next = await readUntil(s, (t) => t.endsWith('ok'));
    expect(next).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(b.connections()).toBe(2);
  });
});


describe('the rest of a body after its answer (slow clients)', () => {
  it('a body trickled after a route timeout answered 504 is cut off after request_headers_timeout; a body that ends in time keeps the connection', async () => {
    // reads the body and answers only at its end: the route timeout answers first
    const b = await httpBackend((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    cleanups.push(b.close);
    const { p, mosn } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', timeout: '300ms' } }],
        clusters: [cluster('c', [b.address])],
        extendConfig: { http1: { request_headers_timeout: '1s' } },
      }),
    );
    // a client that trickles its body (16 bytes every 100 ms of 1 MB): without a bound it would hold the connection
    const slow = net.connect(p, '127.0.0.1');
    slow.on('error', () => {});
    cleanups.push(() => void slow.destroy());
    slow.write('POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n');
    const trickle = setInterval(() => !slow.destroyed && slow.write('b'.repeat(16)), 100);
    cleanups.push(() => clearInterval(trickle));
    const answer = await readUntil(slow, (t) => t.includes('upstream request timeout'));
    expect(answer).toMatch(/^HTTP\/1\.1 504 /);
    // closed by mosn while the client was still sending (before the fix: held as long as the body trickled)
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('mosn did not close the connection in 10 s')), 10_000);
      slow.once('close', () => (clearTimeout(t), resolve()));
    });
    expect(mosn.stats.get('listener.l.downstream_cx_destroy_local_idle_timeout')).toBe(1);

    // an early answer whose body then comes in time: the connection stays and serves the next request
    const s = net.connect(p, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    s.write('POST /late HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc');
    await readUntil(s, (t) => t.includes('upstream request timeout'));
    s.write('defghij');
    s.write('GET /next HTTP/1.1\r\nHost: h\r\n\r\n');
    const next = await readUntil(s, (t) => t.endsWith('ok'));
    expect(next).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  }, 30_000);
});
