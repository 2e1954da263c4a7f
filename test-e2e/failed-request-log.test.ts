import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateTestCerts } from '@mosn/net/testing';
import { describe, expect, it } from 'vitest';
import { Mosn, type Logger } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, get, httpProxyConfig, port, waitUntil } from './helpers.js';
import { OTHER_SERVICE, rpcClient, SERVICE } from './bolt/peers.js';

// A request mosn answers itself with an error leaves one warn line (rate-limited) on the downstream
// connection's logger: client → mosn → (no route | closed port | h2c-only backend), HTTP/1 and Bolt, and tcp_proxy.
// The limiter is per process and this file's tests share it: the flood runs last.

const cleanups = cleanupAfterEach();

/** The failure log's numbers (packages/proxy/src/common/failure-log.ts). */
const BURST = 100;
const RATE = 10;

interface Line {
  level: string;
  msg: string;
  [field: string]: unknown;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** A pino-shaped logger at `info` that keeps every line, child bindings merged in as pino writes them. */
function captureLogger(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (a: object | string, msg?: string) => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf('info')) return;
    lines.push(typeof a === 'string' ? { level, ...bindings, msg: a } : { level, ...bindings, ...a, msg: msg ?? '' });
  };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => captureLogger(lines, { ...bindings, ...b }),
    isLevelEnabled: (level) => LEVELS.indexOf(level) >= LEVELS.indexOf('info'),
  };
}

async function startLogged(config: unknown): Promise<{ mosn: Mosn; p: number; lines: Line[]; warns: () => Line[] }> {
  const lines: Line[] = [];
  const mosn = new Mosn({ config, logger: captureLogger(lines) });
  await mosn.start();
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')), lines, warns: () => lines.filter((l) => l.level === 'warn') };
}

const failures = (lines: Line[]) => lines.filter((l) => l.level === 'warn' && l.msg.startsWith('request failed'));

