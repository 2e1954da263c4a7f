import {
  Cluster,
  ClusterManager,
  ConfigProblems,
  ConfigReader,
  DEFAULT_BUFFER_LIMIT,
  DEFAULT_KEEPALIVE,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_ROUTE_TIMEOUT_MS,
  RouterConfig,
  RouterManager,
  Stats,
  formatAddress,
  parseAddress,
  KNOWN_VARIABLES,
  RETRY_CONDITIONS,
  retryPolicy,
  variableGetter,
  roundRobin,
  silentLogger,
  type Address,
  type HeaderMatcher,
  type VariableMatcher,
  type HostConfig,
  DEFAULT_CIRCUIT_BREAKERS,
  HealthChecker,
  OutlierDetector,
  readHealthCheck,
  readOutlierDetection,
  DEFAULT_DNS_REFRESH_MS,
  DEFAULT_DNS_TIMEOUT_MS,
  DEFAULT_ORIGINAL_DST_CLEANUP_MS,
  DNS_LOOKUP_FAMILIES,
  MAX_ORIGINAL_DST_HOSTS,
  OriginalDstSource,
  StrictDnsSource,
  originalDstLb,
  type DnsLookupFamily,
  type DnsResolverSettings,
  type OriginalDstConfig,
  type StrictDnsConfig,
  type CircuitBreakerConfig,
  type HashPolicy,
  type HeaderEditConfig,
  type HostRewrite,
  type PathRewrite,
  type RedirectAction,
  type RetryPolicy,
  type KeepaliveOptions,
  type LbConfig,
  type Logger,
  type Metadata,
  type MetadataMatch,
  type SlowStartConfig,
  type SubsetConfig,
  DEFAULT_SLOW_START_AGGRESSION,
  DEFAULT_SLOW_START_MIN_WEIGHT,
  FALLBACK_POLICIES,
  metadataMatch,
  type NetworkFilterFactory,
  ProxyFilterFactory,
  type ProtocolEntry,
  type Route,
  type RouteAction,
  type RouteMatch,
  type VirtualHost,
  type WeightedCluster,
} from '@mosn/proxy';
import { getServers as dnsGetServers } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Extensions } from '../extensions.js';
import { isWildcardProtocol, resolveProtocol } from '../filters/proxy.js';

export interface ListenerSpec {
  name: string;
  address: Address;
  filterChain: NetworkFilterFactory[];
  bufferLimit: number;
  idleTimeoutMs: number;
}

/** A config read, checked and turned into runtime objects; nothing is bound yet. */
export interface BuiltConfig {
  logPath: string;
  logLevel: string;
  gracefulTimeoutMs: number;
  clusters: ClusterManager;
  routers: RouterManager;
  listeners: ListenerSpec[];
  admin: Address | undefined;
  stats: Stats;
}

export const LOG_LEVELS = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'] as const;
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 30_000;

/** Top-level keys of MOSN's config that mosn-ts does not act on yet and that are safe to skip. */
const IGNORED_TOP = ['tracing', 'metrics', 'pprof', 'debug', 'plugin', 'inherit_old_mosnconfig', 'wasm_global_plugins', 'pid', 'uds_dir'];
/** Top-level keys that would change what the proxy does if skipped. */
const REFUSED_TOP = ['dynamic_resources', 'static_resources'];
/** Keys that say which MOSN file this is; a file with none of them is probably not a MOSN config. */
const MOSN_TOP = ['servers', 'cluster_manager', 'admin', 'dynamic_resources', 'static_resources'];
/** MOSN's names for what mosn-ts may not support yet, so a message can say "not yet" rather than "unknown". */
const MOSN_CLUSTER_TYPES = ['SIMPLE', 'STATIC', 'DYNAMIC', 'EDS', 'ORIGINAL_DST', 'STRICT_DNS'];
const MOSN_LB_TYPES = ['LB_ROUNDROBIN', 'LB_RANDOM', 'LB_WEIGHTED_ROUNDROBIN', 'LB_ORIGINAL_DST', 'LB_LEAST_REQUEST', 'LB_MAGLEV', 'LB_REQUEST_ROUNDROBIN', 'LB_LEAST_CONNECTION', 'LB_PEAK_EWMA'];
/**
 * Network filters that end a chain: they consume every byte, so a filter after them never sees data
 * (MOSN's proxy passes bytes on only with `fallback_for_unknown_protocol`, which mosn-ts does not support).
 */
const TERMINAL_NETWORK_FILTERS = new Set(['proxy', 'tcp_proxy']);
/** Network filters MOSN retired: it logs a warning and installs nothing. */
const RETIRED_NETWORK_FILTERS = new Set(['connection_manager']);
const NOT_USED_BY_MOSN = 'MOSN does not use this key either; ignored';

/**
 * Read a MOSN config: every problem is collected with its JSON path. Clusters first, then routers
 * (whose routes name clusters), then listeners (whose filters name routers and clusters).
 */
/** `default_log_path` and `default_log_level` of a `servers[]` entry, with their defaults. */
function readLogKeys(server: ConfigReader): { logPath: string; logLevel: string } {
  return {
    logPath: server.str('default_log_path') || 'stdout',
    logLevel: (server.str('default_log_level', { oneOf: LOG_LEVELS }) ?? 'INFO').toUpperCase(),
  };
}

/**
 * Where and how much to log, read before the rest of the config so that building it can log (problems in these
 * keys are reported by `buildConfig`; here they give the defaults).
 */
export function logSettings(raw: unknown): { logPath: string; logLevel: string } {
  const server = ConfigReader.of(raw, '', new ConfigProblems())?.objects('servers')[0];
  return server ? readLogKeys(server) : { logPath: 'stdout', logLevel: 'INFO' };
}

