import { describe, expect, it } from 'vitest';
import { defaultExtensions } from '../extensions.js';
import type { RouteContext } from './route.js';
import { readRouter } from './router.js';
import { clusterSpecs, readSection } from './testing.js';

const ext = defaultExtensions();
const clusters = clusterSpecs(ext, [{ name: 'c', hosts: [] }]);
const R = 'servers[0].routers[0]';
const route = (prefix: string, more: Record<string, unknown> = {}) => ({ match: { prefix }, route: { cluster_name: 'c', ...more } });
function read(router: Record<string, unknown>, defined: string[] = []) {
  const ctx: RouteContext = { clusters, ext, protocolRoutes: [] };
  return { ...readSection(router, R, (r) => readRouter(r, ctx, new Set(defined))), protocolRoutes: ctx.protocolRoutes };
}

describe('readRouter', () => {
  it('reads virtual hosts (domains default to *), their routes and header changes at both levels, and keeps the source', () => {
    const source = {
      router_config_name: 'r',
      response_headers_to_add: [{ header: { key: 'x-r', value: '1' } }],
      virtual_hosts: [
        { name: 'a', domains: ['a.example'], routers: [route('/a')], request_headers_to_remove: ['x'] },
        { name: 'any', routers: [route('/')] },
      ],
    };
    const { result, errors, warnings } = read(source);
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      name: 'r',
      source,
      responseHeaders: { add: [{ name: 'x-r', value: '1', append: true }], remove: [] },
      virtualHosts: [
        { name: 'a', domains: ['a.example'], routes: [{ match: { prefix: '/a', headers: [] }, action: { kind: 'cluster', cluster: 'c', timeoutMs: 60_000 } }], requestHeaders: { add: [], remove: ['x'] } },
        { name: 'any', domains: ['*'], routes: [{ match: { prefix: '/', headers: [] }, action: { kind: 'cluster', cluster: 'c', timeoutMs: 60_000 } }] },
      ],
    });
    expect(result?.source).toBe(source);
  });

  it('gives its routes with an upstream_protocol the router', () => {
    const { result, protocolRoutes } = read({ router_config_name: 'r', virtual_hosts: [{ routers: [route('/', { upstream_protocol: 'Http2' })] }] });
    expect(protocolRoutes.map((p) => [p.router, p.at])).toEqual([[result, `${R}.virtual_hosts[0].routers[0].route.upstream_protocol`]]);
  });

  it('reports a missing or duplicate name, and refuses router_configs', () => {
    const nameless = read({ virtual_hosts: [{ routers: [route('/', { upstream_protocol: 'Http2' })] }] });
    expect(nameless.result).toBeUndefined();
    expect(nameless.errors).toEqual([`${R}.router_config_name: is required: expected a string`]);
    expect(nameless.protocolRoutes[0]?.router).toBeUndefined();
    expect(read({ router_config_name: 'r' }, ['r']).errors).toEqual([`${R}.router_config_name: duplicate router_config_name "r"`]);
    expect(read({ router_config_name: 'r', router_configs: '/etc/routers' }).errors).toEqual([
      `${R}.router_configs: loading virtual hosts from a directory is not supported by mosn-ts yet; list them in virtual_hosts`,
    ]);
  });

  it('warns about virtual host keys it does not act on', () => {
    expect(read({ router_config_name: 'r', virtual_hosts: [{ require_tls: 'ALL', virtual_clusters: [{}], per_filter_config: { a: {} } }] }).warnings).toEqual([
      `${R}.virtual_hosts[0].per_filter_config: a virtual host's per_filter_config is read by no MOSN stream filter (a route's is); ignored`,
      `${R}.virtual_hosts[0].virtual_clusters: not supported by mosn-ts yet; ignored`,
    ]);
  });
});
