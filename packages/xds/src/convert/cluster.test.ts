import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, packAny, type Message } from '../proto.js';
import { convertCluster } from './cluster.js';
import { ConvertContext, ConvertProblems } from './context.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const AT = 'Cluster "c"';

/** Round-trips `c` through the protobuf codec (the decoder's exact shape), then converts it. */
function convert(c: Message) {
  const problems = new ConvertProblems();
  const result = convertCluster(decodeMessage(CLUSTER, encodeMessage(CLUSTER, { name: 'c', ...c })), new ConvertContext(problems, AT));
  return { result, cluster: result?.cluster ?? {}, errors: problems.errors, warnings: problems.warnings };
}

function endpoints(...addresses: [string, number][]): Message {
  return { cluster_name: 'c', endpoints: [{ lb_endpoints: addresses.map(([address, port_value]) => ({ endpoint: { address: { socket_address: { address, port_value } } } })) }] };
}

function tls(upstream: Message): Message {
  return { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: packAny(UPSTREAM_TLS, upstream) } };
}

const ENVOY_CIRCUIT_BREAKERS = [{ priority: 'default', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 }];

describe('convertCluster: types', () => {
  it('STATIC → SIMPLE with the hosts of load_assignment, and Envoy\'s defaults written out', () => {
    const r = convert({ type: 'STATIC', connect_timeout: { seconds: 1, nanos: 500_000_000 }, load_assignment: endpoints(['10.0.0.1', 80], ['10.0.0.2', 80]) });
    expect(r.result).toEqual({
      cluster: {
        name: 'c',
        type: 'SIMPLE',
        lb_type: 'LB_WEIGHTED_ROUNDROBIN',
        hosts: [{ address: '10.0.0.1:80', weight: 1 }, { address: '10.0.0.2:80', weight: 1 }],
        connect_timeout: '1500ms',
        idle_timeout: '3600s',
        circuit_breakers: ENVOY_CIRCUIT_BREAKERS,
      },
    });
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('EDS → SIMPLE without hosts; subscribes to eds_cluster_config.service_name, else the cluster name', () => {
    const named = convert({ type: 'EDS', eds_cluster_config: { service_name: 'outbound|80||svc', eds_config: { ads: {} } } });
    expect(named.result?.eds).toEqual({ serviceName: 'outbound|80||svc' });
    expect(named.cluster).not.toHaveProperty('hosts');
    expect(named.cluster.type).toBe('SIMPLE');
    expect([...named.errors, ...named.warnings]).toEqual([]);
    expect(convert({ type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }).result?.eds).toEqual({ serviceName: 'c' });
    expect(convert({ type: 'STATIC' }).result).not.toHaveProperty('eds');
  });

  it('STRICT_DNS → STRICT_DNS with name:port hosts and DNS settings (Envoy\'s default lookup family AUTO)', () => {
    const r = convert({
      type: 'STRICT_DNS',
      load_assignment: endpoints(['backend.example', 443]),
      dns_refresh_rate: { seconds: 30 },
      respect_dns_ttl: true,
      dns_resolvers: [{ socket_address: { address: '10.0.0.53', port_value: 5353 } }],
    });
    expect(r.cluster).toMatchObject({
      type: 'STRICT_DNS',
      hosts: [{ address: 'backend.example:443', weight: 1 }],
      dns_refresh_rate: '30s',
      respect_dns_ttl: true,
      dns_lookup_family: 'AUTO',
      dns_resolvers: { servers: ['10.0.0.53'], port: '5353' },
    });
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('LOGICAL_DNS → STRICT_DNS, with a warning', () => {
    const r = convert({ type: 'LOGICAL_DNS', load_assignment: endpoints(['backend.example', 80]), dns_lookup_family: 'V4_ONLY' });
    expect(r.cluster).toMatchObject({ type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', hosts: [{ address: 'backend.example:80', weight: 1 }] });
    expect(r.warnings).toEqual([{ path: `${AT}.type`, message: expect.stringContaining('first only') }]);
  });

  it('ORIGINAL_DST with CLUSTER_PROVIDED → LB_ORIGINAL_DST; use_http_header takes Envoy\'s header name', () => {
    const r = convert({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', original_dst_lb_config: { use_http_header: true }, cleanup_interval: { seconds: 10 } });
    expect(r.cluster).toMatchObject({ type: 'ORIGINAL_DST', lb_type: 'LB_ORIGINAL_DST', original_dst_lb_config: { use_header: true, header_name: 'x-envoy-original-dst-host' }, cleanup_interval: '10s' });
    expect(r.cluster).not.toHaveProperty('hosts');
    expect([...r.errors, ...r.warnings]).toEqual([]);
    const bad = convert({ type: 'ORIGINAL_DST', lb_policy: 'ROUND_ROBIN' });
    expect(bad.errors).toEqual([{ path: `${AT}.lb_policy`, message: expect.stringContaining('CLUSTER_PROVIDED only') }]);
  });

  it('a custom cluster type is an error, and no cluster', () => {
    const r = convert({ cluster_type: { name: 'envoy.clusters.aggregate' } });
    expect(r.result).toBeUndefined();
    expect(r.errors).toEqual([{ path: `${AT}.cluster_type`, message: expect.stringContaining('"envoy.clusters.aggregate" is not supported') }]);
  });

  it('an IP cluster with a name for an endpoint is an error', () => {
    const r = convert({ type: 'STATIC', load_assignment: endpoints(['backend.example', 80]) });
    expect(r.errors).toEqual([{ path: `${AT}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address`, message: expect.stringContaining('not an IP address') }]);
  });
});

describe('convertCluster: load balancing', () => {
  it.each([
    ['ROUND_ROBIN', 'LB_WEIGHTED_ROUNDROBIN'],
    ['LEAST_REQUEST', 'LB_LEAST_REQUEST'],
    ['RANDOM', 'LB_RANDOM'],
    ['MAGLEV', 'LB_MAGLEV'],
  ])('%s → %s', (policy, lbType) => {
    const r = convert({ type: 'EDS', lb_policy: policy });
    expect(r.cluster.lb_type).toBe(lbType);
    expect(r.errors).toEqual([]);
  });

  it('RING_HASH is an error that says it is not supported', () => {
    const r = convert({ lb_policy: 'RING_HASH' });
    expect(r.errors).toEqual([{ path: `${AT}.lb_policy`, message: expect.stringMatching(/^RING_HASH is not supported by mosn-ts/) }]);
  });

  it('LEAST_REQUEST settings and slow start, common_lb_config\'s panic threshold', () => {
    const r = convert({
      type: 'EDS',
      lb_policy: 'LEAST_REQUEST',
      least_request_lb_config: {
        choice_count: { value: 3 },
        active_request_bias: { default_value: 0.5, runtime_key: 'k' },
        slow_start_config: { slow_start_window: { seconds: 60 }, aggression: { default_value: 2, runtime_key: 'a' }, min_weight_percent: { value: 20 } },
      },
      common_lb_config: { healthy_panic_threshold: { value: 30 } },
    });
    expect(r.cluster).toMatchObject({
      lb_type: 'LB_LEAST_REQUEST',
      lbconfig: { choice_count: 3, active_request_bias: 0.5, healthy_panic_threshold: 30 },
      slow_start: { mode: 'duration', slow_start_duration: '60s', aggression: 2, min_weight_percent: 0.2 },
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual([
      `${AT}.least_request_lb_config.active_request_bias`,
      `${AT}.least_request_lb_config.slow_start_config.aggression`,
    ]);
  });

  it('load_balancing_policy: the first policy mosn-ts has', () => {
    const r = convert({
      type: 'EDS',
      lb_policy: 'LOAD_BALANCING_POLICY_CONFIG',
      load_balancing_policy: { policies: [
        { typed_extension_config: { name: 'x', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash', value: Buffer.alloc(0) } } },
        { typed_extension_config: { name: 'y', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.load_balancing_policies.random.v3.Random', value: Buffer.alloc(0) } } },
      ] },
    });
    expect(r.cluster.lb_type).toBe('LB_RANDOM');
    expect(r.errors).toEqual([]);
  });

  it('lb_subset_config → MOSN\'s numbers and string labels', () => {
    const r = convert({
      type: 'EDS',
      lb_subset_config: {
        fallback_policy: 'DEFAULT_SUBSET',
        default_subset: { fields: { version: { stringValue: 'v1' } } },
        subset_selectors: [{ keys: ['version'] }, { keys: ['version', 'zone'] }],
      },
    });
    expect(r.cluster.lb_subset_config).toEqual({ fall_back_policy: 2, default_subset: { version: 'v1' }, subset_selectors: [['version'], ['version', 'zone']] });
    expect([...r.errors, ...r.warnings]).toEqual([]);
    const own = convert({ type: 'EDS', lb_subset_config: { subset_selectors: [{ keys: ['v'], fallback_policy: 'ANY_ENDPOINT' }] } });
    expect(own.errors).toEqual([{ path: `${AT}.lb_subset_config.subset_selectors[0].fallback_policy`, message: expect.stringContaining('not supported') }]);
  });
});

describe('convertCluster: limits and health', () => {
  it('circuit breakers: DEFAULT over Envoy\'s defaults, HIGH warned, Istio\'s "no limit" capped at MOSN\'s reader maximum', () => {
    const r = convert({
      type: 'EDS',
      circuit_breakers: { thresholds: [
        { max_connections: { value: 100 }, max_requests: { value: 4294967295 }, max_retries: { value: 0 } },
        { priority: 'HIGH', max_connections: { value: 5 } },
      ] },
      per_connection_buffer_limit_bytes: { value: 32768 },
      max_requests_per_connection: { value: 10 },
    });
    expect(r.cluster).toMatchObject({
      circuit_breakers: [{ priority: 'default', max_connections: 100, max_pending_requests: 1024, max_requests: 1_000_000, max_retries: 0 }],
      conn_buffer_limit_bytes: 32768,
      max_request_per_conn: 10,
    });
    expect(r.warnings).toEqual([{ path: `${AT}.circuit_breakers.thresholds[1].priority`, message: expect.stringContaining('HIGH') }]);
  });

  it('an HTTP health check → MOSN\'s Http1 check; Envoy\'s [start, end) codes → inclusive', () => {
    const r = convert({
      type: 'EDS',
      health_checks: [{
        timeout: { seconds: 2 },
        interval: { seconds: 5 },
        interval_jitter: { nanos: 100_000_000 },
        healthy_threshold: { value: 2 },
        unhealthy_threshold: { value: 3 },
        alt_port: { value: 8081 },
        http_health_check: { path: '/healthz', host: 'svc.local', method: 'HEAD', expected_statuses: [{ start: '200', end: '300' }] },
      }],
    });
    expect(r.cluster.health_check).toEqual({
      service_name: 'c',
      timeout: '2s',
      interval: '5s',
      interval_jitter: '100ms',
      healthy_threshold: 2,
      unhealthy_threshold: 3,
      protocol: 'Http1',
      check_config: { http_check_config: { path: '/healthz', domain: 'svc.local', method: 'HEAD', port: 8081, codes: [{ start: 200, end: 299 }] } },
    });
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('a gRPC health check is a TCP connect, with a warning', () => {
    const r = convert({ type: 'EDS', health_checks: [{ timeout: { seconds: 1 }, interval: { seconds: 1 }, healthy_threshold: { value: 1 }, unhealthy_threshold: { value: 1 }, grpc_health_check: { service_name: 's' } }] });
    expect(r.cluster.health_check).toMatchObject({ protocol: 'tcp' });
    expect(r.warnings).toEqual([{ path: `${AT}.health_checks[0].grpc_health_check`, message: expect.stringContaining('gRPC health checks are not supported') }]);
  });

  it('outlier detection → Envoy\'s keys; success-rate detection (on by default in Envoy) warned', () => {
    const r = convert({
      type: 'EDS',
      outlier_detection: { consecutive_5xx: { value: 3 }, interval: { seconds: 5 }, base_ejection_time: { seconds: 15 }, max_ejection_percent: { value: 100 }, split_external_local_origin_errors: true, always_eject_one_host: { value: true } },
    });
    expect(r.cluster.outlier_detection).toEqual({ consecutive_5xx: 3, max_ejection_percent: 100, interval: '5s', base_ejection_time: '15s', always_eject_one_host: true, split_external_local_origin_errors: true });
    expect(r.warnings).toEqual([{ path: `${AT}.outlier_detection`, message: expect.stringContaining('success-rate') }]);
    const off = convert({ type: 'EDS', outlier_detection: { enforcing_success_rate: { value: 0 } } });
    expect(off.warnings).toEqual([]);
  });
});

describe('convertCluster: TLS', () => {
  const files = { tls_certificates: [{ certificate_chain: { filename: '/certs/client.pem' }, private_key: { filename: '/certs/client.key' } }] };

  it('UpstreamTlsContext → tls_context: sni, files, CA, ALPN, suites, versions', () => {
    const r = convert({
      type: 'EDS',
      ...tls({
        sni: 'backend.example',
        common_tls_context: {
          ...files,
          validation_context: { trusted_ca: { filename: '/certs/ca.pem' }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'backend.example' } }] },
          alpn_protocols: ['h2', 'http/1.1'],
          tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3', cipher_suites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]', 'ECDHE-RSA-AES128-SHA'], ecdh_curves: ['X25519', 'P-256'] },
        },
      }),
    });
    expect(r.cluster.tls_context).toEqual({
      status: true,
      server_name: 'backend.example',
      cert_chain: '/certs/client.pem',
      private_key: '/certs/client.key',
      ca_cert: '/certs/ca.pem',
      min_version: 'TLSv1_2',
      max_version: 'TLSv1_3',
      cipher_suites: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-WITH-CHACHA20-POLY1305:ECDHE-RSA-AES128-CBC-SHA',
      ecdh_curves: 'X25519,P256',
      alpn: 'h2,http/1.1',
    });
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('without a validation context Envoy does not verify the server: insecure_skip', () => {
    const r = convert({ type: 'EDS', ...tls({ common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: '-----BEGIN CERTIFICATE-----\nx' }, private_key: { inline_string: '-----BEGIN PRIVATE KEY-----\ny' } }] } }) });
    expect(r.cluster.tls_context).toEqual({ status: true, cert_chain: '-----BEGIN CERTIFICATE-----\nx', private_key: '-----BEGIN PRIVATE KEY-----\ny', insecure_skip: true });
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('a CA without SAN matchers: a warning that the sni is checked too (Envoy does not)', () => {
    const r = convert({ type: 'EDS', ...tls({ sni: 'a.example', common_tls_context: { validation_context: { trusted_ca: { filename: '/certs/ca.pem' } } } }) });
    expect(r.cluster.tls_context).toEqual({ status: true, server_name: 'a.example', ca_cert: '/certs/ca.pem' });
    expect(r.warnings).toEqual([{ path: `${AT}.transport_socket.typed_config`, message: expect.stringContaining('valid for sni "a.example"') }]);
  });

  it('SAN matchers other than the sni are an error (ignoring them would accept any certificate of the CA)', () => {
    const r = convert({ type: 'EDS', ...tls({ sni: 'outbound_.80_._.svc', common_tls_context: { validation_context: { trusted_ca: { filename: '/ca.pem' }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/svc' } }] } } }) });
    expect(r.errors).toEqual([{ path: `${AT}.transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names`, message: expect.stringContaining('not supported') }]);
  });

  it('certificates only from SDS: an error; SDS beside static certificates: a warning', () => {
    const sdsOnly = convert({ type: 'EDS', ...tls({ common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'default' }], combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: { name: 'ROOTCA' } } } }) });
    expect(sdsOnly.errors.map((e) => e.path)).toEqual([
      `${AT}.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs`,
      `${AT}.transport_socket.typed_config.common_tls_context.combined_validation_context.validation_context_sds_secret_config`,
    ]);
    expect(sdsOnly.errors[0]!.message).toContain('sds not supported until SDS');
    const both = convert({ type: 'EDS', ...tls({ common_tls_context: { ...files, tls_certificate_sds_secret_configs: [{ name: 'default' }] } }) });
    expect(both.errors).toEqual([]);
    expect(both.warnings).toEqual([{ path: `${AT}.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs`, message: expect.stringContaining('sds not supported until SDS') }]);
    expect(both.cluster.tls_context).toMatchObject({ cert_chain: '/certs/client.pem', insecure_skip: true });
  });

  it('pinning, CRLs and non-PEM inline data are errors', () => {
    const r = convert({
      type: 'EDS',
      ...tls({ common_tls_context: { validation_context: { trusted_ca: { inline_string: 'not pem' }, verify_certificate_hash: ['a'.repeat(64)], crl: { filename: '/crl.pem' } } } }),
    });
    expect(r.errors.map((e) => e.path.replace(`${AT}.transport_socket.typed_config.common_tls_context.validation_context.`, ''))).toEqual(['trusted_ca', 'verify_certificate_hash', 'crl']);
  });

  it('raw_buffer is plaintext; another transport socket or transport_socket_matches is an error', () => {
    expect(convert({ type: 'EDS', transport_socket: { name: 'envoy.transport_sockets.raw_buffer' } }).cluster).not.toHaveProperty('tls_context');
    const other = convert({ type: 'EDS', transport_socket: { name: 'envoy.transport_sockets.alts', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.transport_sockets.alts.v3.Alts', value: Buffer.alloc(0) } } });
    expect(other.errors).toEqual([{ path: `${AT}.transport_socket`, message: expect.stringContaining('"envoy.transport_sockets.alts" is not supported') }]);
    const matches = convert({ type: 'EDS', transport_socket_matches: [{ name: 'tlsMode-istio', match: { fields: { tlsMode: { stringValue: 'istio' } } }, transport_socket: { name: 'envoy.transport_sockets.raw_buffer' } }] });
    expect(matches.errors).toEqual([{ path: `${AT}.transport_socket_matches`, message: expect.stringContaining('per-endpoint transport sockets') }]);
  });
});

describe('convertCluster: protocol options and the rest', () => {
  it('HttpProtocolOptions: idle timeout and requests per connection; HTTP/2 said for the routes (no such key on a MOSN cluster)', () => {
    const r = convert({
      type: 'EDS',
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny(HTTP_OPTIONS, {
          common_http_protocol_options: { idle_timeout: { seconds: 30 }, max_requests_per_connection: { value: 100 } },
          explicit_http_config: { http2_protocol_options: {} },
        }),
      },
    });
    expect(r.cluster).toMatchObject({ idle_timeout: '30s', max_request_per_conn: 100 });
    expect(r.result?.http2).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(convert({ type: 'EDS', http2_protocol_options: {} }).result?.http2).toBe(true);
    expect(convert({ type: 'EDS' }).result?.http2).toBeUndefined();
  });

  it('auto_sni is an error', () => {
    const r = convert({ type: 'EDS', typed_extension_protocol_options: { h: packAny(HTTP_OPTIONS, { upstream_http_protocol_options: { auto_sni: true }, explicit_http_config: { http_protocol_options: {} } }) } });
    expect(r.errors).toEqual([{ path: `${AT}.typed_extension_protocol_options["h"].upstream_http_protocol_options.auto_sni`, message: expect.stringContaining('SNI') }]);
  });

  it('warns about every field it does not convert (metadata has no effect)', () => {
    const r = convert({ type: 'EDS', upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } }, alt_stat_name: 'x', metadata: { filter_metadata: {} } });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.path).sort()).toEqual([`${AT}.alt_stat_name`, `${AT}.upstream_bind_config`]);
  });

  it('a cluster without a name is an error', () => {
    const problems = new ConvertProblems();
    expect(convertCluster({}, new ConvertContext(problems, 'Cluster ""'))).toBeUndefined();
    expect(problems.errors).toEqual([{ path: 'Cluster "".name', message: 'missing cluster name' }]);
  });
});
