import { packAny } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { closedPort } from '../helpers.js';
import { startMosnProcess, type MosnProcess } from '../reload/support.js';

// Shared harness of the xDS tests: Envoy v3 resources as plain objects (the test control plane packs them), a
// MOSN bootstrap naming the control plane, and mosn as its own process under it.

export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

const socket = (address: string) => {
  const i = address.lastIndexOf(':');
  return { socket_address: { address: address.slice(0, i), port_value: Number(address.slice(i + 1)) } };
};

/** An Envoy Listener on 127.0.0.1:`port` whose HttpConnectionManager takes its routes by RDS (`route`). */
export function httpListener(name: string, port: number, route: string, codec: 'AUTO' | 'HTTP1' | 'HTTP2' = 'AUTO'): Record<string, unknown> {
  return {
    name,
    address: socket(`127.0.0.1:${port}`),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: packAny(HCM_TYPE, {
              stat_prefix: name,
              codec_type: codec,
              rds: { route_config_name: route, config_source: { ads: {} } },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: packAny(ROUTER_TYPE, {}) }],
            }),
          },
        ],
      },
    ],
  };
}

/** A RouteConfiguration of one virtual host (every domain): each `[prefix, cluster]` a route. */
export function routeConfig(name: string, routes: Array<[string, string]>): Record<string, unknown> {
  return {
    name,
    virtual_hosts: [{ name: `${name}-vh`, domains: ['*'], routes: routes.map(([prefix, cluster]) => ({ match: { prefix }, route: { cluster } })) }],
  };
}

/** An EDS cluster (its endpoints by ADS). */
export function edsCluster(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, connect_timeout: { seconds: 1 }, lb_policy: 'ROUND_ROBIN', ...extra };
}

/** A ClusterLoadAssignment: the addresses ("ip:port") in one locality, all healthy. */
export function endpoints(cluster: string, addresses: string[]): Record<string, unknown> {
  return { cluster_name: cluster, endpoints: [{ lb_endpoints: addresses.map((a) => ({ endpoint: { address: socket(a) }, health_status: 'HEALTHY' })) }] };
}

/** MOSN's bootstrap naming the control plane (`xds-grpc`, a static cluster), with the admin API and no servers. */
export function bootstrapConfig(cp: TestControlPlane, admin: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    node: { id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app' },
    dynamic_resources: {
      lds_config: { ads: {} },
      cds_config: { ads: {} },
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
    },
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(cp.address) } }] }] },
          http2_protocol_options: {},
        },
      ],
    },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } },
    ...extra,
  };
}

/** mosn as its own process under the control plane (logs at INFO). */
export async function startXdsMosn(cp: TestControlPlane, cleanups: Array<() => unknown>, extra: Record<string, unknown> = {}): Promise<MosnProcess> {
  return startMosnProcess(bootstrapConfig(cp, await closedPort(), extra), cleanups);
}

export const TYPED_STRUCT_TYPE = 'type.googleapis.com/xds.type.v3.TypedStruct';

/** A google.protobuf.Struct (as the encoder takes it) of a flat JSON object of strings. */
function struct(o: Record<string, string>): Record<string, unknown> {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { stringValue: v }])) };
}

/** A Listener whose one network filter is MOSN's `proxy` (a mosn-ts extension: a TypedStruct), e.g. for Bolt. */
export function mosnProxyListener(name: string, port: number, protocol: string, route: string): Record<string, unknown> {
  return {
    name,
    address: socket(`127.0.0.1:${port}`),
    filter_chains: [
      {
        filters: [
          {
            name: 'proxy',
            typed_config: packAny(TYPED_STRUCT_TYPE, { type_url: 'mosn.io/proxy', value: struct({ downstream_protocol: protocol, router_config_name: route }) }),
          },
        ],
      },
    ],
  };
}

/** A RouteConfiguration sending every RPC of `service` (the Bolt/Dubbo `service` header) to `cluster`. */
export function serviceRoutes(name: string, service: string, cluster: string): Record<string, unknown> {
  return {
    name,
    virtual_hosts: [{ name: `${name}-vh`, domains: ['*'], routes: [{ match: { prefix: '', headers: [{ name: 'service', string_match: { exact: service } }] }, route: { cluster } }] }],
  };
}
