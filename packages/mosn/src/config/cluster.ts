import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEPALIVE, type ClusterConfig, type KeepaliveOptions } from '@mosn/proxy';
import { codecFor, type Extensions } from '../extensions.js';
import type { ConfigReader } from './config-reader.js';
import { readCircuitBreakers } from './circuit-breakers.js';
import { DNS_KEYS, readStrictDns } from './dns.js';
import { readHealthCheck } from './health-check.js';
import { readHosts } from './hosts.js';
import { readLbConfig, readLbSubsetConfig, readSlowStart } from './lb.js';
import { readOriginalDst } from './original-dst.js';
import { readOutlierDetection } from './outlier-detection.js';
import { readClusterTls, readTlsConfig, type TlsReadOptions } from './tls-context.js';
import type { ClusterSpec, TlsContextSpec } from './types.js';

/** MOSN's names for what mosn-ts may not support yet, so a message can say "not yet" rather than "unknown". */
const MOSN_CLUSTER_TYPES = ['SIMPLE', 'STATIC', 'DYNAMIC', 'EDS', 'ORIGINAL_DST', 'STRICT_DNS'];
const MOSN_LB_TYPES = ['LB_ROUNDROBIN', 'LB_RANDOM', 'LB_WEIGHTED_ROUNDROBIN', 'LB_ORIGINAL_DST', 'LB_LEAST_REQUEST', 'LB_MAGLEV', 'LB_REQUEST_ROUNDROBIN', 'LB_LEAST_CONNECTION', 'LB_PEAK_EWMA'];

/** What reading a cluster needs besides its JSON: the registries, and TLS (files, the cluster manager's context). */
interface ClusterReadContext {
  readonly ext: Extensions;
  readonly tls: TlsReadOptions;
  /** `cluster_manager.tls_context`, for clusters with `cluster_manager_tls: true`. */
  readonly sharedTls: TlsContextSpec | undefined;
}

/** `cluster_manager`: its clusters, in order, and its `tls_context` (the upstream TLS of `cluster_manager_tls` clusters). */
export function readClusterManager(cm: ConfigReader, ext: Extensions, tls: TlsReadOptions = { baseDir: process.cwd() }): ClusterSpec[] {
  const clusters: ClusterSpec[] = [];
  const names = new Set<string>();
  const sharedReader = cm.obj('tls_context');
  const sharedTls = sharedReader ? readTlsConfig(sharedReader, 'cluster', tls) : undefined;
  let sharedUsed = false;
  for (const c of cm.objects('clusters')) {
    const spec = readCluster(c, { ext, tls, sharedTls }, names);
    if (!spec) continue;
    if (sharedTls && spec.tls === sharedTls) sharedUsed = true;
    names.add(spec.name);
    clusters.push(spec);
  }
  if (sharedTls && !sharedUsed) cm.problems.warn(cm.at('tls_context'), 'no cluster has "cluster_manager_tls": true, so nothing uses it');
  cm.refuse(['clusters_configs'], 'loading clusters from a directory is not supported by mosn-ts yet; list them in cluster_manager.clusters');
  cm.ignore(['cluster_pool_enable', 'auto_discovery', 'registry_use_health_check', 'cluster_config_path'], 'not supported by mosn-ts yet; ignored');
  cm.finish();
  return clusters;
}

/** The clusters a reference may name: the config's, and with xDS also those a control plane sends later. */
export interface ClusterRefs {
  readonly clusters: ReadonlyMap<string, ClusterSpec>;
  /** With xDS, a cluster may arrive after the route naming it (Envoy answers 503 meanwhile): not an error. */
  readonly dynamicClusters?: boolean;
}

/** A problem at `r.at(key)` when `name` is not one of the config's clusters (and clusters cannot arrive later). */
export function checkClusterDefined(r: ConfigReader, key: string, name: string, refs: ClusterRefs): void {
  const { clusters } = refs;
  if (!clusters.has(name) && !refs.dynamicClusters) {
    r.problems.error(r.at(key), `cluster "${name}" is not defined in cluster_manager.clusters; defined: ${[...clusters.keys()].join(', ') || '(none)'}`);
  }
}

/** The cluster type and balancer: `type` (SIMPLE), `lb_type` upper-cased (LB_ROUNDROBIN; LB_ORIGINAL_DST for ORIGINAL_DST). */
function readTypes(c: ConfigReader, ext: Extensions): { type: string; lbType: string; strictDns: boolean; originalDst: boolean } {
  const type = c.str('type') ?? 'SIMPLE';
  const typeName = type.toUpperCase();
  if (!ext.clusterTypes.has(typeName)) {
    const supported = ext.clusterTypes.names().join(', ');
    if (MOSN_CLUSTER_TYPES.includes(typeName)) c.problems.error(c.at('type'), `cluster type "${type}" is not supported by mosn-ts yet; supported: ${supported}`);
    else c.problems.error(c.at('type'), `unknown cluster type "${type}"; known: ${supported}`);
  }
  const configuredLb = c.str('lb_type')?.toUpperCase();
  // MOSN makes every ORIGINAL_DST cluster's balancer LB_ORIGINAL_DST, and LB_ORIGINAL_DST ignores the host list.
  const originalDst = typeName === 'ORIGINAL_DST' || configuredLb === 'LB_ORIGINAL_DST';
  if (typeName === 'ORIGINAL_DST' && configuredLb !== undefined && configuredLb !== 'LB_ORIGINAL_DST') {
    c.problems.warn(c.at('lb_type'), `ignored: an ORIGINAL_DST cluster sends each request to its own destination (LB_ORIGINAL_DST), as in MOSN`);
  }
  const lbType = originalDst ? 'LB_ORIGINAL_DST' : (configuredLb ?? 'LB_ROUNDROBIN');
  if (!originalDst && !ext.loadBalancers.has(lbType)) {
    const supported = ext.loadBalancers.names().join(', ');
    if (MOSN_LB_TYPES.includes(lbType)) c.problems.error(c.at('lb_type'), `lb_type "${lbType}" is not supported by mosn-ts yet; supported: ${supported}`);
    else c.problems.error(c.at('lb_type'), `unknown lb_type "${lbType}"; known: ${supported}`);
  }
  return { type, lbType, strictDns: typeName === 'STRICT_DNS' && !originalDst, originalDst };
}

