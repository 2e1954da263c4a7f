import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, packAny, type Message } from '../proto.js';
import { ConvertContext, ConvertProblems } from './context.js';
import { HCM_TYPE } from './hcm.js';
import { DOWNSTREAM_TLS_TYPE } from './listener-tls.js';
import { convertListener, inlineRouteName, LISTENER_MESSAGE } from './listener.js';
import { TCP_PROXY_TYPE } from './tcp-proxy.js';

const url = (name: string) => `type.googleapis.com/${name}`;
/** An Any of a type this build of the API does not load (its fields are not read, only its type URL). */
const opaque = (name: string) => ({ type_url: url(name), value: Buffer.alloc(0) });
const ROUTER = { name: 'envoy.filters.http.router', typed_config: packAny(url('envoy.extensions.filters.http.router.v3.Router'), {}) };

function hcm(extra: Message = {}): Message {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: packAny(url(HCM_TYPE), { rds: { route_config_name: 'r1', config_source: { ads: {} } }, http_filters: [ROUTER], ...extra }),
  };
}

function tcp(extra: Message = {}): Message {
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: packAny(url(TCP_PROXY_TYPE), { cluster: 'c1', ...extra }) };
}

function listener(extra: Message = {}): Message {
  return {
    name: 'l1',
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    filter_chains: [{ filters: [hcm()] }],
    ...extra,
  };
}

/** Encode and decode the listener as it comes over the wire, then convert it. */
function convert(l: Message) {
  const decoded = decodeMessage(LISTENER_MESSAGE, encodeMessage(LISTENER_MESSAGE, l));
  const problems = new ConvertProblems();
  const out = convertListener(decoded, new ConvertContext(problems, 'Listener "l1"'));
  const text = (list: typeof problems.errors) => list.map((p) => `${p.path}: ${p.message}`);
  return { out, errors: text(problems.errors), warnings: text(problems.warnings) };
}

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const PEM_CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';

function tlsSocket(extra: Message = {}, cert = PEM_CERT): Message {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: packAny(url(DOWNSTREAM_TLS_TYPE), {
      common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: cert }, private_key: { inline_string: PEM_KEY } }] },
      ...extra,
    }),
  };
}

