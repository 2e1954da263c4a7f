import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvertContext, ConvertProblems, convertListener, decodeMessage, encodeMessage, packAny, type ConvertedListener, type Message } from '@mosn/xds';
import { problemLines } from '../config/testing.js';
import { readConfig } from '../config/read-config.js';
import { makeReaderCerts, type ReaderCerts } from '../config/testing-certs.js';
import type { ProxyFilterSpec } from '../filters/proxy.js';
import { defaultExtensions } from '../extensions.js';

/**
 * Envoy Listeners, converted by @mosn/xds, read by the real MOSN config reader with a router of the name the
 * listener references and a cluster: no problem, and the listener is what Envoy meant.
 */

const url = (name: string) => `type.googleapis.com/${name}`;
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = { name: 'envoy.filters.http.router', typed_config: packAny(url('envoy.extensions.filters.http.router.v3.Router'), {}) };

function hcm(extra: Message = {}): Message {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: packAny(url(HCM), { stat_prefix: 'ingress_http', rds: { route_config_name: 'r1', config_source: { ads: {} } }, http_filters: [ROUTER], ...extra }),
  };
}

function convert(l: Message): ConvertedListener {
  const decoded = decodeMessage('envoy.config.listener.v3.Listener', encodeMessage('envoy.config.listener.v3.Listener', l));
  const problems = new ConvertProblems();
  const out = convertListener(decoded, new ConvertContext(problems, 'Listener'));
  expect(problems.errors).toEqual([]);
  expect(out).toBeDefined();
  return out!;
}

/** The converted listener in a MOSN config with router r1 and cluster c1, read. */
function read(converted: ConvertedListener) {
  const raw = {
    servers: [{
      routers: [{ router_config_name: 'r1', virtual_hosts: [{ name: 'all', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'c1' } }] }] }],
      listeners: [converted.listener],
    }],
    cluster_manager: { clusters: [{ name: 'c1', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: '127.0.0.1:8080' }] }] },
  };
  const { config, problems } = readConfig(raw, defaultExtensions());
  const lines = problemLines(problems);
  expect(lines.errors).toEqual([]);
  expect(lines.warnings).toEqual([]);
  return config!.listeners[0]!;
}

describe('an Envoy listener converted and read by mosn-ts', () => {
  let certs: ReaderCerts;
  beforeAll(() => {
    certs = makeReaderCerts();
  });
  afterAll(() => certs.remove());
  const file = (name: string) => join(certs.dir, name);
  const tlsSocket = (extra: Message = {}, common: Message = {}) => ({
    name: 'envoy.transport_sockets.tls',
    typed_config: packAny(url('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'), {
      common_tls_context: { tls_certificates: [{ certificate_chain: { filename: file('server.pem') }, private_key: { filename: file('server.key') } }], ...common },
      ...extra,
    }),
  });

  it('HTTP (AUTO codec, RDS): the address, HTTP/1 and HTTP/2 detected, the router, Envoy\'s idle timeout and header limit', () => {
    const converted = convert({
      name: 'ingress',
      address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
      filter_chains: [{ filters: [hcm()] }],
    });
    expect(converted.routes).toEqual([{ kind: 'rds', name: 'r1' }]);
    const l = read(converted);
    expect(l.name).toBe('ingress');
    expect(l.address).toEqual({ host: '0.0.0.0', port: 15001 });
    expect(l.idleTimeoutMs).toBe(3_600_000);
    expect(l.tls).toBeUndefined();
    const [filter] = l.filters;
    expect(filter?.type).toBe('proxy');
    const proxy = filter!.config as ProxyFilterSpec;
    expect(proxy.downstream.map((p) => p.name)).toEqual(['Http1', 'Http2']);
    expect(proxy.detect).toBe(true);
    expect(proxy.routerName).toBe('r1');
    expect(proxy.maxHeaderSize).toBe(60 * 1024);
  });

  it('HTTP/2 only, on IPv6, with the HCM\'s idle timeout', () => {
    const l = read(convert({
      name: 'h2',
      address: { socket_address: { address: '::1', port_value: 8443 } },
      per_connection_buffer_limit_bytes: { value: 65536 },
      filter_chains: [{ filters: [hcm({ codec_type: 'HTTP2', common_http_protocol_options: { idle_timeout: { seconds: 30 } } })] }],
    }));
    expect(l.address).toEqual({ host: '::1', port: 8443 });
    expect(l.bufferLimit).toBe(65536);
    expect(l.idleTimeoutMs).toBe(30_000);
    const proxy = l.filters[0]!.config as ProxyFilterSpec;
    expect(proxy.downstream.map((p) => p.name)).toEqual(['Http2']);
    expect(proxy.detect).toBe(false);
  });

  it('TCP proxy on a unix socket', () => {
    const l = read(convert({
      name: 'tcp',
      address: { pipe: { path: '/tmp/mosn-xds-test.sock' } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: packAny(url('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), { stat_prefix: 'tcp', cluster: 'c1', idle_timeout: { seconds: 600 }, max_connect_attempts: { value: 2 } }) }] }],
    }));
    expect(l.address).toEqual({ path: '/tmp/mosn-xds-test.sock' });
    expect(l.filters).toEqual([{ type: 'tcp_proxy', config: expect.objectContaining({ cluster: 'c1', idleTimeoutMs: 600_000, maxConnectAttempts: 2, statPrefix: 'tcp' }) }]);
  });

  it('mutual TLS: the certificate files read, client certificates required and verified against the CA', () => {
    const l = read(convert({
      name: 'mtls',
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [{
        filters: [hcm()],
        transport_socket: tlsSocket({ require_client_certificate: { value: true } }, {
          validation_context: { trusted_ca: { filename: file('ca.pem') } },
          tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
          alpn_protocols: ['h2', 'http/1.1'],
        }),
      }],
    }));
    expect(l.tls?.inspector).toBe(false);
    expect(l.tls?.contexts).toHaveLength(1);
    const [t] = l.tls!.contexts;
    expect(t).toMatchObject({ clientAuth: 'require_and_verify', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', alpn: ['h2', 'http/1.1'] });
    expect(t!.certChain).toBe(readFileSync(file('server.pem'), 'utf8'));
    expect(t!.ca).toBe(readFileSync(file('ca.pem'), 'utf8'));
    expect(t!.certNames).toContain('localhost');
  });

  it('a trusted CA without require_client_certificate verifies a certificate only when one is given', () => {
    const l = read(convert({
      name: 'tls',
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [{ filters: [hcm()], transport_socket: tlsSocket({}, { validation_context: { trusted_ca: { filename: file('ca.pem') } } }) }],
    }));
    expect(l.tls?.contexts[0]?.clientAuth).toBe('verify_if_given');
  });

  it('chains by server_names and a plaintext chain: certificates picked by SNI, plaintext on the same port', () => {
    const l = read(convert({
      name: 'sni',
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }],
      filter_chains: [
        { filter_chain_match: { server_names: ['api.example.test'], transport_protocol: 'tls' }, filters: [hcm()], transport_socket: tlsSocket() },
        { filter_chain_match: { transport_protocol: 'tls' }, filters: [hcm()], transport_socket: tlsSocket() },
        { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm()] },
      ],
    }));
    expect(l.tls?.inspector).toBe(true);
    expect(l.tls?.contexts.map((c) => c.serverName)).toEqual(['api.example.test', undefined]);
    expect(l.filters.map((f) => f.type)).toEqual(['proxy']);
  });
});
