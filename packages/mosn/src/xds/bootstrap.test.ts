import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unpackAny, type AnyMessage, type Message } from '@mosn/xds';
import { ConfigProblems } from '../config/config-reader.js';
import { problemLines } from '../config/testing.js';
import { readPodLabels, readXdsBootstrap, type XdsBootstrap } from './bootstrap.js';
import type { XdsFlags } from './flags.js';

// MOSN's example configs: the copy in the repo first (a clean clone tests on its own), then the shared folder.
const CORPUS = [new URL('../../../../fixtures/mosn-configs/', import.meta.url), new URL('../../../../../shared/mosn-configs/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(d));

function sample(file: string): Record<string, unknown> {
  if (!CORPUS) throw new Error("MOSN's config corpus (fixtures/mosn-configs or ../shared/mosn-configs) was not found");
  return JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as Record<string, unknown>;
}

const NO_FLAGS: XdsFlags = { serviceMeta: [], serviceLabels: [] };

function read(raw: unknown, flags: Partial<XdsFlags> = {}, podLabels: Record<string, string> = {}) {
  const problems = new ConfigProblems();
  const result = readXdsBootstrap(raw, { ...NO_FLAGS, ...flags }, problems, { podLabels });
  return { result, ...problemLines(problems) };
}

const xdsCluster = (name = 'xds', address: Record<string, unknown> = { socket_address: { address: '127.0.0.1', port_value: 15010 } }) => ({
  name,
  connect_timeout: '1s',
  load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
});
const adsConfig = (cluster = 'xds') => ({ api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: cluster } }] });

/** A minimal xDS-only bootstrap, with `patch` over it. */
function bootstrap(patch: { dynamic?: Record<string, unknown>; static?: Record<string, unknown>; top?: Record<string, unknown> } = {}) {
  return {
    node: { id: 'n1', cluster: 'c1' },
    dynamic_resources: { ads_config: adsConfig(), ...patch.dynamic },
    static_resources: { clusters: [xdsCluster()], ...patch.static },
    ...patch.top,
  };
}

describe('readXdsBootstrap: MOSN samples', () => {
  it('examples/codes/xds-server-sample/config.json: xDS only, the cluster by load_assignment, layered_runtime warned', () => {
    const { result, errors, warnings } = read(sample('examples/codes/xds-server-sample/config.json'));
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['layered_runtime: Envoy runtime layers are not used by MOSN; ignored']);
    expect(result).toEqual<XdsBootstrap>({
      mode: 'xds',
      node: { id: 'test-id', cluster: 'test-cluster', metadata: {} },
      ads: { clusterName: 'xds_cluster', target: '127.0.0.1:9002', targets: ['127.0.0.1:9002'], initialFetchTimeoutMs: 15_000, setNodeOnFirstMessageOnly: true },
      staticClusters: [],
      staticListeners: [],
    });
  });

  it('examples/codes/filter/dubbo/install/build/mosn_config_dubbo_xds.json: servers and xDS together, the v2 hosts, refresh_delay as {seconds}', () => {
    const { result, errors, warnings } = read(sample('examples/codes/filter/dubbo/install/build/mosn_config_dubbo_xds.json'), { serviceType: 'sidecar', podIp: '10.1.1.1', podName: 'dubbo-0', podNamespace: 'demo', clusterDomain: 'demo.svc.cluster.local' });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(result).toEqual<XdsBootstrap>({
      mode: 'mix',
      node: { id: 'sidecar~10.1.1.1~dubbo-0.demo~demo.svc.cluster.local', cluster: '', metadata: {} },
      ads: {
        clusterName: 'xds-grpc',
        target: 'dns:///istiod.istio-system.svc:15010',
        targets: ['dns:///istiod.istio-system.svc:15010'],
        refreshDelayMs: 20_000,
        initialFetchTimeoutMs: 15_000,
        setNodeOnFirstMessageOnly: false,
      },
      staticClusters: [],
      staticListeners: [],
    });
  });

  it('a file config (neither block) is no bootstrap, and no problem', () => {
    expect(read(sample('configs/mosn_config.json'))).toEqual({ result: undefined, errors: [], warnings: [] });
    expect(read(undefined)).toEqual({ result: undefined, errors: [], warnings: [] });
  });
});

