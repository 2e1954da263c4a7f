import { ConvertContext, ConvertProblems, convertCluster, convertListener, convertRouteConfiguration, withHttp2Upstreams, type MosnJson, type XdsSections } from '@mosn/xds';
import type { ConfigProblems } from '../config/config-reader.js';
import type { XdsBootstrap } from './bootstrap.js';

/**
 * The bootstrap's `static_resources` (Envoy clusters and listeners) converted to MOSN's JSON sections, as xDS
 * resources are: they serve beside the dynamic ones and xDS may not replace them. Problems go to `problems` under
 * `static_resources`. A static cluster of type EDS, or a static listener that takes its routes by RDS, would need
 * the control plane before it could serve: refused (give its endpoints or routes inline).
 */
export function convertStaticResources(bootstrap: XdsBootstrap, problems: ConfigProblems): { sections: XdsSections; http2Clusters: ReadonlySet<string> } {
  const http2Clusters = new Set<string>();
  const found = new ConvertProblems();
  const clusters: MosnJson[] = [];
  for (const c of bootstrap.staticClusters) {
    const ctx = new ConvertContext(found, `static_resources.clusters[${JSON.stringify(c['name'] ?? '')}]`);
    const converted = convertCluster(c, ctx);
    if (converted?.eds) ctx.error('a static cluster of type EDS is not supported by mosn-ts: give its endpoints in load_assignment');
    else if (converted) {
      clusters.push(converted.cluster);
      if (converted.http2) http2Clusters.add(String(converted.cluster['name']));
    }
  }
  const listeners: MosnJson[] = [];
  const routers: MosnJson[] = [];
  for (const l of bootstrap.staticListeners) {
    const ctx = new ConvertContext(found, `static_resources.listeners[${JSON.stringify(l['name'] ?? '')}]`);
    const converted = convertListener(l, ctx);
    if (!converted) continue;
    listeners.push(converted.listener);
    for (const route of converted.routes) {
      if (route.kind === 'rds') ctx.error(`route configuration "${route.name}" by RDS: a static listener must have its routes inline (route_config) in mosn-ts`);
      else {
        const router = convertRouteConfiguration(route.routeConfiguration, ctx, { name: route.name });
        if (router) routers.push({ ...router, router_config_name: route.name });
      }
    }
  }
  for (const e of found.errors) problems.error(e.path, e.message);
  for (const w of found.warnings) problems.warn(w.path, w.message);
  return { sections: { clusters, listeners, routers: withHttp2Upstreams(routers, http2Clusters) }, http2Clusters };
}
