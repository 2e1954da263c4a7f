import { describe, expect, it } from 'vitest';
import { withHttp2Upstreams } from './route-upstream.js';

const router = (routes: unknown[]) => ({ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: routes }] });

describe('withHttp2Upstreams', () => {
  it('sets upstream_protocol Http2 on routes whose clusters all speak HTTP/2, and leaves the rest', () => {
    const routes = [
      { match: { prefix: '/a' }, route: { cluster_name: 'h2' } },
      { match: { prefix: '/b' }, route: { cluster_name: 'h1' } },
      { match: { prefix: '/c' }, route: { weighted_clusters: [{ cluster: { name: 'h2', weight: 1 } }, { cluster: { name: 'h1', weight: 1 } }] } },
      { match: { prefix: '/d' }, route: { cluster_name: 'h2', upstream_protocol: 'Http1' } },
      { match: { prefix: '/e' }, direct_response: { status: 200 } },
    ];
    const [out] = withHttp2Upstreams([router(routes)], new Set(['h2']));
    const got = (out!['virtual_hosts'] as any[])[0].routers.map((r: any) => r.route?.upstream_protocol);
    expect(got).toEqual(['Http2', undefined, undefined, 'Http1', undefined]);
    const same = router(routes);
    expect(withHttp2Upstreams([same], new Set(['other']))[0]).toBe(same);
  });
});