export function buildConfig(raw: unknown, ext: Extensions, logger: Logger = silentLogger): { config: BuiltConfig | undefined; problems: ConfigProblems } {
  const problems = new ConfigProblems();
  const root = ConfigReader.of(raw, '', problems);
  if (!root) return { config: undefined, problems };
  const stats = new Stats();

  const clusters = new ClusterManager();
  const cm = root.obj('cluster_manager');
  if (cm) {
    for (const c of cm.objects('clusters')) readCluster(c, ext, clusters, logger, stats);
    cm.refuse(['clusters_configs'], 'loading clusters from a directory is not supported by mosn-ts yet; list them in cluster_manager.clusters');
    // Used only by clusters with cluster_manager_tls, which are refused.
    cm.inert(['tls_context']);
    cm.ignore(['cluster_pool_enable', 'auto_discovery', 'registry_use_health_check', 'cluster_config_path'], 'not supported by mosn-ts yet; ignored');
    cm.finish();
  }

  const isMosn = MOSN_TOP.some((k) => root.has(k));
  if (!isMosn) problems.error('servers', `is required: this file has none of MOSN's top-level keys (${MOSN_TOP.join(', ')}); is it a MOSN config?`);
  // With xDS (refused below), MOSN takes its listeners from the control plane: servers may be absent.
  const xds = REFUSED_TOP.some((k) => root.has(k));
  const servers = isMosn ? root.objects('servers', { required: !xds, nonEmpty: !xds }) : [];
  if (servers.length > 1) problems.error('servers', 'mosn-ts runs one server; put every listener in servers[0]');
  const server = servers[0];
  let logPath = 'stdout';
  let logLevel = 'INFO';
  let gracefulTimeoutMs = DEFAULT_GRACEFUL_TIMEOUT_MS;
  const routers = new RouterManager();
  const listeners: ListenerSpec[] = [];
  if (server) {
    ({ logPath, logLevel } = readLogKeys(server));
    gracefulTimeoutMs = server.duration('graceful_timeout', { numberUnit: 'ns' }) ?? DEFAULT_GRACEFUL_TIMEOUT_MS;
    const routeCtx: RouteCtx = { clusters, ext, protocolRoutes: [] };
    for (const r of server.objects('routers')) readRouter(r, routeCtx, routers);
    const seen = new Map<string, string>();
    const seenNames = new Map<string, string>();
    for (const l of server.objects('listeners')) {
      const spec = readListener(l, { ext, clusters, routers, stats, logger });
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
    if (listeners.length === 0 && !server.has('listeners')) server.problems.warn(server.at('listeners'), 'no listeners: mosn-ts would serve nothing but the admin API');
    server.ignore(['mosn_server_name', 'server_name', 'processor', 'global_log_roller', 'optimize_local_write', 'default_log_roller', 'use_netpoll_mode']);
    server.finish();
  }

  let admin: Address | undefined;
  const a = root.obj('admin');
  if (a) {
    const addr = a.obj('address');
    const sa = addr?.obj('socket_address', { required: true });
    if (sa) {
      const host = sa.str('address', { required: true });
      const port = sa.num('port_value', { required: true, min: 0, max: 65535 });
      if (host !== undefined && port !== undefined) admin = { host, port };
      sa.finish();
    }
    addr?.finish();
    a.finish();
  }

  readThirdPartCodecs(root);
  for (const e of root.objects('extends')) {
    const type = e.str('type', { required: true });
    if (type !== undefined) e.problems.error(e.at('type'), `extension "${type}" is not supported by mosn-ts yet`);
    e.value('config');
    e.finish();
  }
  // mosn-ts does not inherit listeners from an old process yet: `true` is what it does anyway.
  root.inert(['disable_upgrade', 'close_graceful']);
  root.ignore(['node'], 'xDS node identity, used with dynamic_resources only; ignored');
  root.ignore(IGNORED_TOP);
  root.refuse(REFUSED_TOP, 'xDS (an Envoy bootstrap) is not supported by mosn-ts yet; use servers and cluster_manager');
  root.refuse(['stream_filters'], 'named stream filter chains (for MOSN embedded in Envoy or as libmosn.so) are not supported by mosn-ts');
  root.finish();
  if (problems.errors.length > 0) return { config: undefined, problems };
  return { config: { logPath, logLevel, gracefulTimeoutMs, clusters, routers, listeners, admin, stats }, problems };
}

/** `third_part_codec.codecs[]`: loaded before this check (plugins.ts); here only their types are checked. */
function readThirdPartCodecs(root: ConfigReader): void {
  const tpc = root.obj('third_part_codec');
  if (!tpc) return;
  for (const c of tpc.objects('codecs')) {
    const type = c.str('type', { required: true });
    if (c.bool('enable') !== false && type !== undefined && type.toLowerCase() !== 'npm') {
      c.problems.error(c.at('type'), `codec type "${type}" cannot be loaded by mosn-ts (it loads protocol packages from npm): use "type": "npm" with the package name in "path"`);
    }
    c.str('path');
    c.str('loader_func_name');
    c.finish();
  }
  tpc.finish();
}

function readCluster(c: ConfigReader, ext: Extensions, clusters: ClusterManager, logger: Logger, stats: Stats): void {
  const name = c.str('name', { required: true, nonEmpty: true });
  if (name !== undefined && clusters.get(name)) c.problems.error(c.at('name'), `duplicate cluster name "${name}"`);
  const type = c.str('type') ?? 'SIMPLE';
  if (!ext.clusterTypes.has(type.toUpperCase())) {
    const supported = ext.clusterTypes.names().join(', ');
    if (MOSN_CLUSTER_TYPES.includes(type.toUpperCase())) c.problems.error(c.at('type'), `cluster type "${type}" is not supported by mosn-ts yet; supported: ${supported}`);
    else c.problems.error(c.at('type'), `unknown cluster type "${type}"; known: ${supported}`);
  }
  const typeName = type.toUpperCase();
  const configuredLb = c.str('lb_type')?.toUpperCase();
  // MOSN makes every ORIGINAL_DST cluster's balancer LB_ORIGINAL_DST, and LB_ORIGINAL_DST ignores the host list.
  const originalDst = typeName === 'ORIGINAL_DST' || configuredLb === 'LB_ORIGINAL_DST';
  if (typeName === 'ORIGINAL_DST' && configuredLb !== undefined && configuredLb !== 'LB_ORIGINAL_DST') {
    c.problems.warn(c.at('lb_type'), `ignored: an ORIGINAL_DST cluster sends each request to its own destination (LB_ORIGINAL_DST), as in MOSN`);
  }
  const lbType = originalDst ? 'LB_ORIGINAL_DST' : (configuredLb ?? 'LB_ROUNDROBIN');
  const lb = originalDst ? originalDstLb : ext.loadBalancers.get(lbType);
  if (!lb) {
    const supported = ext.loadBalancers.names().join(', ');
    if (MOSN_LB_TYPES.includes(lbType)) c.problems.error(c.at('lb_type'), `lb_type "${lbType}" is not supported by mosn-ts yet; supported: ${supported}`);
    else c.problems.error(c.at('lb_type'), `unknown lb_type "${lbType}"; known: ${supported}`);
  }
  const hosts: HostConfig[] = [];
  const strictDns = typeName === 'STRICT_DNS' && !originalDst;
  const hostReaders = c.objects('hosts');
  if (originalDst && hostReaders.length > 0) {
    c.problems.warn(c.at('hosts'), 'ignored: an ORIGINAL_DST cluster (LB_ORIGINAL_DST) makes a host for each destination requests ask for, as in MOSN');
  }
  for (const h of hostReaders) {
    const text = h.str('address', { required: true });
    const address = text === undefined ? undefined : strictDns ? readDnsHostAddress(h, text) : parseAddress(text);
    if (text !== undefined && !address && !strictDns) h.problems.error(h.at('address'), `expected "ip:port" or a unix socket path, got "${text}"`);
    // MOSN clamps a weight into 1..128 (0, the default, becomes 1).
    let weight = h.num('weight', { min: 0 }) ?? 1;
    if (weight < 1 || weight > 128) {
      const clamped = Math.min(128, Math.max(1, weight));
      if (weight !== 0) h.problems.warn(h.at('weight'), `${weight} is outside 1..128; used as ${clamped}, as MOSN does`);
      weight = clamped;
    }
    const hostname = h.str('hostname');
    const metadata = readMetadata(h, 'metadata');
    // Upstream TLS is refused, so every host is already plain TCP.
    h.inert(['tls_disable']);
    h.finish();
    if (address) hosts.push({ address, weight, ...(hostname !== undefined ? { hostname } : {}), ...(metadata ? { metadata } : {}) });
  }
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
  readTlsContext(c, 'upstream TLS is not supported by mosn-ts yet');
  // RPC clusters are checked with their protocol's heartbeat; the checker takes codecs from the registry.
  const codecFor = (n: string) => {
    const e = ext.protocols.get(n);
    return e?.kind === 'xprotocol' ? e.codec : undefined;
  };
  const healthCheck = readHealthCheck(c, codecFor);
  const outlierDetection = readOutlierDetection(c);
  c.refuse(['spec'], 'hosts from a service registry (spec.subscribe) are not supported by mosn-ts yet');
  c.refuse(['cluster_manager_tls'], 'upstream TLS (from cluster_manager.tls_context) is not supported by mosn-ts yet');
  c.refuse(['mark'], 'marking upstream sockets (SO_MARK) is not supported by mosn-ts yet');
  c.inert(['sub_type']); // "not used yet" in MOSN
  const dns = strictDns ? readStrictDns(c) : undefined;
  if (!strictDns) c.ignore(DNS_KEYS, 'used by STRICT_DNS clusters only; ignored');
  const oriDst = originalDst ? readOriginalDst(c) : undefined;
  if (!originalDst) c.ignore(['original_dst_lb_config', 'cleanup_interval'], 'used by ORIGINAL_DST clusters only; ignored');
  c.ignore(['cluster_manager', 'cluster_pool_enable', 'alias']);
  c.finish();
  if (name === undefined) return;
  // A cluster with an unsupported lb_type is still added (with a placeholder balancer; the config is refused
  // anyway) so that routes naming it are not also reported as naming an undefined cluster.
  const cluster = new Cluster(
      {
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
      },
      lb ?? roundRobin,
      ext.pools,
      logger,
  );
  if (dns) cluster.setHostSource(new StrictDnsSource(cluster, hosts, dns, { stats }));
  if (oriDst) cluster.setHostSource(new OriginalDstSource(cluster, oriDst, { stats }));
  if (outlierDetection) cluster.outlierDetector = new OutlierDetector(cluster, outlierDetection, { stats });
  if (healthCheck) cluster.healthChecker = new HealthChecker(cluster, healthCheck, { codecFor, stats });
  clusters.add(cluster);
}

const DNS_KEYS = ['dns_refresh_rate', 'respect_dns_ttl', 'dns_lookup_family', 'dns_resolvers', 'dns_resolver_file', 'dns_resolver_port'];
/** Below this, refreshing would mostly load the DNS server. */
const MIN_DNS_REFRESH_MS = 100;
const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** A STRICT_DNS host's `address`: `name:port`, `ip:port`, or a name alone (port 80, as MOSN). */
function readDnsHostAddress(h: ConfigReader, text: string): Address | undefined {
  const parsed = parseAddress(text);
  if (parsed && 'path' in parsed) {
    h.problems.error(h.at('address'), `a STRICT_DNS host needs "name:port" (or "ip:port"), got the unix socket "${text}"`);
    return undefined;
  }
  let address = parsed;
  if (!address && (DNS_NAME.test(text) || isIP(text) !== 0)) {
    h.problems.warn(h.at('address'), `"${text}" has no port; port 80 is used, as MOSN does`);
    address = { host: text, port: 80 };
  }
  if (!address || !('host' in address) || (isIP(address.host) === 0 && !DNS_NAME.test(address.host))) {
    h.problems.error(h.at('address'), `expected "name:port" (a DNS name, or an IP address, and a port), got "${text}"`);
    return undefined;
  }
  if (address.port === 0) {
    h.problems.error(h.at('address'), `expected a port from 1 to 65535, got 0 in "${text}"`);
    return undefined;
  }
  return address;
}

/** A port given as MOSN's string ("53") or as a number. */
function readPort(r: ConfigReader, key: string): number | undefined {
  const v = r.value(key);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  r.problems.error(r.at(key), `expected a port from 1 to 65535 (a number or a string such as "53"), got ${JSON.stringify(v)}`);
  return undefined;
}

/** `dns_refresh_rate`, `respect_dns_ttl`, `dns_lookup_family`, `dns_resolvers` / `dns_resolver_file` / `dns_resolver_port`. */
function readStrictDns(c: ConfigReader): StrictDnsConfig {
  let refreshMs = c.duration('dns_refresh_rate', { numberUnit: 'ns' }) || DEFAULT_DNS_REFRESH_MS;
  if (refreshMs < MIN_DNS_REFRESH_MS) {
    c.problems.error(c.at('dns_refresh_rate'), `expected at least ${MIN_DNS_REFRESH_MS}ms (or 0 for the default 5s), got ${refreshMs}ms`);
    refreshMs = DEFAULT_DNS_REFRESH_MS;
  }
  const respectTtl = c.bool('respect_dns_ttl') ?? false;
  const family = (c.str('dns_lookup_family', { oneOf: DNS_LOOKUP_FAMILIES }) || 'V4_ONLY').toUpperCase() as DnsLookupFamily;
  const resolver: DnsResolverSettings = { servers: [], search: [], ndots: 0, timeoutMs: DEFAULT_DNS_TIMEOUT_MS, attempts: 1 };
  const r = c.obj('dns_resolvers');
  const serverPort = (r ? readPort(r, 'port') : undefined) ?? 53;
  const servers = r ? r.arr('servers') : [];
  for (const s of servers) {
    if (typeof s.value === 'string' && isIP(s.value) !== 0) {
      resolver.servers.push(isIP(s.value) === 6 ? `[${s.value}]:${serverPort}` : `${s.value}:${serverPort}`);
    } else c.problems.error(s.path, `expected the IP address of a DNS server, got ${JSON.stringify(s.value)}`);
  }
  if (r) {
    resolver.search = r.strings('search');
    resolver.ndots = r.num('ndots', { min: 0, max: 15 }) ?? 0;
    const timeoutS = r.num('timeout', { min: 0, max: 60 }) ?? 0;
    if (timeoutS > 0) resolver.timeoutMs = timeoutS * 1000;
    resolver.attempts = r.num('attempts', { min: 0, max: 10 }) || 1;
    r.finish();
  }
  const file = c.str('dns_resolver_file');
  const filePort = readPort(c, 'dns_resolver_port');
  if (servers.length === 0) {
    // MOSN reads /etc/resolv.conf when no servers are listed; so does Node's resolver.
    if (file) readResolvConf(c, file, filePort ?? 53, resolver);
    else if (filePort !== undefined) resolver.servers = [...new Set(defaultDnsServers())].map((s) => (isIP(s) === 6 ? `[${s}]:${filePort}` : `${s}:${filePort}`));
  } else if (file || filePort !== undefined) {
    c.problems.warn(c.at(file ? 'dns_resolver_file' : 'dns_resolver_port'), 'ignored: dns_resolvers.servers is set, and MOSN then uses it');
  }
  return { refreshMs, respectTtl, family, resolver };
}

/** The system's DNS servers (Node reads them from /etc/resolv.conf), without their ports. */
function defaultDnsServers(): string[] {
  return dnsGetServers().map((s) => (s.startsWith('[') ? s.slice(1, s.indexOf(']')) : isIP(s) !== 0 ? s : s.replace(/:\d+$/, '')));
}

/** `nameserver`, `search`, and `options ndots: timeout: attempts:` of a resolv.conf file. */
function readResolvConf(c: ConfigReader, file: string, port: number, out: DnsResolverSettings): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    c.problems.error(c.at('dns_resolver_file'), `cannot read "${file}": ${(e as Error).message}`);
    return;
  }
  // resolv.conf's own defaults, as MOSN's DNS client applies them
  out.ndots = 1;
  out.timeoutMs = 5000;
  out.attempts = 2;
  for (const line of text.split('\n')) {
    const [word, ...rest] = line.trim().split(/\s+/);
    if (word === 'nameserver' && rest[0] && isIP(rest[0]) !== 0) out.servers.push(isIP(rest[0]) === 6 ? `[${rest[0]}]:${port}` : `${rest[0]}:${port}`);
    else if (word === 'search' || word === 'domain') out.search = rest;
    else if (word === 'options') {
      for (const o of rest) {
        const [k, v] = o.split(':');
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) continue;
        if (k === 'ndots') out.ndots = Math.min(n, 15);
        else if (k === 'timeout' && n > 0) out.timeoutMs = Math.min(n, 30) * 1000;
        else if (k === 'attempts' && n > 0) out.attempts = Math.min(n, 5);
      }
    }
  }
  if (out.servers.length === 0) c.problems.error(c.at('dns_resolver_file'), `"${file}" lists no nameserver`);
}

