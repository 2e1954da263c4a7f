import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend } from './helpers.js';
import { mosnJson, proxyListener, router, runCli, startMosnProcess, toCluster } from './reload/support.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// MOSN's `fault_inject` network filter before `proxy` and `tcp_proxy`, mosn as its own process: reads are delayed by
// `delay_duration` in `delay_percent` % of the cases; the bytes are not lost, only late.

const cleanups = cleanupAfterEach();

/** A listener whose chain is `fault_inject` then `last` (a proxy or tcp_proxy filter). */
function faultListener(name: string, port: number, last: Record<string, unknown>, fault: Record<string, unknown>) {
  return { name, address: `127.0.0.1:${port}`, bind_port: true, filter_chains: [{ filters: [{ type: 'fault_inject', config: fault }, last] }] };
}

describe('fault_inject (network filter)', () => {
  it('delays every read by delay_duration at 100 %: HTTP through proxy and bytes through tcp_proxy arrive whole, late', async () => {
    const web = await httpBackend((req, res) => req.resume().on('end', () => res.end(`ok ${req.url}`)));
    cleanups.push(web.close);
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => echo.close(r)));
    const [admin, h1, tcp] = [await closedPort(), await closedPort(), await closedPort()];
    const proxy = proxyListener('h1', h1, 'Http1', 'r').filter_chains as Array<{ filters: unknown[] }>;
    const config = mosnJson({
      admin,
      listeners: [
        faultListener('h1', h1, proxy[0]!.filters[0] as Record<string, unknown>, { delay_percent: 100, delay_duration: '300ms' }),
        faultListener('tcp', tcp, { type: 'tcp_proxy', config: { cluster: 'echo' } }, { delay_percent: 100, delay_duration: 300_000_000 }),
      ],
      routers: [router('r', [toCluster('/', 'web')])],
      clusters: [cluster('web', [web.address]), cluster('echo', [`127.0.0.1:${(echo.address() as net.AddressInfo).port}`])],
    });
    await startMosnProcess(config, cleanups);
    const started = performance.now();
    const r = await get(h1, '/late');
    expect(r).toMatchObject({ status: 200, body: 'ok /late' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);

    const t0 = performance.now();
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = net.connect(tcp, '127.0.0.1', () => s.end('hello through a delay'));
      let got = '';
      s.on('data', (c) => (got += c.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    expect(echoed).toBe('hello through a delay');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
  });

  it('delay_percent 0 delays nothing; a bad percent is refused with its path', async () => {
    const web = await httpBackend((req, res) => req.resume().on('end', () => res.end('ok')));
    cleanups.push(web.close);
    const [admin, h1] = [await closedPort(), await closedPort()];
    const proxy = (proxyListener('h1', h1, 'Http1', 'r').filter_chains as Array<{ filters: Array<Record<string, unknown>> }>)[0]!.filters[0]!;
    const config = (fault: Record<string, unknown>) =>
      mosnJson({ admin, listeners: [faultListener('h1', h1, proxy, fault)], routers: [router('r', [toCluster('/', 'web')])], clusters: [cluster('web', [web.address])] });
    const dir = mkdtempSync(join(tmpdir(), 'mosn-fault-inject-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(config({ delay_percent: 101, delay_duration: '1s' })));
    const bad = await runCli(['validate', join(dir, 'bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('servers[0].listeners[0].filter_chains[0].filters[0].config.delay_percent:');
    await startMosnProcess(config({ delay_percent: 0, delay_duration: '120s' }), cleanups);
    // a delayed read would hold this request for 120 s, past the test's own timeout
    expect(await get(h1, '/')).toMatchObject({ status: 200, body: 'ok' });
  });
});