describe('readXdsBootstrap: node and flags', () => {
  it('takes node id, cluster, metadata (plain JSON) and locality from the file', () => {
    const { result, errors, warnings } = read(bootstrap({ top: { node: { id: 'a', cluster: 'b', metadata: { ISTIO_VERSION: '1.10.6', LABELS: { app: 'x' } }, locality: { region: 'r', subZone: 's' }, user_agent_name: 'envoy' } } }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['node.user_agent_name: not used by MOSN; ignored']);
    expect(result?.node).toEqual({ id: 'a', cluster: 'b', metadata: { ISTIO_VERSION: '1.10.6', LABELS: { app: 'x' } }, locality: { region: 'r', sub_zone: 's' } });
  });

  it('warns about an empty node id, and about a node field that does not fit', () => {
    const { result, warnings } = read(bootstrap({ top: { node: { cluster: 7, bogus: 1 } } }));
    expect(result?.node).toEqual({ id: '', cluster: '', metadata: {} });
    expect(warnings).toEqual([
      'node.cluster: expected a string, got number 7; ignored',
      'node.bogus: unknown field (not in envoy.config.core.v3.Node); ignored',
      'node.id: is empty: the control plane may not know this proxy; give node.id, --service-node, or --service-type sidecar with the pod flags',
    ]);
  });

  it('--service-node and --service-cluster win over the file', () => {
    const { result, warnings } = read(bootstrap(), { serviceNode: 'flag-node', serviceCluster: 'flag-cluster', serviceType: 'sidecar' });
    expect(warnings).toEqual([]);
    expect(result?.node).toEqual({ id: 'flag-node', cluster: 'flag-cluster', metadata: {} });
  });

  it('--service-type sidecar|router builds the Istio node id from the pod flags', () => {
    const pod = { podIp: '10.0.0.1', podName: 'web-0', podNamespace: 'shop', clusterDomain: 'shop.svc.cluster.local' };
    expect(read(bootstrap(), { serviceType: 'router', serviceCluster: 'gw', ...pod }).result?.node).toEqual({ id: 'router~10.0.0.1~web-0.shop~shop.svc.cluster.local', cluster: 'gw', metadata: {} });
    const { result, warnings } = read(bootstrap(), { serviceType: 'sidecar', podIp: '10.0.0.1' });
    expect(result?.node.id).toBe('sidecar~10.0.0.1~.~');
    expect(warnings).toEqual(['--service-type: the node id "sidecar~10.0.0.1~.~" lacks --pod-name, --pod-namespace, --cluster-domain (not given, nor in the environment)']);
  });

  it('without --service-node nor an application --service-type, the flags are ignored, as MOSN ignores them', () => {
    const { result, warnings } = read(bootstrap(), { serviceType: 'gateway', serviceCluster: 'x', serviceLabels: ['a:b'] });
    expect(result?.node).toEqual({ id: 'n1', cluster: 'c1', metadata: {} });
    expect(warnings).toEqual([
      '--service-type: "gateway" is neither sidecar nor router: MOSN then takes the node from the config alone',
      '--service-cluster: --service-cluster, --service-lables ignored: MOSN applies them with --service-node or --service-type sidecar|router only',
    ]);
  });

  it('--service-meta and --service-lables build the Istio metadata (with the pod labels), replacing the file metadata', () => {
    const raw = bootstrap({ top: { node: { id: 'n1', metadata: { old: true } } } });
    const { result, warnings } = read(raw, { serviceNode: 'n2', serviceMeta: ['IstioVersion:1.10.6', 'CLUSTER_ID:east', 'Foo:bar', 'nocolon'], serviceLabels: ['app:web', 'version:v1:x', 'bad'] }, { pod: 'web-0' });
    expect(result?.node).toEqual({
      id: 'n2',
      cluster: '',
      metadata: { ISTIO_VERSION: '1.10.6', INTERCEPTION_MODE: 'REDIRECT', CLUSTER_ID: 'east', LABELS: { app: 'web', version: 'v1:x', pod: 'web-0' } },
    });
    expect(warnings).toEqual([
      'node.metadata: replaced by the metadata --service-meta and --service-lables build, as MOSN does',
      '--service-lables: "bad" is not key:value; ignored',
      '--service-meta: "Foo" is not one MOSN sets (IstioVersion, ClusterID, InterceptionMode); ignored',
      '--service-meta: "nocolon" is not key:value; ignored',
    ]);
    // --service-meta alone: MOSN's default labels
    expect(read(bootstrap(), { serviceNode: 'n', serviceMeta: ['InterceptionMode:TPROXY'] }).result?.node.metadata).toEqual({
      ISTIO_VERSION: 'unknow',
      INTERCEPTION_MODE: 'TPROXY',
      CLUSTER_ID: 'Kubernetes',
      LABELS: { istio: 'ingressgateway' },
    });
  });

  it('readPodLabels reads Istio\'s key="value" lines; none without the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-pod-labels-'));
    try {
      const file = join(dir, 'labels');
      writeFileSync(file, 'app="web"\npod-template-hash="abc=1"\n\n');
      expect(readPodLabels(file)).toEqual({ app: 'web', 'pod-template-hash': 'abc=1' });
      expect(readPodLabels(join(dir, 'none'))).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readXdsBootstrap: the ADS server', () => {
  it('takes a pipe (made absolute, as MOSN), IPv6, several endpoints, camelCase keys below the top', () => {
    expect(read(bootstrap({ static: { clusters: [xdsCluster('xds', { pipe: { path: './etc/istio/proxy/XDS' } })] } })).result?.ads.target).toBe(`unix:${resolve('etc/istio/proxy/XDS')}`);
    expect(read(bootstrap({ static: { clusters: [xdsCluster('xds', { pipe: { path: '@xds' } })] } })).result?.ads.target).toBe('unix-abstract:xds');
    const two = {
      name: 'xds',
      loadAssignment: {
        clusterName: 'xds',
        endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '::1', portValue: 15010 } } } }, { endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 15010 } } } }] }],
      },
    };
    const { result, errors } = read({ dynamic_resources: { adsConfig: { apiType: 'GRPC', grpcServices: [{ envoyGrpc: { clusterName: 'xds' } }], refreshDelay: '2.5s' } }, static_resources: { clusters: [two] }, node: { id: 'n' } });
    expect(errors).toEqual([]);
    expect(result?.ads).toEqual({ clusterName: 'xds', target: '[::1]:15010', targets: ['[::1]:15010', '10.0.0.2:15010'], refreshDelayMs: 2500, initialFetchTimeoutMs: 15_000, setNodeOnFirstMessageOnly: false });
  });

  it('reads initial_fetch_timeout of cds_config and lds_config (the longer; 0 for no limit)', () => {
    const withTimeouts = (cds: unknown, lds: unknown) =>
      read(bootstrap({ dynamic: { cds_config: { ads: {}, initial_fetch_timeout: cds }, lds_config: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: lds } } })).result?.ads.initialFetchTimeoutMs;
    expect(withTimeouts('5s', '30s')).toBe(30_000);
    expect(withTimeouts('5s', '0s')).toBe(0);
    expect(withTimeouts({ seconds: 1 }, null)).toBe(1000);
  });

  it('returns the other static clusters and the static listeners, unnamed ones named as MOSN names them', () => {
    const backend = { name: 'backend', type: 'STRICT_DNS', connect_timeout: '2s', load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'web', port_value: 80 } } } }] }] } };
    const hcm = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'in',
      route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    };
    const listener = { address: { socket_address: { address: '0.0.0.0', port_value: 9080 } }, filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }] };
    const raw = bootstrap({ static: { clusters: [xdsCluster(), backend], listeners: [listener] } });
    const { result, errors } = read(raw);
    expect(errors).toEqual([]);
    expect(result?.staticClusters.map((c) => [c.name, c.type, c.connect_timeout])).toEqual([['backend', 'STRICT_DNS', { seconds: '2' }]]);
    const l = result!.staticListeners[0]!;
    expect(l.name).toBe('127.0.0.1_9080');
    const filter = (l.filter_chains as Array<{ filters: Array<{ typed_config: AnyMessage }> }>)[0]!.filters[0]!;
    expect((unpackAny(filter.typed_config).value.route_config as Message).name).toBe('inbound|9080||');
    // the caller's JSON is not changed
    expect((raw.static_resources as unknown as { listeners: Array<Record<string, unknown>> }).listeners[0]!.name).toBeUndefined();
  });

  it('skips a static cluster named zipkin, as MOSN', () => {
    const { result, warnings } = read(bootstrap({ static: { clusters: [xdsCluster(), { name: 'zipkin' }] } }));
    expect(result?.staticClusters).toEqual([]);
    expect(warnings).toEqual(['static_resources.clusters[1]: a static cluster named "zipkin" is skipped, as MOSN skips it']);
  });

  it('accepts cds_config/lds_config through the ADS cluster; warns about other sources', () => {
    const apiSource = (cluster: string) => ({ api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: cluster } }] } });
    expect(read(bootstrap({ dynamic: { cds_config: apiSource('xds'), lds_config: { ads: {} } } })).warnings).toEqual([]);
    const { result, errors, warnings } = read(bootstrap({ dynamic: { cds_config: apiSource('other'), lds_config: { path: '/etc/lds.yaml' } } }));
    expect(errors).toEqual([]);
    expect(result).toBeDefined();
    expect(warnings).toEqual([
      'dynamic_resources.cds_config.api_config_source: ignored: mosn-ts, as MOSN, takes clusters over the ADS stream of ads_config (cluster "xds")',
      'dynamic_resources.lds_config.path: ignored: mosn-ts, as MOSN, takes listeners over the ADS stream of ads_config ("ads": {})',
    ]);
  });
});