/** `original_dst_lb_config` (`use_header`, `header_name`, `replace_local`) and mosn-ts's `cleanup_interval`. */
function readOriginalDst(c: ConfigReader): OriginalDstConfig {
  const o = c.obj('original_dst_lb_config');
  const useHeader = o?.bool('use_header') ?? false;
  const headerName = (o?.str('header_name') || 'host').toLowerCase();
  const replaceLocal = o?.bool('replace_local') ?? false;
  o?.finish();
  const cleanupIntervalMs = c.duration('cleanup_interval', { numberUnit: 'ns' }) || DEFAULT_ORIGINAL_DST_CLEANUP_MS;
  return { useHeader, headerName, replaceLocal, cleanupIntervalMs, maxHosts: MAX_ORIGINAL_DST_HOSTS };
}

/**
 * `tls_context` (a listener's filter chain or a cluster): `status: true` is refused; otherwise the other
 * settings are inert, as in MOSN.
 */
function readTlsContext(parent: ConfigReader, refusal: string): void {
  const tls = parent.obj('tls_context');
  if (!tls) return;
  if (tls.bool('status')) parent.problems.error(parent.at('tls_context'), refusal);
  tls.inert(['type', 'server_name', 'ca_cert', 'cert_chain', 'private_key', 'verify_client', 'require_client_cert', 'insecure_skip', 'cipher_suites', 'ecdh_curves', 'min_version', 'max_version', 'alpn', 'ticket', 'fall_back', 'extend_verify', 'callbacks', 'sds_source']);
  tls.finish();
}

