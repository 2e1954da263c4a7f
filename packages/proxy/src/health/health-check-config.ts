/** How a host is checked: a TCP connect, an HTTP/1.1 request, or a protocol heartbeat (Bolt, Dubbo, ...). */
export type HealthCheckKind = 'tcp' | 'http' | 'rpc';

/** An inclusive range of HTTP status codes (MOSN's `codes: [{ "start": 200, "end": 299 }]`). */
export interface StatusRange {
  start: number;
  end: number;
}

/** MOSN's `check_config.http_check_config`. */
export interface HttpCheckConfig {
  /** Request path, with an optional query (`/health?full=1`). */
  path: string;
  method: string;
  /** Port to check instead of the host's own (0: the host's port). */
  port: number;
  /** `Host` header; the host's address when unset. */
  domain?: string;
  /** A bound of its own on the HTTP exchange, under the check's `timeout`. */
  timeoutMs?: number;
  /** Statuses that count as healthy; empty means only 200, as in MOSN. */
  codes: StatusRange[];
}

/** A cluster's `health_check`. */
export interface HealthCheckConfig {
  kind: HealthCheckKind;
  /** `protocol` as written (`""` when absent); names the codec for `kind: 'rpc'`. */
  protocol: string;
  timeoutMs: number;
  intervalMs: number;
  /** A random delay in [0, jitter) added to each interval. */
  intervalJitterMs: number;
  initialDelayMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  serviceName?: string;
  http?: HttpCheckConfig;
}

/** MOSN's defaults (`pkg/upstream/healthcheck`). */
export const DEFAULT_HEALTH_CHECK = {
  timeoutMs: 1000,
  intervalMs: 15_000,
  intervalJitterMs: 5,
  initialDelayMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
} as const;

/** Whether an HTTP status counts as healthy under `codes` (empty: only 200). */
export function statusMatches(codes: readonly StatusRange[], status: number): boolean {
  if (codes.length === 0) return status === 200;
  return codes.some((r) => status >= r.start && status <= r.end);
}
