import type { Message } from '../proto.js';
import { durationString, type ConvertContext, type MosnJson } from './context.js';
import { numberValue, objects, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';

export const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** mosn-ts's `tcp_proxy.max_connect_attempts` range. */
const MAX_CONNECT_ATTEMPTS = 100;

const ACCESS_LOG = { warn: "Envoy's access logs are not converted (mosn-ts writes MOSN's access_logs: docs/access-log.md); ignored" } as const;

/** What becomes of each TcpProxy field (docs/xds-listeners.md). */
export const TCP_PROXY_RULES: FieldRules = {
  stat_prefix: 'converted',
  cluster: 'converted',
  weighted_clusters: 'converted',
  idle_timeout: 'converted',
  max_connect_attempts: 'converted',
  on_demand: { warn: 'on-demand cluster discovery is not supported by mosn-ts; the cluster must come by CDS' },
  metadata_match: { error: 'subset load balancing (metadata_match) is not supported by mosn-ts\'s tcp_proxy; ignoring it would send connections to any host of the cluster' },
  downstream_idle_timeout: { warn: 'a downstream-only idle timeout is not supported by mosn-ts; ignored (idle_timeout covers both sides)' },
  upstream_idle_timeout: { warn: 'an upstream-only idle timeout is not supported by mosn-ts; ignored (idle_timeout covers both sides)' },
  access_log: ACCESS_LOG,
  access_log_flush_interval: ACCESS_LOG,
  flush_access_log_on_connected: ACCESS_LOG,
  access_log_options: ACCESS_LOG,
  hash_policy: { warn: 'hash policies are not supported by mosn-ts\'s tcp_proxy; hosts are picked by the cluster\'s balancer without this hash' },
  tunneling_config: { error: 'tunneling TCP over HTTP (CONNECT/POST) is not supported by mosn-ts; ignoring it would send the raw bytes to a proxy that expects a tunnel' },
  max_downstream_connection_duration: { warn: 'a maximum connection duration is not supported by mosn-ts; ignored' },
};

/**
 * Envoy's `envoy.filters.network.tcp_proxy` (TcpProxy) → MOSN's `tcp_proxy` network filter: `cluster` (or a
 * `weighted_clusters` with one cluster of non-zero weight), `stat_prefix`, `idle_timeout` (absent: 1h in both),
 * `max_connect_attempts`. Undefined when there is no cluster to proxy to (an error).
 */
export function convertTcpProxy(tp: Message, ctx: ConvertContext): MosnJson | undefined {
  checkFields(tp, TCP_PROXY_TYPE, TCP_PROXY_RULES, ctx);
  const config: MosnJson = {};
  const statPrefix = str(tp.stat_prefix);
  if (statPrefix !== '') config.stat_prefix = statPrefix;
  const cluster = tp.cluster_specifier === 'weighted_clusters' ? weightedCluster(tp.weighted_clusters, ctx.at('weighted_clusters')) : str(tp.cluster);
  if (cluster === undefined) return undefined;
  if (cluster === '') {
    ctx.error('no cluster: one of cluster and weighted_clusters is required');
    return undefined;
  }
  config.cluster = cluster;
  if (tp.idle_timeout !== undefined) config.idle_timeout = durationString(tp.idle_timeout);
  const attempts = numberValue(tp.max_connect_attempts);
  if (attempts !== undefined && attempts >= 1) {
    if (attempts > MAX_CONNECT_ATTEMPTS) ctx.at('max_connect_attempts').warn(`${attempts} is more than mosn-ts allows: ${MAX_CONNECT_ATTEMPTS} attempts are made`);
    config.max_connect_attempts = Math.min(attempts, MAX_CONNECT_ATTEMPTS);
  }
  return { type: 'tcp_proxy', config };
}

/** The one cluster of non-zero weight; splitting connections by weight is an error. */
function weightedCluster(wc: unknown, ctx: ConvertContext): string | undefined {
  const clusters = objects((wc as Message | undefined)?.clusters);
  clusters.forEach((c, i) => {
    if (c.metadata_match !== undefined) ctx.at(`clusters[${i}].metadata_match`).error('subset load balancing (metadata_match) is not supported by mosn-ts\'s tcp_proxy; ignoring it would send connections to any host of the cluster');
  });
  const weighted = clusters.filter((c) => Number(c.weight ?? 0) > 0);
  if (weighted.length === 1) return str(weighted[0]!.name);
  ctx.error(weighted.length === 0
    ? 'no cluster of non-zero weight'
    : `splitting connections between ${weighted.length} clusters by weight is not supported by mosn-ts's tcp_proxy; ignoring the weights would send every connection to one cluster`);
  return undefined;
}
