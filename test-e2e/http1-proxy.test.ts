import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { request as undiciRequest, Agent } from 'undici';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend, httpProxyConfig, port, rawExchange, startMosn, startMosnWithCleanup } from './helpers.js';

const cleanups = cleanupAfterEach();

const mosnWith = (config: unknown) => startMosnWithCleanup(config, cleanups);

async function echoBackend(name = 'backend') {
  const b = await httpBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('x-backend', name);
      res.setHeader('x-method', req.method ?? '');
      res.setHeader('x-url', req.url ?? '');
      res.setHeader('x-te', String(req.headers['transfer-encoding'] ?? ''));
      res.setHeader('x-host', String(req.headers.host ?? ''));
      res.end(body.length > 0 ? body : `hello from ${name}`);
    });
  });
  cleanups.push(b.close);
  return b;
}

describe('HTTP/1 proxy', () => {
  it('forwards method, path, host and body both ways; keeps upstream connections alive', async () => {
    const b = await echoBackend();
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const r1 = await get(p, '/a/b?x=1', { headers: { host: 'example.test' } });
    expect(r1.status).toBe(200);
    expect(r1.body).toBe('hello from backend');
    expect(r1.headers['x-url']).toBe('/a/b?x=1');
    expect(r1.headers['x-host']).toBe('example.test');
    const body = Buffer.alloc(200_000, 'z');
    const r2 = await get(p, '/post', { method: 'POST', body, headers: { 'content-length': String(body.length) } });
    expect(r2.body).toBe(body.toString());
    expect(r2.headers['x-method']).toBe('POST');
    for (let i = 0; i < 5; i++) expect((await get(p, `/n${i}`)).status).toBe(200);
    // seven requests on seven downstream connections, one at a time: one pooled upstream connection
    expect(b.connections()).toBe(1);
  });

  it('re-chunks a chunked request body and passes a chunked response through', async () => {
    const b = await httpBackend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-te', String(req.headers['transfer-encoding'] ?? ''));
        res.write('part1-');
        setTimeout(() => res.end(Buffer.concat(chunks)), 20);
      });
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const { text } = await rawExchange(
      p,
      ['POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n', '5\r\nhello\r\n', '6\r\n world\r\n0\r\n\r\n'],
    );
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.toLowerCase()).toContain('x-te: chunked');
    expect(text.toLowerCase()).toContain('transfer-encoding: chunked');
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    const decoded = body.replace(/(^|\r\n)[0-9a-f]+\r\n/g, '').replace(/\r\n$/, '');
    expect(decoded).toBe('part1-hello world');
  });

  it('passes chunked trailers through both ways', async () => {
    const b = await httpBackend((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'transfer-encoding': 'chunked', trailer: 'x-checksum' });
        res.write('body');
        res.addTrailers({ 'x-checksum': `got-${req.trailers['x-req-trailer'] ?? 'none'}` });
        res.end();
      });
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const { text } = await rawExchange(p, [
      'POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: x-req-trailer\r\nConnection: close\r\n\r\n',
      '2\r\nhi\r\n0\r\nx-req-trailer: abc\r\n\r\n',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toMatch(/\r\n0\r\nx-checksum: got-abc\r\n\r\n$/);
  });

  it('answers pipelined requests in order on one connection', async () => {
    const b = await httpBackend((req, res) => {
      // the first answer is the slowest: order must still hold
      setTimeout(() => res.end(`r:${req.url}`), req.url === '/1' ? 50 : 0);
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const reqs = [1, 2, 3].map((i) => `GET /${i} HTTP/1.1\r\nHost: h\r\n${i === 3 ? 'Connection: close\r\n' : ''}\r\n`).join('');
    const { text, closed } = await rawExchange(p, reqs);
    expect(closed).toBe(true);
    expect([...text.matchAll(/r:\/(\d)/g)].map((m) => m[1])).toEqual(['1', '2', '3']);
  });

  it('HEAD gets headers only; HTTP/1.0 without keep-alive is closed after the response', async () => {
    const b = await httpBackend((_req, res) => {
      res.setHeader('content-length', '11');
      res.end('hello world');
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const head = await rawExchange(p, 'HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    expect(head.text).toMatch(/content-length: 11\r\n/i);
    expect(head.text.endsWith('\r\n\r\n')).toBe(true);
    const h10 = await rawExchange(p, 'GET / HTTP/1.0\r\nHost: h\r\n\r\n');
    expect(h10.closed).toBe(true);
    expect(h10.text).toMatch(/^HTTP\/1\.0 200 OK/);
    expect(h10.text.endsWith('hello world')).toBe(true);
  });

  it('works with undici as the client over one keep-alive connection', async () => {
    const b = await echoBackend();
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const agent = new Agent({ connections: 1 });
    cleanups.push(() => agent.close());
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const r = await undiciRequest(`http://127.0.0.1:${p}/u${i}`, { method: 'POST', body: `body-${i}`, dispatcher: agent });
        return { status: r.statusCode, body: await r.body.text() };
      }),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body).toBe(`body-${i}`);
    });
  });
});

