import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnMosn } from './helpers.js';

const MiB = 1024 * 1024;

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

const children: Array<{ kill: () => void }> = [];
afterAll(() => {
  for (const c of children) c.kill();
});

// The proxy runs as its own process so that its resident memory can be read from /proc.
describe('memory under a slow reader (mosn as a separate process)', () => {
  it('a 1 GiB tcp_proxy transfer to a reader that stalls does not grow mosn past a few buffer limits', async () => {
    const TOTAL = 1024 * MiB;
    const backend = net.createServer((s) => {
      const chunk = Buffer.alloc(256 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
      s.on('error', () => {});
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const backendPort = (backend.address() as net.AddressInfo).port;
    const proxyPort = await freePort();
    const file = join(tmpdir(), `mosn-mem-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        servers: [
          {
            default_log_path: 'stderr',
            default_log_level: 'INFO',
            listeners: [
              {
                name: 'tcp',
                address: `127.0.0.1:${proxyPort}`,
                per_connection_buffer_limit_bytes: 1048576,
                filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { cluster: 'b' } }] }],
              },
            ],
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

    const client = net.connect(proxyPort, '127.0.0.1');
    let received = 0;
    client.on('data', (c: Buffer) => {
      received += c.length;
      // a slow reader: stop for 20 ms after every 32 MiB, and for a whole second at the start
      if (received % (32 * MiB) < c.length) {
        client.pause();
        setTimeout(() => client.resume(), 20);
      }
    });
    client.pause();
    await new Promise((r) => setTimeout(r, 1000));
    client.resume();
    await new Promise<void>((resolve, reject) => {
      client.on('end', () => resolve());
      client.on('error', reject);
    });
    clearInterval(sampler);
    backend.close();
    expect(received).toBe(TOTAL);
    const grownMiB = (peak - baseline) / 1024;
    // Retained bytes are a few 1 MiB buffer limits; RSS also holds read buffers that V8 has not collected
    // yet (it frees external memory lazily, tens of MiB here). Without backpressure this would be ~1 GiB.
    expect(grownMiB).toBeLessThan(96);
  }, 120_000);

  it('a 1 GiB HTTP/1 response to a reader that stalls does not grow mosn past a few buffer limits', async () => {
    const TOTAL = 1024 * MiB;
    const backend = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(TOTAL) });
      const chunk = Buffer.alloc(256 * 1024, 2);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const backendPort = (backend.address() as net.AddressInfo).port;
    const proxyPort = await freePort();
    const file = join(tmpdir(), `mosn-mem-http-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        servers: [
          {
            default_log_path: 'stderr',
            default_log_level: 'INFO',
            routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'b' } }] }] }],
            listeners: [
              {
                name: 'http',
                address: `127.0.0.1:${proxyPort}`,
                per_connection_buffer_limit_bytes: 1048576,
                filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } }] }],
              },
            ],
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
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: proxyPort, path: '/big', agent: false }, (res) => {
          let n = 0;
          res.pause();
          setTimeout(() => res.resume(), 1000); // stall for a second before reading anything
          res.on('data', (c: Buffer) => {
            n += c.length;
            if (n % (32 * MiB) < c.length) {
              res.pause();
              setTimeout(() => res.resume(), 20);
            }
          });
          res.on('end', () => resolve(n));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    clearInterval(sampler);
    backend.close();
    expect(received).toBe(TOTAL);
    expect((peak - baseline) / 1024).toBeLessThan(96); // see the tcp_proxy case above
  }, 120_000);
});

async function freePort(): Promise<number> {
  return new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
}
