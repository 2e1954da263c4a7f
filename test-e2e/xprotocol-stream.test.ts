import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BoltFrame, boltCodec, buildFrame, CMD_CODE_GOAWAY, CMD_CODE_HEARTBEAT } from '@mosn/protocol-bolt';
import { IoBuffer, XConnectionPool, type RpcResponseReceiver, type StreamResetReason, type XFrame } from 'mosn';
import { cleanupAfterEach, closedPort } from './helpers.js';

// The stream layer's RPC side (client connection, multiplexing pool, keepalive, GoAway) against a raw
// Bolt server on a real socket, frames built with the Bolt codec.

const cleanups = cleanupAfterEach();

interface RawServer {
  port: number;
  frames: BoltFrame[];
  connections: number;
  sockets: net.Socket[];
}

/** A Bolt server: `onFrame` decides what to write back for each frame it reads. */
async function boltServer(onFrame: (f: BoltFrame, s: net.Socket, srv: RawServer) => void): Promise<RawServer> {
  const srv: RawServer = { port: 0, frames: [], connections: 0, sockets: [] };
  const server = net.createServer((s) => {
    srv.connections++;
    srv.sockets.push(s);
    const buf = new IoBuffer();
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      buf.append(c);
      for (;;) {
        const f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 });
        if (!(f instanceof BoltFrame)) break;
        srv.frames.push(f);
        onFrame(f, s, srv);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  srv.port = (server.address() as net.AddressInfo).port;
  cleanups.push(() => {
    for (const s of srv.sockets) s.destroy();
    server.close();
  });
  return srv;
}

const write = (s: net.Socket, f: BoltFrame) => s.write(Buffer.concat(boltCodec.encode(f)));
const request = (id: number, body: string, oneWay = false) =>
  buildFrame({ version: 1, kind: 'request', requestId: id, oneWay, timeout: 3000, header: [['service', 'svc']], body: Buffer.from(body) });
const response = (to: BoltFrame, body: string) =>
  buildFrame({ version: 1, kind: 'response', requestId: to.requestId, status: 0, body: Buffer.from(body) });

function receiver(): RpcResponseReceiver & { result: Promise<XFrame | StreamResetReason> } {
  let resolve!: (x: XFrame | StreamResetReason) => void;
  const result = new Promise<XFrame | StreamResetReason>((r) => (resolve = r));
  return { result, onResponse: (f) => resolve(f), onReset: (r) => resolve(r) };
}

function pool(port: number, extra: Partial<ConstructorParameters<typeof XConnectionPool>[0]> = {}): XConnectionPool {
  const p = new XConnectionPool({ address: { host: '127.0.0.1', port }, codec: boltCodec, connectTimeoutMs: 1000, ...extra });
  cleanups.push(() => p.close());
  return p;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('RPC client connection and multiplexing pool', () => {
  it('gives each request a fresh id on one connection and matches responses in any order', async () => {
    const held: BoltFrame[] = [];
    const srv = await boltServer((f, s) => {
      held.push(f);
      if (held.length === 3) for (const h of held.reverse()) write(s, response(h, `re:${h.body.toString()}`));
    });
    const p = pool(srv.port);
    const rs = ['a', 'b', 'c'].map((body) => {
      const r = receiver();
      p.send(request(7, body), r); // every downstream used id 7: upstream ids must still be distinct
      return r;
    });
    const out = await Promise.all(rs.map((r) => r.result));
    expect(out.map((f) => (f as XFrame).body.toString())).toEqual(['re:a', 're:b', 're:c']);
    expect(new Set(srv.frames.map((f) => f.requestId)).size).toBe(3);
    expect(srv.connections).toBe(1);
  });

  it('a request waiting for the first connection when the pool starts draining is still sent and answered', async () => {
    const srv = await boltServer((f, s) => write(s, response(f, 'answered')));
    const p = pool(srv.port);
    const r = receiver();
    p.send(request(1, 'x'), r); // waits: the connection is being dialled
    p.drain(); // a removed host or cluster: no new requests from now on
    expect(((await r.result) as XFrame).body.toString()).toBe('answered');
    const refused = receiver();
    p.send(request(2, 'y'), refused);
    expect(await refused.result).toBe('connection_failure');
    p.drain(); // asked again once the answer came (the cluster's sweep does): the idle connection closes
    await until(() => p.connectionCount === 0);
  });

  it('one-way requests are written and never wait', async () => {
    const srv = await boltServer(() => {});
    const p = pool(srv.port);
    const r = receiver();
    p.send(request(1, 'fire', true), r);
    await until(() => srv.frames.length === 1);
    expect(srv.frames[0]!.isOneWay()).toBe(true);
    expect(p.activeRequests).toBe(0);
  });

  it('resets waiting requests when the host cannot be reached (no longer than the connect timeout)', async () => {
    const p = pool(await closedPort());
    const r = receiver();
    p.send(request(1, 'x'), r);
    expect(await r.result).toBe('connection_failure');
  });

  it('resets in-flight requests when the upstream connection closes, and reconnects for the next', async () => {
    let first = true;
    const srv = await boltServer((f, s) => {
      if (first) {
        first = false;
        s.destroy();
      } else write(s, response(f, 'ok'));
    });
    const p = pool(srv.port);
    const r1 = receiver();
    p.send(request(1, 'x'), r1);
    expect(await r1.result).toBe('connection_termination');
    const r2 = receiver();
    p.send(request(2, 'y'), r2);
    expect(((await r2.result) as XFrame).body.toString()).toBe('ok');
    expect(srv.connections).toBe(2);
  });

  it('follows a GoAway: the in-flight answer still arrives, then new requests use a new connection', async () => {
    const srv = await boltServer((f, s, state) => {
      if (state.connections === 1) {
        write(s, buildFrame({ version: 1, kind: 'request', requestId: 0, cmdCode: CMD_CODE_GOAWAY, timeout: 0 }));
        setTimeout(() => write(s, response(f, 'after-goaway')), 30);
      } else write(s, response(f, 'fresh'));
    });
    const p = pool(srv.port);
    const r1 = receiver();
    p.send(request(1, 'x'), r1);
    expect(((await r1.result) as XFrame).body.toString()).toBe('after-goaway');
    await until(() => srv.sockets[0]!.destroyed || srv.sockets[0]!.readableEnded);
    const r2 = receiver();
    p.send(request(2, 'y'), r2);
    expect(((await r2.result) as XFrame).body.toString()).toBe('fresh');
    expect(srv.connections).toBe(2);
  });

  it('sends heartbeats on an idle connection and keeps it while they are answered', async () => {
    const srv = await boltServer((f, s) => {
      if (f.cmdCode === CMD_CODE_HEARTBEAT) write(s, boltCodec.heartbeatReply!(f));
      else write(s, response(f, 'ok'));
    });
    const p = pool(srv.port, { keepalive: { intervalMs: 60, timeoutMs: 60, maxFailures: 2 } });
    const r = receiver();
    p.send(request(1, 'x'), r);
    await r.result;
    await until(() => srv.frames.filter((f) => f.isHeartbeat()).length >= 3);
    expect(p.connectionCount).toBe(1);
    expect(srv.connections).toBe(1);
  });

  it('closes an idle connection whose heartbeats go unanswered', async () => {
    const srv = await boltServer((f, s) => {
      if (!f.isHeartbeat()) write(s, response(f, 'ok'));
    });
    const p = pool(srv.port, { keepalive: { intervalMs: 50, timeoutMs: 50, maxFailures: 2 } });
    const r = receiver();
    p.send(request(1, 'x'), r);
    await r.result;
    await until(() => p.connectionCount === 0);
    expect(srv.frames.filter((f) => f.isHeartbeat()).length).toBeGreaterThanOrEqual(2);
  });
});