describe('backpressure', () => {
  it('stops reading the upstream response while the client does not read', async () => {
    let written = 0;
    const total = 256 * 1024 * 1024;
    const b = await httpBackend((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 3);
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const received = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: p, path: '/', agent: false }, (res) => {
        res.pause();
        setTimeout(() => {
          // kernel buffers on both hops plus mosn's 1 MiB limits: far below the 256 MiB body
          expect(written).toBeLessThan(48 * 1024 * 1024);
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => resolve(n));
          res.resume();
        }, 1000);
      }).on('error', reject);
    });
    expect(received).toBe(total);
  });

  it('stops reading a request body while the upstream does not read', async () => {
    let serverReq: http.IncomingMessage | undefined;
    const b = await httpBackend((req, res) => {
      serverReq = req;
      req.pause();
      setTimeout(() => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(String(n)));
        req.resume();
      }, 1000);
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const total = 256 * 1024 * 1024;
    let sent = 0;
    let sentWhenStalled = 0;
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: p, method: 'PUT', path: '/up', agent: false, headers: { 'content-length': String(total) } }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve(t));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 4);
      setTimeout(() => (sentWhenStalled = sent), 900);
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(serverReq).toBeDefined();
    expect(sentWhenStalled).toBeLessThan(48 * 1024 * 1024);
    expect(body).toBe(String(total));
  });
});

describe('router', () => {
  it('matches virtual hosts by exact host, host:port, *.suffix and *', async () => {
    const exact = await echoBackend('exact');
    const suffix = await echoBackend('suffix');
    const any = await echoBackend('any');
    const withPort = await echoBackend('withport');
    const r = (c: string) => [{ match: { prefix: '/' }, route: { cluster_name: c } }];
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [],
        virtualHosts: [
          { name: 'any', domains: ['*'], routers: r('any') },
          { name: 'suffix', domains: ['*.example.com'], routers: r('suffix') },
          { name: 'exact', domains: ['api.example.com'], routers: r('exact') },
          { name: 'port', domains: ['svc.local:8080'], routers: r('withport') },
        ],
        clusters: [cluster('exact', [exact.address]), cluster('suffix', [suffix.address]), cluster('any', [any.address]), cluster('withport', [withPort.address])],
      }),
    );
    const backendFor = async (host: string) => (await get(p, '/', { headers: { host } })).headers['x-backend'];
    expect(await backendFor('api.example.com')).toBe('exact');
    expect(await backendFor('API.example.com:80')).toBe('exact');
    expect(await backendFor('www.example.com')).toBe('suffix');
    expect(await backendFor('example.com')).toBe('any');
    expect(await backendFor('svc.local:8080')).toBe('withport');
    expect(await backendFor('other.test')).toBe('any');
  });

  it('prefix, path, regex and headers matches; first match wins; direct_response', async () => {
    const b = await echoBackend();
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [
          { match: { path: '/Exact' }, direct_response: { status: 201, body: 'path' } },
          { match: { prefix: '/api/', headers: [{ name: 'x-user', value: 'alice' }] }, direct_response: { status: 202, body: 'alice' } },
          { match: { prefix: '/api/', headers: [{ name: 'x-user', value: '^b.*b$', regex: true }] }, direct_response: { status: 203, body: 'bob' } },
          { match: { regex: '/v[0-9]+/' }, direct_response: { status: 200, body: 'versioned' } },
          { match: { prefix: '/', headers: [{ name: 'method', value: 'DELETE' }] }, direct_response: { status: 405, body: 'no deletes' } },
          { match: { prefix: '/api/' }, route: { cluster_name: 'c' } },
        ],
        clusters: [cluster('c', [b.address])],
      }),
    );
    expect(await get(p, '/exact?q=1')).toMatchObject({ status: 201, body: 'path' });
    expect((await get(p, '/exact/more')).status).toBe(404);
    expect(await get(p, '/api/x', { headers: { 'x-user': 'alice' } })).toMatchObject({ status: 202, body: 'alice' });
    expect(await get(p, '/api/x', { headers: { 'x-user': 'bob' } })).toMatchObject({ status: 203, body: 'bob' });
    expect(await get(p, '/api/x', { headers: { 'x-user': 'carol' } })).toMatchObject({ status: 200, body: 'hello from backend' });
    expect(await get(p, '/x/v12/y')).toMatchObject({ status: 200, body: 'versioned' });
    expect(await get(p, '/API/x')).toMatchObject({ status: 404 });
    expect(await get(p, '/api/x', { method: 'DELETE' })).toMatchObject({ status: 405, body: 'no deletes' });
  });

  it('LB_MAGLEV with a header hash_policy keeps each user on one host', async () => {
    const backends = await Promise.all(['m0', 'm1', 'm2'].map((n) => echoBackend(n)));
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', hash_policy: [{ header: { key: 'x-user' } }] } }],
        clusters: [cluster('c', backends.map((b) => b.address), { lb_type: 'LB_MAGLEV' })],
      }),
    );
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 20; u++) {
        const r = await get(p, '/', { headers: { 'x-user': `user-${u}` } });
        const set = seen.get(`user-${u}`) ?? new Set<string>();
        set.add(String(r.headers['x-backend']));
        seen.set(`user-${u}`, set);
      }
    }
    for (const set of seen.values()) expect(set.size).toBe(1);
    const used = new Set([...seen.values()].map((s) => [...s][0]));
    expect(used.size).toBeGreaterThan(1); // 20 users do not all hash to one of three hosts
  });

  it('round robin spreads requests over the hosts of a cluster', async () => {
    const a = await echoBackend('a');
    const b = await echoBackend('b');
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [a.address, b.address])] }));
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(String((await get(p, '/')).headers['x-backend']));
    expect(seen.filter((s) => s === 'a').length).toBe(3);
    expect(seen.filter((s) => s === 'b').length).toBe(3);
  });
});