describe('convertListener: an HTTP listener', () => {
  it('converts name, address, the HCM (RDS) and Envoy\'s defaults that MOSN lacks', () => {
    const { out, errors, warnings } = convert(listener());
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(out).toEqual({
      listener: {
        name: 'l1',
        address: '0.0.0.0:15001',
        connection_idle_timeout: '3600s',
        filter_chains: [{
          filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1,Http2', router_config_name: 'r1', extend_config: { http1: { max_header_size: 61440 } } } }],
        }],
      },
      routes: [{ kind: 'rds', name: 'r1' }],
    });
  });

  it('takes codec_type, idle_timeout, request_headers_timeout and max_request_headers_kb', () => {
    const { out, errors, warnings } = convert(listener({
      per_connection_buffer_limit_bytes: { value: 32768 },
      filter_chains: [{ filters: [hcm({ codec_type: 'HTTP1', common_http_protocol_options: { idle_timeout: { seconds: 90 } }, request_headers_timeout: { nanos: 500_000_000 }, max_request_headers_kb: { value: 96 } })] }],
    }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(out?.listener).toMatchObject({ per_connection_buffer_limit_bytes: 32768, connection_idle_timeout: '90s' });
    expect(out?.listener.filter_chains).toEqual([{
      filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r1', extend_config: { http1: { max_header_size: 98304, request_headers_timeout: '500ms' } } } }],
    }]);
  });

  it('HTTP2 has no HTTP/1 settings; HTTP3 is an error', () => {
    const h2 = convert(listener({ filter_chains: [{ filters: [hcm({ codec_type: 'HTTP2' })] }] }));
    expect(h2.out?.listener.filter_chains).toEqual([{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http2', router_config_name: 'r1' } }] }]);
    const h3 = convert(listener({ filter_chains: [{ filters: [hcm({ codec_type: 'HTTP3' })] }] }));
    expect(h3.out).toBeUndefined();
    expect(h3.errors).toEqual([expect.stringMatching(/^Listener "l1"\.filter_chains\[0\]\.filters\[0\]\.typed_config\.codec_type: HTTP3 is not supported/)]);
  });

  it('names an inline route configuration by its name, else <listener>-inline-<n>, and reports it', () => {
    const routeConfiguration = { virtual_hosts: [{ name: 'vh', domains: ['*'] }] };
    const derived = convert(listener({ filter_chains: [{ filters: [hcm({ rds: undefined, route_config: routeConfiguration })] }] }));
    expect(derived.errors).toEqual([]);
    expect(derived.out?.routes).toEqual([{ kind: 'inline', name: 'l1-inline-0', routeConfiguration }]);
    expect(derived.out?.listener.filter_chains).toMatchObject([{ filters: [{ config: { router_config_name: 'l1-inline-0' } }] }]);
    const named = convert(listener({ filter_chains: [{ filters: [hcm({ rds: undefined, route_config: { ...routeConfiguration, name: 'own' } })] }] }));
    expect(named.out?.routes).toMatchObject([{ kind: 'inline', name: 'own' }]);
    expect(inlineRouteName('x', {}, 2)).toBe('x-inline-2');
  });

  it('refuses scoped_routes and an HCM without a route', () => {
    const scoped = convert(listener({ filter_chains: [{ filters: [hcm({ rds: undefined, scoped_routes: { name: 's' } })] }] }));
    expect(scoped.out).toBeUndefined();
    expect(scoped.errors).toEqual([expect.stringMatching(/typed_config\.scoped_routes: scoped routes \(SRDS\) are not supported/)]);
    const none = convert(listener({ filter_chains: [{ filters: [hcm({ rds: undefined })] }] }));
    expect(none.errors).toEqual([expect.stringMatching(/typed_config: one of rds, route_config and scoped_routes is required/)]);
  });

  it('warns about HCM settings mosn-ts lacks and refuses the ones that change routing', () => {
    const { out, errors, warnings } = convert(listener({
      filter_chains: [{ filters: [hcm({ stat_prefix: 'in', stream_idle_timeout: { seconds: 10 }, use_remote_address: { value: true }, normalize_path: { value: true }, path_normalization_options: { forwarding_transformation: {} }, http2_protocol_options: { max_concurrent_streams: { value: 10 } } })] }],
    }));
    expect(out).toBeUndefined();
    expect(errors).toEqual([expect.stringMatching(/typed_config\.path_normalization_options: mosn-ts does not normalize request paths/)]);
    expect(warnings.map((w) => w.replace(/^.*typed_config\./, '')).sort()).toEqual([
      expect.stringMatching(/^http2_protocol_options: not supported by mosn-ts; ignored: max_concurrent_streams$/),
      expect.stringMatching(/^normalize_path: mosn-ts does not normalize request paths: routes match, and the upstream gets, the path as sent/),
      expect.stringMatching(/^stat_prefix: /),
      expect.stringMatching(/^stream_idle_timeout: /),
      expect.stringMatching(/^use_remote_address: /),
    ]);
  });
});

describe('convertListener: HTTP filters', () => {
  const withFilters = (filters: Message[]) => convert(listener({ filter_chains: [{ filters: [hcm({ http_filters: filters })] }] }));

  it('warns about filters that are not applied, refuses the ones that enforce security', () => {
    const { out, errors, warnings } = withFilters([
      { name: 'envoy.filters.http.fault', typed_config: opaque('envoy.extensions.filters.http.fault.v3.HTTPFault') },
      { name: 'envoy.filters.http.cors', typed_config: opaque('envoy.extensions.filters.http.cors.v3.Cors') },
      { name: 'envoy.filters.http.rbac', typed_config: opaque('envoy.extensions.filters.http.rbac.v3.RBAC') },
      { name: 'my-authz', typed_config: opaque('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'), is_optional: true },
      { name: 'istio.stats', typed_config: opaque('envoy.extensions.filters.http.wasm.v3.Wasm') },
      ROUTER,
    ]);
    expect(out).toBeUndefined();
    expect(errors).toEqual([expect.stringMatching(/http_filters\[2\]: HTTP filter "envoy.filters.http.rbac" \(envoy.extensions.filters.http.rbac.v3.RBAC\) is not supported by mosn-ts; .*authorizes/)]);
    expect(warnings.map((w) => w.replace(/^.*http_filters/, ''))).toEqual([
      expect.stringMatching(/^\[0\]: HTTP filter "envoy.filters.http.fault" .* not applied$/),
      expect.stringMatching(/^\[1\]: HTTP filter "envoy.filters.http.cors"/),
      expect.stringMatching(/^\[3\]: .*not applied \(is_optional\)$/),
      expect.stringMatching(/^\[4\]: HTTP filter "istio.stats"/),
    ]);
  });

  it('requires the router, last', () => {
    expect(withFilters([]).errors).toEqual([expect.stringMatching(/http_filters: no HTTP filters: the router filter .* is required, last/)]);
    const misplaced = withFilters([ROUTER, { name: 'envoy.filters.http.cors', typed_config: opaque('envoy.extensions.filters.http.cors.v3.Cors') }]);
    expect(misplaced.errors).toEqual([
      expect.stringMatching(/http_filters\[0\]: the router filter must be the last HTTP filter/),
      expect.stringMatching(/http_filters\[1\]: the last HTTP filter must be the router/),
    ]);
  });

  it('warns about router settings', () => {
    const { errors, warnings } = withFilters([{ name: 'envoy.filters.http.router', typed_config: packAny(url('envoy.extensions.filters.http.router.v3.Router'), { suppress_envoy_headers: true }) }]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/http_filters\[0\]\.typed_config: router settings are not supported by mosn-ts; ignored: suppress_envoy_headers/)]);
  });
});

describe('convertListener: tcp_proxy', () => {
  it('converts cluster, stat_prefix, idle_timeout and max_connect_attempts', () => {
    const { out, errors, warnings } = convert(listener({ filter_chains: [{ filters: [tcp({ stat_prefix: 'tcp-in', idle_timeout: { seconds: 0 }, max_connect_attempts: { value: 3 } })] }] }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(out).toEqual({
      listener: { name: 'l1', address: '0.0.0.0:15001', filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { stat_prefix: 'tcp-in', cluster: 'c1', idle_timeout: '0s', max_connect_attempts: 3 } }] }] },
      routes: [],
    });
  });

  it('takes weighted_clusters with one weighted cluster, refuses a split and metadata_match', () => {
    const one = convert(listener({ filter_chains: [{ filters: [tcp({ cluster: undefined, weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 5 }] } })] }] }));
    expect(one.errors).toEqual([]);
    expect(one.out?.listener.filter_chains).toMatchObject([{ filters: [{ config: { cluster: 'b' } }] }]);
    const split = convert(listener({ filter_chains: [{ filters: [tcp({ cluster: undefined, weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 5 }] } })] }] }));
    expect(split.errors).toEqual([expect.stringMatching(/weighted_clusters: splitting connections between 2 clusters by weight is not supported/)]);
    const subset = convert(listener({ filter_chains: [{ filters: [tcp({ metadata_match: { filter_metadata: {} } })] }] }));
    expect(subset.errors).toEqual([expect.stringMatching(/typed_config\.metadata_match: subset load balancing/)]);
  });

  it('refuses tunneling and a filter after the terminal one; unknown network filters', () => {
    expect(convert(listener({ filter_chains: [{ filters: [tcp({ tunneling_config: { hostname: 'h:443' } })] }] })).errors).toEqual([expect.stringMatching(/tunneling_config: tunneling TCP over HTTP/)]);
    expect(convert(listener({ filter_chains: [{ filters: [tcp(), hcm()] }] })).errors).toEqual([expect.stringMatching(/filters\[1\]: "envoy.filters.network.http_connection_manager" \(.*\) after "envoy.filters.network.tcp_proxy", which ends the chain/)]);
    const rbac = convert(listener({ filter_chains: [{ filters: [{ name: 'envoy.filters.network.rbac', typed_config: opaque('envoy.extensions.filters.network.rbac.v3.RBAC') }, tcp()] }] }));
    expect(rbac.errors).toEqual([expect.stringMatching(/filters\[0\]: network filter "envoy.filters.network.rbac" .* is not supported by mosn-ts; supported: /)]);
    const istio = convert(listener({ filter_chains: [{ filters: [{ name: 'istio.stats', typed_config: opaque('udpa.type.v1.TypedStruct') }, tcp()] }] }));
    expect(istio.errors).toEqual([]);
    expect(istio.warnings).toEqual([expect.stringMatching(/filters\[0\]: network filter "istio.stats" .*Istio telemetry/)]);
    expect(convert(listener({ filter_chains: [{ filters: [] }] })).errors).toEqual([expect.stringMatching(/filters: no envoy.filters.network.http_connection_manager or envoy.filters.network.tcp_proxy/)]);
  });
});

