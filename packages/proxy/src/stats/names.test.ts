import { describe, expect, it } from 'vitest';
import { MAX_METHOD_NAME_LENGTH, MethodCountersCache, clusterCounters, listenerCounters, tcpCounters } from './counters.js';
import { CLUSTER, LISTENER, LISTENER_STATS, STAT_CATALOGUE, TCP, downstreamRqStatus, ejectionsDetected, methodScope } from './names.js';
import { Stats } from './stats.js';

describe('the stat catalogue', () => {
  it('names each stat by itself, in snake case; a family is written <...> and made by its function', () => {
    expect(LISTENER.downstream_rq_total).toBe('downstream_rq_total');
    expect(Object.keys(LISTENER)).toEqual(Object.keys(LISTENER_STATS));
    for (const { prefix, stats } of STAT_CATALOGUE) {
      // a scope, its owner, and a subsystem (`health_check.`) or a family of the owner (`dubbo.<service>.<method>.`)
      expect(prefix).toMatch(/^[a-z]+\.<[a-z_]+>\.([a-z_]+\.(<[a-z]+>\.)*)?$/);
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

  it('per-method counters: resolved once per pair and held; a pair over the bound, or a long name, counts as overflow', () => {
    const stats = new Stats();
    const cache = new MethodCountersCache(stats, 'listener.l.', 'grpc', stats.counter('listener.l.grpc_stats_overflow'), 2);
    const a = cache.get('pkg.A', 'Get')!;
    expect(cache.get('pkg.A', 'Get')).toBe(a);
    a.request_total.inc();
    cache.get('pkg.B', 'Get')!.response_fail_total.inc();
    expect([cache.get('pkg.C', 'Get'), cache.get('pkg.C', 'Get'), cache.size]).toEqual([undefined, undefined, 2]);
    cache.get('pkg.A', 'Get')!.request_total.inc();
    expect(stats.snapshot()).toEqual({
      'listener.l.grpc.pkg.A.Get.request_total': 2,
      'listener.l.grpc.pkg.B.Get.response_fail_total': 1,
      'listener.l.grpc_stats_overflow': 2,
    });
    const roomy = new MethodCountersCache(stats, 'listener.m.', 'dubbo', stats.counter('listener.m.dubbo_stats_overflow'));
    expect([roomy.get('S', 'm'.repeat(MAX_METHOD_NAME_LENGTH + 1)), roomy.size, stats.get('listener.m.dubbo_stats_overflow')]).toEqual([undefined, 0, 1]);
    expect(methodScope('dubbo', 'org.demo.Greeter', 'hello')).toBe('dubbo.org.demo.Greeter.hello.');
  });
});
