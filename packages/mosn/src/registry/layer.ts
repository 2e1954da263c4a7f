import type { Provider } from '@mosn/registry-zookeeper';
import { findSection, type MosnSection, type SectionLayer } from '../runtime/config-edit.js';
import type { RegistryConfig } from './config.js';

/** MOSN dubbod's router: its routes `service == <interface>` are added here. */
export const DUBBO_ROUTER = 'dubbo';

/**
 * The registry's layer of Mosn's config, made from the file's config (`base`) at each apply:
 *
 * - one cluster per subscription, named as MOSN names it (the Dubbo interface; the Bolt service for SOFARPC), its
 *   `hosts` the providers seen. A cluster of that name in the file gives everything but the hosts (its `lb_type`,
 *   `lb_subset_config`, health checks, ...); else MOSN dubbod's cluster (SIMPLE, LB_RANDOM, 1024 requests per
 *   connection, 32 KiB buffers).
 * - the routes `service == <name>` → that cluster, appended to the router the subscription names (`dubbo` for
 *   Dubbo, as MOSN) in its virtual host for `*` (else its first): the file's router with the registry's routes
 *   added, or, when the file has none of that name, MOSN's empty router (one virtual host for `*`).
 */
export interface RegistryClusterPlan {
  readonly name: string;
  readonly providers: readonly Provider[];
  /** The route to add: `service == service` → this cluster, in router `router`. */
  readonly route?: { readonly router: string; readonly service: string };
}

/** MOSN's router for registry routes: one virtual host for every domain, no route yet (dubbod's initRouterManager). */
export function emptyRouter(name: string): MosnSection {
  return { router_config_name: name, virtual_hosts: [{ name, domains: ['*'], routers: [] }] };
}

/** The routers the registry adds routes to: `dubbo` for dubbo_registry (as MOSN), sofa_registry's `router`. */
export function registryRouterNames(config: RegistryConfig): string[] {
  return [...(config.dubbo ? [DUBBO_ROUTER] : []), ...(config.sofa?.router !== undefined ? [config.sofa.router] : [])];
}

/**
 * Add the registry's routers that the document lacks to `servers[0].routers`, in place, as MOSN's dubbod adds its
 * `dubbo` router when its config is parsed: listeners may name them before any service is subscribed.
 */
export function addRegistryRouters(doc: unknown, names: readonly string[]): void {
  const servers = (doc as { servers?: unknown } | null)?.servers;
  const server = Array.isArray(servers) ? (servers[0] as Record<string, unknown> | undefined) : undefined;
  if (server === null || typeof server !== 'object' || Array.isArray(server)) return;
  for (const name of names) {
    if (findSection(doc, 'router', name)) continue;
    const key = Object.keys(server).find((k) => k.toLowerCase() === 'routers') ?? 'routers';
    if (!Array.isArray(server[key])) server[key] = [];
    (server[key] as unknown[]).push(emptyRouter(name));
  }
}

/** MOSN dubbod's cluster for a discovered interface (notify.go). */
function defaultCluster(name: string): MosnSection {
  return { name, type: 'SIMPLE', lb_type: 'LB_RANDOM', max_request_per_conn: 1024, conn_buffer_limit_bytes: 32768 };
}

/** A provider as MOSN's host JSON, its URL's labels as subset-LB metadata (`mosn.lb`). */
export function providerHost(p: Provider): MosnSection {
  const labels: Record<string, string> = { protocol: p.protocol };
  if (p.version !== '') labels['version'] = p.version;
  if (p.group !== '') labels['group'] = p.group;
  if (p.uniqueId !== '') labels['uniqueId'] = p.uniqueId;
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  // MOSN clamps weights into 1..128; Dubbo's default is 100.
  const weight = Math.min(128, Math.max(1, Math.round(p.weight)));
  return { address: `${host}:${p.port}`, weight, metadata: { filter_metadata: { 'mosn.lb': labels } } };
}

/** The layer for these clusters over `base`; `routers` are made (empty) even without a route (MOSN's `dubbo`). */
export function registryLayer(base: unknown, clusters: readonly RegistryClusterPlan[], routers: readonly string[]): SectionLayer {
  const outClusters = clusters.map((c) => {
    const section = findSection(base, 'cluster', c.name) ?? defaultCluster(c.name);
    const hostsKey = Object.keys(section).find((k) => k.toLowerCase() === 'hosts') ?? 'hosts';
    // one host per address (a provider registered twice, or under two protocols, is one host)
    const byAddress = new Map<string, MosnSection>();
    for (const p of c.providers) {
      const h = providerHost(p);
      if (!byAddress.has(h['address'] as string)) byAddress.set(h['address'] as string, h);
    }
    return { ...section, [hostsKey]: [...byAddress.values()].sort((a, b) => String(a['address']).localeCompare(String(b['address']))) };
  });
  const routerNames = new Set(routers);
  for (const c of clusters) if (c.route) routerNames.add(c.route.router);
  const outRouters = [...routerNames].sort().map((name) => {
    const router = findSection(base, 'router', name) ?? emptyRouter(name);
    const vhosts = (Array.isArray(router['virtual_hosts']) ? router['virtual_hosts'] : (router['virtual_hosts'] = [{ name, domains: ['*'], routers: [] }])) as MosnSection[];
    if (vhosts.length === 0) vhosts.push({ name, domains: ['*'], routers: [] });
    const vhost = vhosts.find((v) => Array.isArray(v['domains']) && (v['domains'] as unknown[]).includes('*')) ?? vhosts[0]!;
    const routes = (Array.isArray(vhost['routers']) ? vhost['routers'] : (vhost['routers'] = [])) as MosnSection[];
    for (const c of clusters) {
      if (c.route?.router !== name) continue;
      if (routes.some((r) => routesService(r, c.route!.service))) continue; // the file routes it already
      routes.push({ match: { headers: [{ name: 'service', value: c.route.service }] }, route: { cluster_name: c.name } });
    }
    return router;
  });
  return { listeners: [], routers: outRouters, clusters: outClusters };
}

/** Whether a route matches exactly `service == value` (and nothing else). */
function routesService(route: MosnSection, value: string): boolean {
  const match = route['match'] as { headers?: unknown } | undefined;
  const headers = match?.headers;
  if (!Array.isArray(headers) || headers.length !== 1) return false;
  const h = headers[0] as { name?: unknown; value?: unknown; regex?: unknown };
  return h.name === 'service' && h.value === value && !h.regex;
}
