import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { durationMs, durationString } from './context.js';
import { boolValue, isSet, numberValue, obj, objects, str } from './fields.js';
import { checkFields, NOT_SUPPORTED, type FieldRules } from './field-rules.js';

/** What becomes of each field of a `HealthCheck` (a test checks them against the protos). */
export const HEALTH_CHECK_RULES: FieldRules = {
  timeout: 'converted',
  interval: 'converted',
  // Envoy checks a host at once; MOSN's first check comes after initial_delay_seconds (1s, the least it takes)
  initial_jitter: { warn: 'not supported by mosn-ts: the first check starts after 1s (MOSN\'s initial_delay_seconds)' },
  interval_jitter: 'converted',
  interval_jitter_percent: { warn: 'not supported by mosn-ts: only interval_jitter is added' },
  unhealthy_threshold: 'converted',
  healthy_threshold: 'converted',
  alt_port: 'converted',
  reuse_connection: 'noop', // MOSN opens a connection per HTTP check; Envoy's default reuses one. The outcome is the same.
  http_health_check: 'converted',
  tcp_health_check: 'converted',
  grpc_health_check: 'converted',
  custom_health_check: 'converted',
  no_traffic_interval: NOT_SUPPORTED,
  no_traffic_healthy_interval: NOT_SUPPORTED,
  unhealthy_interval: NOT_SUPPORTED,
  unhealthy_edge_interval: NOT_SUPPORTED,
  healthy_edge_interval: NOT_SUPPORTED,
  event_log_path: NOT_SUPPORTED,
  event_logger: NOT_SUPPORTED,
  event_service: NOT_SUPPORTED,
  always_log_health_check_failures: NOT_SUPPORTED,
  always_log_health_check_success: NOT_SUPPORTED,
  tls_options: NOT_SUPPORTED,
  transport_socket_match_criteria: NOT_SUPPORTED,
};

/** What becomes of each field of a `HttpHealthCheck` (a test checks them against the protos). */
export const HTTP_HEALTH_CHECK_RULES: FieldRules = {
  host: 'converted',
  path: 'converted',
  send: 'converted',
  receive: 'converted',
  response_buffer_size: NOT_SUPPORTED,
  request_headers_to_add: 'converted',
  request_headers_to_remove: 'converted',
  expected_statuses: 'converted',
  retriable_statuses: NOT_SUPPORTED,
  codec_client_type: 'converted',
  service_name_matcher: NOT_SUPPORTED,
  method: 'converted',
};

/**
 * `health_checks` → MOSN's `health_check` (one per cluster: the first; the others are warned about). HTTP checks
 * become MOSN's `Http1` check; TCP checks a TCP connect; gRPC and custom checks a TCP connect with a warning.
 */
export function convertHealthChecks(checks: readonly Message[], clusterName: string, ctx: ConvertContext): MosnJson | undefined {
  const first = checks[0];
  if (!first) return undefined;
  if (checks.length > 1) ctx.warn(`MOSN runs one health check per cluster: the first is used, ${checks.length - 1} more ignored`);
  const h = first;
  const at = ctx.at('[0]');
  const out: MosnJson = { service_name: clusterName };
  for (const [field, key] of [['timeout', 'timeout'], ['interval', 'interval'], ['interval_jitter', 'interval_jitter']] as const) {
    const d = durationString(h[field]);
    if (d !== undefined) out[key] = d;
  }
  for (const key of ['healthy_threshold', 'unhealthy_threshold']) {
    const n = numberValue(h[key]);
    if (n !== undefined) out[key] = n;
  }
  const altPort = numberValue(h.alt_port);
  switch (h.health_checker) {
    case 'http_health_check': {
      out.protocol = 'Http1';
      out.check_config = { http_check_config: httpCheck(obj(h.http_health_check), at.at('http_health_check'), altPort) };
      break;
    }
    case 'tcp_health_check': {
      const t = obj(h.tcp_health_check);
      if (isSet(t.send) || objects(t.receive).length > 0) at.at('tcp_health_check').warn('payload checks (send/receive) are not supported by mosn-ts: a TCP connect is the check');
      if (isSet(t.proxy_protocol_config)) at.at('tcp_health_check.proxy_protocol_config').warn('not supported by mosn-ts; the check sends no PROXY header');
      if (altPort) at.at('alt_port').warn('not supported for TCP checks by mosn-ts: the host\'s own port is checked');
      out.protocol = 'tcp';
      break;
    }
    case 'grpc_health_check':
    case 'custom_health_check':
      at.at(h.health_checker).warn(`${h.health_checker === 'grpc_health_check' ? 'gRPC' : 'custom'} health checks are not supported by mosn-ts: a TCP connect is the check`);
      out.protocol = 'tcp';
      break;
    default:
      at.error('no health checker (http_health_check, tcp_health_check, ...)');
  }
  checkFields(h, 'envoy.config.core.v3.HealthCheck', HEALTH_CHECK_RULES, at);
  return out;
}

