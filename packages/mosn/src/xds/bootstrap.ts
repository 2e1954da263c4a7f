import { type Message } from '@mosn/xds';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { readDynamic } from './bootstrap-ads.js';
import { array, convert, field, isObject } from './bootstrap-json.js';
import { readNode } from './bootstrap-node.js';
import type { XdsFlags } from './flags.js';

export { DEFAULT_INITIAL_FETCH_TIMEOUT_MS } from './bootstrap-ads.js';
export { ISTIO_POD_LABELS, ISTIO_VERSION, readPodLabels } from './bootstrap-node.js';

/**
 * MOSN's xDS bootstrap: an Envoy-style `node`, `dynamic_resources` and `static_resources` at the top of MOSN's
 * config (`istio/istio1106/xds/parse_config.go`, `ads_config.go`). Without `servers` the proxy takes everything
 * from the control plane ('xds'); with `servers`, the file's listeners and clusters and xDS together ('mix').
 */
export interface XdsBootstrap {
  readonly mode: 'xds' | 'mix';
  readonly node: XdsNode;
  readonly ads: AdsSettings;
  /** `static_resources.clusters` other than the xDS server's, as `envoy.config.cluster.v3.Cluster` messages. */
  readonly staticClusters: readonly Message[];
  /** `static_resources.listeners`, as `envoy.config.listener.v3.Listener` messages (unnamed ones named as MOSN names them). */
  readonly staticListeners: readonly Message[];
}

/** Who this proxy is to the control plane (`envoy.config.core.v3.Node`). */
export interface XdsNode {
  readonly id: string;
  readonly cluster: string;
  /** The node metadata, plain JSON (a `google.protobuf.Struct` in the request). */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly locality?: { readonly region?: string; readonly zone?: string; readonly sub_zone?: string };
}

/** How to reach the ADS server: `dynamic_resources.ads_config` and its cluster in `static_resources`. */
export interface AdsSettings {
  /** The static cluster `ads_config.grpc_services[0].envoy_grpc.cluster_name` names. */
  readonly clusterName: string;
  /** A `@grpc/grpc-js` target for the cluster's first address: `127.0.0.1:15010`, `[::1]:15010`, `dns:///istiod:15010`, `unix:/abs/path`. */
  readonly target: string;
  /** Every address of the cluster, as targets: MOSN dials one of them at random on each (re)connect. */
  readonly targets: readonly string[];
  /** `ads_config.refresh_delay`, when given: MOSN re-sends its CDS request this often (10 s when not given). */
  readonly refreshDelayMs?: number;
  /** `initial_fetch_timeout` of `cds_config`/`lds_config` (the longer of the two): how long start waits for the first resources; 0: no limit. Envoy's default, 15 s. */
  readonly initialFetchTimeoutMs: number;
  /** `ads_config.set_node_on_first_message_only`: the node goes in the first request of a stream only. */
  readonly setNodeOnFirstMessageOnly: boolean;
}

export interface XdsBootstrapOptions {
  /** The pod's labels, added to the node's `LABELS` when flags build the metadata (default: read from {@link ISTIO_POD_LABELS}). */
  readonly podLabels?: Readonly<Record<string, string>>;
}

const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/**
 * Read MOSN's xDS bootstrap from a whole MOSN config (`raw`), the node identity from the file with `flags` over
 * it as MOSN applies them. Undefined when the config has neither `dynamic_resources` nor `static_resources`
 * (a file-only config: no problem), or when anything is wrong (each error in `problems`, with its JSON path).
 * Only one of the two blocks is an error: MOSN then starts no xDS client (it logs that, and runs the file alone,
 * or stops when there are no `servers`); mosn-ts says so before anything starts.
 */
export function readXdsBootstrap(raw: unknown, flags: XdsFlags, problems: ConfigProblems, options?: XdsBootstrapOptions): XdsBootstrap | undefined {
  if (!isObject(raw)) return undefined;
  // keys at the top match case-insensitively, as readConfig (and MOSN's Go struct tags) match them
  const top = new ConfigReader(raw, '', new ConfigProblems());
  const dynamic = top.value('dynamic_resources');
  const statics = top.value('static_resources');
  const hasDynamic = dynamic !== undefined && dynamic !== null;
  const hasStatic = statics !== undefined && statics !== null;
  if (!hasDynamic && !hasStatic) return undefined;
  if (!hasStatic) {
    problems.error('dynamic_resources', 'needs static_resources beside it, with the cluster of the xDS server that ads_config names (MOSN starts no xDS client without it)');
    return undefined;
  }
  if (!hasDynamic) {
    problems.error('static_resources', 'needs dynamic_resources beside it (an ads_config): MOSN starts no xDS client without it; for static clusters alone use cluster_manager');
    return undefined;
  }
  const errorsBefore = problems.errors.length;
  const servers = top.value('servers');
  const mode = Array.isArray(servers) && servers.length > 0 ? 'mix' : 'xds';
  if (top.has('layered_runtime')) problems.warn('layered_runtime', 'Envoy runtime layers are not used by MOSN; ignored');

  const node = readNode(top.value('node'), flags, problems, options);
  const staticRead = readStatic(statics, problems);
  const ads = staticRead && readDynamic(dynamic, staticRead.clusters, problems);
  if (!staticRead || !ads || problems.errors.length > errorsBefore) return undefined;
  const staticClusters: Message[] = [];
  for (const [name, c] of staticRead.clusters) {
    if (name === ads.clusterName) continue;
    if (c.hosts !== undefined) problems.error(`${c.path}.hosts`, 'unknown field: the v2 hosts are read for the xDS server\'s cluster only; give load_assignment');
    staticClusters.push(c.value);
  }
  if (problems.errors.length > errorsBefore) return undefined;
  return { mode, node, ads, staticClusters, staticListeners: staticRead.listeners };
}

