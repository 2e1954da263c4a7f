import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultExtensions, readConfig, type Mosn } from 'mosn';
import { TestDnsServer } from './dns-server.js';
import { cleanupAfterEach, get, httpProxyConfig, port, startMosn } from './helpers.js';

const cleanups = cleanupAfterEach();

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

interface Backend {
  ip: string;
  server: http.Server;
  /** Sockets the backend has open now. */
  open: Set<net.Socket>;
}

/** HTTP backends answering their own name, on the given loopback IPs and one shared port (a DNS host has one port). */
async function backendsOnOnePort(ips: string[], handler?: (name: string, req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ port: number; backends: Backend[] }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const backends: Backend[] = [];
    let p = 0;
    try {
      for (const ip of ips) {
        const name = ip;
        const server = http.createServer((req, res) => (handler ? handler(name, req, res) : res.end(name)));
        const open = new Set<net.Socket>();
        server.on('connection', (s) => {
          open.add(s);
          s.on('close', () => open.delete(s));
        });
        backends.push({ ip, server, open });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(p, ip, () => resolve());
        });
        p = (server.address() as net.AddressInfo).port;
      }
      const all = backends;
      cleanups.push(async () => {
        for (const b of all) {
          b.server.closeAllConnections();
          await new Promise((r) => b.server.close(r));
        }
      });
      return { port: p, backends };
    } catch {
      for (const b of backends) b.server.close();
    }
  }
  throw new Error('no port free on every address');
}

async function dnsServer(): Promise<TestDnsServer> {
  const dns = await TestDnsServer.start();
  cleanups.push(() => dns.close());
  return dns;
}

function dnsCluster(dns: TestDnsServer, hosts: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'c',
    type: 'STRICT_DNS',
    lb_type: 'LB_ROUNDROBIN',
    dns_refresh_rate: '200ms',
    dns_resolvers: { servers: ['127.0.0.1'], port: String(dns.port), timeout: 1 },
    hosts: hosts.map((address) => ({ address })),
    ...extra,
  };
}

async function proxy(cluster: Record<string, unknown>): Promise<{ mosn: Mosn; p: number }> {
  const mosn = await startMosn(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster] }));
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')) };
}

