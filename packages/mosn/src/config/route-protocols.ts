import type { ProtocolEntry, Route, VirtualHost } from '@mosn/proxy';
import type { ConfigProblems } from './config-reader.js';
import type { ProxyFilterSpec } from '../filters/proxy.js';
import type { ListenerSpec, RouterSpec } from './types.js';

/** A route that names an upstream protocol, with the JSON path of that name and the router it is in. */
export interface ProtocolRoute {
  route: Route;
  protocol: ProtocolEntry;
  at: string;
  router?: RouterSpec;
}

/** The virtual host RPC requests get (they have no host): as RouterConfig.virtualHost(''), a `""` domain, else `*`. */
function rpcVirtualHost(virtualHosts: readonly VirtualHost[]): VirtualHost | undefined {
  return virtualHosts.find((vh) => vh.domains.includes('')) ?? virtualHosts.find((vh) => vh.domains.includes('*'));
}

/**
 * What can be told at config time of a route's `upstream_protocol` (mosn-ts does not translate between
 * protocols: HTTP goes upstream as HTTP/1 or HTTP/2, an RPC request in its own protocol). Wrong when no
 * request that can reach the route could go upstream in it: an RPC protocol on a route only HTTP requests
 * can match (one with a path rule, or in a virtual host RPC requests never get), or on a listener none of
 * whose protocols that reach the route it can carry. Anything else (an `Auto` listener, a route both kinds
 * of request can match) is decided per request: a request the protocol cannot carry gets an error answer.
 */
export function checkRouteProtocols(routes: readonly ProtocolRoute[], listeners: readonly ListenerSpec[], problems: ConfigProblems): void {
  const carries = (up: ProtocolEntry, down: ProtocolEntry) => (down.kind === 'xprotocol' ? up === down : up.kind !== 'xprotocol');
  for (const { route, protocol, at, router } of routes) {
    if (!router) continue;
    const m = route.match;
    const byPath = m.prefix !== undefined || m.path !== undefined || m.regex !== undefined;
    const rpcVh = rpcVirtualHost(router.virtualHosts);
    const rpcCanMatch = !byPath && rpcVh !== undefined && rpcVh.routes.includes(route);
    if (protocol.kind === 'xprotocol' && !rpcCanMatch) {
      const why = byPath ? 'it matches on a path' : 'RPC requests get another virtual host';
      problems.error(at, `"${protocol.name}" is an RPC protocol, but only HTTP requests can match this route (${why}) and mosn-ts does not translate between protocols; expected "Http1", "Http2" or "Auto"`);
      continue;
    }
    for (const l of listeners) {
      for (const f of l.filters) {
        if (f.type !== 'proxy') continue;
        const spec = f.config as ProxyFilterSpec;
        if (spec.routerName !== router.name) continue;
        const reach = spec.downstream.filter((d) => d.kind !== 'xprotocol' || rpcCanMatch);
        if (reach.length === 0 || reach.some((d) => carries(protocol, d))) continue;
        problems.error(
          at,
          `"${protocol.name}" cannot carry the requests listener "${l.name}" sends to this route (${reach.map((d) => d.name).join(', ')}): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)`,
        );
      }
    }
  }
}
