import { isIP } from 'node:net';
import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { durationMs, durationString } from './context.js';
import { isSet, numberValue, obj, objects, str } from './fields.js';
import { checkFields, NOT_SUPPORTED, setFields, type FieldRules } from './field-rules.js';
import { convertCircuitBreakers, convertHealthChecks, convertOutlierDetection } from './cluster-health.js';
import { convertLb } from './cluster-lb.js';
import { convertProtocolOptions } from './cluster-protocol.js';
import { convertTransportSocket } from './cluster-tls.js';
import { convertEndpoints } from './endpoint.js';

/** A converted Cluster: one entry of MOSN's `cluster_manager.clusters`, and for EDS what to subscribe to. */
export interface ConvertedCluster {
  /** MOSN's cluster JSON; an EDS cluster has no `hosts` (they come from its ClusterLoadAssignment). */
  readonly cluster: MosnJson;
  /** Type EDS: the ClusterLoadAssignment to subscribe to (`eds_cluster_config.service_name`, else the cluster's name). */
  readonly eds?: { readonly serviceName: string };
  /** HTTP/2 upstream (http2_protocol_options): MOSN says so on the routes to the cluster, not on the cluster. */
  readonly http2?: boolean;
}

/** Envoy's default `connect_timeout` (MOSN's is 10s). */
const ENVOY_CONNECT_TIMEOUT = '5s';
/** Envoy's default idle timeout of upstream HTTP connections, 1 hour (MOSN's is 60s). */
const ENVOY_IDLE_TIMEOUT = '3600s';
/** The least `dns_refresh_rate` MOSN's DNS reader takes. */
const MIN_DNS_REFRESH_MS = 100;
/** Envoy's default header for ORIGINAL_DST's `use_http_header` (MOSN's default is `host`). */
const ORIGINAL_DST_HEADER = 'x-envoy-original-dst-host';

const CLUSTER_TYPE = 'envoy.config.cluster.v3.Cluster';

const DNS_FIELDS = ['dns_refresh_rate', 'dns_failure_refresh_rate', 'respect_dns_ttl', 'dns_lookup_family', 'dns_resolvers', 'use_tcp_for_dns_lookups', 'dns_resolution_config', 'typed_dns_resolver_config'];

/** What becomes of each field of a `Cluster` (a test checks them against the protos). */
export const CLUSTER_RULES: FieldRules = {
  transport_socket_matches: { error: 'per-endpoint transport sockets are not supported by mosn-ts: some hosts would get TLS, or plaintext, other than configured' },
  name: 'converted',
  alt_stat_name: NOT_SUPPORTED,
  type: 'converted',
  cluster_type: 'converted',
  eds_cluster_config: 'converted',
  connect_timeout: 'converted',
  per_connection_buffer_limit_bytes: 'converted',
  lb_policy: 'converted',
  load_assignment: 'converted',
  health_checks: 'converted',
  max_requests_per_connection: 'converted',
  circuit_breakers: 'converted',
  upstream_http_protocol_options: 'converted',
  common_http_protocol_options: 'converted',
  http_protocol_options: 'converted',
  http2_protocol_options: 'converted',
  typed_extension_protocol_options: 'converted',
  dns_refresh_rate: 'converted',
  dns_failure_refresh_rate: 'converted',
  respect_dns_ttl: 'converted',
  dns_lookup_family: 'converted',
  dns_resolvers: 'converted',
  use_tcp_for_dns_lookups: 'converted',
  dns_resolution_config: 'converted',
  typed_dns_resolver_config: 'converted',
  wait_for_warm_on_init: NOT_SUPPORTED,
  outlier_detection: 'converted',
  cleanup_interval: 'converted',
  upstream_bind_config: NOT_SUPPORTED,
  lb_subset_config: 'converted',
  ring_hash_lb_config: 'converted',
  maglev_lb_config: 'converted',
  original_dst_lb_config: 'converted',
  least_request_lb_config: 'converted',
  round_robin_lb_config: 'converted',
  common_lb_config: 'converted',
  transport_socket: 'converted',
  metadata: 'noop', // data for stats, tracing and other filters, which mosn-ts has none of (docs/xds-clusters.md)
  protocol_selection: 'converted',
  upstream_connection_options: NOT_SUPPORTED,
  close_connections_on_host_health_failure: NOT_SUPPORTED,
  ignore_health_on_host_removal: NOT_SUPPORTED,
  filters: { error: 'upstream network filters are not supported by mosn-ts: the bytes would go out unchanged by them' },
  load_balancing_policy: 'converted',
  lrs_server: NOT_SUPPORTED,
  lrs_report_endpoint_metrics: NOT_SUPPORTED,
  track_timeout_budgets: NOT_SUPPORTED,
  upstream_config: NOT_SUPPORTED,
  track_cluster_stats: NOT_SUPPORTED,
  preconnect_policy: NOT_SUPPORTED,
  connection_pool_per_downstream_connection: NOT_SUPPORTED,
};