/**
 * One cluster of `cluster_manager.clusters[]`. A cluster with an unsupported lb_type is still returned (the config
 * is refused anyway) so that routes naming it are not also reported as naming an undefined cluster.
 */
function readCluster(c: ConfigReader, ctx: ClusterReadContext, defined: ReadonlySet<string>): ClusterSpec | undefined {
  const ext = ctx.ext;
  const name = c.str('name', { required: true, nonEmpty: true });
  if (name !== undefined && defined.has(name)) c.problems.error(c.at('name'), `duplicate cluster name "${name}"`);
  const { type, lbType, strictDns, originalDst } = readTypes(c, ext);
  const tls = readClusterTls(c, ctx.sharedTls, ctx.tls);
  const hosts = readHosts(c, { strictDns, originalDst, tls: tls !== undefined });
  const connectTimeoutMs = c.duration('connect_timeout', { numberUnit: 'ns' }) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const idleTimeoutMs = c.duration('idle_timeout', { numberUnit: 'ns' }) ?? 60_000;
  const maxRequestsPerConnection = c.num('max_request_per_conn', { min: 0 }) ?? 0;
  const maxConnections = c.num('max_connections', { min: 1, max: 1024 });
  const keepalive = readKeepalive(c);
  const lbConfig = readLbConfig(c);
  const slowStart = readSlowStart(c, lbType);
  if (slowStart) lbConfig.slowStart = slowStart;
  const lbSubset = readLbSubsetConfig(c);
  const circuitBreakers = readCircuitBreakers(c);
  const bufferLimit = c.num('conn_buffer_limit_bytes', { min: 0 });
  // RPC clusters are checked with their protocol's heartbeat (a codec of the registry).
  const healthCheck = readHealthCheck(c, (p) => codecFor(ext, p), tls !== undefined);
  const outlierDetection = readOutlierDetection(c);
  c.refuse(['spec'], 'hosts from a service registry (spec.subscribe) are not supported by mosn-ts yet');
  c.refuse(['mark'], 'marking upstream sockets (SO_MARK) is not supported by mosn-ts yet');
  c.inert(['sub_type']); // "not used yet" in MOSN
  const dns = strictDns ? readStrictDns(c) : undefined;
  if (!strictDns) c.ignore(DNS_KEYS, 'used by STRICT_DNS clusters only; ignored');
  const oriDst = originalDst ? readOriginalDst(c) : undefined;
  if (!originalDst) c.ignore(['original_dst_lb_config', 'cleanup_interval'], 'used by ORIGINAL_DST clusters only; ignored');
  c.ignore(['cluster_manager', 'cluster_pool_enable', 'alias']);
  c.finish();
  if (name === undefined) return undefined;
  const config: ClusterConfig = {
    name,
    type,
    lbType,
    // DNS and original-destination clusters get their hosts from their source (at start, then on changes)
    hosts: dns || oriDst ? [] : hosts,
    connectTimeoutMs,
    idleTimeoutMs,
    maxRequestsPerConnection,
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    ...(keepalive ? { keepalive } : {}),
    ...(bufferLimit ? { bufferLimit } : {}),
    lbConfig,
    circuitBreakers,
    ...(lbSubset ? { lbSubset } : {}),
  };
  return {
    name,
    source: c.raw,
    config,
    lbType,
    ...(dns ? { dns: { hosts, settings: dns } } : {}),
    ...(oriDst ? { originalDst: oriDst } : {}),
    ...(healthCheck ? { healthCheck } : {}),
    ...(outlierDetection ? { outlierDetection } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** `keepalive`: heartbeats on idle RPC upstream connections (`interval`, `timeout`, `max_failures`). */
function readKeepalive(c: ConfigReader): KeepaliveOptions | undefined {
  const k = c.obj('keepalive');
  if (!k) return undefined;
  const intervalMs = k.duration('interval') ?? DEFAULT_KEEPALIVE.intervalMs;
  const timeoutMs = k.duration('timeout') ?? DEFAULT_KEEPALIVE.timeoutMs;
  const maxFailures = k.num('max_failures', { min: 1, max: 100 }) ?? DEFAULT_KEEPALIVE.maxFailures;
  k.finish();
  return { intervalMs, timeoutMs, maxFailures };
}
