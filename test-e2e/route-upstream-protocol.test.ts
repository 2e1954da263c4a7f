import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultExtensions, readConfig } from 'mosn';
import { BoltConn, decodeResponse, encodeRequest, SERVICE, startRpcServer } from './bolt/peers.js';
import { cleanupAfterEach, cluster, get, httpProxyConfig, port, rawExchange, startMosn } from './helpers.js';

/*
 * The route's `upstream_protocol`: one listener, routes to an HTTP/1 backend and an h2c backend, each request
 * going upstream in its route's protocol, from HTTP/1 and HTTP/2 clients.
 */

const cleanups = cleanupAfterEach();

interface Seen {
  version: string;
  body: string;
  trailer: string | undefined;
}

/** What both backends do: echo the protocol, body and request trailer they saw, and answer with a trailer. */
function echo(name: string) {
  return (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = { version: req.httpVersion, body: Buffer.concat(chunks).toString(), trailer: req.trailers['x-req-trailer'] as string | undefined };
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-backend', name);
      res.addTrailers({ 'x-resp-trailer': `${name}-done` });
      // written, not ended with: no content-length, so HTTP/1 answers chunked and can carry the trailer
      if (res instanceof http.ServerResponse) res.write(JSON.stringify(seen));
      else res.write(JSON.stringify(seen));
      res.end();
    });
  };
}

