/**
 * Every stat the proxy package records, by scope: its name, counter or gauge, and MOSN's metric for the same thing
 * (pkg/metrics/downstream.go, upstream.go, healthcheck.go) where MOSN has one. mosn-ts names its stats as Envoy does
 * (`downstream_rq_total`, `upstream_cx_connect_failed`); the admin API and the metrics sinks print them under the
 * scope's prefix (`listener.<name>.downstream_rq_total`).
 *
 * Code names a stat by its constant (`LISTENER.downstream_rq_total`), never by a string literal, so a typo is a type
 * error and this file lists all of them. A name with `<...>` is a family, one stat per value, named by the function
 * beside it (`downstreamRqStatus('no_route')`). Counters of the request paths are resolved once per listener or cluster
 * (`ListenerCounters`, `ClusterCounters` in counters.ts) and held; nothing here runs per request.
 */

/** What the catalogue says of one stat. */
export interface StatInfo {
  readonly kind: 'counter' | 'gauge';
  /** MOSN's metric for the same thing, as `<metrics type> <key>` (pkg/metrics); absent when MOSN has none. */
  readonly mosn?: string;
  readonly help: string;
}

type Catalogue = Readonly<Record<string, StatInfo>>;

/** The names of a catalogue, each its own value: `LISTENER.downstream_rq_total === 'downstream_rq_total'`. */
export type StatNames<C extends Catalogue> = { readonly [K in keyof C]: K };

function names<const C extends Catalogue>(catalogue: C): StatNames<C> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(catalogue)) out[name] = name;
  return Object.freeze(out) as StatNames<C>;
}

const counter = (help: string, mosn?: string): StatInfo => (mosn === undefined ? { kind: 'counter', help } : { kind: 'counter', mosn, help });
const gauge = (help: string, mosn?: string): StatInfo => (mosn === undefined ? { kind: 'gauge', help } : { kind: 'gauge', mosn, help });

/** `listener.<listener name>.`: the `proxy` filter of a listener and the requests it carries (HTTP and RPC). */
export const LISTENER_STATS = {
  downstream_rq_total: counter('requests received (HTTP and RPC)', 'downstream request_total'),
  downstream_rq_reset: counter('HTTP requests the downstream reset before their response ended', 'downstream request_reset'),
  downstream_rq_timeout: counter('requests whose route (or RPC frame) timeout passed'),
  downstream_rq_internal_error: counter('requests a stream filter failed (threw)'),
  downstream_cx_upgrades_total: counter('HTTP/1 upgrades (101) turned into tunnels'),
  downstream_protocol_detect_failed: counter('connections whose first bytes matched no protocol of the listener'),
  downstream_protocol_error: counter('downstream connections closed for bytes their protocol could not read'),
  downstream_rq_header_timeout: counter('HTTP/1 request heads not complete within request_headers_timeout'),
  upstream_rq_reset: counter('requests whose upstream stream was reset (or failed) before the response ended'),
  upstream_rq_retry: counter('upstream retries (another host after a connect failure, or a retry_policy retry)', 'upstream request_retry (per cluster)'),
  upstream_rq_per_try_timeout: counter("HTTP upstream tries that passed the retry policy's per-try timeout"),
  stream_filter_local_reply: counter('requests a stream filter answered'),
  stream_filter_error: counter('stream filters that threw'),
  'downstream_rq_time<part>': counter(
    'with a metrics sink: ms from an HTTP request\'s head to its end (answered, failed or reset), and from an RPC call\'s sending to its answer; downstream_rq_time.bucket.<le>, .sum, .count; a histogram in Prometheus',
    'downstream request_time (ns, a summary)',
  ),
  mirror_rq_total: counter('request copies the mirror filter started (one per copy)'),
  mirror_rq_completed: counter('request copies whose upstream answered (the answer is dropped)'),
  mirror_rq_failed: counter('request copies that got no answer: no host, connect failure, overflow, reset, timeout'),
  mirror_rq_dropped: counter('request copies given up so as not to hold the request: over the buffer limit, or the request ended first'),
  flow_control_pass: counter("requests flowControlFilter let through under a rule of their resource (sentinel's pass)"),
  flow_control_block: counter("requests flowControlFilter answered itself: over a rule's threshold (sentinel's block)"),
  dubbo_stats_overflow: counter(
    'Dubbo requests dubbo_stream counted in no per-method family: the listener has MAX_METHOD_STATS service/method pairs already, or the names are too long',
  ),
  grpc_stats_overflow: counter(
    'gRPC calls grpc_metric counted in no per-method family: the listener has MAX_METHOD_STATS service/method pairs already, the names are too long, or the path is not /<service>/<method>',
  ),
  'downstream_rq_<status>': counter(
    'RPC requests answered before they went upstream (no route, no healthy upstream, overflow, ...), one counter per internal status (downstreamRqStatus)',
    'downstream request_failed (one counter for all)',
  ),
} as const satisfies Catalogue;

