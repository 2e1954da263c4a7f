import { afterEach, describe, expect, it } from 'vitest';
import type { Host } from '../upstream/cluster.js';
import { Stats } from '../stats/stats.js';
import { reportActiveCheckSuccess, setActiveHealthy } from './host-health.js';
import { DEFAULT_OUTLIER_DETECTION, OutlierDetector, outlierResultOfStatus, type OutlierDetectionConfig, type OutlierResult } from './outlier-detector.js';
import { localCluster, waitFor } from './testing.js';

const cleanups: Array<() => unknown> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A detector over `n` hosts, with a clock the test moves (`clock.now += ms`) and enforcement always on. */
function detector(n: number, extra: Partial<OutlierDetectionConfig> = {}) {
  const cluster = localCluster(Array.from({ length: n }, (_, i) => 9000 + i));
  const clock = { now: 1000 };
  const stats = new Stats();
  const d = new OutlierDetector(cluster, { ...DEFAULT_OUTLIER_DETECTION, ...extra }, { stats, now: () => clock.now, random: () => 0 });
  cleanups.push(() => d.stop());
  return { d, hosts: cluster.hosts, clock, stats };
}

function report(d: OutlierDetector, host: Host, result: OutlierResult, times: number): void {
  for (let i = 0; i < times; i++) d.onResult(host, result);
}