/**
 * An Envoy `Cluster` (CDS) → MOSN's cluster JSON, as this repo's cluster reader takes it
 * (packages/mosn/src/config/cluster.ts). Undefined when there is no cluster to give (no name, a custom cluster
 * type); every problem is reported on `ctx`. The fields, MOSN keys, errors and warnings are listed in
 * docs/xds-clusters.md.
 */
export function convertCluster(c: Message, ctx: ConvertContext): ConvertedCluster | undefined {
  const name = str(c.name);
  if (name === '') {
    ctx.at('name').error('missing cluster name');
    return undefined;
  }
  if (c.cluster_discovery_type === 'cluster_type') {
    const custom = obj(c.cluster_type);
    ctx.at('cluster_type').error(`custom cluster type ${JSON.stringify(custom.name ?? '')} is not supported by mosn-ts: supported are STATIC, STRICT_DNS, LOGICAL_DNS, EDS and ORIGINAL_DST`);
    return undefined;
  }
  const type = str(c.type) || 'STATIC';
  const dns = type === 'STRICT_DNS' || type === 'LOGICAL_DNS';
  const originalDst = type === 'ORIGINAL_DST';
  const out: MosnJson = { name, type: dns ? 'STRICT_DNS' : originalDst ? 'ORIGINAL_DST' : 'SIMPLE' };
  if (type === 'LOGICAL_DNS') ctx.at('type').warn('LOGICAL_DNS is converted to STRICT_DNS: every address the name resolves to is a host (Envoy connects to the first only)');
  else if (!['STATIC', 'STRICT_DNS', 'EDS', 'ORIGINAL_DST'].includes(type)) {
    ctx.at('type').error(`cluster type ${type} is not supported by mosn-ts`);
    return undefined;
  }

  convertLb(c, ctx, originalDst, out);

  let eds: ConvertedCluster['eds'];
  if (type === 'EDS') {
    const e = obj(c.eds_cluster_config);
    const serviceName = str(e.service_name) || name;
    eds = { serviceName };
    const source = obj(e.eds_config).config_source_specifier;
    if (source !== undefined && source !== 'ads' && source !== 'self') ctx.at('eds_cluster_config.eds_config').warn(`${String(source)} is not supported: the ClusterLoadAssignment is asked for on the ADS stream`);
    if (isSet(c.load_assignment)) ctx.at('load_assignment').warn('ignored: an EDS cluster takes its endpoints from EDS');
  } else {
    if (isSet(c.eds_cluster_config)) ctx.at('eds_cluster_config').warn(`ignored: the cluster's type is ${type}`);
    if (originalDst) {
      if (isSet(c.load_assignment)) ctx.at('load_assignment').warn('ignored: an ORIGINAL_DST cluster sends each request to its own destination');
    } else {
      const hosts = isSet(c.load_assignment) ? convertEndpoints(obj(c.load_assignment), ctx.at('load_assignment'), dns ? 'dns' : 'ip') : [];
      out.hosts = hosts;
      if (out.lb_type === 'LB_MAGLEV' && new Set(hosts.map((h) => h.weight)).size > 1) {
        ctx.at('load_assignment').warn('host weights are not used by MOSN\'s Maglev balancer (Envoy\'s Maglev is weighted)');
      }
    }
  }

  out.connect_timeout = durationString(c.connect_timeout) ?? ENVOY_CONNECT_TIMEOUT;
  if (out.connect_timeout === '0s') ctx.at('connect_timeout').error('must be more than 0 (Envoy refuses 0 too)');
  out.idle_timeout = ENVOY_IDLE_TIMEOUT;
  const buffer = numberValue(c.per_connection_buffer_limit_bytes);
  if (buffer !== undefined) out.conn_buffer_limit_bytes = buffer;
  const maxRequests = numberValue(c.max_requests_per_connection);
  if (maxRequests !== undefined) out.max_request_per_conn = maxRequests;
  const { http2 } = convertProtocolOptions(c, ctx, out); // may set idle_timeout and max_request_per_conn

  out.circuit_breakers = convertCircuitBreakers(obj(c.circuit_breakers), ctx.at('circuit_breakers'));
  const health = convertHealthChecks(objects(c.health_checks), name, ctx.at('health_checks'));
  if (health) out.health_check = health;
  if (isSet(c.outlier_detection)) out.outlier_detection = convertOutlierDetection(obj(c.outlier_detection), ctx.at('outlier_detection'));

  if (isSet(c.transport_socket)) {
    const tls = convertTransportSocket(obj(c.transport_socket), ctx.at('transport_socket'));
    if (tls) out.tls_context = tls;
  }

  if (dns) convertDns(c, ctx, out);
  else for (const f of setFields(c, CLUSTER_TYPE)) if (DNS_FIELDS.includes(f)) ctx.at(f).warn('used by DNS clusters only; ignored');
  if (originalDst) convertOriginalDst(c, ctx, out);
  else if (isSet(c.cleanup_interval)) ctx.at('cleanup_interval').warn('used by ORIGINAL_DST clusters only; ignored');

  checkFields(c, CLUSTER_TYPE, CLUSTER_RULES, ctx);
  return { cluster: out, ...(eds ? { eds } : {}), ...(http2 ? { http2 } : {}) };
}

