import { networkInterfaces } from 'node:os';
import type { ConfigProblems } from '../config/config-reader.js';
import { ConfigReader } from '../config/config-reader.js';

/**
 * The service registry's config, from MOSN's `extends[]`:
 *
 * - `{"type": "dubbo_registry", "config": {...}}`: MOSN's dubbod (Dubbo over ZooKeeper): its HTTP API for the app
 *   (`/sub`, `/unsub`, `/pub`, `/unpub`), plus mosn-ts keys (`api_address`, `publish_ip`, `session_timeout`,
 *   `subscriptions`);
 * - `{"type": "sofa_registry", "config": {...}}` (a mosn-ts type): SOFARPC services subscribed from ZooKeeper
 *   (`/sofa-rpc/<interface>/providers`), as sofa-rpc-node's ZookeeperRegistry writes them.
 */
export interface RegistryConfig {
  readonly dubbo?: DubboRegistryConfig;
  readonly sofa?: SofaRegistryConfig;
  /** How long a burst of registry events is gathered into one apply. */
  readonly debounceMs: number;
  readonly sessionTimeoutMs: number;
}

export interface DubboRegistryConfig {
  /** `server_port`: the port of mosn's ingress listener, published by `/pub`. */
  readonly serverPort: number;
  /** Where the HTTP API listens: `api_address` (default 127.0.0.1) and `api_port` (default 22222, as MOSN). */
  readonly api: { readonly host: string; readonly port: number };
  /** The IP `/pub` publishes: `publish_ip`, else the machine's first non-loopback IPv4 (as MOSN). */
  readonly publishIp: string;
  /** Subscriptions made at start, each as the body of a `/sub`. */
  readonly subscriptions: readonly DubboSubscription[];
}

/** A `/sub` (or `/unsub`) body, read. */
export interface DubboSubscription {
  readonly registry: RegistryAddress;
  readonly interface: string;
  readonly version: string;
  readonly group: string;
  readonly methods: readonly string[];
}

/** A `/pub` (or `/unpub`) body, read. */
export type DubboPublication = DubboSubscription;

export interface RegistryAddress {
  /** `host:port` (ZooKeeper's connection string: several separated by commas). */
  readonly addr: string;
  readonly username: string;
  readonly password: string;
}

export interface SofaRegistryConfig {
  readonly registry: RegistryAddress;
  /** ZooKeeper's root of SOFARPC services (default `/sofa-rpc`). */
  readonly root: string;
  /** A router to add the routes `service == <service>` to (made when the file has none); none: the file routes. */
  readonly router?: string;
  readonly subscriptions: readonly SofaSubscription[];
  /** SOFA's mesh registry API for the app (`api_port` set): where it listens, and what `/services/publish` publishes. */
  readonly api?: { readonly host: string; readonly port: number; readonly serverPort: number | undefined; readonly publishIp: string };
}

export interface SofaSubscription {
  /** The Bolt `service` header value (`interface:version`, or `interface:version:uniqueId`): the cluster's name. */
  readonly service: string;
  readonly interface: string;
  readonly version: string;
  readonly uniqueId: string;
  readonly group: string;
}

const DEFAULT_API_PORT = 22222;
const DEFAULT_DEBOUNCE_MS = 50;
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/** The type names `extends[]` may use. */
export const REGISTRY_EXTENSIONS = ['dubbo_registry', 'sofa_registry'] as const;

