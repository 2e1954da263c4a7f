import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, messageType, packAny, unpackAny, type AnyMessage, type Message } from './proto.js';
import { durationFromJson, messageFromJson, type JsonProblem } from './proto-json.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const HCM_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const TLS_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** What the decoder makes of a message given as decodeMessage's own shape: the expected value. */
function decoded(type: string, value: Message): Message {
  return decodeMessage(type, encodeMessage(type, value));
}

function read(type: string, json: unknown): Message {
  const { value, problems } = messageFromJson(type, json, 'x');
  expect(problems).toEqual([]);
  return value;
}

function problemsOf(type: string, json: unknown): JsonProblem[] {
  return messageFromJson(type, json, 'x').problems;
}

const endpoint = (address: string, port: number) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } });

describe('messageFromJson', () => {
  it('reads a Cluster as the decoder gives it: durations, enums, wrappers, load_assignment, an Any transport socket', () => {
    const json = {
      name: 'xds_cluster',
      type: 'STRICT_DNS',
      connect_timeout: '1s',
      lb_policy: 'RANDOM',
      per_connection_buffer_limit_bytes: 32768,
      http2_protocol_options: {},
      load_assignment: { cluster_name: 'xds_cluster', endpoints: [{ lb_endpoints: [endpoint('127.0.0.1', 9002), endpoint('127.0.0.2', 9003)] }] },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: { '@type': TLS_URL, sni: 'istiod.istio-system.svc', common_tls_context: { alpn_protocols: ['h2'] } },
      },
    };
    const tls = decoded('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', { sni: 'istiod.istio-system.svc', common_tls_context: { alpn_protocols: ['h2'] } });
    const expected = decoded(CLUSTER, {
      ...json,
      connect_timeout: { seconds: '1' },
      per_connection_buffer_limit_bytes: { value: 32768 },
      transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: packAny(TLS_URL, tls) },
    });
    const value = read(CLUSTER, json);
    expect(value).toEqual(expected);
    expect(value.connect_timeout).toEqual({ seconds: '1' });
    expect(value.cluster_discovery_type).toBe('type'); // the oneof's virtual field, as decodeMessage sets it
    const socket = value.transport_socket as { typed_config: AnyMessage };
    expect(unpackAny(socket.typed_config)).toEqual({ typeUrl: TLS_URL, value: tls });
  });

  it('takes lowerCamelCase names as well as snake_case', () => {
    const snake = read(CLUSTER, { name: 'c', connect_timeout: '2s', load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [endpoint('::1', 80)] }] } });
    const camel = read(CLUSTER, { name: 'c', connectTimeout: '2s', loadAssignment: { clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '::1', portValue: 80 } } } }] }] } });
    expect(camel).toEqual(snake);
  });

  it('reads a Listener whose HCM typed_config is given with "@type", routes and http filters inside', () => {
    const hcm = {
      stat_prefix: 'ingress_http',
      codec_type: 'HTTP2',
      route_config: {
        name: 'local_route',
        virtual_hosts: [{ name: 'backend', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend', timeout: '0.250s' } }] }],
      },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_URL } }],
    };
    const json = {
      name: 'listener_0',
      address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_URL, ...hcm } }] }],
    };
    const innerHcm = decoded(HCM_URL.slice(HCM_URL.lastIndexOf('/') + 1), {
      ...hcm,
      route_config: { ...hcm.route_config, virtual_hosts: [{ ...hcm.route_config.virtual_hosts[0]!, routes: [{ match: { prefix: '/' }, route: { cluster: 'backend', timeout: { nanos: 250_000_000 } } }] }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: packAny(ROUTER_URL, {}) }],
    });
    const expected = decoded(LISTENER, { ...json, filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: packAny(HCM_URL, innerHcm) }] }] });
    const value = read(LISTENER, json);
    expect(value).toEqual(expected);
    const filter = (value.filter_chains as Array<{ filters: Array<{ typed_config: AnyMessage }> }>)[0]!.filters[0]!;
    expect(unpackAny(filter.typed_config).value).toEqual(innerHcm);
  });

  it('reads Durations as "Ns" strings or {seconds, nanos}', () => {
    const timeout = (json: unknown) => read(CLUSTER, { connect_timeout: json }).connect_timeout;
    expect(timeout('1.5s')).toEqual({ seconds: '1', nanos: 500_000_000 });
    expect(timeout('0.000000001s')).toEqual({ nanos: 1 });
    expect(timeout({ seconds: 20 })).toEqual({ seconds: '20' });
    expect(timeout('0s')).toEqual({});
    expect(timeout({ seconds: '3', nanos: 5 })).toEqual({ seconds: '3', nanos: 5 });
    for (const bad of ['1m', '1', 's', 10, { seconds: 1, minutes: 2 }, { nanos: 1e9 }]) {
      expect(problemsOf(CLUSTER, { connect_timeout: bad }), JSON.stringify(bad)).toEqual([{ path: 'x.connect_timeout', message: expect.stringContaining('expected a duration such as "1.5s"') }]);
    }
  });

  it('durationFromJson gives milliseconds', () => {
    const problems: JsonProblem[] = [];
    expect(durationFromJson('20s', 'p', problems)).toBe(20_000);
    expect(durationFromJson({ seconds: 1, nanos: 500_000_000 }, 'p', problems)).toBe(1500);
    expect(problems).toEqual([]);
    expect(durationFromJson('20', 'p', problems)).toBeUndefined();
    expect(problems).toEqual([{ path: 'p', message: expect.stringContaining('expected a duration') }]);
  });

  it('reads wrappers as bare values (or as {value}), int64 as strings or numbers, enums by name or number', () => {
    const a = read(CLUSTER, { max_requests_per_connection: 7, lb_policy: 1, ring_hash_lb_config: { minimum_ring_size: '1024', maximum_ring_size: 4096 } });
    expect(a).toEqual({
      max_requests_per_connection: { value: 7 },
      lb_policy: 'LEAST_REQUEST',
      ring_hash_lb_config: { minimum_ring_size: { value: '1024' }, maximum_ring_size: { value: '4096' } },
      lb_config: 'ring_hash_lb_config',
    });
    expect(read(CLUSTER, { max_requests_per_connection: { value: 7 } })).toEqual({ max_requests_per_connection: { value: 7 } });
    expect(read(CLUSTER, { respect_dns_ttl: true, dns_lookup_family: 'V4_ONLY' })).toEqual({ respect_dns_ttl: true, dns_lookup_family: 'V4_ONLY' });
  });

  it('reads Struct as plain JSON, maps, and bytes in base64', () => {
    const value = read(CLUSTER, { metadata: { filter_metadata: { 'istio': { a: [1, null, 'x', { b: true }] } } } });
    expect(value).toEqual(
      decoded(CLUSTER, {
        metadata: {
          filter_metadata: {
            istio: {
              fields: {
                a: { listValue: { values: [{ numberValue: 1 }, { nullValue: 'NULL_VALUE' }, { stringValue: 'x' }, { structValue: { fields: { b: { boolValue: true } } } }] } },
              },
            },
          },
        },
      }),
    );
    const ds = read('envoy.config.core.v3.DataSource', { inline_bytes: Buffer.from('hello').toString('base64') });
    expect(ds).toEqual({ inline_bytes: Buffer.from('hello'), specifier: 'inline_bytes' });
  });

  it('reads an Any of a type with its own JSON from "value"', () => {
    const value = read('envoy.config.core.v3.TypedExtensionConfig', { name: 'n', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Struct', value: { k: 'v' } } });
    const any = value.typed_config as AnyMessage;
    expect(unpackAny(any).value).toEqual({ fields: { k: { stringValue: 'v', kind: 'stringValue' } } });
  });

  it('leaves null fields out, as absent', () => {
    expect(read(CLUSTER, { name: 'c', connect_timeout: null, load_assignment: null })).toEqual({ name: 'c' });
  });

  it('leaves proto3 scalars at their default out, as the wire has them; keeps them in a oneof', () => {
    const json = { name: '', respect_dns_ttl: false, dns_lookup_family: 'AUTO', max_requests_per_connection: 0, type: 'STATIC', load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [endpoint('0.0.0.0', 0)] }] } };
    const value = read(CLUSTER, json);
    const wire = decodeMessage(CLUSTER, Buffer.from(messageType(CLUSTER).encode(messageType(CLUSTER).create({ max_requests_per_connection: {}, type: 0, load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '0.0.0.0', port_value: 0 } } } }] }] } })).finish()));
    expect(value).toEqual(wire);
    expect(value).toEqual({
      max_requests_per_connection: {},
      type: 'STATIC',
      cluster_discovery_type: 'type',
      load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '0.0.0.0', port_value: 0, port_specifier: 'port_value' }, address: 'socket_address' } }, host_identifier: 'endpoint' }] }] },
    });
  });

  it('reports each field that does not fit, with its path, and reads the rest', () => {
    const { value, problems } = messageFromJson(
      CLUSTER,
      {
        name: 'c',
        hosts: [{ socket_address: { address: 'a', port_value: 1 } }],
        type: 'NOPE',
        per_connection_buffer_limit_bytes: -1,
        max_requests_per_connection: 'many',
        respect_dns_ttl: 'yes',
        load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'a', port_value: 1, bogus: 2 } } } }] }] },
        transport_socket: { typed_config: { sni: 'x' } },
        upstream_connection_options: 'x',
        dns_resolvers: {},
        metadata: { filter_metadata: { a: 'not a struct' } },
      },
      'static_resources.clusters[0]',
    );
    const at = (p: string) => `static_resources.clusters[0].${p}`;
    expect(problems).toEqual([
      { path: at('hosts'), message: 'unknown field (not in envoy.config.cluster.v3.Cluster)' },
      { path: at('type'), message: expect.stringMatching(/^expected one of STATIC, STRICT_DNS, .*got string "NOPE"$/) },
      { path: at('per_connection_buffer_limit_bytes'), message: 'expected an integer from 0 to 4294967295 (uint32), got number -1' },
      { path: at('max_requests_per_connection'), message: 'expected an integer (uint32), got string "many"' },
      { path: at('respect_dns_ttl'), message: 'expected true or false, got string "yes"' },
      { path: at('load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.bogus'), message: 'unknown field (not in envoy.config.core.v3.SocketAddress)' },
      { path: at('transport_socket.typed_config'), message: expect.stringMatching(/^expected "@type"/) },
      { path: at('upstream_connection_options'), message: 'expected an object (envoy.config.cluster.v3.UpstreamConnectionOptions), got string "x"' },
      { path: at('dns_resolvers'), message: 'expected an array, got an object' },
      { path: at('metadata.filter_metadata.a'), message: 'expected an object (google.protobuf.Struct), got string "not a struct"' },
    ]);
    expect(value.name).toBe('c');
    expect(value.load_assignment).toEqual(decoded(CLUSTER, { load_assignment: { endpoints: [{ lb_endpoints: [endpoint('a', 1)] }] } }).load_assignment);
  });

  it('reports an unknown "@type", two fields of one oneof, and a field given twice', () => {
    expect(problemsOf(CLUSTER, { transport_socket: { name: 't', typed_config: { '@type': 'type.googleapis.com/envoy.Nope' } } })).toEqual([
      { path: 'x.transport_socket.typed_config.@type', message: 'unknown message type "type.googleapis.com/envoy.Nope" (not in the Envoy API mosn-ts loads)' },
    ]);
    expect(problemsOf(CLUSTER, { type: 'STATIC', cluster_type: { name: 'c' } })).toEqual([
      { path: 'x.cluster_type', message: 'type is already set: type, cluster_type are one of (cluster_discovery_type)' },
    ]);
    expect(problemsOf(CLUSTER, { connect_timeout: '1s', connectTimeout: '2s' })).toEqual([
      { path: 'x.connectTimeout', message: 'field connect_timeout given twice (as connect_timeout and connectTimeout)' },
    ]);
    expect(problemsOf(CLUSTER, 'c')).toEqual([{ path: 'x', message: 'expected an object (envoy.config.cluster.v3.Cluster), got string "c"' }]);
  });

  it('checks integer ranges and int64 text', () => {
    expect(problemsOf(CLUSTER, { ring_hash_lb_config: { minimum_ring_size: '18446744073709551616' } })).toEqual([
      { path: 'x.ring_hash_lb_config.minimum_ring_size', message: 'expected an integer from 0 to 18446744073709551615 (uint64), got string "18446744073709551616"' },
    ]);
    expect(problemsOf(CLUSTER, { ring_hash_lb_config: { minimum_ring_size: 1.5 } })).toEqual([
      { path: 'x.ring_hash_lb_config.minimum_ring_size', message: 'expected an integer (uint64), as a string or a number, got number 1.5' },
    ]);
    expect(read(CLUSTER, { ring_hash_lb_config: { minimum_ring_size: '18446744073709551615' } }).ring_hash_lb_config).toEqual({ minimum_ring_size: { value: '18446744073709551615' } });
  });
});