describe('OutlierDetector', () => {
  it('ejects a host at its consecutive_5xx-th 5xx in a row; a success starts the count again', () => {
    const { d, hosts, stats } = detector(10);
    const h = hosts[0]!;
    report(d, h, '5xx', 4);
    d.onResult(h, 'success');
    report(d, h, '5xx', 4);
    expect(h.healthy).toBe(true);
    d.onResult(h, '5xx');
    expect(h.healthy).toBe(false);
    expect(d.state(h)).toEqual({ ejected: true, ejections: 1, ejectionTimeMs: 30_000 });
    expect(stats.get('cluster.test.outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
    expect(stats.get('cluster.test.outlier_detection.ejections_active')).toBe(1);
  });

  it('returns an ejected host once its ejection time has passed', async () => {
    const cluster = localCluster([9000, 9001]);
    const d = new OutlierDetector(cluster, { ...DEFAULT_OUTLIER_DETECTION, intervalMs: 20, baseEjectionTimeMs: 50, maxEjectionPercent: 50 });
    cleanups.push(() => d.stop());
    d.start();
    const h = cluster.hosts[0]!;
    report(d, h, '5xx', 5);
    expect(h.healthy).toBe(false);
    await waitFor(() => h.healthy, 'host returned');
    expect(d.state(h).ejected).toBe(false);
    expect(d.ejectedCount).toBe(0);
  });

  it('ejects for base_ejection_time × the number of ejections, up to max_ejection_time; the multiplier decays while the host stays in', () => {
    const { d, hosts, clock } = detector(10, { baseEjectionTimeMs: 50, maxEjectionTimeMs: 120, intervalMs: 10 });
    const h = hosts[0]!;
    const ejectAndWait = (ms: number) => {
      report(d, h, '5xx', 5);
      expect(d.state(h).ejectionTimeMs).toBe(ms);
      clock.now += ms - 1;
      d.sweep();
      expect(h.healthy).toBe(false);
      clock.now += 1;
      d.sweep();
      expect(h.healthy).toBe(true);
    };
    ejectAndWait(50);
    ejectAndWait(100);
    ejectAndWait(120); // 150, capped
    expect(d.state(h).ejections).toBe(3);
    // Three intervals in service take the multiplier from 3 down to 0: the next ejection is base again.
    for (let i = 0; i < 3; i++) {
      clock.now += 10;
      d.sweep();
    }
    ejectAndWait(50);
  });

  it('respects max_ejection_percent, counting the host to eject', () => {
    const { d, hosts, stats } = detector(10); // 10%: one host of ten
    report(d, hosts[0]!, '5xx', 5);
    report(d, hosts[1]!, '5xx', 5);
    expect(hosts.map((h) => h.healthy).slice(0, 3)).toEqual([false, true, true]);
    expect(stats.get('cluster.test.outlier_detection.ejections_overflow')).toBe(1);
    expect(d.ejectedCount).toBe(1);

    const small = detector(3); // one host of three is 33% > 10%: none, as in Envoy
    report(small.d, small.hosts[0]!, '5xx', 5);
    expect(small.hosts[0]!.healthy).toBe(true);

    const one = detector(3, { alwaysEjectOneHost: true });
    report(one.d, one.hosts[0]!, '5xx', 5);
    report(one.d, one.hosts[1]!, '5xx', 5);
    expect(one.hosts.map((h) => h.healthy)).toEqual([false, true, true]);
  });

  it('counts gateway errors in both counters; consecutive_gateway_failure is not enforced by default', () => {
    const { d, hosts } = detector(10, { consecutive5xx: 10, consecutiveGatewayFailure: 3 });
    report(d, hosts[0]!, 'gateway_error', 3);
    expect(hosts[0]!.healthy).toBe(true); // enforcing_consecutive_gateway_failure: 0
    report(d, hosts[0]!, 'gateway_error', 7);
    expect(hosts[0]!.healthy).toBe(false); // the tenth 5xx

    const on = detector(10, { consecutive5xx: 10, consecutiveGatewayFailure: 3, enforcingConsecutiveGatewayFailure: 100 });
    const h = on.hosts[0]!;
    report(on.d, h, 'gateway_error', 2);
    on.d.onResult(h, '5xx'); // another 5xx breaks the run of gateway errors
    report(on.d, h, 'gateway_error', 2);
    expect(h.healthy).toBe(true);
    on.d.onResult(h, 'gateway_error');
    expect(h.healthy).toBe(false);
  });

  it('counts a connect failure as a 503, or apart with split_external_local_origin_errors', () => {
    const { d, hosts } = detector(10);
    report(d, hosts[0]!, 'connect_failure', 5);
    expect(hosts[0]!.healthy).toBe(false);

    const split = detector(10, { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: 2, consecutive5xx: 3 });
    const h = split.hosts[0]!;
    report(split.d, h, '5xx', 2);
    split.d.onResult(h, 'connect_failure');
    expect(h.healthy).toBe(true);
    split.d.onResult(h, 'connect_failure');
    expect(h.healthy).toBe(false);
    expect(split.stats.get('cluster.test.outlier_detection.ejections_enforced_consecutive_local_origin_failure')).toBe(1);
  });

  it('keeps a host that failed active checks unhealthy when its ejection ends', () => {
    const { d, hosts, clock } = detector(10);
    const h = hosts[0]!;
    setActiveHealthy(h, false);
    report(d, h, '5xx', 5);
    clock.now += 30_000;
    d.sweep();
    expect(d.state(h).ejected).toBe(false);
    expect(h.healthy).toBe(false);
    setActiveHealthy(h, true);
    expect(h.healthy).toBe(true);
  });

  it('returns an ejected host on a successful active health check, once started', () => {
    const { d, hosts } = detector(10);
    d.start();
    const h = hosts[0]!;
    report(d, h, '5xx', 5);
    expect(h.healthy).toBe(false);
    reportActiveCheckSuccess(h);
    expect(h.healthy).toBe(true);

    const off = detector(10, { successfulActiveHealthCheckUnejectHost: false });
    off.d.start();
    report(off.d, off.hosts[0]!, '5xx', 5);
    reportActiveCheckSuccess(off.hosts[0]!);
    expect(off.hosts[0]!.healthy).toBe(false);
  });

  it('stop() returns every ejected host', () => {
    const { d, hosts } = detector(10);
    report(d, hosts[0]!, '5xx', 5);
    d.stop();
    expect(hosts[0]!.healthy).toBe(true);
    expect(d.ejectedCount).toBe(0);
  });

  it('ignores results for hosts of other clusters', () => {
    const { d } = detector(2);
    const stranger = localCluster([1]).hosts[0]!;
    report(d, stranger, '5xx', 10);
    expect(stranger.healthy).toBe(true);
  });
});

describe('outlierResultOfStatus', () => {
  it('maps 502/503/504 to gateway_error, other 5xx to 5xx, the rest to success', () => {
    expect([200, 404, 499, 500, 501, 502, 503, 504, 505, 599].map(outlierResultOfStatus)).toEqual([
      'success',
      'success',
      'success',
      '5xx',
      '5xx',
      'gateway_error',
      'gateway_error',
      'gateway_error',
      '5xx',
      '5xx',
    ]);
  });
});