async function h1Backend(name: string): Promise<number> {
  const server = http.createServer(echo(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

async function h2Backend(name: string): Promise<number> {
  const server = http2.createServer(echo(name));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

interface Answer {
  status: number;
  backend: string | undefined;
  seen: Seen;
  trailer: string | undefined;
}

/** A POST with a chunked body and a request trailer over HTTP/1.1. */
function postH1(p: number, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p, path, method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked', trailer: 'x-req-trailer' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          backend: res.headers['x-backend'] as string | undefined,
          seen: JSON.parse(Buffer.concat(chunks).toString()) as Seen,
          trailer: res.trailers['x-resp-trailer'],
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.write(body.slice(0, 3));
    req.addTrailers({ 'x-req-trailer': 'from-client' });
    req.end(body.slice(3));
  });
}

function h2Session(p: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${p}`);
  s.on('error', () => {});
  cleanups.push(() => s.destroy());
  return s;
}

/** A POST with a body and a request trailer over HTTP/2. */
function postH2(s: http2.ClientHttp2Session, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = s.request({ ':method': 'POST', ':path': path }, { waitForTrailers: true });
    let status = 0;
    let backend: string | undefined;
    let trailer: string | undefined;
    const chunks: Buffer[] = [];
    req.on('wantTrailers', () => req.sendTrailers({ 'x-req-trailer': 'from-client' }));
    req.on('response', (h) => {
      status = Number(h[':status']);
      backend = h['x-backend'] as string | undefined;
    });
    req.on('trailers', (t) => (trailer = t['x-resp-trailer'] as string | undefined));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => resolve({ status, backend, seen: JSON.parse(Buffer.concat(chunks).toString()) as Seen, trailer }));
    req.write(body.slice(0, 3));
    req.end(body.slice(3));
  });
}

const route = (prefix: string, target: Record<string, unknown>, upstreamProtocol?: string) => ({
  match: { prefix },
  route: { ...target, ...(upstreamProtocol !== undefined ? { upstream_protocol: upstreamProtocol } : {}) },
});

describe("a route's upstream_protocol", () => {
  it('sends /h1 upstream as HTTP/1.1 and /h2 as HTTP/2, from HTTP/1 and HTTP/2 clients, with bodies and trailers', async () => {
    const h1 = await h1Backend('h1');
    const h2 = await h2Backend('h2');
    const mosn = await startMosn(
      httpProxyConfig({
        downstreamProtocol: 'Auto',
        // names match case-insensitively, as MOSN's protocol names do in the registry
        routes: [route('/h1', { cluster_name: 'c1' }, 'http1'), route('/h2', { cluster_name: 'c2' }, 'HTTP2')],
        clusters: [cluster('c1', [`127.0.0.1:${h1}`]), cluster('c2', [`127.0.0.1:${h2}`])],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));

    const body = 'hello upstream, '.repeat(1000);
    const viaH1 = [await postH1(p, '/h1', body), await postH1(p, '/h2', body)];
    expect(viaH1.map((a) => [a.status, a.backend, a.seen.version, a.trailer])).toEqual([
      [200, 'h1', '1.1', 'h1-done'],
      [200, 'h2', '2.0', 'h2-done'],
    ]);
    for (const a of viaH1) expect(a.seen).toMatchObject({ body, trailer: 'from-client' });

    const s = h2Session(p);
    const viaH2 = [await postH2(s, '/h1', body), await postH2(s, '/h2', body)];
    expect(viaH2.map((a) => [a.status, a.backend, a.seen.version, a.trailer])).toEqual([
      [200, 'h1', '1.1', 'h1-done'],
      [200, 'h2', '2.0', 'h2-done'],
    ]);
    for (const a of viaH2) expect(a.seen).toMatchObject({ body, trailer: 'from-client' });
  });

  it("wins over the proxy filter's; Auto (or none) leaves the proxy filter's choice; weighted clusters share it", async () => {
    const h1 = await h1Backend('h1');
    const h2a = await h2Backend('h2a');
    const h2b = await h2Backend('h2b');
    const mosn = await startMosn(
      httpProxyConfig({
        downstreamProtocol: 'Http1',
        upstreamProtocol: 'Http2',
        routes: [
          route('/h1', { cluster_name: 'c1' }, 'Http1'),
          route('/auto', { cluster_name: 'c2a' }, 'Auto'),
          route('/none', { cluster_name: 'c2a' }),
          route('/weighted-h1', { weighted_clusters: [{ cluster: { name: 'c1', weight: 1 } }, { cluster: { name: 'c1', weight: 1 } }] }, 'Http1'),
          route('/weighted', { weighted_clusters: [{ cluster: { name: 'c2a', weight: 1 } }, { cluster: { name: 'c2b', weight: 1 } }] }, 'Http2'),
        ],
        clusters: [cluster('c1', [`127.0.0.1:${h1}`]), cluster('c2a', [`127.0.0.1:${h2a}`]), cluster('c2b', [`127.0.0.1:${h2b}`])],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const versionOf = async (path: string) => {
      const a = await postH1(p, path, 'body!');
      return `${a.backend} ${a.seen.version}`;
    };
    expect(await versionOf('/h1')).toBe('h1 1.1');
    expect(await versionOf('/auto')).toBe('h2a 2.0');
    expect(await versionOf('/none')).toBe('h2a 2.0');
    expect(await versionOf('/weighted-h1')).toBe('h1 1.1');
    const weighted = new Set<string>();
    for (let i = 0; i < 40 && weighted.size < 2; i++) weighted.add(await versionOf('/weighted'));
    expect([...weighted].sort()).toEqual(['h2a 2.0', 'h2b 2.0']);
  });

  it('answers an upgrade (WebSocket) on an HTTP/2 route 501 and tunnels one on an HTTP/1 route', async () => {
    let h2Requests = 0;
    const h2 = http2.createServer(() => h2Requests++);
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => h2.close());
    const h1 = http.createServer((_req, res) => res.end('plain'));
    h1.on('upgrade', (_req, socket: net.Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      h1.closeAllConnections();
      h1.close();
    });
    const mosn = await startMosn(
      httpProxyConfig({
        routes: [route('/ws1', { cluster_name: 'c1' }, 'Http1'), route('/ws2', { cluster_name: 'c2' }, 'Http2')],
        clusters: [cluster('c1', [`127.0.0.1:${(h1.address() as net.AddressInfo).port}`]), cluster('c2', [`127.0.0.1:${(h2.address() as net.AddressInfo).port}`])],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const upgrade = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n`;
    const refused = await rawExchange(p, upgrade('/ws2'));
    expect(refused.text).toMatch(/^HTTP\/1\.1 501 /);
    expect(refused.text).toContain('not supported with an Http2 upstream');
    expect(h2Requests).toBe(0);
    const tunnelled = await new Promise<string>((resolve, reject) => {
      const s = net.connect(p, '127.0.0.1');
      let text = '';
      s.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n\r\n') && !text.includes('echo:')) s.write('ping');
        if (text.includes('echo:ping')) {
          s.destroy();
          resolve(text);
        }
      });
      s.on('error', reject);
      s.write(upgrade('/ws1'));
    });
    expect(tunnelled).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('is an error answer for an RPC request on a route naming another protocol; its own protocol works', async () => {
    const rpc = await startRpcServer('rpc');
    cleanups.push(() => rpc.close());
    const h2 = await h2Backend('h2');
    // no match rule: every request, HTTP or RPC, can reach this route
    const routes = (protocol: string) => [{ route: { cluster_name: 'rpc', upstream_protocol: protocol } }];
    // On an Auto listener both kinds of request can reach these routes: nothing is wrong at config time.
    const start = async (protocol: string) => {
      const mosn = await startMosn(
        httpProxyConfig({ downstreamProtocol: 'Auto', routes: routes(protocol), clusters: [cluster('rpc', [rpc.address]), cluster('h2', [`127.0.0.1:${h2}`])] }),
      );
      cleanups.push(() => mosn.stop(0));
      return port(mosn.listenerAddress('l'));
    };
    const call = async (p: number) => {
      const conn = await BoltConn.connect(p);
      cleanups.push(() => void conn.socket.destroy());
      conn.write(encodeRequest(1, { method: 'echo', args: ['hi'] }));
      return conn.response(1);
    };

    const pHttp2 = await start('Http2');
    const refused = await call(pHttp2);
    expect(refused.status).not.toBe(0);
    expect(decodeResponse(refused).error).not.toBeNull();
    expect(rpc.requests.length).toBe(0);

    const pBolt = await start('bolt');
    const served = await call(pBolt);
    expect(served.status).toBe(0);
    expect(rpc.requests.length).toBe(1);
    // an HTTP request on that bolt route cannot go upstream as bolt
    const r = await get(pBolt, '/x');
    expect(r.status).toBe(500);
    expect(r.body).toContain('bolt cannot carry HTTP');
    expect(rpc.requests.length).toBe(1);
  });

  it('bad values are config errors with their JSON path; what is wrong for every request that can reach the route too', () => {
    const at = (i: number) => `servers[0].routers[0].virtual_hosts[0].routers[${i}].route.upstream_protocol`;
    const errors = (routes: unknown[], downstreamProtocol = 'Auto') => {
      const cfg = httpProxyConfig({ downstreamProtocol, routes, clusters: [cluster('c', ['127.0.0.1:1'])] });
      return readConfig(cfg, defaultExtensions()).problems.errors.map((e) => `${e.path}: ${e.message}`);
    };
    const r = (protocol: unknown, match: unknown = { prefix: '/' }) => ({ match, route: { cluster_name: 'c', upstream_protocol: protocol } });
    for (const ok of ['Http1', 'http2', 'Auto', 'auto', 'X', '']) expect(errors([r(ok)])).toEqual([]);
    expect(errors([r(7)])).toEqual([`${at(0)}: expected a string, got number 7`]);
    expect(errors([r('Http9')])).toEqual([expect.stringMatching(/^\S+\.upstream_protocol: unknown protocol "Http9"; known: Auto, Http\d, Http\d, bolt, boltv2, dubbo$/)]);
    expect(errors([r('Http3')])).toEqual([expect.stringMatching(/^\S+\.upstream_protocol: protocol "Http3" is not supported by mosn-ts yet; supported: Auto, /)]);
    // an RPC protocol where only HTTP requests can match
    expect(errors([r('bolt')])).toEqual([
      `${at(0)}: "bolt" is an RPC protocol, but only HTTP requests can match this route (it matches on a path) and mosn-ts does not translate between protocols; expected "Http1", "Http2" or "Auto"`,
    ]);
    // a route RPC requests can match: fine on an Auto listener, wrong on an HTTP-only or other-RPC listener
    const any = { headers: [{ name: 'service', value: SERVICE }] };
    expect(errors([r('bolt', any)])).toEqual([]);
    expect(errors([r('bolt', any)], 'Http1,Http2')).toEqual([
      `${at(0)}: "bolt" cannot carry the requests listener "l" sends to this route (Http1, Http2): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)`,
    ]);
    expect(errors([r('bolt', any)], 'bolt,boltv2')).toEqual([]);
    expect(errors([r('dubbo', any)], 'bolt')).toEqual([
      `${at(0)}: "dubbo" cannot carry the requests listener "l" sends to this route (bolt): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)`,
    ]);
    expect(errors([r('Http2', any)], 'bolt')).toEqual([
      `${at(0)}: "Http2" cannot carry the requests listener "l" sends to this route (bolt): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)`,
    ]);
    // a path route never gets an RPC request: no request of a bolt listener reaches it
    expect(errors([r('Http2')], 'bolt')).toEqual([]);
    // RPC requests get the "*" virtual host only
    const vhCfg = httpProxyConfig({
      downstreamProtocol: 'bolt',
      routes: [],
      virtualHosts: [{ name: 'named', domains: ['svc.example'], routers: [r('bolt', any)] }],
      clusters: [cluster('c', ['127.0.0.1:1'])],
    });
    expect(readConfig(vhCfg, defaultExtensions()).problems.errors.map((e) => e.message)).toEqual([
      '"bolt" is an RPC protocol, but only HTTP requests can match this route (RPC requests get another virtual host) and mosn-ts does not translate between protocols; expected "Http1", "Http2" or "Auto"',
    ]);
  });
});
