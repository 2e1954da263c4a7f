import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster } from '../helpers.js';
import { mosnConfig, pathRouter, proxyListener, startMosnProcess } from '../reload/support.js';

/*
 * Clients that hold mosn's resources on purpose (docs/reliability.md, "Slow and abusive clients"), one at a time
 * against mosn as its own process: each must be closed in bounded time, with what mosn holds for it bounded by the
 * listener's buffer limit (test-e2e/memory.test.ts), and counted for what it is. scripts/slow-clients.mjs runs them by the thousand.
 */

const cleanups = cleanupAfterEach();

// HTTP/2 frames by hand: node:http2 reads its socket whatever the application does
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
/** HPACK, no Huffman, no table: `:method GET`, `:scheme http`, `:path <path>`, `:authority x`. */
function getBlock(path: string): Buffer {
  return Buffer.concat([Buffer.from([0x82, 0x86, 0x04, path.length]), Buffer.from(path), Buffer.from([0x01, 1]), Buffer.from('x')]);
}

async function h2Backend(bytes: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  const server = http2.createServer((_req, res) => {
    let left = bytes;
    const more = () => {
      while (left > 0) {
        left -= chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  server.on('sessionError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

describe('abusive clients, mosn as its own process', () => {
  it('an HTTP/2 client that opens every window and never reads is closed once no byte moved for the idle timeout (its stream is reset)', async () => {
    const backend = await h2Backend(64 * 1024 * 1024);
    const [admin, port] = [await closedPort(), await closedPort()];
    const listener = { ...proxyListener('h', port, 'Http2', 'r', { upstream: 'Http2' }), connection_idle_timeout: '1s' };
    const mosn = await startMosnProcess(
      mosnConfig({
        routers: [pathRouter('r', 'c')],
        listeners: [listener],
        clusters: [cluster('c', [`127.0.0.1:${backend}`])],
        server: { default_log_level: 'INFO' },
        top: { admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } } },
      }),
      cleanups,
    );
    const max = 2 ** 31 - 1;
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(max, 2);
    const increment = Buffer.alloc(4);
    increment.writeUInt32BE(max - 65535, 0);
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    cleanups.push(() => void s.destroy());
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.concat([PREFACE, frame(4, 0, 0, settings), frame(8, 0, 0, increment), frame(1, 0x5, 1, getBlock('/big'))]));
    // never read (the socket's 64 KiB of readable buffer fill, then the kernel's)
    s.pause();
    const held = await mosn.waitStats((x) => x['cluster.c.upstream_rq_total'] === 1, 10_000, 'the request sent upstream');
    expect(held['listener.h.downstream_cx_active']).toBe(1);
    // before the fix the stream kept the session from being idle: held for good
    const after = await mosn.waitStats((x) => x['listener.h.downstream_cx_destroy_local_idle_timeout'] === 1, 15_000, 'the stuck connection closed for idle_timeout');
    expect(after['listener.h.downstream_cx_active']).toBe(0);
  }, 60_000);
});
