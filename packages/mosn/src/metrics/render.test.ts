import { describe, expect, it } from 'vitest';
import { renderPrometheus } from './render.js';

const ALL = { rejectAll: false, exclusionLabels: [], exclusionKeys: [] };
const SNAPSHOT = {
  'cluster.c.outlier_detection.ejections_active': 1,
  'cluster.c.upstream_cx_connect_failed': 2,
  'config.version': 3,
  'listener.a.downstream_rq_total': 10,
  'listener.b.downstream_rq_total': 4,
};

describe('renderPrometheus', () => {
  it('writes one TYPE line per metric, then its series; levels are gauges', () => {
    expect(renderPrometheus(SNAPSHOT, ALL)).toBe(
      [
        '# TYPE downstream_request_total counter',
        'downstream_request_total{listener="a"} 10',
        'downstream_request_total{listener="b"} 4',
        '# TYPE mosn_cluster_outlier_detection_ejections_active gauge',
        'mosn_cluster_outlier_detection_ejections_active{cluster="c"} 1',
        '# TYPE mosn_config_version gauge',
        'mosn_config_version 3',
        '# TYPE upstream_connection_con_fail counter',
        'upstream_connection_con_fail{cluster="c"} 2',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values', () => {
    expect(renderPrometheus({ 'listener.q"\\x.downstream_rq_total': 1 }, ALL)).toContain('downstream_request_total{listener="q\\"\\\\x"} 1\n');
  });

  it("applies stats_matcher: reject_all, exclusion_labels, exclusion_keys (MOSN's key or the stat's)", () => {
    expect(renderPrometheus(SNAPSHOT, { ...ALL, rejectAll: true })).toBe('');
    expect(renderPrometheus(SNAPSHOT, { ...ALL, exclusionLabels: ['listener', 'cluster'] })).toBe('# TYPE mosn_config_version gauge\nmosn_config_version 3\n');
    const keys = renderPrometheus(SNAPSHOT, { ...ALL, exclusionKeys: ['request_total', 'ejections_active'] });
    expect(keys).not.toContain('downstream_request_total');
    expect(keys).not.toContain('ejections_active');
    expect(keys).toContain('upstream_connection_con_fail{cluster="c"} 2');
    expect(renderPrometheus(SNAPSHOT, { ...ALL, exclusionKeys: ['upstream_cx_connect_failed'] })).not.toContain('upstream_connection_con_fail');
  });

  it('renders the histogram parts of a cluster and of its hosts as histograms, buckets cumulative', () => {
    const text = renderPrometheus(
      {
        'cluster.c.upstream_rq_time.bucket.1': 2,
        'cluster.c.upstream_rq_time.bucket.2_5': 3,
        'cluster.c.upstream_rq_time.bucket.inf': 1,
        'cluster.c.upstream_rq_time.sum': 9.5,
        'cluster.c.upstream_rq_time.count': 6,
        'cluster.c.host.127.0.0.1:80.upstream_rq_time.bucket.1': 2,
        'cluster.c.host.127.0.0.1:80.upstream_rq_time.bucket.inf': 0,
        'cluster.c.host.127.0.0.1:80.upstream_rq_time.sum': 1,
        'cluster.c.host.127.0.0.1:80.upstream_rq_time.count': 2,
        'cluster.c.host.127.0.0.1:80.upstream_rq_total': 2,
        'cluster.c.host.127.0.0.1:80.upstream_rq_active': 1,
      },
      ALL,
    );
    expect(text).toBe(
      [
        '# TYPE mosn_cluster_upstream_rq_time histogram',
        'mosn_cluster_upstream_rq_time_bucket{cluster="c",le="1"} 2',
        'mosn_cluster_upstream_rq_time_bucket{cluster="c",le="2.5"} 5',
        'mosn_cluster_upstream_rq_time_bucket{cluster="c",le="+Inf"} 6',
        'mosn_cluster_upstream_rq_time_sum{cluster="c"} 9.5',
        'mosn_cluster_upstream_rq_time_count{cluster="c"} 6',
        'mosn_cluster_upstream_rq_time_bucket{cluster="c",host="127.0.0.1:80",le="1"} 2',
        'mosn_cluster_upstream_rq_time_bucket{cluster="c",host="127.0.0.1:80",le="+Inf"} 2',
        'mosn_cluster_upstream_rq_time_sum{cluster="c",host="127.0.0.1:80"} 1',
        'mosn_cluster_upstream_rq_time_count{cluster="c",host="127.0.0.1:80"} 2',
        '# TYPE upstream_request_active gauge',
        'upstream_request_active{cluster="c",host="127.0.0.1:80"} 1',
        '# TYPE upstream_request_total counter',
        'upstream_request_total{cluster="c",host="127.0.0.1:80"} 2',
        '',
      ].join('\n'),
    );
  });
});
