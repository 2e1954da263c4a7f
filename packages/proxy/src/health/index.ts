/**
 * Upstream host health: active health checks (`health_check`: TCP connect, HTTP, RPC heartbeat) and
 * passive outlier ejection (`outlier_detection`). Both set `Host.healthy`, which the load balancers read.
 */
export type { CheckSession } from './check-session.js';
export {
  DEFAULT_HEALTH_CHECK,
  statusMatches,
  type HealthCheckConfig,
  type HealthCheckKind,
  type HttpCheckConfig,
  type StatusRange,
} from './health-check-config.js';
export { HealthChecker, type HealthCheckerOptions } from './health-checker.js';
export { hostHealthState } from './host-health.js';
export {
  DEFAULT_OUTLIER_DETECTION,
  OutlierDetector,
  outlierResultOfStatus,
  type OutlierDetectionConfig,
  type OutlierDetectorOptions,
  type OutlierResult,
} from './outlier-detector.js';
