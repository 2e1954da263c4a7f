import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultExtensions, readConfig, type Mosn } from 'mosn';
import { BoltConn, decodeResponse, encodeRequest, startRpcServer } from './bolt/peers.js';
import { cleanupAfterEach, get, httpBackend, httpProxyConfig, port, rawExchange, startMosn } from './helpers.js';

const cleanups = cleanupAfterEach();

const until = async (cond: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

async function backend(name: string) {
  const b = await httpBackend((_req, res) => res.end(name));
  cleanups.push(b.close);
  return b;
}

function oriDstCluster(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'c', type: 'ORIGINAL_DST', lb_type: 'LB_ORIGINAL_DST', ...extra };
}

async function proxy(cluster: Record<string, unknown>, listener?: Record<string, unknown>): Promise<{ mosn: Mosn; p: number }> {
  const mosn = await startMosn(
    httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster], ...(listener ? { listener } : {}) }),
  );
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')) };
}

/** A GET to `host:p` (any loopback address), answering status and body. */
function getAt(host: string, p: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: p, path: '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A Bolt v1 request frame with one more header entry (sofa-bolt-node writes only `service` with Hessian):
 * the header is a list of (int32 length, bytes) key/value pairs after the class name; its length is at offset 16.
 */
function withBoltHeader(frame: Buffer, key: string, value: string): Buffer {
  const classLen = frame.readUInt16BE(14);
  const headerLen = frame.readUInt16BE(16);
  const headerEnd = 22 + classLen + headerLen;
  const entry = (t: string) => {
    const b = Buffer.alloc(4 + Buffer.byteLength(t));
    b.writeInt32BE(Buffer.byteLength(t), 0);
    b.write(t, 4);
    return b;
  };
  const extra = Buffer.concat([entry(key), entry(value)]);
  const out = Buffer.concat([frame.subarray(0, headerEnd), extra, frame.subarray(headerEnd)]);
  out.writeUInt16BE(headerLen + extra.length, 16);
  return out;
}

/** A port free on both 127.0.0.1 and 127.0.0.2 now: a backend binds one address, mosn the other. */
async function backendAndListenerPort(name: string): Promise<{ p: number }> {
  for (let i = 0; i < 20; i++) {
    const b = await backend(name);
    const p = Number(b.address.split(':')[1]);
    const probe = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(p, '127.0.0.2', () => resolve(true));
    });
    if (free) {
      await new Promise((r) => probe.close(r));
      return { p };
    }
  }
  throw new Error('no port free on both addresses');
}

