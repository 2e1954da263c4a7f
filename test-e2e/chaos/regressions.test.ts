import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, httpProxyConfig, startMosnWithCleanup, waitUntil } from '../helpers.js';
import { h2Backend, h2Client } from '../reload/support.js';

// The mosn bugs the chaos runs (chaos.test.ts, scripts/chaos.mjs) found, each made to happen on purpose.

const cleanups = cleanupAfterEach();

/** A TCP server that accepts connections and never writes: an HTTP/2 upstream whose SETTINGS never come. */
async function silentServer(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('chaos regressions', () => {
  it("HTTP: a retry after a failed connect does not keep the first try's per-try timer (which cut the next try short)", async () => {
    // A: connects never complete (no SETTINGS: connect_timeout 1.5 s). B: answers 2.25 s late, within the 3 s
    // per-try timeout. A request that tries A first goes to B at 1.5 s and is answered at 3.75 s. The first
    // try's timer, left running, fired at 3 s and abandoned the try on B: 504 (or a third try).
    const silent = await silentServer();
    const b = await h2Backend('B');
    cleanups.push(b.close);
    const { p } = await startMosnWithCleanup(
      httpProxyConfig({
        downstreamProtocol: 'Http2',
        upstreamProtocol: 'Http2',
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', timeout: '20s', retry_policy: { retry_on: true, num_retries: 1, retry_timeout: '3s' } } }],
        clusters: [cluster('c', [silent, b.address], { connect_timeout: '1500ms' })],
      }),
      cleanups,
    );
    const client = await h2Client(p);
    cleanups.push(() => client.close());
    // round robin: one of two requests in a row tries A first
    for (const tag of ['one', 'two']) {
      expect(await client.request(`/slow/2250/${tag}`, 15_000)).toEqual({ status: 200, body: `B ${tag}` });
    }
  }, 30_000);

  it('HTTP/2 upstream: a server that hangs up without GOAWAY (killed, crashed) is noticed; the next request gets a new connection', async () => {
    // mosn's upstream socket is half-open-capable; nghttp2 took the server's FIN for nothing, so the session stayed
    // "ready" and every later request to the host waited for its timeout, for good (also after the server came back).
    const sockets = new Set<net.Socket>();
    const server = http2.createServer();
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('error', () => {});
      s.once('close', () => sockets.delete(s));
    });
    server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(`answer ${String(headers[':path'])}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    const { p } = await startMosnWithCleanup(
      httpProxyConfig({
        downstreamProtocol: 'Http2',
        upstreamProtocol: 'Http2',
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', timeout: '5s' } }],
        clusters: [cluster('c', [`127.0.0.1:${(server.address() as net.AddressInfo).port}`])],
      }),
      cleanups,
    );
    const client = await h2Client(p);
    cleanups.push(() => client.close());
    expect(await client.request('/one')).toEqual({ status: 200, body: 'answer /one' });
    expect(sockets.size).toBe(1);
    // the server's side of mosn's connection: FIN, no GOAWAY (what the kernel sends for a killed process)
    for (const s of sockets) s.end();
    await waitUntil(() => sockets.size === 0, 3000, "mosn closes its side after the server's FIN");
    expect(await client.request('/two', 4000)).toEqual({ status: 200, body: 'answer /two' });
  });

  it('HTTP/2 upstream: requests in flight when the server hangs up without GOAWAY are answered 502, or reset once their response began', async () => {
    // The session was destroyed without an error: Node then ends every open stream as if its response were complete.
    // A request with no response head yet went back with nothing at all (the client waited for good); one whose head
    // had come went back as a complete response with its body cut.
    const sockets = new Set<net.Socket>();
    const server = http2.createServer();
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('error', () => {});
      s.once('close', () => sockets.delete(s));
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      const path = String(headers[':path']);
      if (path === '/head') stream.respond({ ':status': 200 }); // the body never comes
      // the server goes away with the request in flight: FIN, no GOAWAY
      if (path !== '/ok') setTimeout(() => sockets.forEach((s) => s.end()), 100);
      else {
        stream.respond({ ':status': 200 });
        stream.end('ok');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    const { p } = await startMosnWithCleanup(
      httpProxyConfig({
        downstreamProtocol: 'Http2',
        upstreamProtocol: 'Http2',
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', timeout: '10s' } }],
        clusters: [cluster('c', [`127.0.0.1:${(server.address() as net.AddressInfo).port}`])],
      }),
      cleanups,
    );
    const client = await h2Client(p);
    cleanups.push(() => client.close());
    const noHead = await client.request('/none', 5000);
    expect(noHead.status).toBe(502);
    expect(noHead.body).toMatch(/upstream reset/);
    expect(await client.request('/ok')).toEqual({ status: 200, body: 'ok' });
    await expect(client.request('/head', 5000)).rejects.toThrow(/Stream closed with error code|closed without a complete response/);
    expect(await client.request('/ok')).toEqual({ status: 200, body: 'ok' });
  });
});