describe('STRICT_DNS clusters', () => {
  it('follow the DNS answer, and keep the last good one when the server fails or stops answering', async () => {
    const dns = await dnsServer();
    const { port: bp } = await backendsOnOnePort(['127.0.0.2', '127.0.0.3']);
    dns.set('backend.test', { a: ['127.0.0.2'] });
    const { mosn, p } = await proxy(dnsCluster(dns, [`backend.test:${bp}`]));
    const stats = mosn.stats;

    // start waited for the first answer: the first request already goes to A
    expect((await get(p, '/')).body).toBe('127.0.0.2');
    expect(dns.queries).toContain('backend.test/A');
    expect(mosn.clusters.get('c')!.hosts.map((h) => h.addressText)).toEqual([`127.0.0.2:${bp}`]);

    dns.set('backend.test', { a: ['127.0.0.3'] });
    await until(async () => (await get(p, '/')).body === '127.0.0.3', 'traffic follows the new answer');
    for (let i = 0; i < 5; i++) expect((await get(p, '/')).body).toBe('127.0.0.3');

    dns.mode = 'servfail';
    const failures = stats.get('cluster.c.dns.resolve_failure');
    await until(() => stats.get('cluster.c.dns.resolve_failure') >= failures + 3, 'three failed refreshes');
    for (let i = 0; i < 5; i++) expect((await get(p, '/')).body).toBe('127.0.0.3');

    dns.mode = 'silent';
    const asked = dns.queries.length;
    const failed = stats.get('cluster.c.dns.resolve_failure');
    await until(() => stats.get('cluster.c.dns.resolve_failure') >= failed + 2 && dns.queries.length >= asked + 2, 'two unanswered refreshes');
    for (let i = 0; i < 5; i++) expect((await get(p, '/')).body).toBe('127.0.0.3');

    // an empty answer (the name is gone) also keeps the last good hosts
    dns.mode = 'answer';
    dns.records.delete('backend.test');
    const empty = stats.get('cluster.c.dns.resolve_empty');
    await until(() => stats.get('cluster.c.dns.resolve_empty') >= empty + 2, 'two empty answers');
    expect((await get(p, '/')).body).toBe('127.0.0.3');
  });

  it('makes one host per answer address, keeping the configured weight; IP literals need no DNS', async () => {
    const dns = await dnsServer();
    const { port: bp } = await backendsOnOnePort(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    dns.set('many.test', { a: ['127.0.0.3', '127.0.0.2'] });
    const { mosn, p } = await proxy({
      ...dnsCluster(dns, []),
      hosts: [
        { address: `many.test:${bp}`, weight: 7 },
        { address: `127.0.0.4:${bp}`, weight: 2 },
      ],
    });
    const hosts = mosn.clusters.get('c')!.hosts;
    expect(hosts.map((h) => [h.addressText, h.weight])).toEqual([
      [`127.0.0.2:${bp}`, 7],
      [`127.0.0.3:${bp}`, 7],
      [`127.0.0.4:${bp}`, 2],
    ]);
    expect(dns.queries.every((q) => q.startsWith('many.test/'))).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(p, '/')).body);
    expect([...seen].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it('serves from the start when a name does not resolve yet, and adds its hosts once it does', async () => {
    const dns = await dnsServer();
    const { port: bp } = await backendsOnOnePort(['127.0.0.2', '127.0.0.3']);
    const { mosn, p } = await proxy(dnsCluster(dns, [`late.test:${bp}`, `127.0.0.3:${bp}`]));
    expect(mosn.stage).toBe('running');
    expect(mosn.clusters.get('c')!.hosts.map((h) => h.addressText)).toEqual([`127.0.0.3:${bp}`]);
    expect((await get(p, '/')).body).toBe('127.0.0.3');
    dns.set('late.test', { a: ['127.0.0.2'] });
    await until(async () => (await get(p, '/')).body === '127.0.0.2', 'the late name joins');
  });

  it('resolves AAAA with V6_ONLY', async () => {
    const dns = await dnsServer();
    dns.set('six.test', { aaaa: ['::1'], a: ['127.0.0.9'] });
    const server = http.createServer((_q, res) => res.end('six'));
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(0, '::1', () => r());
    }).catch(() => undefined);
    if (!server.listening) return; // no IPv6 loopback here: nothing to test
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const bp = (server.address() as net.AddressInfo).port;
    const { mosn, p } = await proxy(dnsCluster(dns, [`six.test:${bp}`], { dns_lookup_family: 'V6_ONLY' }));
    expect(mosn.clusters.get('c')!.hosts.map((h) => h.addressText)).toEqual([`[::1]:${bp}`]);
    expect(dns.queries.filter((q) => q.endsWith('/A'))).toEqual([]);
    expect((await get(p, '/')).body).toBe('six');
  });

  it('refreshes after the TTL with respect_dns_ttl, even with a long dns_refresh_rate', async () => {
    const dns = await dnsServer();
    const { port: bp } = await backendsOnOnePort(['127.0.0.2', '127.0.0.3']);
    dns.set('ttl.test', { a: ['127.0.0.2'], ttl: 1 });
    const { p } = await proxy(dnsCluster(dns, [`ttl.test:${bp}`], { dns_refresh_rate: '1h', respect_dns_ttl: true }));
    expect((await get(p, '/')).body).toBe('127.0.0.2');
    dns.set('ttl.test', { a: ['127.0.0.3'], ttl: 1 });
    await until(async () => (await get(p, '/')).body === '127.0.0.3', 'traffic follows after the TTL');
  });

  it('a host that leaves the answer finishes the request it is serving; then its connection closes', async () => {
    const dns = await dnsServer();
    let release: (() => void) | undefined;
    const { port: bp, backends } = await backendsOnOnePort(['127.0.0.2', '127.0.0.3'], (name, req, res) => {
      if (req.url === '/slow') release = () => res.end(`${name} slow`);
      else res.end(name);
    });
    dns.set('move.test', { a: ['127.0.0.2'] });
    const { p } = await proxy(dnsCluster(dns, [`move.test:${bp}`]));
    const slow = get(p, '/slow');
    await until(() => release !== undefined, 'the slow request reached A');
    dns.set('move.test', { a: ['127.0.0.3'] });
    await until(async () => (await get(p, '/')).body === '127.0.0.3', 'traffic follows the new answer');
    expect(backends[0]!.open.size).toBe(1); // the busy connection to A was not cut
    release!();
    const r = await slow;
    expect([r.status, r.body]).toEqual([200, '127.0.0.2 slow']);
    await until(() => backends[0]!.open.size === 0, "A's connection is closed once idle");
  });

  it('stops asking DNS when mosn stops', async () => {
    const dns = await dnsServer();
    const { port: bp } = await backendsOnOnePort(['127.0.0.2']);
    dns.set('stop.test', { a: ['127.0.0.2'] });
    const mosn = await startMosn(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [dnsCluster(dns, [`stop.test:${bp}`])] }));
    await until(() => dns.queries.length >= 3, 'a few refreshes');
    await mosn.stop(0);
    const after = dns.queries.length;
    await new Promise((r) => setTimeout(r, 1000)); // five refresh periods
    expect(dns.queries.length).toBe(after);
  });
});

