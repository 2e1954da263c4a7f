import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { messageType, type Message } from '@mosn/xds';
import type { ConfigProblems } from '../config/config-reader.js';
import type { AdsSettings, StaticCluster } from './bootstrap.js';
import { array, camel, convert, durationMs, field, isObject } from './bootstrap-json.js';

/** `dynamic_resources` of MOSN's bootstrap: the ADS server (a static cluster), its address, and the fetch timeout. */

/** Envoy's default `initial_fetch_timeout`. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;
const TLS_SOCKET = 'envoy.transport_sockets.tls';

const DYNAMIC_KEYS = ['ads_config', 'lds_config', 'cds_config', 'lds_resources_locator', 'cds_resources_locator'];

/** `dynamic_resources`: the ADS server (a static cluster) and how to talk to it. */
export function readDynamic(json: unknown, clusters: ReadonlyMap<string, StaticCluster>, problems: ConfigProblems): AdsSettings | undefined {
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
