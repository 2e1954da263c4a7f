import { describe, expect, it } from 'vitest';
import { flattenName, methodStatName, toSeries } from './names.js';

describe('toSeries', () => {
  it("uses MOSN's names where MOSN has the metric, with its listener and cluster labels", () => {
    expect(toSeries('listener.ingress.downstream_rq_total', 3)).toEqual({ name: 'downstream_request_total', labels: { listener: 'ingress' }, keys: ['downstream_rq_total', 'request_total'], value: 3 });
    expect(toSeries('listener.ingress.downstream_cx_total', 1).name).toBe('downstream_connection_total');
    expect(toSeries('listener.ingress.downstream_rq_reset', 1).name).toBe('downstream_request_reset');
    expect(toSeries('cluster.c.upstream_cx_connect_failed', 2)).toEqual({ name: 'upstream_connection_con_fail', labels: { cluster: 'c' }, keys: ['upstream_cx_connect_failed', 'connection_con_fail'], value: 2 });
    expect(toSeries('cluster.c.upstream_rq_pending_overflow', 1).name).toBe('upstream_request_pending_overflow');
  });

  it('maps the others to mosn_<scope>_<stat> with the same labels', () => {
    expect(toSeries('listener.x.downstream_rq_2xx', 5)).toEqual({ name: 'mosn_listener_downstream_rq_2xx', labels: { listener: 'x' }, keys: ['downstream_rq_2xx'], value: 5 });
    expect(toSeries('cluster.c.upstream_cx_overflow', 1)).toMatchObject({ name: 'mosn_cluster_upstream_cx_overflow', labels: { cluster: 'c' } });
    expect(toSeries('config.apply_total', 2)).toEqual({ name: 'mosn_config_apply_total', labels: {}, keys: ['apply_total'], value: 2 });
    expect(toSeries('tcp.stat.cx', 1).name).toBe('mosn_tcp_stat_cx');
  });

  it('keeps dots in listener and cluster names, and a cluster subsystem in the metric name', () => {
    expect(toSeries('listener.a.b.c.downstream_rq_total', 1).labels).toEqual({ listener: 'a.b.c' });
    expect(toSeries('cluster.svc.v1.health_check.success', 4)).toMatchObject({ name: 'mosn_cluster_health_check_success', labels: { cluster: 'svc.v1' }, keys: ['success'] });
    expect(toSeries('cluster.c.outlier_detection.ejections_active', 0)).toMatchObject({ name: 'mosn_cluster_outlier_detection_ejections_active', labels: { cluster: 'c' } });
  });

  it("names dubbo_stream's and grpc_metric's per-method families as MOSN does, with service and method labels", () => {
    expect(toSeries('listener.egress.dubbo.org.apache.dubbo.demo.DemoService.sayHello.request_total', 3)).toEqual({
      name: 'mosn_request_total',
      labels: { listener: 'egress', service: 'org.apache.dubbo.demo.DemoService', method: 'sayHello' },
      keys: ['request_total'],
      value: 3,
    });
    expect(toSeries('listener.in.v1.grpc.e2e.Echo.Unary.response_fail_total', 1)).toEqual({
      name: 'grpc_response_fail_total',
      labels: { listener: 'in.v1', service: '/e2e.Echo/Unary' },
      keys: ['response_fail_total'],
      value: 1,
    });
    // not a family: a listener stat, or a name without a family part
    expect([methodStatName('listener.l.downstream_rq_total'), methodStatName('listener.l.x.request_total'), methodStatName('cluster.c.dubbo.S.m.request_total')]).toEqual([undefined, undefined, undefined]);
    expect(toSeries('listener.l.dubbo_stats_overflow', 2)).toMatchObject({ name: 'mosn_listener_dubbo_stats_overflow', labels: { listener: 'l' } });
  });

  it("flattens as MOSN's sink does", () => {
    expect(flattenName('a.b-c/d:e_f9')).toBe('a_b_c_d:e_f9');
    expect(toSeries('registry.zookeeper.session-expired', 1).name).toBe('mosn_registry_zookeeper_session_expired');
  });
});