describe('readXdsBootstrap: errors', () => {
  const errorsOf = (raw: unknown) => {
    const r = read(raw);
    expect(r.result).toBeUndefined();
    return r.errors;
  };

  it('only one of the two blocks', () => {
    expect(errorsOf({ servers: [{}], dynamic_resources: { ads_config: adsConfig() } })).toEqual([
      'dynamic_resources: needs static_resources beside it, with the cluster of the xDS server that ads_config names (MOSN starts no xDS client without it)',
    ]);
    expect(errorsOf({ static_resources: { clusters: [xdsCluster()] } })).toEqual([
      'static_resources: needs dynamic_resources beside it (an ads_config): MOSN starts no xDS client without it; for static clusters alone use cluster_manager',
    ]);
  });

  it('ads_config missing, not GRPC, v2, without services, with google_grpc only', () => {
    expect(errorsOf(bootstrap({ dynamic: { ads_config: null, cds_config: { ads: {} } } }))).toEqual([
      'dynamic_resources.ads_config: is required: mosn-ts, as MOSN, takes listeners, routes, clusters and endpoints over one ADS stream',
    ]);
    expect(errorsOf(bootstrap({ dynamic: { ads_config: { ...adsConfig(), api_type: 'DELTA_GRPC' } } }))).toEqual([
      'dynamic_resources.ads_config.api_type: DELTA_GRPC is not supported: mosn-ts, as MOSN, supports GRPC (state-of-the-world ADS over gRPC)',
    ]);
    expect(errorsOf(bootstrap({ dynamic: { ads_config: { grpc_services: adsConfig().grpc_services } } }))).toEqual(['dynamic_resources.ads_config.api_type: is required: GRPC (the one mosn-ts, as MOSN, supports)']);
    expect(errorsOf(bootstrap({ dynamic: { ads_config: { ...adsConfig(), transport_api_version: 'V2' } } }))).toEqual([
      'dynamic_resources.ads_config.transport_api_version: V2 is not supported: mosn-ts speaks xDS v3 only (V3)',
    ]);
    expect(errorsOf(bootstrap({ dynamic: { ads_config: { api_type: 'GRPC' } } }))).toEqual([
      'dynamic_resources.ads_config.grpc_services: is required: expected [{ "envoy_grpc": { "cluster_name": <a cluster in static_resources> } }]',
    ]);
    const google = read(bootstrap({ dynamic: { ads_config: { api_type: 'GRPC', grpc_services: [{ google_grpc: { target_uri: 'istiod:15012', stat_prefix: 'x' } }] } } }));
    expect(google.result).toBeUndefined();
    expect(google.errors).toEqual(['dynamic_resources.ads_config.grpc_services: has no envoy_grpc service: mosn-ts, as MOSN, reaches the ADS server through a static cluster']);
    expect(google.warnings).toEqual(['dynamic_resources.ads_config.grpc_services[0]: only envoy_grpc (a static cluster) is supported; skipped, as MOSN skips it']);
  });

  it('a second gRPC service is warned about; an unknown ads_config field is an error', () => {
    const two = read(bootstrap({ dynamic: { ads_config: { ...adsConfig(), grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }, { envoy_grpc: { cluster_name: 'xds' } }] } } }));
    expect(two.warnings).toEqual(['dynamic_resources.ads_config.grpc_services[1]: only the first gRPC service (cluster "xds") is used, as in MOSN; ignored']);
    expect(errorsOf(bootstrap({ dynamic: { ads_config: { ...adsConfig(), refresh: '1s' } } }))).toEqual(['dynamic_resources.ads_config.refresh: unknown field (not in envoy.config.core.v3.ApiConfigSource)']);
    expect(errorsOf(bootstrap({ dynamic: { ads_config: { ...adsConfig(), refresh_delay: '10' } } }))).toEqual([
      'dynamic_resources.ads_config.refresh_delay: expected a duration such as "1.5s" or {"seconds": 1, "nanos": 500000000}, got string "10"',
    ]);
  });

  it('the named cluster is not in static_resources', () => {
    expect(errorsOf(bootstrap({ dynamic: { ads_config: adsConfig('xds-grpc') }, static: { clusters: [xdsCluster('a'), xdsCluster('b')] } }))).toEqual([
      'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: cluster "xds-grpc" is not in static_resources.clusters (defined: a, b)',
    ]);
    expect(errorsOf(bootstrap({ static: { clusters: [] } }))).toEqual(['dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: cluster "xds" is not in static_resources.clusters (there are none)']);
  });

  it('the ADS cluster has no usable address, or TLS', () => {
    expect(errorsOf(bootstrap({ static: { clusters: [{ name: 'xds' }] } }))).toEqual([
      'static_resources.clusters[0]: the xDS server cluster has no address: expected load_assignment.endpoints[].lb_endpoints[].endpoint.address',
    ]);
    expect(errorsOf(bootstrap({ static: { clusters: [xdsCluster('xds', { socket_address: { address: 'istiod', named_port: 'grpc' } })] } }))).toEqual([
      'static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address: named_port is not supported: give port_value, as MOSN needs',
    ]);
    expect(errorsOf(bootstrap({ static: { clusters: [{ name: 'xds', hosts: [{ socket_address: { address: '', port_value: 1 } }] }] } }))).toEqual([
      'static_resources.clusters[0].hosts[0].socket_address.address: is required: expected an IP address or a DNS name',
    ]);
    const tls = { ...xdsCluster(), transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', sni: 'istiod' } } };
    expect(errorsOf(bootstrap({ static: { clusters: [tls] } }))).toEqual([
      'static_resources.clusters[0].transport_socket: TLS to the xDS server is not supported by mosn-ts yet (MOSN, too, dials it in plaintext unless its XdsMtlsEnable feature gate is on); use a plaintext port or the istio-agent socket',
    ]);
  });

  it('unknown keys, v2 hosts on another cluster, duplicate names, v2 resources, fields that do not fit', () => {
    expect(errorsOf(bootstrap({ dynamic: { rtds_config: {} }, static: { secrets: [{ name: 's' }], extra: 1 } }))).toEqual([
      'static_resources.extra: unknown field (static_resources has clusters and listeners)',
      'dynamic_resources.rtds_config: unknown field (dynamic_resources has ads_config, lds_config, cds_config, lds_resources_locator, cds_resources_locator)',
    ]);
    expect(errorsOf(bootstrap({ static: { clusters: [xdsCluster(), { name: 'other', hosts: [] }] } }))).toEqual([
      "static_resources.clusters[1].hosts: unknown field: the v2 hosts are read for the xDS server's cluster only; give load_assignment",
    ]);
    expect(errorsOf(bootstrap({ static: { clusters: [xdsCluster(), xdsCluster()] } }))).toEqual(['static_resources.clusters[1].name: duplicate cluster name "xds" (also static_resources.clusters[0])']);
    expect(errorsOf(bootstrap({ static: { clusters: [xdsCluster(), { connect_timeout: '1s' }] } }))).toEqual(['static_resources.clusters[1].name: is required: expected a non-empty string']);
    expect(errorsOf(bootstrap({ dynamic: { cds_config: { ads: {}, resource_api_version: 'V2' } } }))).toEqual(['dynamic_resources.cds_config.resource_api_version: V2 is not supported: mosn-ts speaks xDS v3 only (V3)']);
    expect(errorsOf(bootstrap({ static: { clusters: [xdsCluster(), { name: 'b', lb_policy: 'LB_RANDOM' }], listeners: [{ name: 'l', per_connection_buffer_limit_bytes: 'big' }] } }))).toEqual([
      'static_resources.clusters[1].lb_policy: expected one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG (envoy.config.cluster.v3.Cluster.LbPolicy), got string "LB_RANDOM"',
      'static_resources.listeners[0].per_connection_buffer_limit_bytes: expected an integer (uint32), got string "big"',
    ]);
    expect(errorsOf(bootstrap({ static: { clusters: {} } }))).toEqual(['static_resources.clusters: expected an array']);
    expect(errorsOf({ dynamic_resources: [], static_resources: 'x' })).toEqual(['static_resources: expected an object (clusters, listeners), got string']);
  });
});