describe('STRICT_DNS config', () => {
  const check = (cluster: Record<string, unknown>) => {
    const cfg = httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [{ name: 'c', type: 'STRICT_DNS', ...cluster }] });
    const { problems } = readConfig(cfg, defaultExtensions());
    const at = (list: Array<{ path: string; message: string }>) => Object.fromEntries(list.map((x) => [x.path, x.message]));
    return { errors: at(problems.errors), warnings: at(problems.warnings) };
  };
  const C = 'cluster_manager.clusters[0]';

  it('reports bad settings with their JSON paths', () => {
    const { errors } = check({
      dns_refresh_rate: '10ms',
      dns_lookup_family: 'V5_ONLY',
      dns_resolvers: { servers: ['dns.example', '127.0.0.1'], port: 'fifty-three' },
      hosts: [{ address: 'unix:/tmp/x.sock' }, { address: 'bad name!:80' }, { address: 'ok.test:0' }],
    });
    expect(errors).toEqual({
      [`${C}.dns_refresh_rate`]: 'expected at least 100ms (or 0 for the default 5s), got 10ms',
      [`${C}.dns_lookup_family`]: '"V5_ONLY" is not one of: V4_ONLY, V6_ONLY, ALL, AUTO, V4_PREFERRED',
      [`${C}.dns_resolvers.servers[0]`]: 'expected the IP address of a DNS server, got "dns.example"',
      [`${C}.dns_resolvers.port`]: 'expected a port from 1 to 65535 (a number or a string such as "53"), got "fifty-three"',
      [`${C}.hosts[0].address`]: 'a STRICT_DNS host needs "name:port" (or "ip:port"), got the unix socket "unix:/tmp/x.sock"',
      [`${C}.hosts[1].address`]: 'expected "name:port" (a DNS name, or an IP address, and a port), got "bad name!:80"',
      [`${C}.hosts[2].address`]: 'expected a port from 1 to 65535, got 0 in "ok.test:0"',
    });
    expect(check({ dns_refresh_rate: 'soon', hosts: [{ address: 'a.test:80' }] }).errors).toEqual({
      [`${C}.dns_refresh_rate`]: 'expected a duration such as "10s", "500ms" or "1m30s", got string "soon"',
    });
  });

  it('a name without a port gets port 80, as in MOSN, with a warning; a resolv.conf that cannot be read is an error', () => {
    const { errors, warnings } = check({ hosts: [{ address: 'noport.test' }] });
    expect(errors).toEqual({});
    expect(warnings[`${C}.hosts[0].address`]).toBe('"noport.test" has no port; port 80 is used, as MOSN does');
    expect(check({ dns_resolver_file: '/nonexistent/resolv.conf', hosts: [{ address: 'a.test:80' }] }).errors[`${C}.dns_resolver_file`]).toMatch(/^cannot read "\/nonexistent\/resolv.conf": /);
  });

  it('DNS keys on another cluster type are warned about and ignored', () => {
    const { errors, warnings } = check({ type: 'SIMPLE', dns_refresh_rate: '1s', hosts: [{ address: '127.0.0.1:80' }] });
    expect(errors).toEqual({});
    expect(warnings[`${C}.dns_refresh_rate`]).toBe('used by STRICT_DNS clusters only; ignored');
  });
});