/** Read `extends[i].config` of a registry type into `into`; `type` is one of REGISTRY_EXTENSIONS. */
export function readRegistryExtension(type: string, c: ConfigReader, into: { dubbo?: DubboRegistryConfig; sofa?: SofaRegistryConfig; debounceMs?: number; sessionTimeoutMs?: number }): void {
  const enable = type === 'dubbo_registry' ? (c.bool('enable') ?? false) : (c.bool('enable') ?? true);
  const debounce = c.duration('debounce');
  const session = c.duration('session_timeout');
  if (debounce !== undefined) into.debounceMs = debounce;
  if (session !== undefined) into.sessionTimeoutMs = session;
  if (type === 'dubbo_registry') {
    const serverPort = c.num('server_port', { min: 1, max: 65535, required: enable });
    // MOSN: a port outside 1..65534 (or none) is its default 22222
    const apiPort = c.num('api_port', { min: 0, max: 65535 });
    const host = c.str('api_address', { nonEmpty: true }) ?? '127.0.0.1';
    const publishIp = c.str('publish_ip', { nonEmpty: true });
    c.ignore(['log_path'], "ignored: the registry logs to mosn's own log");
    const subscriptions = c.arr('subscriptions').flatMap((e) => {
      const r = ConfigReader.of(e.value, e.path, c.problems);
      const s = r ? readDubboService(r, 'sub') : undefined;
      return s ? [s] : [];
    });
    c.finish();
    if (!enable || serverPort === undefined) {
      if (!enable) c.problems.warn(c.at('enable'), 'the dubbo registry is off (MOSN starts it only with "enable": true)');
      return;
    }
    into.dubbo = { serverPort, api: { host, port: apiPort === undefined || apiPort === 0 || apiPort === 65535 ? DEFAULT_API_PORT : apiPort }, publishIp: publishIp ?? machineIp(), subscriptions };
    return;
  }
  const registry = readRegistryAddress(c, 'registry', true);
  const root = c.str('root', { nonEmpty: true }) ?? '/sofa-rpc';
  const apiPort = c.num('api_port', { min: 1, max: 65535 });
  const apiHost = c.str('api_address', { nonEmpty: true }) ?? '127.0.0.1';
  const serverPort = c.num('server_port', { min: 1, max: 65535 });
  const sofaPublishIp = c.str('publish_ip', { nonEmpty: true });
  const router = c.str('router', { nonEmpty: true });
  const subscriptions: SofaSubscription[] = [];
  for (const s of c.objects('subscriptions')) {
    const service = s.str('service', { required: true, nonEmpty: true });
    const group = s.str('group') ?? '';
    s.finish();
    if (service === undefined) continue;
    const sub = sofaService(service, group);
    if (!sub) {
      s.problems.error(s.at('service'), `expected the Bolt service name "interface:version" (sofa-rpc's service id), got "${service}"`);
      continue;
    }
    subscriptions.push(sub);
  }
  c.finish();
  if (!enable || !registry) return;
  const api = apiPort === undefined ? undefined : { host: apiHost, port: apiPort, serverPort, publishIp: sofaPublishIp ?? machineIp() };
  into.sofa = { registry, root: root.replace(/\/+$/, ''), ...(router !== undefined ? { router } : {}), subscriptions, ...(api ? { api } : {}) };
}

/** A SOFARPC service name (`interface:version[:uniqueId]`, sofa-rpc's unique name) read; undefined when it is not one. */
export function sofaService(service: string, group: string): SofaSubscription | undefined {
  const [iface = '', version = '', uniqueId = '', ...more] = service.split(':');
  if (iface === '' || version === '' || more.length > 0) return undefined;
  return { service, interface: iface, version, uniqueId, group };
}

/** Fill in the defaults. */
export function registryConfig(parts: { dubbo?: DubboRegistryConfig; sofa?: SofaRegistryConfig; debounceMs?: number; sessionTimeoutMs?: number }): RegistryConfig | undefined {
  if (!parts.dubbo && !parts.sofa) return undefined;
  return {
    ...(parts.dubbo ? { dubbo: parts.dubbo } : {}),
    ...(parts.sofa ? { sofa: parts.sofa } : {}),
    debounceMs: parts.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    sessionTimeoutMs: parts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
  };
}

/**
 * A `/sub`, `/unsub`, `/pub` or `/unpub` body (MOSN's `subReq`/`pubReq`): `registry.type` must be `zookeeper`,
 * `registry.addr` `host:port`, `service.interface` and `service.methods` are required (as MOSN's binding tags say);
 * `service.version` is read for `/sub` too (MOSN ignores it there: see compat.md).
 */
export function readDubboService(r: ConfigReader, _kind: 'sub' | 'pub'): DubboSubscription | undefined {
  const errors = r.problems.errors.length;
  const registry = readRegistryAddress(r, 'registry', true);
  const s = r.obj('service', { required: true });
  const iface = s?.str('interface', { required: true, nonEmpty: true });
  if (s && s.value('methods') === undefined) r.problems.error(s.at('methods'), 'is required: expected an array of method names');
  const methods = s?.has('methods') ? s.strings('methods') : [];
  const group = s?.str('group') ?? '';
  const version = s?.str('version') ?? '';
  s?.finish();
  r.finish();
  if (r.problems.errors.length > errors || !registry || iface === undefined) return undefined;
  return { registry, interface: iface, version, group, methods };
}

function readRegistryAddress(c: ConfigReader, key: string, required: boolean): RegistryAddress | undefined {
  const r = c.obj(key, { required });
  if (!r) return undefined;
  const type = r.str('type', { required: true });
  if (type !== undefined && type !== 'zookeeper') r.problems.error(r.at('type'), `"${type}" is not a registry mosn-ts speaks: only "zookeeper"`);
  const addr = r.str('addr', { required: true, nonEmpty: true });
  if (addr !== undefined && !addr.split(',').every(isHostPort)) r.problems.error(r.at('addr'), `expected "host:port" (several separated by commas), got "${addr}"`);
  const username = r.str('username') ?? '';
  const password = r.str('password') ?? '';
  r.finish();
  if (type !== 'zookeeper' || addr === undefined || !addr.split(',').every(isHostPort)) return undefined;
  return { addr, username, password };
}

function isHostPort(s: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})(\/.*)?$/.exec(s.trim());
  return m !== null && Number(m[2]) > 0 && Number(m[2]) <= 65535;
}

/** The machine's first non-internal IPv4 address (MOSN's trace.GetIp), else 127.0.0.1. */
function machineIp(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export type { ConfigProblems };
