import { describe, expect, it } from 'vitest';
import { Cluster, DEFAULT_OUTLIER_DETECTION, OutlierDetector, Stats, roundRobin, type PoolFactory } from '@mosn/proxy';
import type { AdminSource } from '../types.js';
import { MAX_HOSTS_SHOWN, clusterSummary } from './clusters.js';
import { LiveFrames } from './frame.js';
import type { ListenerSummary } from './types.js';

function cluster(name: string, ports: readonly number[]): Cluster {
  const hosts = ports.map((port) => ({ address: { host: '127.0.0.1', port }, weight: 1 }));
  const config = { name, type: 'SIMPLE', lbType: 'LB_ROUNDROBIN', hosts, connectTimeoutMs: 1000, idleTimeoutMs: 0, maxRequestsPerConnection: 0 };
  return new Cluster(config, roundRobin, new Map<string, PoolFactory>());
}

function source(stats: Stats, listeners: ListenerSummary[], clusters: Cluster[]): AdminSource {
  return {
    config: () => ({}),
    statuses: () => ({}),
    stats: () => stats.snapshot(),
    stage: () => 'running',
    version: () => 4,
    live: { listeners: () => listeners, clusters: () => clusters.map(clusterSummary), stat: (n) => stats.get(n) },
  };
}

const L1: ListenerSummary = { name: 'l1', address: '127.0.0.1:2045', protocol: 'Http1', connections: 3 };

describe('LiveFrames', () => {
  it('a frame: version, state, listeners, clusters with their hosts` health, outlier state and load; rates from the stats', () => {
    const stats = new Stats();
    const c = cluster('c', [9001, 9002, 9003]);
    const outliers = new OutlierDetector(c, { ...DEFAULT_OUTLIER_DETECTION, consecutive5xx: 1, maxEjectionPercent: 100 }, { stats });
    c.outlierDetector = outliers;
    const [a, b] = c.hosts;
    outliers.onResult(b!, '5xx');
    a!.requestStarted();
    const frames = new LiveFrames(source(stats, [L1], [c]));
    const noRates = { requests: null, errors: null };

    const first = frames.next(10_000);
    expect(first).toMatchObject({ time: 10_000, version: 4, state: 'Running', pid: process.pid });
    expect(first.listeners).toEqual([{ ...L1, rates: noRates }]);
    expect(first.clusters).toEqual([
      {
        name: 'c',
        healthCheck: false,
        outlierDetection: true,
        hostCount: 3,
        healthyCount: 2,
        hosts: [
          { address: '127.0.0.1:9001', healthy: true, activeHealthy: true, ejected: false, activeRequests: 1, connections: 0, rates: noRates },
          { address: '127.0.0.1:9002', healthy: false, activeHealthy: true, ejected: true, activeRequests: 0, connections: 0, rates: noRates },
          { address: '127.0.0.1:9003', healthy: true, activeHealthy: true, ejected: false, activeRequests: 0, connections: 0, rates: noRates },
        ],
        rates: noRates,
      },
    ]);

    stats.inc('listener.l1.downstream_rq_total', 40);
    stats.inc('listener.l1.downstream_rq_timeout', 2);
    stats.inc('listener.l1.downstream_rq_no_route', 2);
    // the hosts' own request figures: 39 more tries to a (two answered 503, one timed out), 2 to the third host;
    // and two failed connects in the cluster
    for (let i = 0; i < 39; i++) a!.requestEnded(a!.requestStarted());
    a!.responded(503);
    a!.responded(503);
    a!.timedOut();
    for (let i = 0; i < 2; i++) c.hosts[2]!.requestStarted();
    stats.inc('cluster.c.upstream_cx_connect_failed', 2);
    const second = frames.next(12_000);
    expect(second.listeners[0]!.rates).toEqual({ requests: 20, errors: 2 });
    // tries per second; errors: 5xx answers, timeouts and failed connects
    expect(second.clusters[0]!.rates).toEqual({ requests: 20.5, errors: 2.5 });
    expect(second.clusters[0]!.hosts.map((h) => h.rates)).toEqual([{ requests: 19.5, errors: 1.5 }, { requests: 0, errors: 0 }, { requests: 1, errors: 0 }]);
    outliers.stop();
  });

  it('lists at most MAX_HOSTS_SHOWN hosts of a cluster, and counts them all', () => {
    const big = cluster('big', Array.from({ length: MAX_HOSTS_SHOWN + 5 }, (_, i) => 10_000 + i));
    const frame = new LiveFrames(source(new Stats(), [], [big])).next();
    expect(frame.clusters[0]).toMatchObject({ hostCount: MAX_HOSTS_SHOWN + 5, healthyCount: MAX_HOSTS_SHOWN + 5 });
    expect(frame.clusters[0]!.hosts).toHaveLength(MAX_HOSTS_SHOWN);
  });
});