/**
 * `circuit_breakers`: MOSN's array of thresholds (`[{ "priority": "default", "max_connections", ... }]`; the
 * object form `{ "thresholds": [...] }` is read too). The default-priority entry applies; DEFAULT_CIRCUIT_BREAKERS
 * fill the rest.
 */
function readCircuitBreakers(c: ConfigReader): CircuitBreakerConfig {
  const out = { ...DEFAULT_CIRCUIT_BREAKERS };
  const raw = c.value('circuit_breakers');
  if (raw === undefined || raw === null) return out;
  const holder = new ConfigReader({ thresholds: Array.isArray(raw) ? raw : (raw as { thresholds?: unknown }).thresholds ?? [] }, c.at('circuit_breakers'), c.problems);
  const entries = holder.objects('thresholds');
  for (const t of entries) {
    const priority = (t.str('priority') ?? 'default').toLowerCase();
    const read = (key: string) => t.num(key, { min: 0, max: 1_000_000 });
    const maxConnections = read('max_connections');
    const maxPendingRequests = read('max_pending_requests');
    const maxRequests = read('max_requests');
    const maxRetries = read('max_retries');
    t.finish();
    if (priority !== 'default' && priority !== '') {
      t.problems.warn(t.at('priority'), `priority "${priority}" thresholds are not used: mosn-ts has one priority`);
      continue;
    }
    if (maxConnections !== undefined) out.maxConnections = maxConnections;
    if (maxPendingRequests !== undefined) out.maxPendingRequests = maxPendingRequests;
    if (maxRequests !== undefined) out.maxRequests = maxRequests;
    if (maxRetries !== undefined) out.maxRetries = maxRetries;
  }
  return out;
}

/**
 * A metadata object in MOSN's format, `{"filter_metadata": {"mosn.lb": {"key": "value"}}}` (host `metadata`,
 * route `metadata_match`): the string pairs under `mosn.lb`. Undefined when absent or empty.
 */
function readMetadata(parent: ConfigReader, key: string): Metadata | undefined {
  const m = parent.obj(key);
  if (!m) return undefined;
  const fm = m.obj('filter_metadata');
  const lb = fm?.obj('mosn.lb');
  const out: Record<string, string> = {};
  if (lb) {
    for (const k of Object.keys(lb.raw)) {
      const v = lb.value(k);
      if (typeof v === 'string') out[k] = v;
      else {
        const hint = typeof v === 'number' || typeof v === 'boolean' ? `; write "${v}"` : '';
        lb.problems.error(lb.at(k), `expected a string, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v} (MOSN silently drops values that are not strings${hint})`);
      }
    }
    lb.finish();
  }
  fm?.finish();
  m.finish();
  return Object.keys(out).length > 0 ? out : undefined;
}

/** MOSN's `fall_back_policy` numbers (a uint8 in MOSN's config: names are not accepted there either). */
const FALLBACK_NUMBERS = FALLBACK_POLICIES.map((p, i) => `${i} (${p})`).join(', ');

/** `lb_subset_config`: `fall_back_policy` (0, 1, 2), `default_subset` (a string map), `subset_selectors` (key lists). */
function readLbSubsetConfig(c: ConfigReader): SubsetConfig | undefined {
  const l = c.obj('lb_subset_config');
  if (!l) return undefined;
  let fallbackPolicy: SubsetConfig['fallbackPolicy'] = 'NO_FALLBACK';
  const fb = l.value('fall_back_policy');
  if (typeof fb === 'number' && Number.isInteger(fb) && fb >= 0 && fb < FALLBACK_POLICIES.length) fallbackPolicy = FALLBACK_POLICIES[fb]!;
  else if (fb !== undefined && fb !== null) {
    const named = typeof fb === 'string' ? FALLBACK_POLICIES.indexOf(fb.toUpperCase() as SubsetConfig['fallbackPolicy']) : -1;
    const hint = named >= 0 ? `; MOSN reads a number: write ${named} for ${FALLBACK_POLICIES[named]}` : '';
    l.problems.error(l.at('fall_back_policy'), `expected one of ${FALLBACK_NUMBERS}, got ${JSON.stringify(fb)}${hint}`);
  }
  const defaultSubset: Record<string, string> = {};
  const ds = l.obj('default_subset');
  if (ds) {
    for (const k of Object.keys(ds.raw)) {
      const v = ds.value(k);
      if (typeof v === 'string') defaultSubset[k] = v;
      else ds.problems.error(ds.at(k), `expected a string, got ${v === null ? 'null' : typeof v}`);
    }
    ds.finish();
  }
  const selectors: string[][] = [];
  for (const e of l.arr('subset_selectors')) {
    if (!Array.isArray(e.value)) {
      l.problems.error(e.path, 'expected a list of metadata keys, such as ["version"]');
      continue;
    }
    const keys: string[] = [];
    e.value.forEach((k, i) => {
      if (typeof k === 'string' && k !== '') keys.push(k);
      else l.problems.error(`${e.path}[${i}]`, 'expected a metadata key (a non-empty string)');
    });
    if (keys.length === 0) l.problems.warn(e.path, 'an empty selector makes no subset; ignored, as in MOSN');
    else selectors.push(keys);
  }
  l.finish();
  if (selectors.length === 0) {
    l.problems.warn(l.at('subset_selectors'), 'no subset selectors: subset load balancing is off, as in MOSN (metadata_match has no effect)');
    return undefined;
  }
  if (fallbackPolicy !== 'DEFAULT_SUBSET' && Object.keys(defaultSubset).length > 0) {
    l.problems.warn(l.at('default_subset'), `used only with fall_back_policy 2 (DEFAULT_SUBSET); this cluster's is ${FALLBACK_POLICIES.indexOf(fallbackPolicy)} (${fallbackPolicy})`);
  }
  return { fallbackPolicy, defaultSubset, selectors };
}

/** Balancers whose hosts' weights `slow_start` ramps up (MOSN's EDF balancers). */
const SLOW_START_LB_TYPES = ['LB_WEIGHTED_ROUNDROBIN', 'LB_LEAST_REQUEST', 'LB_LEAST_CONNECTION', 'LB_PEAK_EWMA'];

