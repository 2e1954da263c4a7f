import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../connection.js';
import { Listener } from '../listener.js';
import { libuvHandleCheck } from './check.js';
import { disableHandleTransport, libuvBinding } from './libuv-binding.js';

/*
 * The start-up check of the libuv handle transport, and its fallback: once the check has failed (here: forced with
 * disableHandleTransport, what a failed check calls), accepted connections go through net.Socket and still carry
 * bytes in order under backpressure, with the half-close.
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function echoRoundTrip(bytes: Buffer): Promise<{ back: Buffer; conn: Connection }> {
  let conn: Connection | undefined;
  const listener = new Listener({
    name: 'echo',
    address: { host: '127.0.0.1', port: 0 },
    idleTimeoutMs: 0,
    onConnection: (c) => (conn = c),
    filterChain: [
      {
        createFilterChain(c) {
          c.addReadFilter({
            onData(buffer, endStream) {
              const chunks = buffer.chunks();
              buffer.clear();
              if (chunks.length > 0) c.write(...chunks);
              if (endStream) c.closeWrite();
              return 'stop';
            },
          });
        },
      },
    ],
  });
  await listener.start();
  cleanups.push(() => {
    listener.stopAccepting();
    listener.closeConnections();
  });
  const { port } = listener.address as { port: number };
  const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  cleanups.push(() => void s.destroy());
  const got: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => s.on('end', () => resolve(Buffer.concat(got))));
  s.pause();
  // the echo's writes back up while the client does not read: reading on its side must stop, then go on
  setTimeout(() => {
    s.on('data', (c: Buffer) => got.push(c));
    s.resume();
  }, 200);
  for (let i = 0; i < bytes.length; i += 100_000) s.write(bytes.subarray(i, i + 100_000));
  s.end();
  const back = await done;
  return { back, conn: conn! };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the libuv handle transport check', () => {
  it('passes on this Node; after a failed check every connection goes through net.Socket, and works', async () => {
    expect(await libuvHandleCheck.run()).toEqual({ internal: expect.stringContaining("process.binding('stream_wrap')"), status: 'ok' });
    const bytes = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(i, i);
    const before = await echoRoundTrip(bytes);
    expect(before.conn.transport).toBe('handle');
    expect(sha(before.back)).toBe(sha(bytes));

    disableHandleTransport();
    expect(libuvBinding()).toBeUndefined();
    const after = await echoRoundTrip(bytes);
    expect(after.conn.transport).toBe('socket');
    expect(sha(after.back)).toBe(sha(bytes));
    // what a check finds once the binding is gone (a Node without it)
    expect(await libuvHandleCheck.run()).toMatchObject({ status: 'failed', problem: 'the binding is missing or has changed', instead: 'net.Socket for every connection' });
  });

  it('MOSN_NET_TRANSPORT=socket: the check is off, not failed', async () => {
    process.env.MOSN_NET_TRANSPORT = 'socket';
    try {
      expect(await libuvHandleCheck.run()).toMatchObject({ status: 'off', instead: 'net.Socket for every connection' });
    } finally {
      delete process.env.MOSN_NET_TRANSPORT;
    }
  });
});
