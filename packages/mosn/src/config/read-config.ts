import { availableParallelism } from 'node:os';
import { formatAddress } from '@mosn/proxy';
import type { Extensions } from '../extensions.js';
import { readAdmin } from './admin-section.js';
import { readClusterManager } from './cluster.js';
import { ConfigProblems, ConfigReader } from './config-reader.js';
import { addRegistryRouters, registryRouterNames } from '../registry/layer.js';
import { readExtends, readThirdPartCodecs, readThirdPartStreamFilters } from './extensions-section.js';
import { deepFreeze } from './freeze.js';
import { readListener } from './listener.js';
import { readMetrics } from './metrics-section.js';
import { readTracing } from './tracing-section.js';
import { checkRouteProtocols } from './route-protocols.js';
import type { RouteContext } from './route.js';
import { readRouter } from './router.js';
import type { TlsReadOptions } from './tls-context.js';
import type { ClusterSpec, ListenerSpec, MosnConfig, RouterSpec, XdsConfig } from './types.js';
import { readXdsBootstrap } from '../xds/bootstrap.js';
import { NO_XDS_FLAGS, type XdsFlags } from '../xds/flags.js';
import { convertStaticResources } from '../xds/static-resources.js';

/**
 * How to read a config: `baseDir`, the folder relative file paths (TLS certificates) are resolved against;
 * `xdsFlags`, the CLI's node flags (`--service-node`, ...) applied over the bootstrap's `node`.
 */
export interface ReadConfigOptions {
  readonly baseDir?: string;
  readonly xdsFlags?: XdsFlags;
}

export const LOG_LEVELS = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'] as const;
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 30_000;

/** Top-level keys of MOSN's config that mosn-ts does not act on yet and that are safe to skip. */
const IGNORED_TOP = ['pprof', 'debug', 'plugin', 'inherit_old_mosnconfig', 'wasm_global_plugins', 'uds_dir'];
/** The xDS bootstrap's keys (read by readXdsBootstrap). */
const XDS_TOP = ['dynamic_resources', 'static_resources', 'node', 'layered_runtime'];
/** Keys that say which MOSN file this is; a file with none of them is probably not a MOSN config. */
const MOSN_TOP = ['servers', 'cluster_manager', 'admin', 'dynamic_resources', 'static_resources'];

/** `default_log_path` and `default_log_level` of a `servers[]` entry, with their defaults. */
function readLogKeys(server: ConfigReader): { logPath: string; logLevel: string } {
  return {
    logPath: server.str('default_log_path') || 'stdout',
    logLevel: (server.str('default_log_level', { oneOf: LOG_LEVELS }) ?? 'INFO').toUpperCase(),
  };
}

/**
 * Where and how much to log, read before the rest of the config so that reading and applying it can log
 * (problems in these keys are reported by `readConfig`; here they give the defaults).
 */
/** The most worker processes `processor` (and `--workers`) may ask for. */
export const MAX_WORKERS = 256;

/** `processor: "auto"`: a worker for each core this process may run on (Go's GOMAXPROCS default). */
export function autoWorkers(): number {
  return Math.min(MAX_WORKERS, availableParallelism());
}

export function logSettings(raw: unknown): { logPath: string; logLevel: string } {
  const server = ConfigReader.of(raw, '', new ConfigProblems())?.objects('servers')[0];
  return server ? readLogKeys(server) : { logPath: 'stdout', logLevel: 'INFO' };
}

/**
 * Read a MOSN config into a frozen config value, every problem collected with its JSON path; the value is
 * undefined when there is an error. Clusters first, then routers (whose routes name clusters), then listeners
 * (whose filters name routers and clusters). `raw` is copied: changing it afterwards changes no `source`.
 * TLS certificate files are read now; a relative path is resolved against `options.baseDir` (the config
 * file's folder; default: the working directory).
 */
