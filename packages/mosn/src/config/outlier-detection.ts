import { DEFAULT_OUTLIER_DETECTION, type OutlierDetectionConfig } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/** Envoy keys that mosn-ts reads but does not act on (success-rate and failure-percentage detection). */
const UNSUPPORTED = [
  'enforcing_success_rate',
  'success_rate_minimum_hosts',
  'success_rate_request_volume',
  'success_rate_stdev_factor',
  'enforcing_local_origin_success_rate',
  'failure_percentage_threshold',
  'enforcing_failure_percentage',
  'enforcing_failure_percentage_local_origin',
  'failure_percentage_minimum_hosts',
  'failure_percentage_request_volume',
  'monitors',
];

/** A cluster's `outlier_detection` (read from the cluster's reader `c`); undefined when absent: off, as in Envoy. */
export function readOutlierDetection(c: ConfigReader): OutlierDetectionConfig | undefined {
  const o = c.obj('outlier_detection');
  if (!o) return undefined;
  const d = DEFAULT_OUTLIER_DETECTION;
  const count = (key: string, def: number): number => o.num(key, { min: 0 }) ?? def;
  const percent = (key: string, def: number): number => o.num(key, { min: 0, max: 100 }) ?? def;
  const ms = (key: string, def: number): number => o.duration(key, { numberUnit: 'ns' }) ?? def;
  const baseEjectionTimeMs = ms('base_ejection_time', d.baseEjectionTimeMs);
  const config: OutlierDetectionConfig = {
    consecutive5xx: count('consecutive_5xx', d.consecutive5xx),
    consecutiveGatewayFailure: count('consecutive_gateway_failure', d.consecutiveGatewayFailure),
    consecutiveLocalOriginFailure: count('consecutive_local_origin_failure', d.consecutiveLocalOriginFailure),
    intervalMs: ms('interval', d.intervalMs),
    baseEjectionTimeMs,
    maxEjectionTimeMs: ms('max_ejection_time', Math.max(d.maxEjectionTimeMs, baseEjectionTimeMs)),
    maxEjectionTimeJitterMs: ms('max_ejection_time_jitter', d.maxEjectionTimeJitterMs),
    maxEjectionPercent: percent('max_ejection_percent', d.maxEjectionPercent),
    alwaysEjectOneHost: o.bool('always_eject_one_host') ?? d.alwaysEjectOneHost,
    enforcingConsecutive5xx: percent('enforcing_consecutive_5xx', d.enforcingConsecutive5xx),
    enforcingConsecutiveGatewayFailure: percent('enforcing_consecutive_gateway_failure', d.enforcingConsecutiveGatewayFailure),
    enforcingConsecutiveLocalOriginFailure: percent('enforcing_consecutive_local_origin_failure', d.enforcingConsecutiveLocalOriginFailure),
    splitExternalLocalOriginErrors: o.bool('split_external_local_origin_errors') ?? d.splitExternalLocalOriginErrors,
    successfulActiveHealthCheckUnejectHost: o.bool('successful_active_health_check_uneject_host') ?? d.successfulActiveHealthCheckUnejectHost,
  };
  if (config.intervalMs <= 0) o.problems.error(o.at('interval'), 'must be more than 0');
  if (config.maxEjectionTimeMs < config.baseEjectionTimeMs) {
    o.problems.error(o.at('max_ejection_time'), `must not be less than base_ejection_time (${config.baseEjectionTimeMs} ms)`);
  }
  o.ignore(UNSUPPORTED, 'success-rate and failure-percentage outlier detection are not supported by mosn-ts yet; ignored');
  o.finish();
  return config;
}