describe('errors become HTTP responses as MOSN gives them', () => {
  it('no route → 404', async () => {
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/only' }, direct_response: { status: 200, body: 'x' } }] }));
    expect((await get(p, '/other')).status).toBe(404);
  });

  it('no healthy upstream (a cluster without hosts) → 502', async () => {
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'empty' } }], clusters: [cluster('empty', [])] }));
    expect((await get(p, '/')).status).toBe(502);
  });

  it('upstream connect failure → 502', async () => {
    const dead = await closedPort();
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [`127.0.0.1:${dead}`])] }));
    expect((await get(p, '/')).status).toBe(502);
  });

  it('upstream reset before a response → 502; mid-body → downstream connection closed', async () => {
    const b = await httpBackend((req, res) => {
      if (req.url === '/mid') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20);
      } else req.socket.destroy();
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    expect((await get(p, '/')).status).toBe(502);
    const mid = await rawExchange(p, 'GET /mid HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(mid.text).toMatch(/^HTTP\/1\.1 200/);
    expect(mid.closed).toBe(true);
    expect(mid.text.endsWith('partial')).toBe(true);
  });

  it('route timeout → 504, and the upstream request is abandoned', async () => {
    let aborted = false;
    const b = await httpBackend((req) => {
      req.socket.on('close', () => (aborted = true));
    });
    cleanups.push(b.close);
    const { p } = await mosnWith(
      httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', timeout: '200ms' } }], clusters: [cluster('c', [b.address])] }),
    );
    const r = await get(p, '/slow');
    expect(r.status).toBe(504);
    await new Promise((res) => setTimeout(res, 50));
    expect(aborted).toBe(true);
  });

  it('a malformed request gets 400 and its connection closed; another connection is undisturbed', async () => {
    let hits = 0;
    const b = await httpBackend((_req, res) => {
      hits++;
      res.end('ok');
    });
    cleanups.push(b.close);
    const { mosn, p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    expect((await get(p, '/before', { agent })).status).toBe(200);
    const bad = await rawExchange(p, 'GET / HTTP/1.1\r\nHost h\r\nBad Header Line\r\n\r\n');
    expect(bad.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bad.closed).toBe(true);
    const garbage = await rawExchange(p, Buffer.from([0, 1, 2, 3, 255, 254, 10, 13, 10, 13]));
    expect(garbage.closed).toBe(true);
    expect((await get(p, '/after', { agent })).status).toBe(200);
    expect(hits).toBe(2);
    expect(mosn.stats.get('listener.l.downstream_protocol_error')).toBe(2);
  });

  it('a request head over extend_config.Http1.max_header_size gets 431', async () => {
    const { p } = await mosnWith(
      httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'ok' } }], extendConfig: { http1: { max_header_size: 2048 } } }),
    );
    expect((await get(p, '/', { headers: { 'x-small': 'a'.repeat(1000) } })).status).toBe(200);
    const big = await rawExchange(p, `GET / HTTP/1.1\r\nHost: h\r\nx-big: ${'a'.repeat(4000)}\r\n\r\n`);
    expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('Auto closes a connection whose first bytes are no known protocol', async () => {
    const { mosn, p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'ok' } }], downstreamProtocol: 'Auto' }));
    const r = await rawExchange(p, 'HELLO WORLD\r\n\r\n');
    expect(r.closed).toBe(true);
    expect(r.text).toBe('');
    expect((await get(p, '/')).body).toBe('ok');
    expect(mosn.stats.get('listener.l.downstream_protocol_detect_failed')).toBe(1);
  });

  it('Auto waits for enough bytes when a request line arrives one byte at a time', async () => {
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'slow' } }], downstreamProtocol: 'Auto' }));
    const req = 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
    const r = await rawExchange(p, req.split(''));
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.text.endsWith('slow')).toBe(true);
  });
});