export function readConfig(raw: unknown, ext: Extensions, options?: ReadConfigOptions): { config: MosnConfig | undefined; problems: ConfigProblems } {
  const tls: TlsReadOptions = { baseDir: options?.baseDir ?? process.cwd() };
  const problems = new ConfigProblems();
  let doc: unknown;
  try {
    doc = structuredClone(raw);
  } catch (e) {
    problems.error('(root)', `expected JSON data: ${(e as Error).message}`);
    return { config: undefined, problems };
  }
  const root = ConfigReader.of(doc, '', problems);
  if (!root) return { config: undefined, problems };

  const cm = root.obj('cluster_manager');
  const clusters = cm ? readClusterManager(cm, ext, tls) : [];

  const isMosn = MOSN_TOP.some((k) => root.has(k));
  if (!isMosn) problems.error('servers', `is required: this file has none of MOSN's top-level keys (${MOSN_TOP.join(', ')}); is it a MOSN config?`);
  // With xDS, MOSN takes its listeners from the control plane: servers may be absent, and routes may name
  // clusters that arrive later.
  // The registry extensions first: their routers (MOSN's `dubbo`) exist before any listener names them.
  const serviceRegistry = readExtends(root);
  if (serviceRegistry) addRegistryRouters(doc, registryRouterNames(serviceRegistry));
  const withXds = root.has('dynamic_resources') || root.has('static_resources');
  const servers = isMosn ? root.objects('servers', { required: !withXds, nonEmpty: !withXds }) : [];
  if (servers.length > 1) problems.error('servers', 'mosn-ts runs one server; put every listener in servers[0]');
  const server = servers[0] ? readServer(servers[0], ext, clusters, tls, withXds) : undefined;
  const xds = readXds(doc, options?.xdsFlags, problems);

  const admin = readAdmin(root);
  const metrics = readMetrics(root);
  const tracing = readTracing(root);
  root.str('pid'); // the CLI writes the pid file (`mosn reload` reads it)
  readThirdPartCodecs(root);
  readThirdPartStreamFilters(root);
  // mosn-ts does not inherit listeners from an old process yet: `true` is what it does anyway.
  root.inert(['disable_upgrade', 'close_graceful']);
  root.inert(XDS_TOP);
  root.ignore(IGNORED_TOP);
  root.refuse(['stream_filters'], 'named stream filter chains (for MOSN embedded in Envoy or as libmosn.so) are not supported by mosn-ts');
  root.finish();
  if (problems.errors.length > 0) return { config: undefined, problems };
  const config: MosnConfig = {
    logPath: server?.logPath ?? 'stdout',
    logLevel: server?.logLevel ?? 'INFO',
    gracefulTimeoutMs: server?.gracefulTimeoutMs ?? DEFAULT_GRACEFUL_TIMEOUT_MS,
    workers: server?.workers ?? 1,
    admin,
    clusters,
    routers: server?.routers ?? [],
    listeners: server?.listeners ?? [],
    source: doc,
    ...(xds ? { xds } : {}),
    ...(serviceRegistry ? { registry: serviceRegistry } : {}),
    ...(metrics ? { metrics } : {}),
    ...(tracing ? { tracing } : {}),
  };
  // Protocol entries and their codecs belong to the registry, shared with the running proxy.
  const registry = ext.protocols.entries().flatMap((e): object[] => (e.kind === 'xprotocol' ? [e, e.codec] : [e]));
  return { config: deepFreeze(config, new Set(registry)), problems };
}

interface ServerValues {
  logPath: string;
  logLevel: string;
  gracefulTimeoutMs: number;
  workers: number;
  routers: RouterSpec[];
  listeners: ListenerSpec[];
}

/** `servers[0]`: log keys, `graceful_timeout`, `routers` and `listeners` (names and addresses unique). */
function readServer(server: ConfigReader, ext: Extensions, clusterList: readonly ClusterSpec[], tls: TlsReadOptions, dynamicClusters: boolean): ServerValues {
  const problems = server.problems;
  const { logPath, logLevel } = readLogKeys(server);
  const gracefulTimeoutMs = server.duration('graceful_timeout', { numberUnit: 'ns' }) ?? DEFAULT_GRACEFUL_TIMEOUT_MS;
  // MOSN's GOMAXPROCS; here the number of worker processes (0 or absent: one process, no workers; "auto": one a core)
  const workers = server.value('processor') === 'auto' ? autoWorkers() : Math.max(1, server.num('processor', { min: 0, max: MAX_WORKERS }) ?? 1);
  const clusters = new Map(clusterList.map((c) => [c.name, c]));
  const routeCtx: RouteContext = { clusters, dynamicClusters, ext, protocolRoutes: [] };
  const routers = new Map<string, RouterSpec>();
  const routerList: RouterSpec[] = [];
  for (const r of server.objects('routers')) {
    const router = readRouter(r, routeCtx, new Set(routers.keys()));
    if (!router) continue;
    routers.set(router.name, router);
    routerList.push(router);
  }
  const listeners: ListenerSpec[] = [];
  const seen = new Map<string, string>();
  const seenNames = new Map<string, string>();
  for (const l of server.objects('listeners')) {
    const spec = readListener(l, { extensions: ext, clusters, dynamicClusters, routers }, tls);
    if (!spec) continue;
    const key = formatAddress(spec.address);
    const prev = seen.get(key);
    const anyPort = 'port' in spec.address && spec.address.port === 0; // each gets its own port
    if (prev && !anyPort) problems.error(l.at('address'), `duplicate listener address ${key}: already used by ${prev}`);
    else seen.set(key, l.path);
    const prevName = seenNames.get(spec.name);
    if (prevName) problems.error(l.at('name'), `duplicate listener name "${spec.name}": already used by ${prevName}`);
    else seenNames.set(spec.name, l.path);
    listeners.push(spec);
  }
  checkRouteProtocols(routeCtx.protocolRoutes, listeners, problems);
  if (listeners.length === 0 && !server.has('listeners')) problems.warn(server.at('listeners'), 'no listeners: mosn-ts would serve nothing but the admin API');
  server.ignore(['mosn_server_name', 'server_name', 'global_log_roller', 'optimize_local_write', 'default_log_roller', 'use_netpoll_mode']);
  server.finish();
  return { logPath, logLevel, gracefulTimeoutMs, workers, routers: routerList, listeners };
}

/** The xDS bootstrap (undefined without one) and its static resources converted; problems under their paths. */
function readXds(doc: unknown, flags: XdsFlags | undefined, problems: ConfigProblems): XdsConfig | undefined {
  const bootstrap = readXdsBootstrap(doc, flags ?? NO_XDS_FLAGS, problems);
  if (!bootstrap) return undefined;
  const converted = convertStaticResources(bootstrap, problems);
  return { bootstrap, staticSections: converted.sections, staticHttp2Clusters: converted.http2Clusters };
}