export interface StaticCluster {
  readonly value: Message;
  readonly path: string;
  /** MOSN's v2 `hosts` (not in the v3 Cluster), read apart. */
  readonly hosts?: unknown;
}

/** `static_resources`: clusters (by name) and listeners, as messages; undefined when it is not an object. */
function readStatic(json: unknown, problems: ConfigProblems): { clusters: Map<string, StaticCluster>; listeners: Message[] } | undefined {
  const path = 'static_resources';
  if (!isObject(json)) {
    problems.error(path, `expected an object (clusters, listeners), got ${Array.isArray(json) ? 'an array' : typeof json}`);
    return undefined;
  }
  for (const key of Object.keys(json)) {
    if (key === 'secrets') problems.warn(`${path}.${key}`, 'static secrets are not supported by mosn-ts yet; ignored');
    else if (key !== 'clusters' && key !== 'listeners') problems.error(`${path}.${key}`, 'unknown field (static_resources has clusters and listeners)');
  }
  if (json.clusters !== undefined && json.clusters !== null && !Array.isArray(json.clusters)) {
    problems.error(`${path}.clusters`, 'expected an array');
    return undefined;
  }
  const clusters = new Map<string, StaticCluster>();
  for (const { value: c, path: at } of array(json.clusters, `${path}.clusters`, problems)) {
    let hosts: unknown;
    let cluster = c;
    if (isObject(c) && 'hosts' in c) {
      // MOSN still takes the v2 cluster's `hosts` for the xDS server; the v3 Cluster has no such field
      ({ hosts, ...cluster } = c);
    }
    const value = convert('envoy.config.cluster.v3.Cluster', cluster, at, problems);
    const name = typeof value.name === 'string' ? value.name : '';
    if (name === '') {
      problems.error(`${at}.name`, 'is required: expected a non-empty string');
      continue;
    }
    if (name === 'zipkin') {
      problems.warn(at, 'a static cluster named "zipkin" is skipped, as MOSN skips it');
      continue;
    }
    if (clusters.has(name)) {
      problems.error(`${at}.name`, `duplicate cluster name "${name}" (also ${clusters.get(name)!.path})`);
      continue;
    }
    clusters.set(name, { value, path: at, ...(hosts !== undefined && hosts !== null ? { hosts } : {}) });
  }
  const listeners: Message[] = [];
  for (const { value: l, path: at } of array(json.listeners, `${path}.listeners`, problems)) {
    listeners.push(convert('envoy.config.listener.v3.Listener', nameAsMosn(l), at, problems));
  }
  return { clusters, listeners };
}


/**
 * MOSN's names for a static listener without one (`127.0.0.1_<port>`) and for the inline route config of its
 * HTTP connection managers without one (`inbound|<port>||`), so that they can be referred to (`ads_config.go`).
 */
function nameAsMosn(listener: unknown): unknown {
  if (!isObject(listener) || (typeof listener.name === 'string' && listener.name !== '')) return listener;
  const address = field(listener, 'address');
  const socket = isObject(address) ? field(address, 'socket_address') : undefined;
  const port = isObject(socket) ? Number(field(socket, 'port_value') ?? 0) : 0;
  if (!Number.isInteger(port) || port <= 0) return listener;
  const copy = structuredClone(listener);
  copy.name = `127.0.0.1_${port}`;
  for (const chain of Array.isArray(field(copy, 'filter_chains')) ? (field(copy, 'filter_chains') as unknown[]) : []) {
    const filters = isObject(chain) ? field(chain, 'filters') : undefined;
    for (const filter of Array.isArray(filters) ? filters : []) {
      const config = isObject(filter) ? field(filter, 'typed_config') : undefined;
      if (!isObject(config) || typeof config['@type'] !== 'string' || !config['@type'].endsWith(`/${HCM_TYPE}`)) continue;
      const routeConfig = field(config, 'route_config');
      if (isObject(routeConfig) && (typeof routeConfig.name !== 'string' || routeConfig.name === '')) routeConfig.name = `inbound|${port}||`;
    }
  }
  return copy;
}
