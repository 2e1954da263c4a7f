import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTLIER_DETECTION } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';
import { readOutlierDetection } from './outlier-detection.js';
import { readSection } from './testing.js';

/** Read `cluster` (a cluster's JSON) with `read`. */
const read = <T>(cluster: Record<string, unknown>, readFn: (c: ConfigReader) => T) => readSection(cluster, 'cluster_manager.clusters[0]', readFn);

describe('readOutlierDetection', () => {
  const O = 'cluster_manager.clusters[0].outlier_detection';

  it('is off without outlier_detection, and has Envoy defaults with it', () => {
    expect(read({}, readOutlierDetection).result).toBeUndefined();
    expect(read({ outlier_detection: {} }, readOutlierDetection).result).toEqual(DEFAULT_OUTLIER_DETECTION);
  });

  it('reads every key; max_ejection_time defaults to at least base_ejection_time', () => {
    const { result, errors, warnings } = read(
      {
        outlier_detection: {
          consecutive_5xx: 3,
          consecutive_gateway_failure: 2,
          consecutive_local_origin_failure: 4,
          interval: '1s',
          base_ejection_time: '400s',
          max_ejection_percent: 50,
          always_eject_one_host: true,
          enforcing_consecutive_5xx: 90,
          enforcing_consecutive_gateway_failure: 100,
          enforcing_consecutive_local_origin_failure: 80,
          split_external_local_origin_errors: true,
          successful_active_health_check_uneject_host: false,
          max_ejection_time_jitter: '2s',
        },
      },
      readOutlierDetection,
    );
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      consecutive5xx: 3,
      consecutiveGatewayFailure: 2,
      consecutiveLocalOriginFailure: 4,
      intervalMs: 1000,
      baseEjectionTimeMs: 400_000,
      maxEjectionTimeMs: 400_000,
      maxEjectionTimeJitterMs: 2000,
      maxEjectionPercent: 50,
      alwaysEjectOneHost: true,
      enforcingConsecutive5xx: 90,
      enforcingConsecutiveGatewayFailure: 100,
      enforcingConsecutiveLocalOriginFailure: 80,
      splitExternalLocalOriginErrors: true,
      successfulActiveHealthCheckUnejectHost: false,
    });
  });

  it('reports bad values and warns about success-rate keys', () => {
    const { errors, warnings } = read(
      { outlier_detection: { base_ejection_time: '60s', max_ejection_time: '30s', max_ejection_percent: 101, interval: '0s', success_rate_minimum_hosts: 5 } },
      readOutlierDetection,
    );
    expect(errors).toEqual([
      `${O}.max_ejection_percent: expected a number from 0 to 100, got 101`,
      `${O}.interval: must be more than 0`,
      `${O}.max_ejection_time: must not be less than base_ejection_time (60000 ms)`,
    ]);
    expect(warnings).toEqual([`${O}.success_rate_minimum_hosts: success-rate and failure-percentage outlier detection are not supported by mosn-ts yet; ignored`]);
  });
});