/** `slow_start`: `mode` ("duration"; empty: off), `slow_start_duration`, `aggression` (1), `min_weight_percent` (0.1). */
function readSlowStart(c: ConfigReader, lbType: string): SlowStartConfig | undefined {
  const s = c.obj('slow_start');
  if (!s) return undefined;
  const mode = s.str('mode') ?? '';
  const windowMs = s.duration('slow_start_duration', { numberUnit: 'ns' });
  let aggression = s.num('aggression', { integer: false }) ?? 0;
  let minWeight = s.num('min_weight_percent', { integer: false }) ?? 0;
  s.finish();
  if (mode === '') {
    if (Object.keys(s.raw).length > 0) s.problems.warn(s.at('mode'), 'slow start is off without a mode, as in MOSN; set "mode": "duration"');
    return undefined;
  }
  if (mode !== 'duration') {
    s.problems.error(s.at('mode'), `unknown slow start mode "${mode}"; known: duration (MOSN logs a warning and turns slow start off)`);
    return undefined;
  }
  if (aggression < 0) s.problems.warn(s.at('aggression'), `${aggression} is not above 0; used as ${DEFAULT_SLOW_START_AGGRESSION}, as MOSN does`);
  if (aggression <= 0) aggression = DEFAULT_SLOW_START_AGGRESSION;
  if (minWeight < 0) s.problems.warn(s.at('min_weight_percent'), `${minWeight} is not above 0; used as ${DEFAULT_SLOW_START_MIN_WEIGHT}, as MOSN does`);
  if (minWeight <= 0) minWeight = DEFAULT_SLOW_START_MIN_WEIGHT;
  if (minWeight > 1) {
    s.problems.error(s.at('min_weight_percent'), `expected a fraction of the weight above 0 and at most 1 (MOSN reads 0.1 as 10%), got ${minWeight}`);
    return undefined;
  }
  if (!windowMs) {
    s.problems.warn(s.at('slow_start_duration'), 'slow start has no effect without a slow_start_duration, as in MOSN');
    return undefined;
  }
  if (!SLOW_START_LB_TYPES.includes(lbType)) {
    c.problems.warn(c.at('slow_start'), `has no effect with lb_type ${lbType}: MOSN ramps weights up only in ${SLOW_START_LB_TYPES.join(', ')}`);
  }
  return { windowMs, aggression, minWeight };
}

