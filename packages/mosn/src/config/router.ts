import type { Route, VirtualHost } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';
import { readHeaderChanges } from './header-edits.js';
import { readRoute, type RouteContext } from './route.js';
import type { RouterSpec } from './types.js';

/**
 * One router of `servers[0].routers[]`: `router_config_name`, `virtual_hosts` (`name`, `domains`, `routers`) and
 * header changes at both levels. `defined` are the router names read before it. The routes of a router that has a
 * name are noted, with it, in `ctx.protocolRoutes`.
 */
export function readRouter(r: ConfigReader, ctx: RouteContext, defined: ReadonlySet<string>): RouterSpec | undefined {
  const name = r.str('router_config_name', { required: true, nonEmpty: true });
  if (name !== undefined && defined.has(name)) r.problems.error(r.at('router_config_name'), `duplicate router_config_name "${name}"`);
  const firstProtocolRoute = ctx.protocolRoutes.length;
  const virtualHosts = r.objects('virtual_hosts').map((v) => readVirtualHost(v, ctx));
  const changes = readHeaderChanges(r);
  r.refuse(['router_configs'], 'loading virtual hosts from a directory is not supported by mosn-ts yet; list them in virtual_hosts');
  r.finish();
  if (name === undefined) return undefined;
  const router: RouterSpec = { name, source: r.raw, virtualHosts, ...changes };
  for (const p of ctx.protocolRoutes.slice(firstProtocolRoute)) p.router = router;
  return router;
}

function readVirtualHost(v: ConfigReader, ctx: RouteContext): VirtualHost {
  const name = v.str('name') ?? '';
  const domains = v.has('domains') ? v.strings('domains') : ['*'];
  const routes: Route[] = [];
  for (const rt of v.objects('routers')) {
    const route = readRoute(rt, ctx);
    if (route) routes.push(route);
  }
  const changes = readHeaderChanges(v);
  v.inert(['require_tls']); // "not used yet" in MOSN
  v.ignore(['per_filter_config'], "a virtual host's per_filter_config is read by no MOSN stream filter (a route's is); ignored");
  v.ignore(['virtual_clusters']);
  v.finish();
  return { name, domains, routes, ...changes };
}
