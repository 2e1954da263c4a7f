import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BoltFrame, BoltStatus, boltCodec, buildFrame } from '@mosn/protocol-bolt';
import { IoBuffer } from 'mosn';
import { cluster, get, httpBackend, httpProxyConfig, port, startMosn } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('circuit_breakers', () => {
  it('max_requests: HTTP requests past the limit get 503 at once', async () => {
    let reached = 0;
    const b = await httpBackend((_req, res) => {
      reached++;
      setTimeout(() => res.end('ok'), 300);
    });
    cleanups.push(b.close);
    const mosn = await startMosn(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [cluster('c', [b.address], { circuit_breakers: [{ max_requests: 2 }] })],
      }),
    );
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const statuses = await Promise.all([0, 1, 2, 3].map(() => get(p, '/').then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(reached).toBe(2); // the overflowing requests never reached the backend
    // the budget comes back when requests end
    expect((await get(p, '/')).status).toBe(200);
  });

  it('max_requests: Bolt requests past the limit get status 4 (SERVER_THREADPOOL_BUSY)', async () => {
    const server = net.createServer((s) => {
      const buf = new IoBuffer();
      s.on('data', (c: Buffer) => {
        buf.append(c);
        for (let f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 }); f instanceof BoltFrame; f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 })) {
          const req = f;
          setTimeout(() => s.write(Buffer.concat(boltCodec.encode(buildFrame({ version: 1, kind: 'response', requestId: req.requestId, status: 0 })))), 200);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => void server.close());
    const upstream = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const mosn = await startMosn({
      servers: [
        {
          routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*' }] }, route: { cluster_name: 'c' } }] }] }],
          listeners: [{ name: 'l', address: '127.0.0.1:0', filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'bolt', router_config_name: 'r' } }] }] }],
        },
      ],
      cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', hosts: [{ address: upstream }], circuit_breakers: [{ max_requests: 1 }] }] },
    });
    cleanups.push(() => mosn.stop(0));
    const client = net.connect(port(mosn.listenerAddress('l')), '127.0.0.1');
    cleanups.push(() => void client.destroy());
    const frames: BoltFrame[] = [];
    const buf = new IoBuffer();
    const done = new Promise<void>((resolve) =>
      client.on('data', (c: Buffer) => {
        buf.append(c);
        for (let f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 }); f instanceof BoltFrame; f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 })) frames.push(f);
        if (frames.length === 2) resolve();
      }),
    );
    for (const id of [1, 2]) {
      client.write(Buffer.concat(boltCodec.encode(buildFrame({ version: 1, kind: 'request', requestId: id, timeout: 3000, header: [['service', 's']] }))));
    }
    await done;
    // the second is refused at once, so it is answered first
    expect(frames.map((f) => [f.requestId, f.status])).toEqual([
      [2, BoltStatus.SERVER_THREADPOOL_BUSY],
      [1, 0],
    ]);
  });
});
