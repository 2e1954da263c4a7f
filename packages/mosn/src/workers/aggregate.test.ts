import { describe, expect, it } from 'vitest';
import { isViewStat, sumStats } from './aggregate.js';

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
