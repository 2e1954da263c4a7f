import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnMosn } from './helpers.js';

const MiB = 1024 * 1024;
const TOTAL = 1024 * MiB;

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

const children: Array<{ kill: () => void }> = [];
afterAll(() => {
  for (const c of children) c.kill();
});

/** Write TOTAL bytes to `out` as fast as it drains, then end it. */
function pumpTotal(out: Writable & { write(b: Buffer): boolean }): void {
  const chunk = Buffer.alloc(256 * 1024, 1);
  let sent = 0;
  const pump = () => {
    while (sent < TOTAL) {
      sent += chunk.length;
      if (!out.write(chunk)) return void out.once('drain', pump);
    }
    out.end();
  };
  pump();
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/**
 * Start mosn as its own process with one listener (1 MiB buffer limit) whose filter goes to cluster `b` at
 * `backendPort`; run `transfer` through it while sampling mosn's RSS; return how much it grew (MiB).
 */
async function growthDuring(filter: unknown, routers: unknown[], backendPort: number, transfer: (proxyPort: number) => Promise<number>): Promise<{ grownMiB: number; received: number }> {
  const proxyPort = await freePort();
  const file = join(tmpdir(), `mosn-mem-${process.pid}-${proxyPort}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      servers: [
        {
          default_log_path: 'stderr',
          default_log_level: 'INFO',
          routers,
          listeners: [{ name: 'l', address: `127.0.0.1:${proxyPort}`, per_connection_buffer_limit_bytes: MiB, filter_chains: [{ filters: [filter] }] }],
        },
      ],
      cluster_manager: { clusters: [{ name: 'b', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: `127.0.0.1:${backendPort}` }] }] },
    }),
  );
  const mosn = await spawnMosn(['start', '-c', file]);
  children.push({ kill: () => mosn.child.kill('SIGKILL') });
  const pid = mosn.child.pid!;
  const baseline = rssKiB(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50);
  try {
    const received = await transfer(proxyPort);
    return { grownMiB: (peak - baseline) / 1024, received };
  } finally {
    clearInterval(sampler);
  }
}

/** A slow reader: nothing for a second, then a 20 ms stall after every 32 MiB. */
function readSlowly(stream: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    stream.pause();
    setTimeout(() => stream.resume(), 1000);
    stream.on('data', (c: Buffer) => {
      n += c.length;
      if (n % (32 * MiB) < c.length) {
        stream.pause();
        setTimeout(() => stream.resume(), 20);
      }
    });
    stream.on('end', () => resolve(n));
    stream.on('error', reject);
  });
}

// Retained bytes are a few 1 MiB buffer limits; RSS also holds read buffers V8 has not collected yet (it
// frees external memory lazily: tens of MiB here). Without backpressure the growth would be ~1 GiB.
const BOUND_MIB = 96;

// The proxy runs as its own process so that its resident memory can be read from /proc.
describe('memory under a slow reader (mosn as a separate process)', () => {
  it('a 1 GiB tcp_proxy transfer to a reader that stalls does not grow mosn past a few buffer limits', async () => {
    const backend = net.createServer((s) => {
      s.on('error', () => {});
      pumpTotal(s);
    });
    const backendPort = await listen(backend);
    const r = await growthDuring({ type: 'tcp_proxy', config: { cluster: 'b' } }, [], backendPort, (p) => readSlowly(net.connect(p, '127.0.0.1')));
    backend.close();
    expect(r.received).toBe(TOTAL);
    expect(r.grownMiB).toBeLessThan(BOUND_MIB);
  }, 120_000);

  it('a 1 GiB HTTP/1 response to a reader that stalls does not grow mosn past a few buffer limits', async () => {
    const backend = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(TOTAL) });
      pumpTotal(res);
    });
    const backendPort = await listen(backend);
    const routers = [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'b' } }] }] }];
    const filter = { type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } };
    const r = await growthDuring(filter, routers, backendPort, (p) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: p, path: '/big', agent: false }, (res) => resolve(readSlowly(res))).on('error', reject);
      }),
    );
    backend.close();
    expect(r.received).toBe(TOTAL);
    expect(r.grownMiB).toBeLessThan(BOUND_MIB);
  }, 120_000);

  it('a 1 GiB HTTP/1 upload to an upstream that reads slowly does not grow mosn past a few buffer limits', async () => {
    const backend = http.createServer((req, res) => {
      void readSlowly(req).then((n) => res.end(String(n)));
    });
    const backendPort = await listen(backend);
    const routers = [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'b' } }] }] }];
    const filter = { type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } };
    const r = await growthDuring(filter, routers, backendPort, (p) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: p, method: 'POST', path: '/up', agent: false, headers: { 'content-length': String(TOTAL) } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(Number(body)));
        });
        req.on('error', reject);
        pumpTotal(req);
      }),
    );
    backend.close();
    expect(r.received).toBe(TOTAL); // what the upstream counted
    expect(r.grownMiB).toBeLessThan(BOUND_MIB);
  }, 120_000);

  it('a 1 GiB HTTP/2 response (h2c both hops) to a reader that stalls does not grow mosn past a few buffer limits', async () => {
    const backend = http2.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(TOTAL) });
      pumpTotal(res);
    });
    const backendPort = await listen(backend as unknown as net.Server);
    const routers = [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'b' } }] }] }];
    const filter = { type: 'proxy', config: { downstream_protocol: 'Http2', upstream_protocol: 'Http2', router_config_name: 'r' } };
    const r = await growthDuring(filter, routers, backendPort, async (p) => {
      const client = http2.connect(`http://127.0.0.1:${p}`);
      try {
        const stream = client.request({ ':path': '/big' });
        return await readSlowly(stream);
      } finally {
        client.close();
      }
    });
    backend.close();
    expect(r.received).toBe(TOTAL);
    expect(r.grownMiB).toBeLessThan(BOUND_MIB);
  }, 120_000);
});
