import { describe, expect, it } from 'vitest';
import type { ClusterSummary, HostSummary } from '../admin/live/types.js';
import { isViewStat, mergeLive, sumStats } from './aggregate.js';

describe('sumStats', () => {
  it('sums counters and load gauges over the workers, adds the primary own stats, and sorts by name', () => {
    const out = sumStats(
      [
        { 'listener.l.downstream_rq_total': 3, 'listener.l.downstream_cx_active': 2 },
        { 'listener.l.downstream_rq_total': 4, 'listener.l.downstream_cx_active': 1, 'cluster.c.upstream_cx_total': 1 },
      ],
      { 'workers.restarts': 1 },
    );
    expect(out).toEqual({ 'cluster.c.upstream_cx_total': 1, 'listener.l.downstream_cx_active': 3, 'listener.l.downstream_rq_total': 7, 'workers.restarts': 1 });
    expect(Object.keys(out)).toEqual([...Object.keys(out)].sort());
  });

  it('shows a view gauge (config version, healthy hosts, ejected hosts) as the highest worker value, not the sum', () => {
    const out = sumStats(
      [
        { 'config.version': 3, 'cluster.c.health_check.healthy': 2, 'cluster.c.outlier_detection.ejections_active': 0 },
        { 'config.version': 2, 'cluster.c.health_check.healthy': 2, 'cluster.c.outlier_detection.ejections_active': 1 },
      ],
      {},
    );
    expect(out).toEqual({ 'cluster.c.health_check.healthy': 2, 'cluster.c.outlier_detection.ejections_active': 1, 'config.version': 3 });
  });

  it('knows the view stats by name only', () => {
    expect(isViewStat('config.version')).toBe(true);
    expect(isViewStat('config.version_total')).toBe(false);
    expect(isViewStat('cluster.a.b.health_check.healthy')).toBe(true);
    expect(isViewStat('listener.l.downstream_cx_active')).toBe(false);
  });
});

describe('mergeLive', () => {
  const host = (address: string, o: Partial<HostSummary> = {}): HostSummary => ({ address, healthy: true, activeHealthy: true, ejected: false, activeRequests: 1, connections: 2, requests: 10, failed: 1, ...o });
  const cluster = (hosts: HostSummary[], o: Partial<ClusterSummary> = {}): ClusterSummary => ({ name: 'c', healthCheck: false, outlierDetection: false, hostCount: hosts.length, healthyCount: hosts.filter((h) => h.healthy).length, hosts, requests: 20, failed: 2, ...o });
  const listener = { name: 'l', address: '127.0.0.1:1', protocol: 'Http1', connections: 3 };

  it('sums connections, requests and failures; a host is healthy when it is in every worker, ejected when in any', () => {
    const merged = mergeLive([
      { listeners: [listener], clusters: [cluster([host('a:1'), host('b:1', { ejected: true, healthy: false })])] },
      { listeners: [{ ...listener, connections: 4 }], clusters: [cluster([host('a:1', { activeHealthy: false, healthy: false }), host('b:1')], { healthCheck: true })] },
    ]);
    expect(merged.listeners).toEqual([{ ...listener, connections: 7 }]);
    const c = merged.clusters[0]!;
    expect(c).toMatchObject({ name: 'c', healthCheck: true, hostCount: 2, healthyCount: 1, requests: 40, failed: 4 });
    expect(c.hosts).toEqual([
      host('a:1', { healthy: false, activeHealthy: false, activeRequests: 2, connections: 4, requests: 20, failed: 2 }),
      host('b:1', { healthy: false, ejected: true, activeRequests: 2, connections: 4, requests: 20, failed: 2 }),
    ]);
  });

  it('keeps what only one worker has (a listener or cluster it applied first), in the first worker order', () => {
    const merged = mergeLive([{ listeners: [listener], clusters: [] }, { listeners: [{ ...listener, name: 'm' }, listener], clusters: [cluster([host('a:1')])] }]);
    expect(merged.listeners.map((l) => [l.name, l.connections])).toEqual([
      ['l', 6],
      ['m', 3],
    ]);
    expect(merged.clusters.map((c) => c.name)).toEqual(['c']);
  });
});