describe('convertListener: addresses and listener fields', () => {
  it('writes IPv6 as [ip]:port, a pipe as a unix listener, and allows port 0', () => {
    expect(convert(listener({ address: { socket_address: { address: '::1', port_value: 8080 } } })).out?.listener.address).toBe('[::1]:8080');
    expect(convert(listener({ address: { socket_address: { address: '127.0.0.1' } } })).out?.listener.address).toBe('127.0.0.1:0');
    const pipe = convert(listener({ address: { pipe: { path: '/tmp/mosn.sock' } } })).out?.listener;
    expect(pipe).toMatchObject({ network: 'unix', address: '/tmp/mosn.sock' });
  });

  it('refuses names, named ports, UDP, abstract sockets, a missing address', () => {
    expect(convert(listener({ address: { socket_address: { address: 'localhost', port_value: 80 } } })).errors).toEqual([expect.stringMatching(/address\.socket_address\.address: expected an IP address, got "localhost"/)]);
    expect(convert(listener({ address: { socket_address: { address: '0.0.0.0', named_port: 'http' } } })).errors).toEqual([expect.stringMatching(/named_port: named ports are not supported/)]);
    expect(convert(listener({ address: { socket_address: { address: '0.0.0.0', port_value: 53, protocol: 'UDP' } } })).errors).toEqual([expect.stringMatching(/protocol: UDP listeners/)]);
    expect(convert(listener({ address: { pipe: { path: '@abstract' } } })).errors).toEqual([expect.stringMatching(/pipe\.path: abstract unix sockets/)]);
    expect(convert(listener({ address: undefined })).errors).toEqual(['Listener "l1".address: is required']);
  });

  it('refuses original-destination, transparent and API listeners, and more addresses', () => {
    expect(convert(listener({ use_original_dst: { value: true } })).errors).toEqual([expect.stringMatching(/use_original_dst: original-destination listeners are not supported/)]);
    expect(convert(listener({ transparent: { value: true } })).errors).toEqual([expect.stringMatching(/transparent: /)]);
    expect(convert(listener({ api_listener: { api_listener: packAny(url(HCM_TYPE), {}) } })).errors).toEqual([expect.stringMatching(/api_listener: an API listener is not a data-plane listener/)]);
    expect(convert(listener({ additional_addresses: [{ address: { socket_address: { address: '::', port_value: 15001 } } }] })).errors).toEqual([expect.stringMatching(/additional_addresses: /)]);
  });

  it('leaves out a listener that does not bind, with a warning', () => {
    for (const extra of [{ bind_to_port: { value: false } }, { deprecated_v1: { bind_to_port: { value: false } } }]) {
      const { out, errors, warnings } = convert(listener(extra));
      expect(out).toBeUndefined();
      expect(errors).toEqual([]);
      expect(warnings).toEqual([expect.stringMatching(/bind_to_port: false: left out/)]);
    }
    expect(convert(listener({ bind_to_port: { value: true } })).out).toBeDefined();
  });

  it('takes tls_inspector and http_inspector; refuses original_dst, proxy_protocol and unknown listener filters', () => {
    const ok = convert(listener({ listener_filters: [
      { name: 'envoy.filters.listener.tls_inspector', typed_config: opaque('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector') },
      { name: 'envoy.filters.listener.http_inspector' },
    ] }));
    expect(ok.errors).toEqual([]);
    expect(ok.warnings).toEqual([]);
    const bad = convert(listener({ listener_filters: [
      { name: 'envoy.filters.listener.original_dst', typed_config: opaque('envoy.extensions.filters.listener.original_dst.v3.OriginalDst') },
      { name: 'envoy.filters.listener.proxy_protocol' },
      { name: 'my.filter' },
    ] }));
    expect(bad.errors).toEqual([
      expect.stringMatching(/listener_filters\[0\]: listener filter .* original-destination/),
      expect.stringMatching(/listener_filters\[1\]: listener filter "envoy.filters.listener.proxy_protocol" is not supported by mosn-ts: PROXY protocol/),
      expect.stringMatching(/listener_filters\[2\]: listener filter "my.filter" is not supported by mosn-ts$/),
    ]);
  });

  it('warns about what only observability or tuning loses; says nothing of fields with no effect', () => {
    const { errors, warnings } = convert(listener({ stat_prefix: 'x', traffic_direction: 'INBOUND', enable_reuse_port: { value: true }, socket_options: [{ level: '1', name: '2', int_value: '1' }], access_log: [{ name: 'a' }] }));
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.split(':')[0]).sort()).toEqual(['Listener "l1".access_log', 'Listener "l1".socket_options', 'Listener "l1".stat_prefix']);
  });
});

