import { parseProvider, type Provider } from '@mosn/registry-zookeeper';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../config/read-config.js';
import { defaultExtensions } from '../extensions.js';
import { withLayers } from '../runtime/config-edit.js';
import { registryLayer } from './layer.js';

const p = (url: string): Provider => parseProvider(encodeURIComponent(url))!;
const A = p('dubbo://127.0.0.1:20880/a.B?interface=a.B&version=1.0.0&group=g1&weight=300&side=provider');
const B = p('dubbo://127.0.0.1:20881/a.B?interface=a.B&side=provider');

const base = {
  servers: [
    {
      routers: [{ router_config_name: 'dubbo', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: 'file.S' }] }, route: { cluster_name: 'file' } }] }] }],
      listeners: [{ name: 'in', address: '127.0.0.1:0', filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'dubbo', router_config_name: 'dubbo' } }] }] }],
    },
  ],
  cluster_manager: { clusters: [{ name: 'file', type: 'SIMPLE', hosts: [{ address: '127.0.0.1:1' }] }, { name: 'x.Y', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [] }] },
};

describe('registryLayer', () => {
  it("makes MOSN dubbod's cluster per interface, hosts with their labels as subset metadata, and adds the route to the file's dubbo router", () => {
    const layer = registryLayer(base, [{ name: 'a.B', providers: [B, A], route: { router: 'dubbo', service: 'a.B' } }], ['dubbo']);
    expect(layer.clusters).toEqual([
      {
        name: 'a.B',
        type: 'SIMPLE',
        lb_type: 'LB_RANDOM',
        max_request_per_conn: 1024,
        conn_buffer_limit_bytes: 32768,
        hosts: [
          { address: '127.0.0.1:20880', weight: 128, metadata: { filter_metadata: { 'mosn.lb': { protocol: 'dubbo', version: '1.0.0', group: 'g1' } } } },
          { address: '127.0.0.1:20881', weight: 100, metadata: { filter_metadata: { 'mosn.lb': { protocol: 'dubbo' } } } },
        ],
      },
    ]);
    const routes = (layer.routers[0] as any).virtual_hosts[0].routers;
    expect(routes.map((r: any) => r.route.cluster_name)).toEqual(['file', 'a.B']);
    // the base is not changed
    expect(base.servers[0]!.routers[0]!.virtual_hosts[0]!.routers).toHaveLength(1);
    // and the whole reads without a problem
    const { problems } = readConfig(withLayers(base, [layer]), defaultExtensions());
    expect([problems.errors, problems.warnings]).toEqual([[], []]);
  });

  it("a cluster of the file's, named by the interface, keeps its settings and gets the hosts; no dubbo router in the file: MOSN's empty one", () => {
    const noRouter = { ...base, servers: [{ ...base.servers[0]!, routers: [], listeners: [] }] };
    const layer = registryLayer(noRouter, [{ name: 'x.Y', providers: [B], route: { router: 'dubbo', service: 'x.Y' } }], ['dubbo']);
    expect(layer.clusters[0]).toMatchObject({ name: 'x.Y', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: '127.0.0.1:20881' }] });
    expect(layer.routers).toEqual([
      { router_config_name: 'dubbo', virtual_hosts: [{ name: 'dubbo', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: 'x.Y' }] }, route: { cluster_name: 'x.Y' } }] }] },
    ]);
  });
});
