import { DEFAULT_HEALTH_CHECK, type HealthCheckConfig, type HealthCheckKind, type HttpCheckConfig, type StatusRange, type XProtocolCodec } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/** The `protocol` MOSN registers its HTTP checker under (`Http1`), matched case-insensitively. */
const HTTP_PROTOCOLS = ['http1'];

/** True for values MOSN writes when a field is unset: its own config dump holds `{"timeout":"0s", ...}`. */
function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || v === '0' || v === '0s') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isZero);
  return false;
}

/**
 * A cluster's `health_check` (read from the cluster's reader `c`), or undefined when it is absent or every
 * field is unset. `codecFor`, when given, resolves a `protocol` naming an RPC codec: one with heartbeats
 * is checked by heartbeat, anything else by a TCP connect (with a warning), as MOSN does for every
 * protocol it has no checker for.
 */
export function readHealthCheck(c: ConfigReader, codecFor?: (protocol: string) => XProtocolCodec | undefined, clusterTls = false): HealthCheckConfig | undefined {
  const raw = c.value('health_check');
  if (isZero(raw)) return undefined;
  const h = c.obj('health_check');
  if (!h) return undefined;
  const protocol = h.str('protocol') ?? '';
  const timeoutMs = h.duration('timeout', { numberUnit: 'ns' }) || DEFAULT_HEALTH_CHECK.timeoutMs;
  const intervalMs = h.duration('interval', { numberUnit: 'ns' }) || DEFAULT_HEALTH_CHECK.intervalMs;
  const intervalJitterMs = h.duration('interval_jitter', { numberUnit: 'ns' }) || DEFAULT_HEALTH_CHECK.intervalJitterMs;
  const initialDelayMs = h.duration('initial_delay_seconds', { numberUnit: 'ns' }) || DEFAULT_HEALTH_CHECK.initialDelayMs;
  const healthyThreshold = h.num('healthy_threshold', { min: 0 }) || DEFAULT_HEALTH_CHECK.healthyThreshold;
  const unhealthyThreshold = h.num('unhealthy_threshold', { min: 0 }) || DEFAULT_HEALTH_CHECK.unhealthyThreshold;
  const serviceName = h.str('service_name') || undefined;
  const cc = h.obj('check_config');
  const http = cc?.has('http_check_config') ? readHttpCheckConfig(cc, clusterTls) : undefined;
  cc?.finish();
  h.ignore(['event_log_path'], 'a separate health-check event log is not supported by mosn-ts; changes are logged to the main log');
  h.ignore(['common_callbacks'], 'health-check callbacks registered by name are not supported by mosn-ts; ignored');
  h.finish();

  let kind: HealthCheckKind;
  const p = protocol.toLowerCase();
  if (p === '' || p === 'tcp') kind = 'tcp';
  else if (HTTP_PROTOCOLS.includes(p)) {
    kind = http ? 'http' : 'tcp';
    if (!http) h.problems.warn(h.at('check_config'), `protocol "${protocol}" without check_config.http_check_config: checked by TCP connect, as MOSN does`);
  } else {
    kind = 'rpc';
    const codec = codecFor?.(protocol);
    if (codecFor && !codec?.heartbeatTrigger) {
      kind = 'tcp';
      const why = codec ? `protocol "${protocol}" has no heartbeat` : `no health checker for protocol "${protocol}"`;
      h.problems.warn(h.at('protocol'), `${why}: checked by TCP connect, as MOSN does`);
    }
  }
  if (http && kind !== 'http') h.problems.warn(h.at('check_config.http_check_config'), `used only with protocol "Http1"; ignored`);
  return {
    kind,
    protocol,
    timeoutMs,
    intervalMs,
    intervalJitterMs,
    initialDelayMs,
    healthyThreshold,
    unhealthyThreshold,
    ...(serviceName !== undefined ? { serviceName } : {}),
    ...(http && kind === 'http' ? { http } : {}),
  };
}

function readHttpCheckConfig(cc: ConfigReader, tls: boolean): HttpCheckConfig | undefined {
  const r = cc.obj('http_check_config');
  if (!r) return undefined;
  let path = r.str('path') || '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const method = (r.str('method') || 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) r.problems.error(r.at('method'), `"${method}" is not an HTTP method`);
  const port = r.num('port', { min: 0, max: 65535 }) ?? 0;
  const domain = r.str('domain') || undefined;
  const timeoutMs = r.duration('timeout', { numberUnit: 'ns' }) || undefined;
  // A TLS cluster's hosts are checked over TLS whatever the scheme says; https on a plaintext cluster has no TLS to use.
  const scheme = r.str('scheme')?.toLowerCase();
  if (scheme === 'https' && !tls) r.problems.error(r.at('scheme'), '"https" needs TLS on the cluster (its tls_context, with the CA and name to check): add it, or use "http"');
  else if (scheme && scheme !== 'http' && scheme !== 'https') r.problems.error(r.at('scheme'), `expected "http" or "https", got "${scheme}"`);
  const codes: StatusRange[] = [];
  for (const cr of r.objects('codes')) {
    const start = cr.num('start', { required: true, min: 100, max: 599 });
    const end = cr.num('end', { required: true, min: 100, max: 599 });
    cr.finish();
    if (start === undefined || end === undefined) continue;
    if (start > end) cr.problems.error(cr.path, `start ${start} is after end ${end}`);
    else codes.push({ start, end });
  }
  r.finish();
  return {
    path,
    method,
    port,
    codes,
    ...(domain !== undefined ? { domain } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
}