/**
 * `listener.<listener name>.`: the listener's downstream connections, whatever their filters (`proxy`, `tcp_proxy`):
 * counted by the runtime as each opens and closes, and levels read from the open connections at each snapshot.
 */
export const LISTENER_CONNECTION_STATS = {
  downstream_cx_total: counter('connections accepted (on a TLS listener: once the handshake is done)', 'downstream connection_total'),
  downstream_cx_destroy: counter('connections closed, by either side', 'downstream connection_destroy'),
  downstream_cx_destroy_remote: counter('connections the client closed'),
  downstream_cx_destroy_local: counter('connections mosn closed'),
  'downstream_cx_destroy_local_<reason>': counter(
    'connections mosn closed, by why (downstreamCxDestroyLocal): idle_timeout (connection_idle_timeout, tcp_proxy idle_timeout, an HTTP/1 head past request_headers_timeout, an idle HTTP/2 session), protocol_error, upstream_failed, shutdown, internal_error, handed_off, requested (its protocol was done with it: HTTP/1 without keep-alive, a 504 before the request body ended, an HTTP/2 session the client closed)',
  ),
  downstream_cx_active: gauge('connections open now', 'downstream connection_active'),
  downstream_cx_tx_bytes_buffered: gauge(
    "bytes written to the open connections that the kernel has not taken yet: what mosn holds for clients that read slowly (each connection's bounded by per_connection_buffer_limit_bytes plus what was in flight)",
    'downstream bytes_write_buffered',
  ),
  downstream_cx_rx_bytes_buffered: gauge('bytes read from the open connections and not consumed yet: parts of frames waiting for the rest', 'downstream bytes_read_buffered'),
  downstream_filter_error: counter('connections closed because a network filter threw while handling their bytes'),
  downstream_tls_handshake_failed: counter('TLS handshakes that failed (a bad or missing client certificate, not TLS, not finished in time)'),
  downstream_tls_handshake_timeout: counter('TLS handshakes not finished within 10 s of the accept (also in downstream_tls_handshake_failed)'),
  downstream_tls_handshake_active: gauge('accepted sockets in their TLS handshake now (not yet connections)'),
} as const satisfies Catalogue;

/**
 * `listener.<listener name>.dubbo.<service>.<method>.`: the `dubbo_stream` filter, per Dubbo service and method of a
 * listener (MOSN's `mosn` metrics with the labels listener, service, method; pkg/filter/stream/dubbo/stats.go).
 */
export const DUBBO_METHOD_STATS = {
  request_total: counter('Dubbo requests of this service and method', 'mosn request_total'),
  response_succ_total: counter('upstream answers with Dubbo status OK (20)', 'mosn response_succ_total'),
  response_fail_total: counter('upstream answers with any other Dubbo status', 'mosn response_fail_total'),
} as const satisfies Catalogue;

/**
 * `listener.<listener name>.grpc.<service>.<method>.`: the `grpc_metric` filter, per gRPC service (`package.Service`)
 * and method of a listener (MOSN's `grpc` metrics with the label service, the full method;
 * pkg/filter/stream/grpcmetric/stats.go). Counted when the call's gRPC status is known.
 */
export const GRPC_METHOD_STATS = {
  request_total: counter('gRPC calls of this method that got an answer from upstream', 'grpc request_total'),
  response_succ_total: counter('calls answered with grpc-status 0 (OK)', 'grpc response_succ_total'),
  response_fail_total: counter('calls answered with another grpc-status, without one, or whose answer broke off', 'grpc response_fail_total'),
} as const satisfies Catalogue;

/** `cluster.<cluster name>.`: what the request paths count per cluster. */
export const CLUSTER_STATS = {
  upstream_rq_pending_overflow: counter("HTTP requests refused at the cluster's max_requests", 'upstream request_pending_overflow'),
  upstream_rq_retry_overflow: counter("retries the cluster's max_retries did not allow", 'upstream request_retry_overflow'),
  upstream_cx_connect_failed: counter('failed upstream connects of requests (a connect timeout too), retried or not', 'upstream connection_con_fail'),
  upstream_cx_connect_timeout: counter('HTTP upstream connects that timed out'),
  upstream_cx_overflow: counter("requests refused at the connection pool's limits (max_connections, max_pending_requests)"),
  upstream_cx_closed: counter('HTTP requests whose pool closed before they got a stream (host removed, mosn stopping)'),
} as const satisfies Catalogue;

