/** Fixtures for the health tests (not exported by the package). */
import { Cluster, type PoolFactory } from '../upstream/cluster.js';
import { roundRobin } from '../lb/index.js';
import { DEFAULT_HEALTH_CHECK, type HealthCheckConfig } from './health-check-config.js';

/** A cluster named `test` of hosts on 127.0.0.1 at `ports` (no pools: the health code opens its own connections). */
export function localCluster(ports: readonly number[]): Cluster {
  return new Cluster(
    {
      name: 'test',
      type: 'SIMPLE',
      lbType: 'LB_ROUNDROBIN',
      hosts: ports.map((port) => ({ address: { host: '127.0.0.1', port }, weight: 1 })),
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
    },
    roundRobin,
    new Map<string, PoolFactory>(),
  );
}

/** A health check with test-sized timers: a check at once, then every 20 ms, each bounded by 500 ms. */
export function fastCheck(extra: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  return {
    ...DEFAULT_HEALTH_CHECK,
    kind: 'tcp',
    protocol: '',
    timeoutMs: 500,
    intervalMs: 20,
    intervalJitterMs: 0,
    initialDelayMs: 0,
    ...extra,
  };
}

/** Wait until `cond()` holds, polling; fails after `maxMs` (a bound against hangs, not a timing assertion). */
export async function waitFor(cond: () => boolean, what: string, maxMs = 10_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
