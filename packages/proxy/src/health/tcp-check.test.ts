import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Stats } from '../stats/stats.js';
import { HealthChecker } from './health-checker.js';
import { hostHealthState } from './host-health.js';
import { fastCheck, localCluster, waitFor } from './testing.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server that accepts and closes; `close()` stops listening, `listen()` takes the same port again. */
async function tcpServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  cleanups.push(() => (server.listening ? close() : undefined));
  return {
    port,
    close,
    listen: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
  };
}

describe('TCP connect health check', () => {
  it('marks a host unhealthy at the unhealthy_threshold-th failure and healthy again at the healthy_threshold-th success', async () => {
    const server = await tcpServer();
    const cluster = localCluster([server.port]);
    const host = cluster.hosts[0]!;
    const results: Array<{ ok: boolean; healthy: boolean }> = [];
    const stats = new Stats();
    const checker = new HealthChecker(cluster, fastCheck({ unhealthyThreshold: 3, healthyThreshold: 2 }), {
      stats,
      onCheck: (h, ok) => results.push({ ok, healthy: h.healthy }),
    });
    cleanups.push(() => checker.stop());
    expect(checker.kind).toBe('tcp');
    checker.start();
    expect(host.healthy).toBe(true); // MOSN: a host starts healthy
    await waitFor(() => results.length >= 2, 'two checks');
    expect(results.every((r) => r.ok && r.healthy)).toBe(true);

    await server.close();
    await waitFor(() => !host.healthy, 'host unhealthy');
    const down = results.findIndex((r) => !r.healthy);
    expect(results.slice(down - 2, down + 1).map((r) => r.ok)).toEqual([false, false, false]);
    expect(results[down - 3]!.ok).toBe(true);
    expect(results.slice(0, down).every((r) => r.healthy)).toBe(true);
    expect(hostHealthState(host)).toEqual({ activeHealthy: false, ejected: false });
    expect(stats.get('cluster.test.health_check.healthy')).toBe(0);

    await server.listen();
    await waitFor(() => host.healthy, 'host healthy again');
    const up = results.findIndex((r, i) => i > down && r.healthy);
    expect(results.slice(up - 1, up + 1).map((r) => r.ok)).toEqual([true, true]);
    expect(results[up - 2]!.ok).toBe(false);
    expect(stats.get('cluster.test.health_check.healthy')).toBe(1);
    expect(stats.get('cluster.test.health_check.active_failure')).toBeGreaterThanOrEqual(3);
    expect(stats.get('cluster.test.health_check.attempt')).toBe(results.length);
  });

  it('stop() ends the checks and clears its verdict', async () => {
    const server = await tcpServer();
    await server.close();
    const cluster = localCluster([server.port]);
    const host = cluster.hosts[0]!;
    let checks = 0;
    const checker = new HealthChecker(cluster, fastCheck(), { onCheck: () => checks++ });
    checker.start();
    await waitFor(() => !host.healthy, 'host unhealthy');
    checker.stop();
    expect(host.healthy).toBe(true);
    const seen = checks;
    await new Promise((r) => setTimeout(r, 60));
    expect(checks).toBe(seen);
  });

  it('waits initial_delay before the first check', async () => {
    const server = await tcpServer();
    const cluster = localCluster([server.port]);
    let checks = 0;
    const checker = new HealthChecker(cluster, fastCheck({ initialDelayMs: 60_000 }), { onCheck: () => checks++ });
    checker.start();
    await new Promise((r) => setTimeout(r, 60));
    checker.stop();
    expect(checks).toBe(0);
  });
});