function httpCheck(hc: Message, ctx: ConvertContext, altPort: number | undefined): MosnJson {
  const out: MosnJson = {};
  if (str(hc.path) !== '') out.path = hc.path;
  if (str(hc.host) !== '') out.domain = hc.host;
  const method = str(hc.method) || 'METHOD_UNSPECIFIED';
  if (method !== 'METHOD_UNSPECIFIED') out.method = method;
  if (altPort) out.port = altPort;
  // Envoy's ranges are [start, end); MOSN's are inclusive. Envoy's default: 200 only, as MOSN's empty list.
  const codes = objects(hc.expected_statuses).map((r) => ({ start: Number(r.start ?? 0), end: Number(r.end ?? 0) - 1 }));
  if (codes.length > 0) out.codes = codes;
  if (hc.codec_client_type === 'HTTP2' || hc.codec_client_type === 'HTTP3') ctx.at('codec_client_type').warn(`${hc.codec_client_type} checks are not supported by mosn-ts: the check is HTTP/1.1`);
  if (isSet(hc.send) || objects(hc.receive).length > 0) ctx.warn('payload checks (send/receive) are not supported by mosn-ts: only the status is checked');
  if (objects(hc.request_headers_to_add).length > 0 || (Array.isArray(hc.request_headers_to_remove) && hc.request_headers_to_remove.length > 0)) {
    ctx.warn('request header changes of health checks are not supported by mosn-ts; ignored');
  }
  checkFields(hc, 'envoy.config.core.v3.HealthCheck.HttpHealthCheck', HTTP_HEALTH_CHECK_RULES, ctx);
  return out;
}

/** What becomes of each field of an `OutlierDetection` (a test checks them against the protos). */
export const OUTLIER_DETECTION_RULES: FieldRules = {
  consecutive_5xx: 'converted',
  interval: 'converted',
  base_ejection_time: 'converted',
  max_ejection_percent: 'converted',
  enforcing_consecutive_5xx: 'converted',
  enforcing_success_rate: 'converted',
  success_rate_minimum_hosts: 'converted',
  success_rate_request_volume: 'converted',
  success_rate_stdev_factor: 'converted',
  consecutive_gateway_failure: 'converted',
  enforcing_consecutive_gateway_failure: 'converted',
  split_external_local_origin_errors: 'converted',
  consecutive_local_origin_failure: 'converted',
  enforcing_consecutive_local_origin_failure: 'converted',
  enforcing_local_origin_success_rate: 'converted',
  failure_percentage_threshold: 'converted',
  enforcing_failure_percentage: 'converted',
  enforcing_failure_percentage_local_origin: 'converted',
  failure_percentage_minimum_hosts: 'converted',
  failure_percentage_request_volume: 'converted',
  max_ejection_time: 'converted',
  max_ejection_time_jitter: 'converted',
  successful_active_health_check_uneject_host: 'converted',
  monitors: { warn: 'outlier monitors are not supported by mosn-ts; ignored' },
  always_eject_one_host: 'converted',
};

/** Outlier detection fields with the same name and meaning in mosn-ts (Envoy's). */
const OUTLIER_COUNTS = ['consecutive_5xx', 'consecutive_gateway_failure', 'consecutive_local_origin_failure', 'max_ejection_percent', 'enforcing_consecutive_5xx', 'enforcing_consecutive_gateway_failure', 'enforcing_consecutive_local_origin_failure'];
const OUTLIER_DURATIONS = ['interval', 'base_ejection_time', 'max_ejection_time', 'max_ejection_time_jitter'];
const OUTLIER_BOOLS = ['successful_active_health_check_uneject_host', 'always_eject_one_host'];
const SUCCESS_RATE = ['enforcing_success_rate', 'success_rate_minimum_hosts', 'success_rate_request_volume', 'success_rate_stdev_factor', 'enforcing_local_origin_success_rate'];
const FAILURE_PERCENTAGE = ['failure_percentage_threshold', 'enforcing_failure_percentage', 'enforcing_failure_percentage_local_origin', 'failure_percentage_minimum_hosts', 'failure_percentage_request_volume'];