describe('ORIGINAL_DST clusters, destination from a header (use_header)', () => {
  it('sends each request to the ip:port its header names, making hosts on demand', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const { mosn, p } = await proxy(oriDstCluster({ original_dst_lb_config: { use_header: true, header_name: 'x-dst' } }));
    expect((await get(p, '/', { headers: { 'x-dst': a.address } })).body).toBe('a');
    expect((await get(p, '/', { headers: { 'x-dst': b.address } })).body).toBe('b');
    expect((await get(p, '/', { headers: { 'x-dst': a.address } })).body).toBe('a');
    const c = mosn.clusters.get('c')!;
    expect(c.hosts.map((h) => h.addressText).sort()).toEqual([a.address, b.address].sort());
    expect(mosn.stats.get('cluster.c.original_dst.hosts_added')).toBe(2);
  });

  it('uses the Host header when header_name is not set, as MOSN', async () => {
    const a = await backend('a');
    const { p } = await proxy(oriDstCluster({ original_dst_lb_config: { use_header: true } }));
    // node:http sends Host: 127.0.0.1:<mosn's port>; name the backend instead
    expect((await get(p, '/', { headers: { host: a.address } })).body).toBe('a');
  });

  it('refuses a destination that is mosn itself, a name, or garbage: 502 (no healthy upstream, as MOSN), counted', async () => {
    const { mosn, p } = await proxy(oriDstCluster({ original_dst_lb_config: { use_header: true, header_name: 'x-dst' } }));
    const stats = mosn.stats;
    // no header: the connection's local address, which is mosn's own listener
    expect((await get(p, '/')).status).toBe(502);
    expect((await get(p, '/', { headers: { 'x-dst': `127.0.0.1:${p}` } })).status).toBe(502);
    expect(stats.get('cluster.c.original_dst.loop_refused')).toBe(2);
    expect((await get(p, '/', { headers: { 'x-dst': 'backend.example:80' } })).status).toBe(502);
    expect((await get(p, '/', { headers: { 'x-dst': '127.0.0.1:99999' } })).status).toBe(502);
    expect(stats.get('cluster.c.original_dst.bad_header')).toBe(2);
    expect(mosn.clusters.get('c')!.hosts).toEqual([]);
  });

  it('a loop through a listener on 0.0.0.0 is refused too', async () => {
    const { mosn, p } = await proxy(oriDstCluster({ original_dst_lb_config: { use_header: true, header_name: 'x-dst' } }), { address: '0.0.0.0:0' });
    expect((await get(p, '/', { headers: { 'x-dst': `127.0.0.7:${p}` } })).status).toBe(502);
    expect(mosn.stats.get('cluster.c.original_dst.loop_refused')).toBe(1);
  });

  it('removes hosts idle for cleanup_interval, and makes them again when asked', async () => {
    const a = await backend('a');
    const { mosn, p } = await proxy(oriDstCluster({ original_dst_lb_config: { use_header: true, header_name: 'x-dst' }, cleanup_interval: '200ms' }));
    const c = mosn.clusters.get('c')!;
    expect((await get(p, '/', { headers: { 'x-dst': a.address } })).body).toBe('a');
    expect(c.hosts.length).toBe(1);
    await until(() => c.hosts.length === 0, 'the idle host is removed');
    expect(mosn.stats.get('cluster.c.original_dst.hosts_removed')).toBe(1);
    expect((await get(p, '/', { headers: { 'x-dst': a.address } })).body).toBe('a');
    expect(c.hosts.length).toBe(1);
  });
});

describe('ORIGINAL_DST clusters over Bolt, destination from a frame header', () => {
  it("sends each request to the ip:port of its header, and refuses a loop with Bolt's error answer", async () => {
    const a = await startRpcServer('a');
    const b = await startRpcServer('b');
    cleanups.push(a.close, b.close);
    const mosn = await startMosn({
      servers: [
        {
          default_log_level: 'ERROR',
          routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*', regex: true }] }, route: { cluster_name: 'c' } }] }] }],
          listeners: [
            {
              name: 'l',
              address: '127.0.0.1:0',
              bind_port: true,
              filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'bolt', upstream_protocol: 'bolt', router_config_name: 'r' } }] }],
            },
          ],
        },
      ],
      cluster_manager: { clusters: [oriDstCluster({ original_dst_lb_config: { use_header: true, header_name: 'x-dst' } })] },
    });
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    const conn = await BoltConn.connect(p);
    cleanups.push(() => void conn.socket.destroy());
    const call = async (id: number, dst: string | undefined) => {
      const frame = encodeRequest(id, { method: 'whoami' });
      conn.write(dst ? withBoltHeader(frame, 'x-dst', dst) : frame);
      const f = await conn.response(id);
      return f.status === 0 ? decodeResponse(f).appResponse : `status ${f.status}`;
    };
    expect(await call(1, `127.0.0.1:${a.port}`)).toBe('a');
    expect(await call(2, `127.0.0.1:${b.port}`)).toBe('b');
    expect(await call(3, `127.0.0.1:${a.port}`)).toBe('a');
    // no header: the connection's local address is mosn's listener
    expect(await call(4, undefined)).toMatch(/^status [1-9]/);
    expect(mosn.stats.get('cluster.c.original_dst.loop_refused')).toBe(1);
  });
});