describe('convertListener: filter chains', () => {
  it('leaves out chains that never match this listener; refuses different filters and selection by client', () => {
    const skipped = convert(listener({ filter_chains: [{ filter_chain_match: { destination_port: { value: 9080 } }, filters: [tcp()] }, { filters: [hcm()] }] }));
    expect(skipped.errors).toEqual([]);
    expect(skipped.warnings).toEqual([expect.stringMatching(/filter_chains\[0\]\.filter_chain_match: this chain never matches: destination_port 9080, but the listener is on port 15001; left out/)]);
    expect(skipped.out?.listener.filter_chains).toMatchObject([{ filters: [{ type: 'proxy' }] }]);

    const different = convert(listener({ filter_chains: [{ filters: [tcp()] }, { filter_chain_match: { destination_port: { value: 15001 } }, filters: [hcm()] }] }));
    expect(different.errors).toEqual([expect.stringMatching(/filter_chains: .*filter_chains\[0\] and .*filter_chains\[1\] have different filters: choosing a filter chain per connection is not supported/)]);

    const byClient = convert(listener({ filter_chains: [{ filter_chain_match: { source_prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: { value: 8 } }] }, filters: [hcm()] }] }));
    expect(byClient.errors).toEqual([expect.stringMatching(/filter_chain_match\.source_prefix_ranges: choosing a filter chain by the client's address/)]);

    const byLocal = convert(listener({ filter_chains: [{ filter_chain_match: { prefix_ranges: [{ address_prefix: '10.0.0.1', prefix_len: { value: 32 } }] }, filters: [hcm()] }] }));
    expect(byLocal.errors).toEqual([expect.stringMatching(/prefix_ranges: choosing a filter chain by the local address on a listener bound to a wildcard/)]);
    const onIp = convert(listener({ address: { socket_address: { address: '10.0.0.1', port_value: 80 } }, filter_chains: [{ filter_chain_match: { prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: { value: 8 } }] }, filters: [hcm()] }] }));
    expect(onIp.errors).toEqual([]);
  });

  it('says only "left out" of a chain that never matches, whatever it holds; refuses a listener no chain can serve', () => {
    const { errors, warnings } = convert(listener({ filter_chains: [
      { filter_chain_match: { destination_port: { value: 9080 }, source_prefix_ranges: [{ address_prefix: '10.0.0.0' }] }, filters: [{ name: 'envoy.filters.network.redis_proxy' }] },
      { filters: [hcm()] },
    ] }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/filter_chains\[0\]\.filter_chain_match: this chain never matches/)]);
    const none = convert(listener({ filter_chains: [{ filter_chain_match: { destination_port: { value: 9080 } }, filters: [hcm()] }] }));
    expect(none.errors).toEqual([expect.stringMatching(/filter_chains: no filter chain can match a connection to this listener/)]);
  });

  it('one inline route configuration shared by identical chains is one route', () => {
    const inline = hcm({ rds: undefined, route_config: { virtual_hosts: [{ name: 'vh', domains: ['*'] }] } });
    const { out, errors } = convert(listener({
      listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }],
      filter_chains: [{ filter_chain_match: { transport_protocol: 'tls' }, filters: [inline], transport_socket: tlsSocket() }, { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [inline] }],
    }));
    expect(errors).toEqual([]);
    expect(out?.routes).toMatchObject([{ kind: 'inline', name: 'l1-inline-0' }]);
  });

  it('takes default_filter_chain like any chain', () => {
    const { out, errors } = convert(listener({ filter_chains: [], default_filter_chain: { filters: [tcp()] } }));
    expect(errors).toEqual([]);
    expect(out?.listener.filter_chains).toMatchObject([{ filters: [{ type: 'tcp_proxy' }] }]);
    expect(convert(listener({ filter_chains: [] })).errors).toEqual([expect.stringMatching(/filter_chains: no filter chain/)]);
  });

  it('a chain chosen by SNI or ALPN without the inspector that detects it never matches', () => {
    const { errors, warnings } = convert(listener({ filter_chains: [{ filter_chain_match: { server_names: ['a.example'] }, filters: [hcm()] }, { filters: [hcm()] }] }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/filter_chains\[0\]\.filter_chain_match: this chain never matches: server_names without the tls_inspector/)]);
  });
});

