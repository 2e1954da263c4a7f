import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../connection.js';
import { Listener } from '../listener.js';
import { generateTestCerts } from '../testing/certs.js';

/*
 * Connections over the socket's libuv handle (HandleTransport): what a net.Socket gave before must hold, over real
 * sockets on 127.0.0.1: bytes in order under backpressure (with and without the shared read buffer), half-close,
 * the idle timeout, a peer's reset, addresses, and a hand-over to a net.Socket (node:http2 needs one).
 */

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A listener whose connections echo what they read (optionally into the shared read buffer). */
async function echoListener(options: { shared?: boolean; idleTimeoutMs?: number; onConnection?: (c: Connection) => void; tls?: boolean } = {}) {
  const certs = options.tls ? generateTestCerts() : undefined;
  const context = certs ? tls.createSecureContext({ cert: certs.server.cert, key: certs.server.key }) : undefined;
  const listener = new Listener({
    name: 'echo',
    address: { host: '127.0.0.1', port: 0 },
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    filterChain: [
      {
        createFilterChain(conn) {
          if (options.shared) conn.neverNeedsSocket();
          conn.addReadFilter({
            onData(buffer, endStream) {
              const chunks = buffer.chunks();
              buffer.clear();
              if (chunks.length > 0) conn.write(...chunks);
              if (endStream) conn.closeWrite();
              return 'stop';
            },
          });
        },
      },
    ],
    ...(options.onConnection ? { onConnection: options.onConnection } : {}),
    ...(context ? { tls: { contextFor: () => context, requestCert: false, rejectUnauthorized: false } } : {}),
  });
  await listener.start();
  cleanups.push(() => {
    listener.stopAccepting();
    listener.closeConnections();
  });
  return listener.address as { host: string; port: number };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => void s.destroy());
  });
}

/** Send `bytes` in pieces while reading slowly at first; resolve with what came back before EOF. */
async function roundTrip(port: number, bytes: Buffer): Promise<Buffer> {
  const s = await connect(port);
  const got: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => s.on('end', () => resolve(Buffer.concat(got))));
  s.pause();
  // the echo's write buffer fills while the client does not read: reading on its side must stop, then go on
  setTimeout(() => {
    s.on('data', (c: Buffer) => got.push(c));
    s.resume();
  }, 200);
  for (let i = 0; i < bytes.length; i += 100_000) s.write(bytes.subarray(i, i + 100_000));
  s.end();
  return done;
}

describe('HandleTransport', () => {
  for (const shared of [false, true]) {
    it(`echoes 8 MiB in order under backpressure, then half-closes (${shared ? 'shared read buffer' : "Node's read buffers"})`, async () => {
      const conns: Connection[] = [];
      const { port } = await echoListener({ shared, onConnection: (c) => conns.push(c) });
      const bytes = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(i, i);
      const back = await roundTrip(port, bytes);
      expect(conns[0]!.transport).toBe('handle');
      expect(back.length).toBe(bytes.length);
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(conns[0]!.bytesRead).toBe(bytes.length);
    });
  }

  it('over TLS: many writes and a half-close while a write is in flight (a TLSWrap takes one write at a time)', async () => {
    const conns: Connection[] = [];
    const { port } = await echoListener({ tls: true, onConnection: (c) => conns.push(c) });
    const bytes = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(i * 7, i);
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, allowHalfOpen: true } as tls.ConnectionOptions);
    cleanups.push(() => void s.destroy());
    await new Promise((r) => s.once('secureConnect', r));
    const got: Buffer[] = [];
    const done = new Promise<Buffer>((resolve) => s.on('end', () => resolve(Buffer.concat(got))));
    s.on('data', (c: Buffer) => got.push(c));
    // pieces from several turns, then the end at once: the echo's half-close comes while its writes are in flight
    for (let i = 0; i < bytes.length; i += 64 * 1024) s.write(bytes.subarray(i, i + 64 * 1024));
    s.end();
    const back = await done;
    expect(conns[0]!.transport).toBe('handle');
    expect(back.length).toBe(bytes.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('knows its addresses, and counts the bytes it wrote', async () => {
    const conns: Connection[] = [];
    const { port } = await echoListener({ onConnection: (c) => conns.push(c) });
    const s = await connect(port);
    s.write('hello');
    await new Promise((r) => s.once('data', r));
    const c = conns[0]!;
    expect(c.remoteAddress).toBe('127.0.0.1');
    expect(c.remotePort).toBe(s.localPort);
    expect(c.localPort).toBe(port);
    expect(c.bytesWritten).toBe(5);
  });

  it('closes a connection idle for its timeout (not before, while bytes move)', async () => {
    const events: string[] = [];
    const { port } = await echoListener({
      idleTimeoutMs: 300,
      onConnection: (c) => c.on('event', (ev, reason) => events.push(`${ev}:${reason ?? ''}`)),
    });
    const s = await connect(port);
    s.resume(); // read the echoes: a paused socket never sees the end
    const closed = new Promise<number>((r) => s.once('end', () => r(Date.now())));
    // bytes every 100 ms for 600 ms: two timeouts' worth, and it stays open
    let lastWrite = 0;
    for (let i = 0; i < 6; i++) {
      s.write('x');
      lastWrite = Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events).toEqual([]);
    const at = await closed;
    expect(events).toEqual(['local_close:idle_timeout']);
    // not before the timeout since the last byte (its echo came a moment later); the upper bound is only "it fired"
    expect(at - lastWrite).toBeGreaterThanOrEqual(295);
    expect(at - lastWrite).toBeLessThan(2000);
  });

  it("reports the peer's reset as remote_close", async () => {
    const events: string[] = [];
    const { port } = await echoListener({ onConnection: (c) => c.on('event', (ev) => events.push(ev)) });
    const s = await connect(port);
    s.write('x');
    await new Promise((r) => s.once('data', r));
    s.resetAndDestroy();
    await expect.poll(() => events).toEqual(['remote_close']);
  });

  it('hands its handle to a net.Socket that reads and writes on (for node:http2)', async () => {
    const server = net.createServer((peer) => peer.on('data', (d) => peer.write(Buffer.concat([Buffer.from('echo:'), d]))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const conn = Connection.dial({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    cleanups.push(() => conn.close('now'));
    await new Promise<void>((r) => conn.on('event', (ev) => ev === 'connected' && r()));
    expect(conn.transport).toBe('handle');
    const socket = conn.socket;
    expect(conn.transport).toBe('socket');
    expect(conn.socket).toBe(socket);
    const reply = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    socket.resume();
    socket.write('ping');
    expect(await reply).toBe('echo:ping');
  });

  it('refuses the hand-over once reads go into the shared buffer', async () => {
    const { port } = await echoListener();
    const conn = Connection.dial({ host: '127.0.0.1', port });
    cleanups.push(() => conn.close('now'));
    await new Promise<void>((r) => conn.on('event', (ev) => ev === 'connected' && r()));
    conn.neverNeedsSocket();
    expect(() => conn.socket).toThrow(/shared buffer/);
  });
});
