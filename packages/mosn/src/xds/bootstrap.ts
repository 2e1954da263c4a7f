import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { messageFromJson, messageType, type Message } from '@mosn/xds';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import type { XdsFlags } from './flags.js';

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

/** Where Istio's injector mounts the pod's labels (`key="value"` lines); MOSN adds them to the node metadata. */
export const ISTIO_POD_LABELS = '/etc/istio/pod/labels';
/** Envoy's default `initial_fetch_timeout`. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;
/**
 * The `ISTIO_VERSION` MOSN sends when it builds the node metadata from flags: MOSN's own placeholder (set at build
 * time in MOSN's releases). Istio reads a version it cannot parse as the newest.
 */
export const ISTIO_VERSION = 'unknow';

const NODE = 'envoy.config.core.v3.Node';
const TLS_SOCKET = 'envoy.transport_sockets.tls';
const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** The fields of the Istio node metadata a `--service-meta` entry may set, by MOSN's names (Go field names) and the JSON keys. */
const META_KEYS: Readonly<Record<string, string>> = {
  IstioVersion: 'ISTIO_VERSION',
  ISTIO_VERSION: 'ISTIO_VERSION',
  ClusterID: 'CLUSTER_ID',
  CLUSTER_ID: 'CLUSTER_ID',
  InterceptionMode: 'INTERCEPTION_MODE',
  INTERCEPTION_MODE: 'INTERCEPTION_MODE',
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** A proto JSON key given in snake_case or lowerCamelCase. */
function field(obj: Json, name: string): unknown {
  return obj[name] ?? obj[camel(name)];
}

/** Convert with `messageFromJson`, every problem an error (MOSN's parser refuses the whole bootstrap on one). */
function convert(typeName: string, json: unknown, path: string, problems: ConfigProblems): Message {
  const { value, problems: found } = messageFromJson(typeName, json, path);
  for (const p of found) problems.error(p.path, p.message);
  return value;
}

function durationMs(d: unknown): number | undefined {
  if (!isObject(d)) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6;
}

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

interface StaticCluster {
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

function array(json: unknown, path: string, problems: ConfigProblems): Array<{ value: unknown; path: string }> {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) {
    problems.error(path, 'expected an array');
    return [];
  }
  return json.map((value, i) => ({ value, path: `${path}[${i}]` }));
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

const DYNAMIC_KEYS = ['ads_config', 'lds_config', 'cds_config', 'lds_resources_locator', 'cds_resources_locator'];

/** `dynamic_resources`: the ADS server (a static cluster) and how to talk to it. */
function readDynamic(json: unknown, clusters: ReadonlyMap<string, StaticCluster>, problems: ConfigProblems): AdsSettings | undefined {
  const path = 'dynamic_resources';
  if (!isObject(json)) {
    problems.error(path, `expected an object (ads_config, lds_config, cds_config), got ${Array.isArray(json) ? 'an array' : typeof json}`);
    return undefined;
  }
  for (const key of Object.keys(json)) {
    if (!DYNAMIC_KEYS.some((k) => key === k || key === camel(k))) problems.error(`${path}.${key}`, `unknown field (dynamic_resources has ${DYNAMIC_KEYS.join(', ')})`);
  }
  for (const key of ['lds_resources_locator', 'cds_resources_locator']) {
    if (field(json, key) !== undefined) problems.warn(`${path}.${key}`, 'xDS-TP resource locators are not supported (MOSN takes everything over ads_config); ignored');
  }
  const adsJson = field(json, 'ads_config');
  if (adsJson === undefined || adsJson === null) {
    problems.error(`${path}.ads_config`, 'is required: mosn-ts, as MOSN, takes listeners, routes, clusters and endpoints over one ADS stream');
    return undefined;
  }
  const adsPath = `${path}.ads_config`;
  const source = convert('envoy.config.core.v3.ApiConfigSource', adsJson, adsPath, problems);
  const service = readApiSource(source, adsPath, problems);
  if (!service) return undefined;
  const cluster = clusters.get(service.clusterName);
  if (!cluster) {
    const names = [...clusters.keys()];
    problems.error(service.path, `cluster "${service.clusterName}" is not in static_resources.clusters (${names.length === 0 ? 'there are none' : `defined: ${names.join(', ')}`})`);
    return undefined;
  }
  const targets = clusterTargets(cluster, problems);

  const fetchTimeouts: number[] = [];
  for (const key of ['cds_config', 'lds_config']) {
    const sourceJson = field(json, key);
    if (sourceJson === undefined || sourceJson === null) continue;
    const ms = readConfigSource(convert('envoy.config.core.v3.ConfigSource', sourceJson, `${path}.${key}`, problems), `${path}.${key}`, service.clusterName, problems);
    if (ms !== undefined) fetchTimeouts.push(ms);
  }
  // start waits for both: the longer wins, and 0 (no limit) is the longest
  const initialFetchTimeoutMs = fetchTimeouts.length === 0 ? DEFAULT_INITIAL_FETCH_TIMEOUT_MS : fetchTimeouts.includes(0) ? 0 : Math.max(...fetchTimeouts);
  const refreshDelayMs = durationMs(source.refresh_delay);
  if (targets.length === 0) return undefined;
  return {
    clusterName: service.clusterName,
    target: targets[0]!,
    targets,
    ...(refreshDelayMs !== undefined && refreshDelayMs > 0 ? { refreshDelayMs } : {}),
    initialFetchTimeoutMs,
    setNodeOnFirstMessageOnly: source.set_node_on_first_message_only === true,
  };
}

/**
 * An `ApiConfigSource` for ADS: `api_type: GRPC`, transport v3, an `envoy_grpc` service naming a cluster. The
 * cluster name and the path of its `cluster_name`; undefined (with errors) when it is not one mosn-ts speaks.
 */
function readApiSource(source: Message, path: string, problems: ConfigProblems): { clusterName: string; path: string } | undefined {
  const apiType = source.api_type as string | undefined;
  if (apiType !== 'GRPC') {
    problems.error(`${path}.api_type`, apiType === undefined ? 'is required: GRPC (the one mosn-ts, as MOSN, supports)' : `${apiType} is not supported: mosn-ts, as MOSN, supports GRPC (state-of-the-world ADS over gRPC)`);
  }
  const version = source.transport_api_version as string | undefined;
  if (version !== undefined && version !== 'V3' && version !== 'AUTO') problems.error(`${path}.transport_api_version`, `${version} is not supported: mosn-ts speaks xDS v3 only (V3)`);
  for (const key of ['cluster_names', 'request_timeout', 'rate_limit_settings', 'config_validators']) {
    const v = source[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) problems.warn(`${path}.${key}`, 'not used by MOSN; ignored');
  }
  const services = (source.grpc_services as Message[] | undefined) ?? [];
  if (services.length === 0) {
    problems.error(`${path}.grpc_services`, 'is required: expected [{ "envoy_grpc": { "cluster_name": <a cluster in static_resources> } }]');
    return undefined;
  }
  let chosen: { clusterName: string; path: string } | undefined;
  services.forEach((s, i) => {
    const at = `${path}.grpc_services[${i}]`;
    const envoyGrpc = s.envoy_grpc as Message | undefined;
    if (!envoyGrpc) {
      problems.warn(at, 'only envoy_grpc (a static cluster) is supported; skipped, as MOSN skips it');
      return;
    }
    if (Array.isArray(s.initial_metadata) && s.initial_metadata.length > 0) problems.warn(`${at}.initial_metadata`, 'not sent by MOSN; ignored');
    const clusterName = typeof envoyGrpc.cluster_name === 'string' ? envoyGrpc.cluster_name : '';
    if (clusterName === '') {
      problems.error(`${at}.envoy_grpc.cluster_name`, 'is required: expected the name of a cluster in static_resources.clusters');
      return;
    }
    if (chosen) problems.warn(at, `only the first gRPC service (cluster "${chosen.clusterName}") is used, as in MOSN; ignored`);
    else chosen = { clusterName, path: `${at}.envoy_grpc.cluster_name` };
  });
  if (!chosen && !problems.errors.some((e) => e.path.startsWith(`${path}.grpc_services`))) {
    problems.error(`${path}.grpc_services`, 'has no envoy_grpc service: mosn-ts, as MOSN, reaches the ADS server through a static cluster');
  }
  return chosen;
}

/**
 * `cds_config`/`lds_config`: with ADS they are `{ "ads": {} }` (or an API source naming the ADS cluster, which
 * MOSN reads the same way). Anything else is warned about: ADS carries all four types. Gives `initial_fetch_timeout`.
 */
function readConfigSource(source: Message, path: string, adsCluster: string, problems: ConfigProblems): number | undefined {
  const version = source.resource_api_version as string | undefined;
  if (version !== undefined && version !== 'V3' && version !== 'AUTO') problems.error(`${path}.resource_api_version`, `${version} is not supported: mosn-ts speaks xDS v3 only (V3)`);
  const kind = source.config_source_specifier as string | undefined;
  const what = path.endsWith('cds_config') ? 'clusters' : 'listeners';
  if (kind === 'api_config_source') {
    const api = source.api_config_source as Message;
    const services = (api.grpc_services as Message[] | undefined) ?? [];
    const cluster = (services[0]?.envoy_grpc as Message | undefined)?.cluster_name;
    if (api.api_type !== 'GRPC' || cluster !== adsCluster) {
      problems.warn(`${path}.api_config_source`, `ignored: mosn-ts, as MOSN, takes ${what} over the ADS stream of ads_config (cluster "${adsCluster}")`);
    } else if (api.transport_api_version !== undefined && api.transport_api_version !== 'V3' && api.transport_api_version !== 'AUTO') {
      problems.error(`${path}.api_config_source.transport_api_version`, `${String(api.transport_api_version)} is not supported: mosn-ts speaks xDS v3 only (V3)`);
    }
  } else if (kind !== 'ads') {
    problems.warn(kind === undefined ? path : `${path}.${kind}`, `ignored: mosn-ts, as MOSN, takes ${what} over the ADS stream of ads_config ("ads": {})`);
  }
  return durationMs(source.initial_fetch_timeout);
}

/** The ADS cluster's addresses as gRPC targets: its `load_assignment`, or MOSN's v2 `hosts`. */
function clusterTargets(cluster: StaticCluster, problems: ConfigProblems): string[] {
  const value = cluster.value;
  const socket = value.transport_socket as Message | undefined;
  if (socket && (socket.name === TLS_SOCKET || String((socket.typed_config as Message | undefined)?.type_url ?? '').endsWith('.UpstreamTlsContext'))) {
    problems.error(`${cluster.path}.transport_socket`, 'TLS to the xDS server is not supported by mosn-ts yet (MOSN, too, dials it in plaintext unless its XdsMtlsEnable feature gate is on); use a plaintext port or the istio-agent socket');
  }
  const addresses: Array<{ address: Message; path: string }> = [];
  const assignment = value.load_assignment as Message | undefined;
  if (assignment) {
    if (cluster.hosts !== undefined) problems.warn(`${cluster.path}.hosts`, 'ignored: load_assignment gives the addresses');
    ((assignment.endpoints as Message[] | undefined) ?? []).forEach((locality, e) => {
      ((locality.lb_endpoints as Message[] | undefined) ?? []).forEach((lb, l) => {
        const at = `${cluster.path}.load_assignment.endpoints[${e}].lb_endpoints[${l}]`;
        const address = (lb.endpoint as Message | undefined)?.address as Message | undefined;
        if (address) addresses.push({ address, path: `${at}.endpoint.address` });
        else problems.error(at, 'expected endpoint.address (a socket_address or a pipe)');
      });
    });
  } else {
    for (const h of array(cluster.hosts, `${cluster.path}.hosts`, problems)) {
      addresses.push({ address: convert('envoy.config.core.v3.Address', h.value, h.path, problems), path: h.path });
    }
  }
  if (addresses.length === 0) {
    problems.error(cluster.path, 'the xDS server cluster has no address: expected load_assignment.endpoints[].lb_endpoints[].endpoint.address');
    return [];
  }
  const targets: string[] = [];
  for (const { address, path } of addresses) {
    const target = grpcTarget(address, path, problems);
    if (target === undefined) continue;
    // MOSN dials the first pipe it finds, alone
    if (target.startsWith('unix')) return [target];
    targets.push(target);
  }
  return targets;
}

/** An `envoy.config.core.v3.Address` → a `@grpc/grpc-js` target. */
function grpcTarget(address: Message, path: string, problems: ConfigProblems): string | undefined {
  const pipe = address.pipe as Message | undefined;
  if (pipe) {
    const p = typeof pipe.path === 'string' ? pipe.path : '';
    if (p === '') {
      problems.error(`${path}.pipe.path`, 'is required: expected a unix socket path');
      return undefined;
    }
    // MOSN makes a relative path absolute (against the working directory)
    return p.startsWith('@') ? `unix-abstract:${p.slice(1)}` : `unix:${resolve(p)}`;
  }
  const socket = address.socket_address as Message | undefined;
  if (!socket) {
    problems.error(path, 'expected a socket_address or a pipe');
    return undefined;
  }
  const host = typeof socket.address === 'string' ? socket.address : '';
  const port = socket.port_value;
  if (host === '') problems.error(`${path}.socket_address.address`, 'is required: expected an IP address or a DNS name');
  if (socket.protocol === 'UDP') problems.error(`${path}.socket_address.protocol`, 'the xDS server is reached over TCP');
  if (typeof port !== 'number' || port <= 0 || port > 65535) {
    problems.error(`${path}.socket_address`, socket.named_port !== undefined ? 'named_port is not supported: give port_value, as MOSN needs' : 'is required: expected port_value from 1 to 65535');
    return undefined;
  }
  if (host === '' || socket.protocol === 'UDP') return undefined;
  const ip = isIP(host);
  return ip === 4 ? `${host}:${port}` : ip === 6 ? `[${host}]:${port}` : `dns:///${host}:${port}`;
}

/** The node: the config's `node`, with the flags over it as MOSN applies them (`istio1106.InitXdsInfo`). */
function readNode(json: unknown, flags: XdsFlags, problems: ConfigProblems, options: XdsBootstrapOptions | undefined): XdsNode {
  let id = '';
  let cluster = '';
  let metadata: Record<string, unknown> = {};
  let locality: XdsNode['locality'];
  if (json !== undefined && json !== null) {
    // MOSN reads the node leniently (unknown fields allowed); a problem here is a warning
    const { value, problems: found } = messageFromJson(NODE, json, 'node');
    for (const p of found) problems.warn(p.path, `${p.message}; ignored`);
    if (typeof value.id === 'string') id = value.id;
    if (typeof value.cluster === 'string') cluster = value.cluster;
    const rawMetadata = isObject(json) ? json.metadata : undefined;
    if (value.metadata !== undefined && isObject(rawMetadata)) metadata = structuredClone(rawMetadata);
    if (isObject(value.locality)) locality = value.locality as XdsNode['locality'];
    const oneofs = Object.keys(messageType(NODE).oneofs ?? {});
    for (const key of Object.keys(value)) {
      if (!['id', 'cluster', 'metadata', 'locality', ...oneofs].includes(key)) problems.warn(`node.${key}`, 'not used by MOSN; ignored');
    }
  }

  let serviceNode = flags.serviceNode;
  if (serviceNode === undefined && flags.serviceType !== undefined) {
    if (flags.serviceType === 'sidecar' || flags.serviceType === 'router') {
      const missing = (['podIp', 'podName', 'podNamespace', 'clusterDomain'] as const).filter((k) => flags[k] === undefined);
      serviceNode = `${flags.serviceType}~${flags.podIp ?? ''}~${flags.podName ?? ''}.${flags.podNamespace ?? ''}~${flags.clusterDomain ?? ''}`;
      if (missing.length > 0) {
        const names = missing.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
        problems.warn('--service-type', `the node id "${serviceNode}" lacks ${names.join(', ')} (not given, nor in the environment)`);
      }
    } else {
      problems.warn('--service-type', `"${flags.serviceType}" is neither sidecar nor router: MOSN then takes the node from the config alone`);
    }
  }
  if (serviceNode === undefined) {
    const given = [flags.serviceCluster !== undefined && '--service-cluster', flags.serviceMeta.length > 0 && '--service-meta', flags.serviceLabels.length > 0 && '--service-lables'].filter((x): x is string => x !== false);
    if (given.length > 0) problems.warn(given[0]!, `${given.join(', ')} ignored: MOSN applies them with --service-node or --service-type sidecar|router only`);
    if (id === '') problems.warn('node.id', 'is empty: the control plane may not know this proxy; give node.id, --service-node, or --service-type sidecar with the pod flags');
    return { id, cluster, metadata, ...(locality ? { locality } : {}) };
  }
  id = serviceNode;
  if (flags.serviceCluster !== undefined) cluster = flags.serviceCluster;
  if (flags.serviceMeta.length > 0 || flags.serviceLabels.length > 0) {
    if (Object.keys(metadata).length > 0) problems.warn('node.metadata', 'replaced by the metadata --service-meta and --service-lables build, as MOSN does');
    metadata = flagMetadata(flags, options?.podLabels ?? readPodLabels(ISTIO_POD_LABELS), problems);
  }
  return { id, cluster, metadata, ...(locality ? { locality } : {}) };
}

/** The Istio node metadata MOSN builds from `--service-meta` and `--service-lables` (and the pod's labels). */
function flagMetadata(flags: XdsFlags, podLabels: Readonly<Record<string, string>>, problems: ConfigProblems): Record<string, unknown> {
  const meta: Record<string, unknown> = { ISTIO_VERSION, INTERCEPTION_MODE: 'REDIRECT', CLUSTER_ID: 'Kubernetes' };
  let labels: Record<string, string> = { istio: 'ingressgateway' };
  if (flags.serviceLabels.length > 0) {
    labels = {};
    for (const entry of flags.serviceLabels) {
      const kv = keyValue(entry);
      if (kv) labels[kv[0]] = kv[1];
      else problems.warn('--service-lables', `"${entry}" is not key:value; ignored`);
    }
  }
  Object.assign(labels, podLabels);
  for (const entry of flags.serviceMeta) {
    const kv = keyValue(entry);
    const key = kv && META_KEYS[kv[0]];
    if (kv && key) meta[key] = kv[1];
    else problems.warn('--service-meta', kv ? `"${kv[0]}" is not one MOSN sets (IstioVersion, ClusterID, InterceptionMode); ignored` : `"${entry}" is not key:value; ignored`);
  }
  if (Object.keys(labels).length > 0) meta.LABELS = labels;
  // as Go's omitempty drops them
  for (const [k, v] of Object.entries(meta)) if (v === '') delete meta[k];
  return meta;
}

function keyValue(entry: string): [string, string] | undefined {
  const i = entry.indexOf(':');
  return i < 0 ? undefined : [entry.slice(0, i), entry.slice(i + 1)];
}

/** The pod's labels from Istio's downward-API file (`key="value"` lines); none when there is no such file. */
export function readPodLabels(path: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!existsSync(path)) return labels;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return labels;
  }
  for (const line of text.split('\n')) {
    const clean = line.replaceAll('"', '');
    const i = clean.indexOf('=');
    if (i >= 0) labels[clean.slice(0, i)] = clean.slice(i + 1);
  }
  return labels;
}