/** STRICT_DNS settings: refresh rate, TTL, lookup family (Envoy's default AUTO), resolvers. */
function convertDns(c: Message, ctx: ConvertContext, out: MosnJson): void {
  const rate = durationString(c.dns_refresh_rate);
  if (rate !== undefined) {
    const ms = durationMs(c.dns_refresh_rate) ?? 0;
    if (ms < MIN_DNS_REFRESH_MS) ctx.at('dns_refresh_rate').warn(`${rate} is below MOSN's least (${MIN_DNS_REFRESH_MS}ms): ${MIN_DNS_REFRESH_MS}ms is used`);
    out.dns_refresh_rate = ms < MIN_DNS_REFRESH_MS ? `${MIN_DNS_REFRESH_MS}ms` : rate;
  }
  if (c.respect_dns_ttl === true) out.respect_dns_ttl = true;
  out.dns_lookup_family = str(c.dns_lookup_family) || 'AUTO';
  const resolution = obj(c.dns_resolution_config);
  const resolvers = [...objects(c.dns_resolvers).map((a, i) => [a, ctx.at(`dns_resolvers[${i}]`)] as const),
    ...objects(resolution.resolvers).map((a, i) => [a, ctx.at(`dns_resolution_config.resolvers[${i}]`)] as const)];
  const servers: string[] = [];
  let port: number | undefined;
  for (const [a, at] of resolvers) {
    const s = obj(a.socket_address);
    const ip = str(s.address);
    if (a.address !== 'socket_address' || isIP(ip) === 0) {
      at.error('a DNS resolver must be an IP address and port');
      continue;
    }
    const p = typeof s.port_value === 'number' && s.port_value > 0 ? s.port_value : 53;
    if (port !== undefined && p !== port) at.warn(`MOSN takes one port for all DNS servers: ${port} is used`);
    port ??= p;
    servers.push(ip);
  }
  if (servers.length > 0) out.dns_resolvers = { servers, port: String(port ?? 53) };
  if (isSet(resolution.dns_resolver_options)) ctx.at('dns_resolution_config.dns_resolver_options').warn('not supported by mosn-ts; ignored');
  if (isSet(c.typed_dns_resolver_config)) ctx.at('typed_dns_resolver_config').warn('not supported by mosn-ts: the system\'s DNS servers (or dns_resolvers) are used');
  if (isSet(c.dns_failure_refresh_rate)) ctx.at('dns_failure_refresh_rate').warn('not supported by mosn-ts: a failed lookup is retried at dns_refresh_rate');
  if (c.use_tcp_for_dns_lookups === true) ctx.at('use_tcp_for_dns_lookups').warn('not supported by mosn-ts: DNS over UDP');
}

/** ORIGINAL_DST: `original_dst_lb_config` (header) and `cleanup_interval`. */
function convertOriginalDst(c: Message, ctx: ConvertContext, out: MosnJson): void {
  const cleanup = durationString(c.cleanup_interval);
  if (cleanup !== undefined) out.cleanup_interval = cleanup;
  if (c.lb_config !== 'original_dst_lb_config') return;
  const o = obj(c.original_dst_lb_config);
  const at = ctx.at('original_dst_lb_config');
  if (o.use_http_header === true) {
    const header = str(o.http_header_name) || ORIGINAL_DST_HEADER;
    out.original_dst_lb_config = { use_header: true, header_name: header };
  } else if (str(o.http_header_name) !== '') at.at('http_header_name').warn('ignored without use_http_header');
  if (isSet(o.upstream_port_override)) at.at('upstream_port_override').error('not supported by mosn-ts: requests would go to the original port');
  if (isSet(o.metadata_key)) at.at('metadata_key').error('a destination from metadata is not supported by mosn-ts');
}