/** `cluster.<cluster name>.dns.`: STRICT_DNS resolution. */
export const DNS_STATS = {
  resolve_success: counter('resolutions with at least one address'),
  resolve_empty: counter('resolutions with no address (the last good answer is kept)'),
  resolve_failure: counter('resolutions that failed (the last good answer is kept)'),
} as const satisfies Catalogue;

/** `cluster.<cluster name>.original_dst.`: ORIGINAL_DST hosts. */
export const ORIGINAL_DST_STATS = {
  hosts_added: counter('hosts made for a new destination'),
  hosts_removed: counter('idle hosts removed'),
  hosts_overflow: counter('new destinations refused at the host limit'),
  no_destination: counter('requests without a destination'),
  loop_refused: counter('destinations that are listeners of this mosn (refused: they would loop)'),
  bad_header: counter('destination headers that are not ip[:port]'),
} as const satisfies Catalogue;

/** `cluster.<cluster name>.health_check.`: active health checks. */
export const HEALTH_CHECK_STATS = {
  attempt: counter('checks made', 'healthcheck attempt'),
  success: counter('checks passed', 'healthcheck success'),
  failure: counter('checks failed', 'healthcheck failure'),
  active_failure: counter('checks the host answered wrong', 'healthcheck active_failure'),
  network_failure: counter('checks that timed out or could not connect', 'healthcheck network_failure'),
  error: counter('checks that threw'),
  healthy: gauge('hosts healthy now', 'healthcheck healty'),
} as const satisfies Catalogue;

/** How an outlier was detected (Envoy's ejection types). */
export type EjectionType = 'consecutive_5xx' | 'consecutive_gateway_failure' | 'consecutive_local_origin_failure';

/** `cluster.<cluster name>.outlier_detection.`: passive outlier ejection (Envoy's names; MOSN has none of these). */
export const OUTLIER_STATS = {
  ejections_active: gauge('hosts ejected now'),
  ejections_overflow: counter('ejections max_ejection_percent did not allow'),
  ejections_enforced_total: counter('ejections made'),
  'ejections_detected_<type>': counter('outliers detected, by ejection type (ejectionsDetected)'),
  'ejections_enforced_<type>': counter('ejections made, by ejection type (ejectionsEnforced)'),
} as const satisfies Catalogue;

/** `tcp.<stat_prefix>.`: the `tcp_proxy` filter. */
export const TCP_STATS = {
  no_route: counter('connections that matched no route'),
  no_healthy_upstream: counter('connections whose cluster had no healthy host'),
  upstream_connect_failed: counter('failed upstream connects', 'upstream connection_con_fail'),
  upstream_connect_timeout: counter('upstream connects that timed out'),
  upstream_cx_total: counter('upstream connections made', 'upstream connection_total'),
} as const satisfies Catalogue;

/** `listener.<listener name>.jwt_authn.`: the `jwt_authn` stream filter of a listener (Envoy's names). */
export const JWT_AUTHN_STATS = {
  allowed: counter('HTTP requests the filter let through (a good token, or none needed)'),
  denied: counter('HTTP requests refused (401) for a missing or bad token'),
  cors_preflight_bypassed: counter('CORS preflight requests let through without a token (bypass_cors_preflight)'),
  jwks_fetch_success: counter('remote JWKS fetched'),
  jwks_fetch_failed: counter('remote JWKS fetches that failed (the requests waiting for them were refused)'),
} as const satisfies Catalogue;

export const LISTENER = names(LISTENER_STATS);
export const LISTENER_CX = names(LISTENER_CONNECTION_STATS);
export const CLUSTER = names(CLUSTER_STATS);
export const DNS = names(DNS_STATS);
export const ORIGINAL_DST = names(ORIGINAL_DST_STATS);
export const HEALTH_CHECK = names(HEALTH_CHECK_STATS);
export const OUTLIER = names(OUTLIER_STATS);
export const TCP = names(TCP_STATS);
export const DUBBO_METHOD = names(DUBBO_METHOD_STATS);
export const GRPC_METHOD = names(GRPC_METHOD_STATS);
export const JWT_AUTHN = names(JWT_AUTHN_STATS);