/** `lbconfig`: `choice_count` (least request/connection), `active_request_bias`, `healthy_panic_threshold`. */
function readLbConfig(c: ConfigReader): LbConfig {
  const l = c.obj('lbconfig');
  if (!l) return {};
  const choiceCount = l.num('choice_count', { min: 1, max: 100 });
  const activeRequestBias = l.num('active_request_bias', { min: 0, max: 10, integer: false });
  const healthyPanicThreshold = l.num('healthy_panic_threshold', { min: 0, max: 100, integer: false });
  l.finish();
  return {
    ...(choiceCount !== undefined ? { choiceCount } : {}),
    ...(activeRequestBias !== undefined ? { activeRequestBias } : {}),
    ...(healthyPanicThreshold !== undefined ? { healthyPanicThreshold } : {}),
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

function compileRegex(r: ConfigReader, key: string, text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (e) {
    r.problems.error(r.at(key), `invalid regular expression: ${(e as Error).message}`);
    return undefined;
  }
}

const REQUEST_HEADER_VAR = 'request_header_';

/**
 * `match.variables` (MOSN's VariableMatcher list): `name` (a variable mosn-ts knows), `value` (exact) or `regex`
 * (unanchored; wins over `value` as in MOSN), `model` `and` (default) or `or`, joining this entry to the next.
 * Undefined when absent or empty.
 */
function readVariables(m: ConfigReader): VariableMatcher[] | undefined {
  const out: VariableMatcher[] = [];
  for (const v of m.objects('variables')) {
    const name = v.str('name', { required: true, nonEmpty: true });
    const value = v.str('value') || undefined;
    const regexText = v.str('regex') || undefined;
    const model = v.str('model', { oneOf: ['and', 'or'] })?.toLowerCase();
    v.finish();
    const get = name === undefined ? undefined : variableGetter(name);
    if (name !== undefined && !get) v.problems.error(v.at('name'), `unknown variable "${name}"; known: ${KNOWN_VARIABLES.join(', ')}`);
    if (value === undefined && regexText === undefined) {
      // MOSN reads an empty or absent value as "no value", and such an entry never matches.
      v.problems.error(v.path, 'expected a non-empty "value" or "regex" (an entry with neither never matches in MOSN)');
    }
    if (value !== undefined && regexText !== undefined) v.problems.warn(v.at('value'), 'ignored: "regex" is set, and MOSN uses the regex');
    const regex = compileRegex(v, 'regex', regexText);
    if (name === undefined || !get) continue;
    const test = regex ? { regex } : value !== undefined ? { value } : undefined;
    if (!test) continue;
    const rpcHeader = name.startsWith(REQUEST_HEADER_VAR) ? name.slice(REQUEST_HEADER_VAR.length) : undefined;
    out.push({ name, get, ...(rpcHeader ? { rpcHeader } : {}), ...test, or: model === 'or' });
  }
  return out.length > 0 ? out : undefined;
}

/** What reading routes needs: clusters (routes name them), protocols, and where to note route protocols. */
interface RouteCtx {
  clusters: ClusterManager;
  ext: Extensions;
  /** Routes with an `upstream_protocol`: checked against the listeners that use their router. */
  protocolRoutes: ProtocolRoute[];
}

/** A route that names an upstream protocol, with the JSON path of that name. */
interface ProtocolRoute {
  route: Route;
  protocol: ProtocolEntry;
  at: string;
  router?: RouterConfig;
}

function readRouter(r: ConfigReader, ctx: RouteCtx, routers: RouterManager): void {
  const name = r.str('router_config_name', { required: true, nonEmpty: true });
  if (name !== undefined && routers.get(name)) r.problems.error(r.at('router_config_name'), `duplicate router_config_name "${name}"`);
  const vhs: VirtualHost[] = [];
  for (const v of r.objects('virtual_hosts')) {
    const vhName = v.str('name') ?? '';
    const domains = v.has('domains') ? v.strings('domains') : ['*'];
    const routes: Route[] = [];
    for (const rt of v.objects('routers')) {
      const route = readRoute(rt, ctx);
      if (route) routes.push(route);
    }
    const vhChanges = readHeaderChanges(v);
    v.inert(['require_tls']); // "not used yet" in MOSN
    v.ignore(['per_filter_config'], 'per-route stream filter config; mosn-ts runs no stream filters; ignored');
    v.ignore(['virtual_clusters']);
    v.finish();
    vhs.push({ name: vhName, domains, routes, ...vhChanges });
  }
  const changes = readHeaderChanges(r);
  r.refuse(['router_configs'], 'loading virtual hosts from a directory is not supported by mosn-ts yet; list them in virtual_hosts');
  r.finish();
  if (name === undefined) return;
  const router = new RouterConfig(name, vhs, changes);
  routers.add(router);
  for (const p of ctx.protocolRoutes) p.router ??= router;
}

/**
 * What can be told at config time of a route's `upstream_protocol` (mosn-ts does not translate between
 * protocols: HTTP goes upstream as HTTP/1 or HTTP/2, an RPC request in its own protocol). Wrong when no
 * request that can reach the route could go upstream in it: an RPC protocol on a route only HTTP requests
 * can match (one with a path rule, or in a virtual host RPC requests never get), or on a listener none of
 * whose protocols that reach the route it can carry. Anything else (an `Auto` listener, a route both kinds
 * of request can match) is decided per request: a request the protocol cannot carry gets an error answer.
 */
function checkRouteProtocols(routes: ProtocolRoute[], listeners: ListenerSpec[], problems: ConfigProblems): void {
  const carries = (up: ProtocolEntry, down: ProtocolEntry) => (down.kind === 'xprotocol' ? up === down : up.kind !== 'xprotocol');
  for (const { route, protocol, at, router } of routes) {
    if (!router) continue;
    const m = route.match;
    const byPath = m.prefix !== undefined || m.path !== undefined || m.regex !== undefined;
    const rpcVh = router.virtualHost('');
    const rpcCanMatch = !byPath && rpcVh !== undefined && rpcVh.routes.includes(route);
    if (protocol.kind === 'xprotocol' && !rpcCanMatch) {
      const why = byPath ? 'it matches on a path' : 'RPC requests get another virtual host';
      problems.error(at, `"${protocol.name}" is an RPC protocol, but only HTTP requests can match this route (${why}) and mosn-ts does not translate between protocols; expected "Http1", "Http2" or "Auto"`);
      continue;
    }
    for (const l of listeners) {
      for (const f of l.filterChain) {
        if (!(f instanceof ProxyFilterFactory) || f.context.router !== router) continue;
        const reach = f.config.downstream.filter((d) => d.kind !== 'xprotocol' || rpcCanMatch);
        if (reach.length === 0 || reach.some((d) => carries(protocol, d))) continue;
        problems.error(
          at,
          `"${protocol.name}" cannot carry the requests listener "${l.name}" sends to this route (${reach.map((d) => d.name).join(', ')}): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)`,
        );
      }
    }
  }
}

function readRoute(rt: ConfigReader, ctx: RouteCtx): Route | undefined {
  // MOSN: a route without `match` matches every request (an RPC rule with no header conditions).
  const mv = rt.value('match');
  const m = mv === undefined || mv === null ? new ConfigReader({}, rt.at('match'), rt.problems) : ConfigReader.of(mv, rt.at('match'), rt.problems);
  let match: RouteMatch | undefined;
  if (m) {
    const headers: HeaderMatcher[] = [];
    for (const h of m.objects('headers')) {
      const name = h.str('name', { required: true, nonEmpty: true });
      const value = h.str('value', { required: true });
      // MOSN's "sofa rule": a `service` header rule with the value ".*" matches any service, regex or not.
      const isRegex = (h.bool('regex') ?? false) || (name === 'service' && value === '.*');
      const regex = isRegex ? compileRegex(h, 'value', value) : undefined;
      h.finish();
      if (name !== undefined && value !== undefined) headers.push({ name, value, ...(regex ? { regex } : {}) });
    }
    // MOSN uses one of prefix, path and regex, in that order, and drops the rest.
    const prefix = m.str('prefix') || undefined;
    let path = m.str('path') || undefined;
    let regexText = m.str('regex') || undefined;
    const by = prefix !== undefined ? 'prefix' : path !== undefined ? 'path' : undefined;
    if (by && path !== undefined && by !== 'path') {
      m.problems.warn(m.at('path'), `ignored: "${by}" is set, and MOSN matches on one of prefix, path, regex (in that order)`);
      path = undefined;
    }
    if (by && regexText !== undefined) {
      m.problems.warn(m.at('regex'), `ignored: "${by}" is set, and MOSN matches on one of prefix, path, regex (in that order)`);
      regexText = undefined;
    }
    const regex = compileRegex(m, 'regex', regexText);
    // MOSN: a route with none of prefix, path, regex and with `variables` is a variable rule, which ignores headers.
    let variables = readVariables(m);
    const pathBy = prefix !== undefined ? 'prefix' : path !== undefined ? 'path' : regexText !== undefined ? 'regex' : undefined;
    if (variables && pathBy) {
      m.problems.warn(m.at('variables'), `ignored: "${pathBy}" is set, and MOSN matches variables only on a route with no prefix, path or regex`);
      variables = undefined;
    } else if (variables && headers.length > 0) {
      m.problems.warn(m.at('headers'), 'ignored: MOSN does not match headers on a route that matches variables');
      headers.length = 0;
    }
    m.refuse(['dsl_expressions'], 'is not supported by mosn-ts yet (a route would match more than intended)');
    m.ignore(['case_sensitive']);
    m.finish();
    match = {
      headers,
      ...(prefix !== undefined ? { prefix } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(regex ? { regex } : {}),
      ...(variables ? { variables } : {}),
    };
  }
  // MOSN answers a direct_response first, then a redirect, else forwards by `route`.
  let action: RouteAction | undefined;
  const dr = rt.obj('direct_response');
  const rd = dr ? undefined : rt.obj('redirect');
  const ra = dr || rd ? undefined : rt.obj('route');
  if (dr) {
    const status = dr.num('status', { required: true, min: 100, max: 599 });
    const body = dr.str('body');
    dr.finish();
    if (status !== undefined) action = { kind: 'direct', status, body };
  } else if (rd) {
    action = readRedirect(rd);
  } else if (ra) {
    action = readRouteAction(ra, ctx);
  } else {
    rt.problems.error(rt.path, 'expected "route", "redirect" or "direct_response"');
  }
  for (const k of dr ? ['redirect', 'route'] : rd ? ['route'] : []) {
    if (rt.value(k) != null) rt.problems.warn(rt.at(k), `ignored: MOSN answers ${dr ? 'direct_response' : 'redirect'} first`);
  }
  const routeChanges = ra ? readHeaderChanges(ra) : {};
  rt.refuse(['request_mirror_policies'], 'request mirroring is not supported by mosn-ts yet');
  rt.ignore(['metadata'], 'route metadata is read by MOSN\'s stream filters; mosn-ts runs none; ignored (metadata_match, in "route", selects subsets)');
  rt.ignore(['per_filter_config'], 'per-route stream filter config; mosn-ts runs no stream filters; ignored');
  rt.finish();
  ra?.finish();
  if (!match || !action) return undefined;
  const route: Route = { match, action, ...routeChanges };
  if (action.kind !== 'direct' && action.upstreamProtocol !== undefined) {
    const protocol = ctx.ext.protocols.get(action.upstreamProtocol);
    if (protocol) ctx.protocolRoutes.push({ route, protocol, at: ra!.at('upstream_protocol') });
  }
  return route;
}

const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** `redirect`: `response_code` (301 when absent), `path_redirect`, `host_redirect`, `scheme_redirect`. */
function readRedirect(rd: ConfigReader): RouteAction | undefined {
  const code = rd.num('response_code') || 301;
  if (!REDIRECT_CODES.includes(code)) rd.problems.error(rd.at('response_code'), `expected one of ${REDIRECT_CODES.join(', ')}, got ${code}`);
  const redirect: RedirectAction = {};
  const path = rd.str('path_redirect');
  const host = rd.str('host_redirect');
  const scheme = rd.str('scheme_redirect')?.toLowerCase();
  if (path) redirect.path = path;
  if (host) redirect.host = host;
  if (scheme) {
    if (/^[a-z][a-z0-9.+-]*$/.test(scheme)) redirect.scheme = scheme;
    else rd.problems.error(rd.at('scheme_redirect'), `invalid scheme "${scheme}"`);
  }
  rd.finish();
  return { kind: 'direct', status: code, body: undefined, redirect };
}

/** The four header-change keys of a route action, a virtual host or a router. */
function readHeaderChanges(r: ConfigReader): { requestHeaders?: HeaderEditConfig; responseHeaders?: HeaderEditConfig } {
  const requestHeaders = readHeaderEdits(r, 'request_headers_to_add', 'request_headers_to_remove');
  const responseHeaders = readHeaderEdits(r, 'response_headers_to_add', 'response_headers_to_remove');
  return { ...(requestHeaders ? { requestHeaders } : {}), ...(responseHeaders ? { responseHeaders } : {}) };
}

/** `[{ "header": { "key", "value" }, "append": true }]` (append defaults to true, as in MOSN) and a name list. */
function readHeaderEdits(r: ConfigReader, addKey: string, removeKey: string): HeaderEditConfig | undefined {
  const add: HeaderEditConfig['add'] = [];
  for (const o of r.objects(addKey)) {
    const h = o.obj('header', { required: true });
    const name = h?.str('key', { required: true, nonEmpty: true });
    const value = h?.str('value') ?? '';
    h?.finish();
    const append = o.bool('append') ?? true;
    o.finish();
    if (/^%.+%$/.test(value) && !variableGetter(value.slice(1, -1))) {
      o.problems.warn(o.at('header.value'), `unknown variable ${value}; sent as text, as MOSN does; known: ${KNOWN_VARIABLES.join(', ')}`);
    }
    if (name !== undefined) add.push({ name, value, append });
  }
  const remove = r.strings(removeKey);
  return add.length > 0 || remove.length > 0 ? { add, remove } : undefined;
}

/**
 * `retry_policy`: `retry_on` (MOSN's bool, or Envoy conditions as a comma-separated string or a list),
 * `num_retries` (1 when absent), `retry_timeout` (per try), `status_codes`.
 */
function readRetryPolicy(ra: ConfigReader): RetryPolicy | undefined {
  const rp = ra.obj('retry_policy');
  if (!rp) return undefined;
  const raw = rp.value('retry_on');
  let retryOn: boolean | string[] = false;
  if (typeof raw === 'boolean') retryOn = raw;
  else if (typeof raw === 'string' || Array.isArray(raw)) {
    const list = (typeof raw === 'string' ? raw.split(',') : raw).map((c) => String(c).trim()).filter((c) => c !== '');
    for (const c of list) {
      if (!(RETRY_CONDITIONS as readonly string[]).includes(c)) rp.problems.error(rp.at('retry_on'), `unknown retry condition "${c}"; known: true, false, ${RETRY_CONDITIONS.join(', ')}`);
    }
    retryOn = list;
  } else if (raw !== undefined && raw !== null) rp.problems.error(rp.at('retry_on'), 'expected true, false, or a list of retry conditions');
  const numRetries = rp.num('num_retries', { min: 0 }) ?? 1;
  const tryTimeoutMs = rp.duration('retry_timeout', { numberUnit: 'ns' }) ?? 0;
  const statusCodes: number[] = [];
  for (const e of rp.arr('status_codes')) {
    if (typeof e.value === 'number' && Number.isInteger(e.value) && e.value >= 100 && e.value <= 599) statusCodes.push(e.value);
    else rp.problems.error(e.path, 'expected an HTTP status code');
  }
  rp.finish();
  return retryPolicy(retryOn, numRetries, tryTimeoutMs, statusCodes);
}

/** `prefix_rewrite`, or `regex_rewrite: { pattern: { regex }, substitution }` (MOSN uses the prefix when both are set). */
function readPathRewrite(ra: ConfigReader): PathRewrite | undefined {
  const prefix = ra.str('prefix_rewrite') || undefined;
  const rr = ra.obj('regex_rewrite');
  let rewrite: PathRewrite | undefined = prefix !== undefined ? { kind: 'prefix', prefix } : undefined;
  if (rr) {
    const pattern = rr.obj('pattern', { required: true });
    const text = pattern?.str('regex', { required: true, nonEmpty: true });
    pattern?.ignore(['google_re2'], 'JavaScript regular expressions have no program size limit; ignored');
    pattern?.finish();
    // Go's ${1} and ${name} are $1 and $<name> in JavaScript
    const substitution = (rr.str('substitution') ?? '').replace(/\$\{(\d+)\}/g, '$$$1').replace(/\$\{(\w+)\}/g, '$$<$1>');
    rr.finish();
    const regex = pattern ? compileRegex(pattern, 'regex', text) : undefined;
    if (prefix !== undefined) ra.problems.warn(ra.at('regex_rewrite'), 'ignored: prefix_rewrite is set, and MOSN then uses prefix_rewrite');
    else if (regex) rewrite = { kind: 'regex', regex: new RegExp(regex.source, 'g'), substitution };
  }
  return rewrite;
}

/** `host_rewrite`, else `auto_host_rewrite_header`, else `auto_host_rewrite` (MOSN's order). */
function readHostRewrite(ra: ConfigReader): HostRewrite | undefined {
  const host = ra.str('host_rewrite') || undefined;
  const header = ra.str('auto_host_rewrite_header') || undefined;
  const auto = ra.bool('auto_host_rewrite') ?? false;
  if (host !== undefined) return { kind: 'literal', host };
  if (header !== undefined) return { kind: 'header', name: header };
  return auto ? { kind: 'auto' } : undefined;
}

function checkCluster(r: ConfigReader, key: string, name: string, clusters: ClusterManager): void {
  if (!clusters.get(name)) {
    r.problems.error(r.at(key), `cluster "${name}" is not defined in cluster_manager.clusters; defined: ${clusters.names().join(', ') || '(none)'}`);
  }
}

/**
 * `hash_policy`: what LB_MAGLEV hashes. MOSN uses the first entry: `{"header": {"key": "x-user"}}`,
 * `{"http_cookie": {"name": "session"}}` (also `cookie`), or `{"source_ip": {}}`.
 */
function readHashPolicy(ra: ConfigReader): HashPolicy | undefined {
  const entries = ra.objects('hash_policy');
  let policy: HashPolicy | undefined;
  entries.forEach((e, i) => {
    let p: HashPolicy | undefined;
    const header = e.obj('header');
    const cookie = e.obj('http_cookie') ?? e.obj('cookie');
    const source = e.obj('source_ip');
    if (header) {
      const name = header.str('key', { required: true, nonEmpty: true });
      header.finish();
      if (name !== undefined) p = { kind: 'header', name };
    } else if (cookie) {
      const name = cookie.str('name', { required: true, nonEmpty: true });
      cookie.ignore(['path', 'ttl'], 'mosn-ts does not set the cookie; ignored');
      cookie.finish();
      if (name !== undefined) p = { kind: 'cookie', name };
    } else if (source) {
      source.finish();
      p = { kind: 'source_ip' };
    } else e.problems.error(e.path, 'expected one of "header", "http_cookie" or "source_ip"');
    e.finish();
    if (i === 0) policy = p;
    else e.problems.warn(e.path, 'only the first hash_policy entry is used, as in MOSN');
  });
  return policy;
}

/**
 * `metadata_match` of a route or a weighted cluster entry (MOSN's metadata format), with a warning when the
 * cluster it goes to has no subsets (MOSN then ignores it too).
 */
function readMetadataMatch(r: ConfigReader, clusterName: string | undefined, clusters: ClusterManager): MetadataMatch | undefined {
  const metadata = readMetadata(r, 'metadata_match');
  if (!metadata) return undefined;
  const target = clusterName === undefined ? undefined : clusters.get(clusterName);
  if (target && !target.config.lbSubset) {
    r.problems.warn(r.at('metadata_match'), `cluster "${clusterName}" has no lb_subset_config with subset_selectors: metadata_match has no effect, as in MOSN`);
  }
  return metadataMatch(metadata);
}

/**
 * `route`: `cluster_name` or `weighted_clusters` (`[{cluster: {name, weight}}]`), `timeout`, and
 * `upstream_protocol` (for every cluster of the route; `Auto`, `X` or empty: the proxy filter chooses).
 */
function readRouteAction(ra: ConfigReader, ctx: RouteCtx): RouteAction | undefined {
  const clusters = ctx.clusters;
  const timeoutMs = ra.duration('timeout', { numberUnit: 'ns' }) ?? DEFAULT_ROUTE_TIMEOUT_MS;
  const cluster = ra.str('cluster_name');
  const weighted: WeightedCluster[] = [];
  for (const w of ra.objects('weighted_clusters')) {
    const c = w.obj('cluster', { required: true });
    const name = c?.str('name', { required: true, nonEmpty: true });
    const weight = c?.num('weight', { required: true, min: 0 });
    if (c && name !== undefined) checkCluster(c, 'name', name, clusters);
    const match = c ? readMetadataMatch(c, name, clusters) : undefined;
    c?.finish();
    w.finish();
    if (name !== undefined && weight !== undefined && weight > 0) weighted.push({ name, weight, ...(match ? { metadataMatch: match } : {}) });
  }
  ra.num('total_cluster_weight', { min: 0 });
  const hashPolicy = readHashPolicy(ra);
  const retry = readRetryPolicy(ra);
  const rewrite = readPathRewrite(ra);
  const hostRewrite = readHostRewrite(ra);
  const match = readMetadataMatch(ra, cluster, clusters);
  ra.refuse(['request_mirror_policies', 'mirror_policy']);
  ra.refuse(['cluster_header', 'cluster_variable'], 'choosing the cluster from a header or variable is not supported by mosn-ts yet');
  const protocolText = ra.str('upstream_protocol') ?? '';
  const upstreamProtocol = isWildcardProtocol(protocolText) ? undefined : resolveProtocol(ra, 'upstream_protocol', protocolText, ctx.ext)?.name;
  ra.ignore(['metadata', 'upgrade_config']);
  // (readRoute reads the header-change keys and finishes `ra`)
  const options = { timeoutMs, ...(match ? { metadataMatch: match } : {}), ...(hashPolicy ? { hashPolicy } : {}), ...(retry ? { retry } : {}), ...(rewrite ? { rewrite } : {}), ...(hostRewrite ? { hostRewrite } : {}), ...(upstreamProtocol ? { upstreamProtocol } : {}) };
  if (cluster !== undefined) {
    if (weighted.length > 0) ra.problems.error(ra.at('weighted_clusters'), 'set either cluster_name or weighted_clusters, not both');
    checkCluster(ra, 'cluster_name', cluster, clusters);
    return { kind: 'cluster', cluster, ...options };
  }
  if (weighted.length > 0) {
    const totalWeight = weighted.reduce((n, w) => n + w.weight, 0);
    return { kind: 'weighted', clusters: weighted, totalWeight, ...options };
  }
  ra.problems.error(ra.at('cluster_name'), 'is required: expected the name of a cluster (or weighted_clusters)');
  return undefined;
}

interface ListenerCtx {
  ext: Extensions;
  clusters: ClusterManager;
  routers: RouterManager;
  stats: Stats;
  logger: Logger;
}

function readListener(l: ConfigReader, ctx: ListenerCtx): ListenerSpec | undefined {
  const networkText = l.str('network');
  const network = (networkText || 'tcp').toLowerCase();
  if (network === 'udp') l.problems.error(l.at('network'), 'UDP listeners are not supported by mosn-ts yet; supported: tcp, unix');
  else if (network !== 'tcp' && network !== 'unix') l.problems.error(l.at('network'), `unknown network "${networkText}"; known: tcp, unix`);
  const text = l.str('address', { required: true });
  let address: Address | undefined;
  if (text !== undefined) {
    address = network === 'unix' ? { path: text.replace(/^unix:/, '') } : parseAddress(text);
    if (!address) l.problems.error(l.at('address'), `expected "ip:port" (or a socket path with "network": "unix"), got "${text}"`);
  }
  // MOSN names a listener without a name after its address.
  const name = l.str('name') || (address ? formatAddress(address) : (text ?? ''));
  const bindPort = l.bool('bind_port') ?? true;
  if (bindPort === false) l.problems.error(l.at('bind_port'), 'listeners that do not bind (original-destination virtual listeners) are not supported by mosn-ts yet');
  const bufferLimit = l.num('per_connection_buffer_limit_bytes', { min: 0 }) ?? DEFAULT_BUFFER_LIMIT;
  const idleTimeoutMs = l.duration('connection_idle_timeout', { numberUnit: 'ns' }) ?? DEFAULT_IDLE_TIMEOUT_MS;

  const filterChain: NetworkFilterFactory[] = [];
  const chains = l.objects('filter_chains');
  if (chains.length > 1) l.problems.error(l.at('filter_chains'), 'more than one filter chain (chain matching) is not supported by mosn-ts yet');
  for (const fc of chains) {
    readTlsContext(fc, 'TLS is not supported by mosn-ts yet');
    fc.refuse(['tls_context_set'], 'TLS (tls_context_set) is not supported by mosn-ts yet');
    fc.ignore(['match'], NOT_USED_BY_MOSN);
    let terminal: string | undefined;
    for (const f of fc.objects('filters', { nonEmpty: true })) {
      const type = f.str('type', { required: true, nonEmpty: true });
      const extension = type === undefined ? undefined : ctx.ext.networkFilters.get(type);
      if (type === undefined) {
        // reported by str()
      } else if (RETIRED_NETWORK_FILTERS.has(type)) {
        f.problems.warn(f.at('type'), `"${type}" is a network filter MOSN retired (it installs nothing); mosn-ts treats it as a no-op. Routes belong in servers[].routers`);
      } else if (!extension) {
        f.problems.error(f.at('type'), `network filter "${type}" is not supported by mosn-ts yet; supported: ${ctx.ext.networkFilters.names().join(', ')}`);
      } else if (terminal !== undefined) {
        f.problems.error(
          f.at('type'),
          `"${type}" after "${terminal}" would never receive data: "${terminal}" ends the chain (passing unknown protocols on to the next filter, MOSN's fallback_for_unknown_protocol, is not supported by mosn-ts yet)`,
        );
      } else {
        if (TERMINAL_NETWORK_FILTERS.has(type)) terminal = type;
        const config = f.has('config') ? f.obj('config') : new ConfigReader({}, f.at('config'), f.problems);
        f.finish();
        if (!config) continue;
        let factory: NetworkFilterFactory | undefined;
        try {
          factory = extension.create(config, {
            clusters: ctx.clusters,
            routers: ctx.routers,
            extensions: ctx.ext,
            stats: ctx.stats,
            listenerName: name,
            logger: ctx.logger,
          });
        } catch (e) {
          f.problems.error(f.at('config'), `could not be read (a bug in mosn-ts's "${type}" filter, please report it): ${(e as Error).message}`);
        }
        if (factory) filterChain.push(factory);
        continue;
      }
      f.value('config');
      f.finish();
    }
    fc.finish();
  }
  if (chains.length === 0) l.problems.error(l.at('filter_chains'), 'is required: expected one filter chain with at least one filter');

  for (const sf of l.objects('stream_filters')) {
    const type = sf.str('type', { required: true, nonEmpty: true });
    if (type !== undefined && ctx.ext.retiredStreamFilters.has(type)) sf.problems.warn(sf.at('type'), `"${type}" is a stream filter MOSN retired; mosn-ts treats it as a no-op`);
    else if (type !== undefined) sf.problems.error(sf.at('type'), `stream filter "${type}" is not supported by mosn-ts yet`);
    sf.inert(['config', 'go_plugin_config']);
    sf.finish();
  }
  for (const lf of l.objects('listener_filters')) {
    const type = lf.str('type', { required: true, nonEmpty: true });
    if (type !== undefined) lf.problems.error(lf.at('type'), `listener filter "${type}" is not supported by mosn-ts yet`);
    lf.inert(['config']);
    lf.finish();
  }
  l.refuse(
    ['use_original_dst'],
    'original-destination listeners are not supported by mosn-ts: "redirect" needs the SO_ORIGINAL_DST socket option and "tproxy" needs IP_TRANSPARENT, neither of which Node can use without native code. An ORIGINAL_DST cluster reads the connection\'s local address without it (see docs/original-dst.md)',
  );
  l.ignore(['access_logs'], 'access logs are not supported by mosn-ts yet; ignored');
  l.ignore(['log_path', 'log_level'], NOT_USED_BY_MOSN);
  // TLS is refused, so there is no TLS to detect.
  l.inert(['inspector']);
  l.ignore(['type', 'reuseport', 'default_read_buffer_size', 'handoff_restoreddestination_connections', 'addr', 'bind_to_port']);
  l.finish();
  if (!address) return undefined;
  return { name, address, filterChain, bufferLimit, idleTimeoutMs };
}
