import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Stats } from '../stats/stats.js';
import { HealthChecker } from './health-checker.js';
import { statusMatches, type HttpCheckConfig } from './health-check-config.js';
import { fastCheck, localCluster, waitFor } from './testing.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An HTTP server answering every request with `state.status`, or never when `state.hang`. */
async function httpServer() {
  const state = { status: 200, hang: false, seen: [] as Array<{ method: string; url: string; host: string }> };
  const server = http.createServer((req, res) => {
    state.seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
    if (state.hang) return;
    res.statusCode = state.status;
    res.end('body');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { port: (server.address() as net.AddressInfo).port, state };
}

function httpCheck(extra: Partial<HttpCheckConfig> = {}): HttpCheckConfig {
  return { path: '/', method: 'GET', port: 0, codes: [], ...extra };
}

describe('HTTP health check', () => {
  it('follows the status: 200 healthy, 500 unhealthy, 200 healthy again', async () => {
    const { port, state } = await httpServer();
    const cluster = localCluster([port]);
    const host = cluster.hosts[0]!;
    const results: boolean[] = [];
    const config = fastCheck({ kind: 'http', protocol: 'Http1', http: httpCheck({ path: '/status?full=1', domain: 'svc.local' }) });
    const checker = new HealthChecker(cluster, config, { onCheck: (_h, ok) => results.push(ok) });
    cleanups.push(() => checker.stop());
    expect(checker.kind).toBe('http');
    checker.start();
    await waitFor(() => results.length >= 1, 'a check');
    expect(results[0]).toBe(true);
    expect(host.healthy).toBe(true);
    expect(state.seen[0]).toEqual({ method: 'GET', url: '/status?full=1', host: 'svc.local' });

    state.status = 500;
    await waitFor(() => !host.healthy, 'host unhealthy');
    expect(results.at(-1)).toBe(false);

    state.status = 200;
    await waitFor(() => host.healthy, 'host healthy again');
    expect(results.at(-1)).toBe(true);
  });

  it('accepts the configured status ranges, on the configured port', async () => {
    const { port, state } = await httpServer();
    state.status = 204;
    // The host's own port is closed; check_config.port points at the server.
    const cluster = localCluster([1]);
    const results: boolean[] = [];
    const config = fastCheck({ kind: 'http', http: httpCheck({ port, method: 'HEAD', codes: [{ start: 200, end: 299 }] }) });
    const checker = new HealthChecker(cluster, config, { onCheck: (_h, ok) => results.push(ok) });
    cleanups.push(() => checker.stop());
    checker.start();
    await waitFor(() => results.length >= 2, 'two checks');
    expect(results.slice(0, 2)).toEqual([true, true]);
    expect(state.seen[0]).toEqual({ method: 'HEAD', url: '/', host: `127.0.0.1:${port}` });
  });

  it('counts an answer that does not come within timeout as a network failure', async () => {
    const { port, state } = await httpServer();
    state.hang = true;
    const cluster = localCluster([port]);
    const stats = new Stats();
    const checker = new HealthChecker(cluster, fastCheck({ kind: 'http', timeoutMs: 30, http: httpCheck() }), { stats });
    cleanups.push(() => checker.stop());
    checker.start();
    await waitFor(() => !cluster.hosts[0]!.healthy, 'host unhealthy');
    expect(stats.get('cluster.test.health_check.network_failure')).toBeGreaterThanOrEqual(1);
  });
});

describe('statusMatches', () => {
  it('is 200 only without ranges, and inclusive ranges otherwise', () => {
    expect([200, 204, 500].map((s) => statusMatches([], s))).toEqual([true, false, false]);
    const ranges = [
      { start: 200, end: 299 },
      { start: 404, end: 404 },
    ];
    expect([199, 200, 299, 300, 404, 500].map((s) => statusMatches(ranges, s))).toEqual([false, true, true, false, true, false]);
  });
});