describe('convertListener: TLS', () => {
  const inspector = { listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }] };

  it('DownstreamTlsContext → tls_context; require_client_certificate → verify_client and require_client_cert', () => {
    const { out, errors, warnings } = convert(listener({ filter_chains: [{ filters: [hcm()], transport_socket: tlsSocket({
      require_client_certificate: { value: true },
      common_tls_context: {
        tls_certificates: [{ certificate_chain: { filename: '/certs/cert.pem' }, private_key: { filename: '/certs/key.pem' } }],
        validation_context: { trusted_ca: { inline_string: PEM_CA } },
        alpn_protocols: ['h2', 'http/1.1'],
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
      },
    }) }] }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(out?.listener.filter_chains).toEqual([{
      tls_context: { status: true, cert_chain: '/certs/cert.pem', private_key: '/certs/key.pem', ca_cert: PEM_CA, alpn: 'h2,http/1.1', min_version: 'TLSv1_2', verify_client: true, require_client_cert: true },
      filters: [expect.objectContaining({ type: 'proxy' })],
    }]);
  });

  it('a validation context alone verifies a certificate when given (verify_client)', () => {
    const { out } = convert(listener({ filter_chains: [{ filters: [hcm()], transport_socket: tlsSocket({ common_tls_context: {
      tls_certificates: [{ certificate_chain: { inline_string: PEM_CERT }, private_key: { inline_string: PEM_KEY } }],
      validation_context: { trusted_ca: { inline_string: PEM_CA } },
    } }) }] }));
    expect(out?.listener.filter_chains).toMatchObject([{ tls_context: { verify_client: true } }]);
    expect((out?.listener.filter_chains as Message[])[0]!.tls_context).not.toHaveProperty('require_client_cert');
  });

  it('refuses a TLS context without a certificate, and other transport sockets', () => {
    const noCert = convert(listener({ filter_chains: [{ filters: [hcm()], transport_socket: { name: 'tls', typed_config: packAny(url(DOWNSTREAM_TLS_TYPE), { common_tls_context: {} }) } }] }));
    expect(noCert.errors).toEqual([expect.stringMatching(/common_tls_context\.tls_certificates: a listener's TLS needs the certificate it serves/)]);
    const alts = convert(listener({ filter_chains: [{ filters: [hcm()], transport_socket: { name: 'envoy.transport_sockets.alts', typed_config: opaque('envoy.extensions.transport_sockets.alts.v3.Alts') } }] }));
    expect(alts.errors).toEqual([expect.stringMatching(/transport_socket: transport socket "envoy.transport_sockets.alts" .* is not supported/)]);
  });

  it('chains that differ in certificate by server_names become a tls_context_set, exact names first, the catch-all last', () => {
    const other = PEM_CERT.replace('MIIB', 'MIIC');
    const { out, errors, warnings } = convert(listener({
      ...inspector,
      filter_chains: [
        { filter_chain_match: { server_names: ['*.example.com'] }, filters: [hcm()], transport_socket: tlsSocket({}, other) },
        { filters: [hcm()], transport_socket: tlsSocket() },
        { filter_chain_match: { server_names: ['a.example.com'], transport_protocol: 'tls' }, filters: [hcm()], transport_socket: tlsSocket({}, other) },
      ],
    }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    const set = (out?.listener.filter_chains as Message[])[0]!.tls_context_set as Message[];
    expect(set.map((t) => [t.server_name, t.cert_chain === other])).toEqual([['a.example.com', true], ['*.example.com', true], [undefined, false]]);
  });

  it('chains with and without TLS become one chain with inspector', () => {
    const { out, errors } = convert(listener({
      ...inspector,
      filter_chains: [
        { filter_chain_match: { transport_protocol: 'tls' }, filters: [hcm()], transport_socket: tlsSocket() },
        { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm()] },
      ],
    }));
    expect(errors).toEqual([]);
    expect(out?.listener).toMatchObject({ inspector: true, filter_chains: [{ tls_context: { status: true } }] });
  });

  it('refuses chains whose TLS differs beyond the certificate, and TLS passthrough beside termination', () => {
    const differ = convert(listener({
      ...inspector,
      filter_chains: [
        { filter_chain_match: { server_names: ['a.example'] }, filters: [hcm()], transport_socket: tlsSocket({ require_client_certificate: { value: true } }) },
        { filters: [hcm()], transport_socket: tlsSocket() },
      ],
    }));
    expect(differ.errors).toEqual([expect.stringMatching(/filter_chains: .* differ in TLS settings beyond the certificate/)]);
    const passthrough = convert(listener({
      ...inspector,
      filter_chains: [
        { filter_chain_match: { server_names: ['a.example'] }, filters: [hcm()] },
        { filters: [hcm()], transport_socket: tlsSocket() },
      ],
    }));
    expect(passthrough.errors).toEqual([expect.stringMatching(/filter_chains\[0\]\.filter_chain_match: passes TLS through/)]);
  });
});
