import type { MosnJson } from './context.js';

/**
 * Envoy says HTTP/2 to a cluster on the cluster (`http2_protocol_options`); MOSN says it on the route
 * (`upstream_protocol`). The routers with `upstream_protocol: "Http2"` set on each route whose clusters all speak
 * HTTP/2 (and that names no protocol itself). Routers without such a route are returned as they are.
 */
export function withHttp2Upstreams(routers: readonly MosnJson[], http2: ReadonlySet<string>): MosnJson[] {
  if (http2.size === 0) return [...routers];
  return routers.map((router) => {
    let changed = false;
    const virtualHosts = (router['virtual_hosts'] as MosnJson[] | undefined)?.map((vh) => ({
      ...vh,
      routers: (vh['routers'] as MosnJson[] | undefined)?.map((r) => {
        const action = r['route'] as MosnJson | undefined;
        if (!action || action['upstream_protocol'] !== undefined || !clustersOf(action).every((c) => http2.has(c)) || clustersOf(action).length === 0) return r;
        changed = true;
        return { ...r, route: { ...action, upstream_protocol: 'Http2' } };
      }),
    }));
    return changed ? { ...router, virtual_hosts: virtualHosts } : router;
  });
}

function clustersOf(action: MosnJson): string[] {
  if (typeof action['cluster_name'] === 'string') return [action['cluster_name']];
  const weighted = action['weighted_clusters'] as Array<{ cluster?: { name?: string } }> | undefined;
  return (weighted ?? []).map((w) => w.cluster?.name ?? '');
}
