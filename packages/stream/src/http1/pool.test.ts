import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpHeaders, type HttpResponseHead } from '../http-headers.js';
import type { ClientStream, PoolFailureReason, StreamReceiver } from '../types.js';
import { Http1ConnectionPool } from './pool.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function open(p: Http1ConnectionPool, receiver: StreamReceiver<HttpResponseHead>): Promise<ClientStream> {
  return new Promise((resolve, reject) => {
    p.newStream(receiver, { onReady: resolve, onFailure: (r: PoolFailureReason) => reject(new Error(r)) });
  });
}

function collector(): StreamReceiver<HttpResponseHead> & { done: Promise<{ status: number; body: string }> } {
  let status = 0;
  const body: Buffer[] = [];
  let resolve!: (v: { status: number; body: string }) => void;
  const done = new Promise<{ status: number; body: string }>((r) => (resolve = r));
  const end = () => resolve({ status, body: Buffer.concat(body).toString() });
  return {
    done,
    onHeaders: (h, endStream) => {
      status = h.status;
      if (endStream) end();
    },
    onData: (c, endStream) => {
      body.push(Buffer.from(c));
      if (endStream) end();
    },
    onTrailers: () => end(),
    onReset: (reason) => resolve({ status: -1, body: reason }),
  };
}

describe('Http1ConnectionPool', () => {
  it('a request waiting for a connection when the pool starts draining is still answered; then the connection closes', async () => {
    const server = http.createServer((_req, res) => res.end('served'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const p = new Http1ConnectionPool({ address: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, connectTimeoutMs: 2000 });
    cleanups.push(() => p.close());
    const c = collector();
    const opened = open(p, c); // waits: the connection is being dialled
    p.drain(); // a removed host or cluster: no new requests from now on
    const s = await opened;
    s.sendHeaders({ method: 'GET', path: '/', versionMajor: 1, versionMinor: 1, headers: new HttpHeaders(['host', 'h']) }, true);
    expect(await c.done).toEqual({ status: 200, body: 'served' });
    await expect(open(p, collector())).rejects.toThrow('closed');
    for (const start = Date.now(); p.connectionCount > 0 && Date.now() - start < 3000; ) await new Promise((r) => setTimeout(r, 10));
    expect(p.connectionCount).toBe(0);
  });
});