/** The stats of a catalogue with one name each (not a `<...>` family). */
export type PlainStat<C> = Exclude<keyof C, `${string}<${string}`> & string;
export type ListenerStat = PlainStat<typeof LISTENER_STATS>;
export type ClusterStat = PlainStat<typeof CLUSTER_STATS>;
export type TcpStat = PlainStat<typeof TCP_STATS>;
/** The stats of one service/method pair (the same names for `dubbo_stream` and `grpc_metric`). */
export type MethodStat = PlainStat<typeof DUBBO_METHOD_STATS> & PlainStat<typeof GRPC_METHOD_STATS>;

/** `<kind>.<service>.<method>.` under a listener's prefix: the scope of one pair's stats (`dubbo`, `grpc`). */
export function methodScope<K extends 'dubbo' | 'grpc'>(kind: K, service: string, method: string): `${K}.${string}.${string}.` {
  return `${kind}.${service}.${method}.`;
}

/** `downstream_rq_<status>`: an RPC request answered here with this internal status. */
export function downstreamRqStatus<S extends string>(status: S): `downstream_rq_${S}` {
  return `downstream_rq_${status}`;
}
/** `downstream_cx_destroy_local_<reason>`: a downstream connection mosn closed for this reason (a CloseReason). */
export function downstreamCxDestroyLocal<R extends string>(reason: R): `downstream_cx_destroy_local_${R}` {
  return `downstream_cx_destroy_local_${reason}`;
}
/** `ejections_detected_<type>`. */
export function ejectionsDetected<T extends EjectionType>(type: T): `ejections_detected_${T}` {
  return `ejections_detected_${type}`;
}
/** `ejections_enforced_<type>`. */
export function ejectionsEnforced<T extends EjectionType>(type: T): `ejections_enforced_${T}` {
  return `ejections_enforced_${type}`;
}

/**
 * `cluster.<name>.` and `cluster.<name>.host.<address>.`: the requests sent to a cluster and to each of its hosts
 * (upstream-figures.ts). Kept as numbers on the Cluster and Host objects and read at each snapshot, not held
 * counters: a removed host's series go with it, a rebuilt cluster starts from zero.
 */
export const UPSTREAM_FIGURE_STATS = {
  upstream_rq_total: counter('requests sent (each try, mirror copies too)', 'upstream request_total'),
  upstream_rq_active: gauge('requests sent and not yet ended', 'upstream request_active'),
  'upstream_rq_<class>': counter('answers by status class: upstream_rq_2xx ... upstream_rq_5xx (RPC statuses mapped to HTTP), each once non-zero', 'upstream response_success / response_failed (split at 500)'),
  upstream_rq_timeout: counter('tries that timed out (per-try, route or RPC timeout)', 'upstream request_timeout'),
  'upstream_rq_time<part>': counter(
    'latency in ms from sending to the end of each try, with a metrics sink: upstream_rq_time.bucket.<le> (per bucket, not cumulative), .sum, .count; a histogram in Prometheus',
    'upstream request_duration_time (ns, a summary)',
  ),
} as const satisfies Catalogue;

/** Each scope's prefix and catalogue: what the admin API and docs can list. */
export const STAT_CATALOGUE: ReadonlyArray<{ readonly prefix: string; readonly stats: Catalogue }> = [
  { prefix: 'listener.<name>.', stats: LISTENER_STATS },
  { prefix: 'listener.<name>.', stats: LISTENER_CONNECTION_STATS },
  { prefix: 'cluster.<name>.', stats: CLUSTER_STATS },
  { prefix: 'cluster.<name>.', stats: UPSTREAM_FIGURE_STATS },
  { prefix: 'cluster.<name>.host.<address>.', stats: UPSTREAM_FIGURE_STATS },
  { prefix: 'cluster.<name>.dns.', stats: DNS_STATS },
  { prefix: 'cluster.<name>.original_dst.', stats: ORIGINAL_DST_STATS },
  { prefix: 'cluster.<name>.health_check.', stats: HEALTH_CHECK_STATS },
  { prefix: 'cluster.<name>.outlier_detection.', stats: OUTLIER_STATS },
  { prefix: 'listener.<name>.dubbo.<service>.<method>.', stats: DUBBO_METHOD_STATS },
  { prefix: 'listener.<name>.grpc.<service>.<method>.', stats: GRPC_METHOD_STATS },
  { prefix: 'tcp.<stat_prefix>.', stats: TCP_STATS },
  { prefix: 'listener.<name>.jwt_authn.', stats: JWT_AUTHN_STATS },
];
