import { describe, expect, it } from 'vitest';
import { clusterCounters, listenerCounters, tcpCounters } from './counters.js';
import { CLUSTER, LISTENER, LISTENER_STATS, STAT_CATALOGUE, TCP, downstreamRqStatus, ejectionsDetected } from './names.js';
import { Stats } from './stats.js';

describe('the stat catalogue', () => {
  it('names each stat by itself, in snake case; a family is written <...> and made by its function', () => {
    expect(LISTENER.downstream_rq_total).toBe('downstream_rq_total');
    expect(Object.keys(LISTENER)).toEqual(Object.keys(LISTENER_STATS));
    for (const { prefix, stats } of STAT_CATALOGUE) {
      expect(prefix).toMatch(/^[a-z]+\.<[a-z_]+>\.([a-z_]+\.)?$/);
      for (const [name, info] of Object.entries(stats)) {
        expect(name).toMatch(/^[a-z0-9_]+(<[a-z]+>)?$/);
        expect(['counter', 'gauge']).toContain(info.kind);
        expect(info.help.length).toBeGreaterThan(0);
      }
    }
    expect(downstreamRqStatus('no_route')).toBe('downstream_rq_no_route');
    expect(ejectionsDetected('consecutive_5xx')).toBe('ejections_detected_consecutive_5xx');
  });

  it('held counters count under the scope prefix and show only once incremented', () => {
    const stats = new Stats();
    const listener = listenerCounters(stats, 'listener.l.');
    const cluster = clusterCounters(stats, 'c');
    const tcp = tcpCounters(stats, 't');
    expect(stats.snapshot()).toEqual({});
    listener.downstream_rq_total.inc();
    listener.rqStatus.get('no_route').inc();
    listener.rqStatus.get('no_route').inc();
    cluster[CLUSTER.upstream_cx_connect_failed].inc();
    tcp[TCP.upstream_cx_total].inc();
    expect(stats.snapshot()).toEqual({
      'cluster.c.upstream_cx_connect_failed': 1,
      'listener.l.downstream_rq_no_route': 2,
      'listener.l.downstream_rq_total': 1,
      'tcp.t.upstream_cx_total': 1,
    });
  });
});
