/**
 * Provider nodes as the real clients write them:
 *
 * - Dubbo (Apache Dubbo, dubbo-go, apache-dubbo-service): `/dubbo/<interface>/providers/<encodeURIComponent(url)>`,
 *   the URL `dubbo://ip:port/<interface>?interface=..&version=..&group=..&weight=..&methods=..&side=provider&...`.
 * - SOFARPC (sofa-rpc-node's ZookeeperRegistry, SOFARPC Java): `/sofa-rpc/<interface>/providers/<encoded url>`, the
 *   URL `bolt://ip:port?interface=..&version=..&group=..&uniqueId=..&weight=100&protocol=bolt&...` (no path).
 */

export type RegistryLayout = 'dubbo' | 'sofa';

/** The root of each layout, as the real clients use by default. */
export const LAYOUT_ROOT: Readonly<Record<RegistryLayout, string>> = { dubbo: '/dubbo', sofa: '/sofa-rpc' };

/** The folder of an interface's providers: `/dubbo/<interface>/providers`. */
export function providersPath(layout: RegistryLayout, iface: string, root = LAYOUT_ROOT[layout]): string {
  return `${root}/${iface}/providers`;
}

/** The folder of an interface's consumers: `/dubbo/<interface>/consumers`. */
export function consumersPath(layout: RegistryLayout, iface: string, root = LAYOUT_ROOT[layout]): string {
  return `${root}/${iface}/consumers`;
}

/** One provider, from its URL. */
export interface Provider {
  /** The URL's scheme: `dubbo`, `bolt`, ... */
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** `interface` parameter, else the URL's path. */
  readonly interface: string;
  /** `version` (or `default.version`); empty when absent. */
  readonly version: string;
  /** `group` (or `default.group`); empty when absent. */
  readonly group: string;
  /** `weight` (or `default.weight`); Dubbo's default 100. */
  readonly weight: number;
  /** SOFARPC's `uniqueId`; empty when absent. */
  readonly uniqueId: string;
  /** Every query parameter. */
  readonly params: Readonly<Record<string, string>>;
  /** The URL, decoded. */
  readonly url: string;
}

/** A provider node's name (URL-encoded, or already decoded) as a provider; undefined when it is not a provider URL. */
export function parseProvider(node: string): Provider | undefined {
  let text = node;
  if (!text.includes('://')) {
    try {
      text = decodeURIComponent(node);
    } catch {
      return undefined;
    }
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const protocol = url.protocol.replace(/:$/, '');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port);
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const pick = (k: string) => params[k] ?? params[`default.${k}`] ?? '';
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const weightText = pick('weight');
  const weight = weightText === '' ? 100 : Number(weightText);
  return {
    protocol,
    host,
    port,
    interface: params['interface'] || path,
    version: pick('version'),
    group: pick('group'),
    weight: Number.isFinite(weight) ? weight : 100,
    uniqueId: params['uniqueId'] ?? '',
    params,
    url: text,
  };
}

/** What a subscription asks of its providers: empty or `*` matches any. */
export interface ProviderFilter {
  readonly interface: string;
  readonly version?: string | undefined;
  readonly group?: string | undefined;
  /** Only providers of this URL scheme (`dubbo`, `bolt`); any when absent. */
  readonly protocol?: string | undefined;
}

/**
 * Whether a provider serves a subscription, as the clients decide: the same interface, a `providers` category,
 * not `enabled=false`, and the version and group asked for (none asked, or `*`: any; else exactly that one).
 */
export function providerMatches(p: Provider, f: ProviderFilter): boolean {
  if (p.interface !== '' && p.interface !== f.interface) return false;
  const category = p.params['category'];
  if (category && category !== 'providers') return false;
  if (p.params['enabled'] === 'false') return false;
  if (f.protocol && p.protocol !== f.protocol) return false;
  const same = (want: string | undefined, have: string) => !want || want === '*' || want === have;
  return same(f.version, p.version) && same(f.group, p.group);
}

/** A Dubbo provider URL as Dubbo's registries write it (parameters sorted, as Dubbo does). */
export function dubboProviderUrl(o: { host: string; port: number; interface: string; version?: string; group?: string; methods?: readonly string[]; application?: string; weight?: number }): string {
  const params = new URLSearchParams();
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') params.set(k, v);
  };
  set('anyhost', 'false');
  set('application', o.application);
  set('category', 'providers');
  set('dubbo', '2.0.2');
  set('dynamic', 'true');
  set('group', o.group);
  set('interface', o.interface);
  set('methods', o.methods?.join(','));
  set('pid', String(process.pid));
  set('protocol', 'dubbo');
  set('side', 'provider');
  set('timestamp', String(Date.now()));
  set('version', o.version);
  if (o.weight !== undefined) set('weight', String(o.weight));
  params.sort();
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return `dubbo://${host}:${o.port}/${o.interface}?${params.toString()}`;
}

/** A SOFARPC provider URL as sofa-rpc-node's server publishes it (`bolt://ip:port?...`, no path). */
export function sofaProviderUrl(o: { host: string; port: number; interface: string; version: string; uniqueId?: string; group?: string; protocol?: string; serialization?: string; appName?: string; weight?: number }): string {
  const params = new URLSearchParams({
    startTime: String(Date.now()),
    pid: String(process.pid),
    uniqueId: o.uniqueId ?? '',
    dynamic: 'true',
    appName: o.appName ?? '',
    serialization: o.serialization ?? 'hessian2',
    weight: String(o.weight ?? 100),
    protocol: o.protocol ?? 'bolt',
    interface: o.interface,
    version: o.version,
    group: o.group ?? 'SOFA',
  });
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return `${o.protocol ?? 'bolt'}://${host}:${o.port}?${params.toString()}`;
}

/** A provider node's name: the URL, encoded as the clients encode it. */
export function providerNode(url: string): string {
  return encodeURIComponent(url);
}
