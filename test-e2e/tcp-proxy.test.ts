import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, closedPort, port, REPO_ROOT, startMosn } from './helpers.js';

const cleanups = cleanupAfterEach();

/** configs/tcp_proxy.json with the listener on port 0 and the clusters pointed at test backends. */
function exampleConfig(main: string, localOnly: string): unknown {
  const cfg = JSON.parse(readFileSync(`${REPO_ROOT}configs/tcp_proxy.json`, 'utf8'));
  cfg.servers[0].default_log_path = 'stderr';
  cfg.servers[0].default_log_level = 'ERROR';
  cfg.servers[0].listeners[0].address = '127.0.0.1:0';
  cfg.cluster_manager.clusters[0].hosts = [{ address: main }];
  cfg.cluster_manager.clusters[1].hosts = [{ address: localOnly }];
  return cfg;
}

async function tcpServer(onConn: (s: net.Socket) => void): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as net.AddressInfo;
  const close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  cleanups.push(close);
  return { address: `127.0.0.1:${addr.port}`, close };
}

async function mosnOn(config: unknown): Promise<{ mosn: Mosn; p: number }> {
  const mosn = await startMosn(config);
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('tcpListener')) };
}

/** Deterministic bytes: block i of a stream seeded by `seed`. */
function block(seed: number, i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + i * 40503) >>> 0;
  for (let j = 0; j < size; j += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b.writeUInt32LE(x, j);
  }
  return b;
}

/** Write `total` bytes of stream `seed` with backpressure, then end; returns the sha256 of what was sent. */
function send(s: net.Socket, seed: number, total: number): Promise<string> {
  const hash = createHash('sha256');
  const size = 64 * 1024;
  let i = 0;
  return new Promise((resolve, reject) => {
    const pump = () => {
      while (i * size < total) {
        const b = block(seed, i++, size);
        hash.update(b);
        if (!s.write(b)) return void s.once('drain', pump);
      }
      s.end();
      resolve(hash.digest('hex'));
    };
    s.on('error', reject);
    pump();
  });
}

/** Read until end; returns the sha256 and byte count. */
function receive(s: net.Socket): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    s.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    s.on('end', () => resolve({ hash: hash.digest('hex'), bytes }));
    s.on('error', reject);
  });
}

const MiB = 1024 * 1024;

describe('tcp_proxy (configs/tcp_proxy.json)', () => {
  it('carries 64 MiB each way at once, byte for byte', async () => {
    let backendGot: Promise<{ hash: string; bytes: number }> = Promise.resolve({ hash: '', bytes: 0 });
    let backendSent: Promise<string> = Promise.resolve('');
    const backend = await tcpServer((s) => {
      backendGot = receive(s);
      backendSent = send(s, 2, 64 * MiB);
    });
    const { p } = await mosnOn(exampleConfig(backend.address, backend.address));
    const client = net.connect({ port: p, host: '127.0.0.1', allowHalfOpen: true });
    const clientGot = receive(client);
    const clientSent = await send(client, 1, 64 * MiB);
    const got = await clientGot;
    expect(got.bytes).toBe(64 * MiB);
    expect(got.hash).toBe(await backendSent);
    const atBackend = await backendGot;
    expect(atBackend.bytes).toBe(64 * MiB);
    expect(atBackend.hash).toBe(clientSent);
    client.destroy();
  });

  it('passes a half-close through: the client ends, the server still answers, then ends', async () => {
    const backend = await tcpServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => {
        // the client has finished sending; the reply goes back over the half-open connection
        setTimeout(() => s.end(`got ${Buffer.concat(chunks).toString()}`), 30);
      });
    });
    const { p } = await mosnOn(exampleConfig(backend.address, backend.address));
    const client = net.connect({ port: p, host: '127.0.0.1', allowHalfOpen: true });
    const reply = receive(client);
    const text: Buffer[] = [];
    client.on('data', (c: Buffer) => text.push(c));
    client.end('question');
    await reply;
    expect(Buffer.concat(text).toString()).toBe('got question');
  });

  it('routes by source CIDR: 127.0.0.2 goes to the localOnly cluster', async () => {
    const main = await tcpServer((s) => s.end('main'));
    const local = await tcpServer((s) => s.end('localOnly'));
    const { p } = await mosnOn(exampleConfig(main.address, local.address));
    const read = (localAddress: string) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect({ port: p, host: '127.0.0.1', localAddress });
        let t = '';
        s.on('data', (c) => (t += c.toString()));
        s.on('close', () => resolve(t));
        s.on('error', reject);
      });
    expect(await read('127.0.0.1')).toBe('main');
    expect(await read('127.0.0.2')).toBe('localOnly');
  });

  it('closes the downstream when the upstream cannot be reached, after max_connect_attempts', async () => {
    const dead = `127.0.0.1:${await closedPort()}`;
    const { mosn, p } = await mosnOn(exampleConfig(dead, dead));
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port: p, host: '127.0.0.1' });
      s.on('data', () => resolve(false));
      s.on('error', () => resolve(true));
      s.on('close', () => resolve(true));
    });
    expect(closed).toBe(true);
    expect(mosn.stats.get('tcp.tcpListener.upstream_connect_failed')).toBe(2);
  });

  it('stops reading from the upstream while the client does not read (bounded buffering)', async () => {
    let written = 0;
    let serverSocket: net.Socket | undefined;
    const backend = await tcpServer((s) => {
      serverSocket = s;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (written < 256 * MiB) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const { p } = await mosnOn(exampleConfig(backend.address, backend.address));
    const client = net.connect({ port: p, host: '127.0.0.1' });
    client.pause();
    await new Promise((r) => setTimeout(r, 1500));
    // Kernel socket buffers on both hops plus mosn's own limit (1 MiB by default): far below 256 MiB.
    const stalledAt = written;
    expect(stalledAt).toBeLessThan(48 * MiB);
    const got = receive(client);
    client.resume();
    const r = await got;
    expect(r.bytes).toBe(256 * MiB);
    expect(serverSocket).toBeDefined();
  });
});