/** `outlier_detection` → mosn-ts's `outlier_detection` (Envoy's names; durations as strings). */
export function convertOutlierDetection(o: Message, ctx: ConvertContext): MosnJson {
  const out: MosnJson = {};
  for (const k of OUTLIER_COUNTS) {
    const n = numberValue(o[k]);
    if (n !== undefined) out[k] = n;
  }
  for (const k of OUTLIER_DURATIONS) {
    const d = durationString(o[k]);
    if (d !== undefined) out[k] = d;
  }
  for (const k of OUTLIER_BOOLS) {
    const b = boolValue(o[k]);
    if (b !== undefined) out[k] = b;
  }
  if (o.split_external_local_origin_errors === true) out.split_external_local_origin_errors = true;
  const base = durationMs(o.base_ejection_time);
  const max = durationMs(o.max_ejection_time);
  if (base !== undefined && max !== undefined && max < base) ctx.at('max_ejection_time').error('must not be less than base_ejection_time');
  // Envoy's success-rate detection is on by default (enforcing_success_rate 100); failure percentage is off (0)
  const successRate = numberValue(o.enforcing_success_rate) ?? 100;
  if (successRate > 0) ctx.warn('success-rate outlier detection (on by default in Envoy: enforcing_success_rate 100) is not supported by mosn-ts; only the consecutive-error rules eject hosts');
  if ((numberValue(o.enforcing_failure_percentage) ?? 0) > 0 || (numberValue(o.enforcing_failure_percentage_local_origin) ?? 0) > 0) {
    ctx.warn('failure-percentage outlier detection is not supported by mosn-ts; ignored');
  }
  checkFields(o, 'envoy.config.cluster.v3.OutlierDetection', OUTLIER_DETECTION_RULES, ctx);
  return out;
}

/** What becomes of each field of a circuit breaker's `Thresholds` (a test checks them against the protos). */
export const THRESHOLD_RULES: FieldRules = {
  priority: 'converted',
  max_connections: 'converted',
  max_pending_requests: 'converted',
  max_requests: 'converted',
  max_retries: 'converted',
  retry_budget: { warn: 'retry budgets are not supported by mosn-ts: max_retries limits retries' },
  track_remaining: NOT_SUPPORTED,
  max_connection_pools: NOT_SUPPORTED,
};

/** Envoy's defaults for a threshold's unset fields (MOSN's own differ: 10000 pending, 100000 requests). */
const ENVOY_THRESHOLDS = { max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 };
/** The highest value MOSN's circuit-breaker reader takes; Istio writes 4294967295 for "no limit". */
const MAX_THRESHOLD = 1_000_000;

/**
 * `circuit_breakers` → MOSN's `circuit_breakers`: the DEFAULT priority's thresholds, with Envoy's defaults for
 * unset fields (also when there is no `circuit_breakers`: Envoy's defaults apply then too). HIGH is warned about.
 */
export function convertCircuitBreakers(cb: Message, ctx: ConvertContext): MosnJson[] {
  const threshold: MosnJson = { priority: 'default', ...ENVOY_THRESHOLDS };
  for (const [i, t] of objects(cb.thresholds).entries()) {
    const at = ctx.at(`thresholds[${i}]`);
    if (t.priority === 'HIGH') {
      at.at('priority').warn('HIGH priority thresholds are not used: mosn-ts has one priority (DEFAULT)');
      continue;
    }
    for (const k of Object.keys(ENVOY_THRESHOLDS)) {
      const n = numberValue(t[k]);
      if (n !== undefined) threshold[k] = Math.min(n, MAX_THRESHOLD);
    }
    checkFields(t, 'envoy.config.cluster.v3.CircuitBreakers.Thresholds', THRESHOLD_RULES, at);
  }
  if (objects(cb.per_host_thresholds).length > 0) ctx.at('per_host_thresholds').warn('per-host circuit breakers are not supported by mosn-ts; ignored');
  return [threshold];
}
