import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from './connection.js';

/** A plain peer socket connected to a Connection over 127.0.0.1. */
async function pair(options: { bufferLimit?: number } = {}): Promise<{ conn: Connection; peer: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const port = (server.address() as net.AddressInfo).port;
  const conn = Connection.dial({ host: '127.0.0.1', port }, options);
  const peer = await accepted;
  server.close();
  await new Promise<void>((r, j) => conn.on('event', (ev) => (ev === 'connected' ? r() : ev.startsWith('connect') && j(new Error(ev)))));
  conn.addReadFilter({ onData: (b) => (b.clear(), 'stop') });
  conn.initializeReadFilters();
  cleanups.push(() => {
    conn.close('now');
    peer.destroy();
  });
  return { conn, peer };
}

/** Everything the peer reads until EOF (bounded by a timeout). */
function readAll(peer: net.Socket, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const t = setTimeout(() => reject(new Error('no EOF in time')), ms);
    peer.on('data', (c: Buffer) => chunks.push(c));
    peer.on('end', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks));
    });
  });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('Connection writes', () => {
  it('sends what one turn wrote in order, joining chunks that lie back to back in memory', async () => {
    const { conn, peer } = await pair();
    const got = readAll(peer);
    const block = Buffer.from(Array.from({ length: 4096 }, (_, i) => i & 0xff));
    const expected: Buffer[] = [];
    const send = (...chunks: Buffer[]) => {
      expected.push(...chunks);
      conn.write(...chunks);
    };
    // back to back views of one buffer (joined), then a gap, then another buffer, then the rest
    send(block.subarray(0, 100), block.subarray(100, 1000));
    send(block.subarray(1000, 1500));
    send(block.subarray(1600, 2000));
    send(Buffer.from('other'), Buffer.alloc(0));
    send(block.subarray(2000, 4096));
    const total = expected.reduce((n, c) => n + c.length, 0);
    expect(conn.bytesWritten).toBe(total);
    // a second turn
    await new Promise((r) => setImmediate(r));
    send(block.subarray(0, 10), block.subarray(10, 20));
    conn.closeWrite();
    expect((await got).equals(Buffer.concat(expected))).toBe(true);
  });

  it("close('flush') sends what was written just before; close('now') drops it", async () => {
    const a = await pair();
    const gotA = readAll(a.peer);
    a.conn.write(Buffer.from('hello '), Buffer.from('world'));
    a.conn.close('flush');
    expect((await gotA).toString()).toBe('hello world');

    const b = await pair();
    const gotB = readAll(b.peer);
    b.conn.write(Buffer.from('never sent'));
    b.conn.close('now');
    b.peer.on('error', () => {});
    // the peer sees the connection go away without the bytes (a reset may end it instead of a FIN)
    const result = await Promise.race([gotB, new Promise<Buffer>((r) => b.peer.on('close', () => r(Buffer.alloc(0))))]);
    expect(result.length).toBe(0);
  });

  it('reports high and low watermarks while a peer does not read, counting bytes not yet handed to the socket', async () => {
    const { conn, peer } = await pair({ bufferLimit: 64 * 1024 });
    peer.pause();
    const events: string[] = [];
    conn.on('high_watermark', () => events.push('high'));
    conn.on('low_watermark', () => events.push('low'));
    const chunk = Buffer.alloc(16 * 1024, 1);
    // within one turn: the limit is reached by pending bytes alone
    let accepted = 0;
    for (let i = 0; i < 5 && conn.write(chunk); i++) accepted++;
    expect(accepted).toBe(4); // 64 KiB is at the limit, not over it
    expect(events).toEqual(['high']);
    expect(conn.aboveWriteBufferHighWatermark).toBe(true);
    // turn after turn (bounded), until the kernel's buffers are full and the socket holds more than the limit
    let written = 5 * chunk.length;
    for (let turns = 0; turns < 4096 && written < 256 * 1024 * 1024; turns++) {
      await new Promise((r) => setImmediate(r));
      if (conn.aboveWriteBufferHighWatermark && turns > 0) break;
      conn.write(chunk);
      written += chunk.length;
    }
    expect(conn.aboveWriteBufferHighWatermark).toBe(true);
    let read = 0;
    peer.on('data', (c: Buffer) => (read += c.length));
    peer.resume();
    const deadline = Date.now() + 10_000;
    while (conn.aboveWriteBufferHighWatermark && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(conn.aboveWriteBufferHighWatermark).toBe(false);
    // every 'high' was followed by its 'low'
    expect(events.length % 2).toBe(0);
    expect(events.every((e, i) => e === (i % 2 === 0 ? 'high' : 'low'))).toBe(true);
    expect(read).toBeGreaterThan(0);
  });
});