describe('ORIGINAL_DST clusters, destination from the connection (its local address)', () => {
  it('replace_local: a connection to 127.0.0.2:P goes to 127.0.0.1:P (an inbound sidecar)', async () => {
    const { p } = await backendAndListenerPort('local app');
    const { mosn } = await proxy(oriDstCluster({ original_dst_lb_config: { replace_local: true } }), { address: `127.0.0.2:${p}` });
    expect(port(mosn.listenerAddress('l'))).toBe(p);
    expect(await getAt('127.0.0.2', p)).toEqual({ status: 200, body: 'local app' });
    expect(mosn.clusters.get('c')!.hosts.map((h) => h.addressText)).toEqual([`127.0.0.1:${p}`]);
  });

  it('without replace_local the local address is mosn itself (no TPROXY in Node): refused as a loop', async () => {
    const { mosn, p } = await proxy(oriDstCluster());
    expect((await get(p, '/')).status).toBe(502);
    expect(mosn.stats.get('cluster.c.original_dst.loop_refused')).toBe(1);
  });

  it('tcp_proxy: replace_local carries the bytes to 127.0.0.1:P; a loop closes the connection', async () => {
    const echo = net.createServer((s) => s.on('data', (d) => s.end(`echo:${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
    const p = (echo.address() as net.AddressInfo).port;
    const tcpConfig = (replaceLocal: boolean, address: string) => ({
      servers: [
        {
          default_log_level: 'ERROR',
          listeners: [{ name: 'l', address, bind_port: true, filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { cluster: 'c' } }] }] }],
        },
      ],
      cluster_manager: { clusters: [oriDstCluster({ original_dst_lb_config: { replace_local: replaceLocal } })] },
    });
    let mosn: Mosn;
    try {
      mosn = await startMosn(tcpConfig(true, `127.0.0.2:${p}`));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE/.test(String(e))) return; // taken on 127.0.0.2 (rare)
      throw e;
    }
    cleanups.push(() => mosn.stop(0));
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect(p, '127.0.0.2', () => s.write('hi'));
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text));
      s.on('error', reject);
    });
    expect(got).toBe('echo:hi');

    const loop = await startMosn(tcpConfig(false, '127.0.0.1:0'));
    cleanups.push(() => loop.stop(0));
    const r = await rawExchange(port(loop.listenerAddress('l')), 'hello');
    expect(r).toEqual({ text: '', closed: true });
    expect(loop.stats.get('cluster.c.original_dst.loop_refused')).toBeGreaterThanOrEqual(1);
  });
});

describe('ORIGINAL_DST config', () => {
  const check = (cluster: Record<string, unknown>, listener: Record<string, unknown> = {}) => {
    const cfg = httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [{ name: 'c', ...cluster }], listener });
    const { problems } = readConfig(cfg, defaultExtensions());
    const at = (list: Array<{ path: string; message: string }>) => Object.fromEntries(list.map((x) => [x.path, x.message]));
    return { errors: at(problems.errors), warnings: at(problems.warnings) };
  };
  const C = 'cluster_manager.clusters[0]';

  it('an ORIGINAL_DST cluster always balances by destination; its hosts are not used (as in MOSN)', () => {
    const { errors, warnings } = check({ type: 'ORIGINAL_DST', lb_type: 'LB_RANDOM', hosts: [{ address: '127.0.0.1:80' }] });
    expect(errors).toEqual({});
    expect(warnings[`${C}.lb_type`]).toMatch(/^ignored: an ORIGINAL_DST cluster sends each request to its own destination/);
    expect(warnings[`${C}.hosts`]).toMatch(/^ignored: an ORIGINAL_DST cluster/);
  });

  it('LB_ORIGINAL_DST on a SIMPLE cluster works as in MOSN; original_dst_lb_config elsewhere is ignored', () => {
    expect(check({ type: 'SIMPLE', lb_type: 'LB_ORIGINAL_DST' }).errors).toEqual({});
    const other = check({ type: 'SIMPLE', hosts: [{ address: '127.0.0.1:80' }], original_dst_lb_config: { use_header: true } });
    expect(other.warnings[`${C}.original_dst_lb_config`]).toBe('used by ORIGINAL_DST clusters only; ignored');
  });

  it('bad settings are reported with their paths', () => {
    const { errors } = check({ type: 'ORIGINAL_DST', original_dst_lb_config: { use_header: 'yes', header_name: 7 }, cleanup_interval: 'often' });
    expect(Object.keys(errors).sort()).toEqual([`${C}.cleanup_interval`, `${C}.original_dst_lb_config.header_name`, `${C}.original_dst_lb_config.use_header`]);
  });

  it("a listener's use_original_dst is refused, saying why", () => {
    const { errors } = check({ type: 'ORIGINAL_DST' }, { use_original_dst: 'redirect' });
    expect(errors['servers[0].listeners[0].use_original_dst']).toMatch(/SO_ORIGINAL_DST/);
  });
});
