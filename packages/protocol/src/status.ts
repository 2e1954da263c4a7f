/**
 * Why mosn answered a request itself instead of the upstream. Each protocol maps these to its own
 * status (HTTP status, Bolt response status, Dubbo status); the HTTP mapping is MOSN's.
 */
export type InternalStatus =
  | 'no_route'
  | 'no_healthy_upstream'
  | 'connect_failed'
  | 'upstream_reset'
  | 'upstream_overflow'
  | 'timeout'
  | 'codec_error'
  | 'internal_error';

/** MOSN's internal codes, which are HTTP statuses. */
export const INTERNAL_STATUS_HTTP: Readonly<Record<InternalStatus, number>> = {
  no_route: 404,
  no_healthy_upstream: 502,
  connect_failed: 502,
  upstream_reset: 502,
  upstream_overflow: 503,
  timeout: 504,
  codec_error: 400,
  internal_error: 500,
};