describe('the log line of a failed request', () => {
  it('no route: one warn line with reason no_route, the listener, the client and the request', async () => {
    const { p, warns } = await startLogged(httpProxyConfig({ routes: [{ match: { prefix: '/api' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', ['127.0.0.1:1'])] }));
    const r = await get(p, '/other/path?token=secret', { headers: { host: 'shop.example' } });
    expect(r.status).toBe(404);
    await waitUntil(() => warns().length > 0, 2000, 'a warn line');
    await sleep(50);
    expect(warns()).toHaveLength(1);
    const line = warns()[0]!;
    expect(line).toMatchObject({
      listener: 'l',
      protocol: 'Http1',
      request: 'GET shop.example/other/path',
      reason: 'no_route',
      msg: 'request failed: no route matched',
    });
    expect(line.downstream).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(line).not.toHaveProperty('cluster');
    expect(JSON.stringify(line)).not.toContain('secret');
  });

  it('an upstream TLS certificate that does not verify: the line says why (and the client is told no more than 502)', async () => {
    const certs = generateTestCerts();
    cleanups.push(() => certs.remove());
    const server = https.createServer({ cert: certs.otherServer.cert, key: certs.otherServer.key }, (_req, res) => res.end('unreachable'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const tls = { status: true, ca_cert: certs.ca.certPath, server_name: 'localhost' };
    const { p, warns } = await startLogged(
      httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [`127.0.0.1:${(server.address() as net.AddressInfo).port}`], { tls_context: tls })] }),
    );
    const r = await get(p, '/');
    expect(r.status).toBe(502);
    expect(r.body).not.toContain('certificate');
    await waitUntil(() => warns().length > 0, 2000, 'a warn line');
    expect(warns()[0]!.msg).toMatch(/^request failed: upstream connect failed: .*(certificate|verify)/i);
  });

  it('connect failure: the line names the route, cluster and host, and why the connect failed; cluster.c.upstream_cx_connect_failed is 1', async () => {
    const dead = await closedPort();
    const { mosn, p, warns } = await startLogged(
      httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [`127.0.0.1:${dead}`])] }),
    );
    expect((await get(p, '/x')).status).toBe(502);
    await waitUntil(() => warns().length > 0, 2000, 'a warn line');
    await sleep(50);
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toMatchObject({
      listener: 'l',
      protocol: 'Http1',
      route: 'prefix /',
      cluster: 'c',
      host: `127.0.0.1:${dead}`,
      reason: 'connect_failed',
      msg: `request failed: upstream connect failed: connect ECONNREFUSED 127.0.0.1:${dead}`,
    });
    expect(mosn.stats.get('cluster.c.upstream_cx_connect_failed')).toBe(1);
  });

  it('an HTTP/1 route to an h2c-only backend: the line says to set upstream_protocol Http2', async () => {
    const h2 = http2.createServer((_req, res) => res.end('h2 only'));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => h2.close(() => r())));
    const h2Port = (h2.address() as net.AddressInfo).port;
    const { p, warns } = await startLogged(
      httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'h2' } }], clusters: [cluster('h2', [`127.0.0.1:${h2Port}`])] }),
    );
    expect((await get(p, '/')).status).toBe(502);
    await waitUntil(() => warns().length > 0, 2000, 'a warn line');
    const line = warns()[0]!;
    expect(line).toMatchObject({ listener: 'l', cluster: 'h2', host: `127.0.0.1:${h2Port}`, reason: 'upstream_reset' });
    expect(line.hint).toContain('if it speaks only HTTP/2 (h2c), set "upstream_protocol": "Http2" on the proxy filter or the route');
    expect(warns()).toHaveLength(1);
  });

  it('an HTTP/1 upstream that closes a kept-alive connection after answering on it gets no h2c hint', async () => {
    // answers the first request of each connection, and closes it on the second
    const backend = net.createServer((s) => {
      let requests = 0;
      s.on('data', () => {
        if (++requests === 1) s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        else s.destroy();
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => backend.close(() => r())));
    const address = `127.0.0.1:${(backend.address() as net.AddressInfo).port}`;
    const { p, warns } = await startLogged(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [address])] }));
    expect((await get(p, '/1')).status).toBe(200);
    expect((await get(p, '/2')).status).toBe(502);
    await waitUntil(() => warns().length > 0, 2000, 'a warn line');
    expect(warns()).toEqual([expect.objectContaining({ reason: 'upstream_reset', host: address, msg: 'request failed: upstream reset: connection_termination' })]);
    expect(warns()[0]).not.toHaveProperty('hint');
  });

  it('Bolt: no route and a connect failure each leave one line with the service, as the RPC path counts them', async () => {
    const dead = await closedPort();
    const config = httpProxyConfig({
      downstreamProtocol: 'bolt',
      upstreamProtocol: 'bolt',
      routes: [{ match: { headers: [{ name: 'service', value: OTHER_SERVICE }] }, route: { cluster_name: 'c' } }],
      clusters: [cluster('c', [`127.0.0.1:${dead}`])],
    });
    const { mosn, p, lines } = await startLogged(config);
    const client = rpcClient(`127.0.0.1:${p}`);
    cleanups.push(() => client.close());
    await expect(client.invoke('echo', ['x'], { service: SERVICE })).rejects.toThrow();
    await expect(client.invoke('echo', ['y'], { service: OTHER_SERVICE })).rejects.toThrow();
    await waitUntil(() => failures(lines).length >= 2, 2000, 'two failure lines');
    await sleep(50);
    const [noRoute, connect] = failures(lines);
    expect(failures(lines)).toHaveLength(2);
    expect(noRoute).toMatchObject({ listener: 'l', protocol: 'bolt', request: SERVICE, reason: 'no_route' });
    expect(connect).toMatchObject({
      listener: 'l',
      protocol: 'bolt',
      request: OTHER_SERVICE,
      route: `header service=${OTHER_SERVICE}`,
      cluster: 'c',
      host: `127.0.0.1:${dead}`,
      reason: 'connect_failed',
    });
    expect(mosn.stats.get('cluster.c.upstream_cx_connect_failed')).toBe(1);
  });

  it('tcp_proxy: a connection whose upstream cannot be reached leaves one line', async () => {
    const dead = await closedPort();
    const config = httpProxyConfig({ routes: [], clusters: [cluster('t', [`127.0.0.1:${dead}`])] }) as {
      servers: Array<{ listeners: Array<{ filter_chains: Array<{ filters: unknown[] }> }> }>;
    };
    config.servers[0]!.listeners[0]!.filter_chains[0]!.filters = [{ type: 'tcp_proxy', config: { cluster: 't', max_connect_attempts: 2 } }];
    const { p, lines } = await startLogged(config);
    await new Promise<void>((resolve) => {
      const s = net.connect(p, '127.0.0.1');
      s.on('close', () => resolve());
      s.on('error', () => {});
    });
    await waitUntil(() => failures(lines).length > 0, 2000, 'a failure line');
    expect(failures(lines)).toEqual([
      expect.objectContaining({ listener: 'l', protocol: 'TCP', route: 'default', cluster: 't', host: `127.0.0.1:${dead}`, reason: 'connect_failed' }),
    ]);
    expect(failures(lines)[0]!.msg).toContain('2 attempts');
  });

  // last: it empties the process's bucket
  it(`a flood of 10,000 failing requests writes at most ${BURST} lines plus ${RATE} a second, and counts the rest`, async () => {
    const { p, lines } = await startLogged(httpProxyConfig({ routes: [], clusters: [] }));
    await sleep(1000); // the bucket full again after the few lines of the tests before
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    cleanups.push(() => agent.destroy());
    const started = performance.now();
    const N = 10_000;
    let answered = 0;
    const one = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: p, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 404) answered++;
            resolve();
          });
        });
        req.on('error', reject);
      });
    for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: 500 }, one));
    const seconds = (performance.now() - started) / 1000;
    expect(answered).toBe(N);
    const written = failures(lines).length;
    expect(written).toBeLessThanOrEqual(BURST + Math.ceil(RATE * seconds) + 1);
    expect(written).toBeGreaterThanOrEqual(BURST);
    // every line not written is counted, on a later line or on a line of its own a second after the last drop
    const suppressed = () => lines.reduce((n, l) => n + (typeof l.suppressed === 'number' ? l.suppressed : 0), 0);
    await waitUntil(() => failures(lines).length + suppressed() === N, 3000, 'every dropped line counted');
    const report = lines.filter((l) => l.level === 'warn' && !l.msg.startsWith('request failed'));
    expect(report.length).toBeGreaterThanOrEqual(1);
    expect(report.at(-1)).toMatchObject({ listener: 'l', msg: expect.stringMatching(/^failed request log: \d+ lines suppressed by the rate limit$/) });
  });
});

