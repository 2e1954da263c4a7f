import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvertContext, ConvertProblems, convertCluster, convertClusterLoadAssignment, decodeMessage, encodeMessage, packAny, type Message, type MosnJson } from '@mosn/xds';
import { readConfig } from '../config/read-config.js';
import { makeReaderCerts, type ReaderCerts } from '../config/testing-certs.js';
import { defaultExtensions } from '../extensions.js';

/**
 * Envoy resources → the xDS converters → this repo's MOSN config reader: what the reader takes must be what
 * Envoy meant (hosts and weights, timeouts, limits, health, TLS names and files).
 */

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function roundTrip(type: string, m: Message): Message {
  return decodeMessage(type, encodeMessage(type, m));
}

/** Converts a Cluster (and, for EDS, its ClusterLoadAssignment into its hosts, as the resource store does). */
function cluster(c: Message, cla?: Message): { json: MosnJson; problems: ConvertProblems } {
  const problems = new ConvertProblems();
  const converted = convertCluster(roundTrip(CLUSTER, c), new ConvertContext(problems, `Cluster "${String(c.name)}"`));
  if (!converted) throw new Error(`not converted: ${JSON.stringify(problems.errors)}`);
  let json = converted.cluster;
  if (converted.eds) {
    const hosts = cla ? convertClusterLoadAssignment(roundTrip(CLA, cla), new ConvertContext(problems, `ClusterLoadAssignment "${converted.eds.serviceName}"`)) : [];
    json = { ...json, hosts };
  }
  return { json, problems };
}

function read(...clusters: MosnJson[]) {
  return readConfig({ servers: [{ listeners: [], routers: [] }], cluster_manager: { clusters } }, defaultExtensions());
}

function ep(address: string, port: number, extra: Message = {}): Message {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...extra };
}

describe('converted clusters read by the MOSN config reader', () => {
  it('an EDS cluster with locality weights: hosts, weights, timeouts, limits, health and outlier detection as Envoy meant', () => {
    const { json, problems } = cluster(
      {
        name: 'outbound|80||svc',
        type: 'EDS',
        eds_cluster_config: { service_name: 'svc', eds_config: { ads: {} } },
        connect_timeout: { seconds: 2 },
        lb_policy: 'LEAST_REQUEST',
        least_request_lb_config: { choice_count: { value: 3 } },
        circuit_breakers: { thresholds: [{ max_connections: { value: 50 }, max_requests: { value: 4294967295 } }] },
        per_connection_buffer_limit_bytes: { value: 65536 },
        health_checks: [{ timeout: { seconds: 1 }, interval: { seconds: 3 }, healthy_threshold: { value: 2 }, unhealthy_threshold: { value: 4 }, http_health_check: { path: '/ready', expected_statuses: [{ start: '200', end: '204' }] } }],
        outlier_detection: { consecutive_5xx: { value: 7 }, base_ejection_time: { seconds: 60 }, enforcing_success_rate: { value: 0 } },
        lb_subset_config: { fallback_policy: 'ANY_ENDPOINT', subset_selectors: [{ keys: ['version'] }] },
      },
      {
        cluster_name: 'svc',
        endpoints: [
          // zone a: weight 3 over two hosts; zone b: weight 1, one host, one draining
          { locality: { zone: 'a' }, load_balancing_weight: { value: 3 }, lb_endpoints: [
            ep('10.0.0.1', 8080, { metadata: { filter_metadata: { 'envoy.lb': { fields: { version: { stringValue: 'v1' } } } } } }),
            ep('10.0.0.2', 8080, { metadata: { filter_metadata: { 'envoy.lb': { fields: { version: { stringValue: 'v2' } } } } } }),
          ] },
          { locality: { zone: 'b' }, load_balancing_weight: { value: 1 }, lb_endpoints: [ep('10.0.1.1', 8080), ep('10.0.1.2', 8080, { health_status: 'DRAINING' })] },
        ],
      },
    );
    expect(problems.errors).toEqual([]);
    const { config, problems: readProblems } = read(json);
    expect(readProblems.errors).toEqual([]);
    expect(readProblems.warnings).toEqual([]);
    const spec = config!.clusters[0]!;
    expect(spec.lbType).toBe('LB_LEAST_REQUEST');
    // zone a: 1.5 each; zone b: 1 × min(1, 1.4 × 1/2) = 0.7 → 15 : 15 : 7
    expect(spec.config.hosts.map((h) => [h.address, h.weight, h.metadata])).toEqual([
      [{ host: '10.0.0.1', port: 8080 }, 15, { version: 'v1' }],
      [{ host: '10.0.0.2', port: 8080 }, 15, { version: 'v2' }],
      [{ host: '10.0.1.1', port: 8080 }, 7, undefined],
    ]);
    expect(spec.config.connectTimeoutMs).toBe(2000);
    expect(spec.config.idleTimeoutMs).toBe(3_600_000);
    expect(spec.config.bufferLimit).toBe(65536);
    expect(spec.config.lbConfig).toEqual({ choiceCount: 3 });
    expect(spec.config.circuitBreakers).toEqual({ maxConnections: 50, maxPendingRequests: 1024, maxRequests: 1_000_000, maxRetries: 3 });
    expect(spec.config.lbSubset).toEqual({ fallbackPolicy: 'ANY_ENDPOINT', defaultSubset: {}, selectors: [['version']] });
    expect(spec.healthCheck).toMatchObject({ kind: 'http', timeoutMs: 1000, intervalMs: 3000, healthyThreshold: 2, unhealthyThreshold: 4, http: { path: '/ready', codes: [{ start: 200, end: 203 }] } });
    expect(spec.outlierDetection).toMatchObject({ consecutive5xx: 7, baseEjectionTimeMs: 60_000 });
  });

  it('STATIC, STRICT_DNS and ORIGINAL_DST clusters', () => {
    const statics = cluster({ name: 'static', type: 'STATIC', load_assignment: { cluster_name: 'static', endpoints: [{ lb_endpoints: [ep('::1', 9000, { load_balancing_weight: { value: 2 } }), { endpoint: { address: { pipe: { path: '/tmp/app.sock' } } } }] }] } });
    const dns = cluster({ name: 'dns', type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', dns_refresh_rate: { seconds: 10 }, load_assignment: { cluster_name: 'dns', endpoints: [{ lb_endpoints: [ep('backend.example', 443)] }] } });
    const dst = cluster({ name: 'dst', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', original_dst_lb_config: { use_http_header: true } });
    for (const c of [statics, dns, dst]) expect(c.problems.errors).toEqual([]);
    const { config, problems } = read(statics.json, dns.json, dst.json);
    expect(problems.errors).toEqual([]);
    expect(problems.warnings).toEqual([]);
    const [s, d, o] = config!.clusters;
    expect(s!.config.hosts.map((h) => [h.address, h.weight])).toEqual([[{ host: '::1', port: 9000 }, 2], [{ path: '/tmp/app.sock' }, 1]]);
    expect(d!.dns?.hosts.map((h) => h.address)).toEqual([{ host: 'backend.example', port: 443 }]);
    expect(d!.dns?.settings).toMatchObject({ family: 'V4_ONLY', refreshMs: 10_000 });
    expect(o!.lbType).toBe('LB_ORIGINAL_DST');
    expect(o!.originalDst).toMatchObject({ useHeader: true, headerName: 'x-envoy-original-dst-host' });
  });

  describe('TLS', () => {
    let certs: ReaderCerts;
    beforeAll(() => {
      certs = makeReaderCerts();
    });
    afterAll(() => certs.remove());

    it('an UpstreamTlsContext with files: sni, CA and client certificate as the reader loads them', () => {
      const { json, problems } = cluster({
        name: 'tls',
        type: 'EDS',
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: packAny(UPSTREAM_TLS, {
            sni: 'localhost',
            common_tls_context: {
              tls_certificates: [{ certificate_chain: { filename: join(certs.dir, 'client.pem') }, private_key: { filename: join(certs.dir, 'client.key') } }],
              validation_context: { trusted_ca: { filename: join(certs.dir, 'ca.pem') }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'localhost' } }] },
              alpn_protocols: ['h2'],
              tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
            },
          }),
        },
      }, { cluster_name: 'tls', endpoints: [{ lb_endpoints: [ep('127.0.0.1', 8443)] }] });
      expect(problems.errors).toEqual([]);
      expect(problems.warnings).toEqual([]);
      const { config, problems: readProblems } = read(json);
      expect(readProblems.errors).toEqual([]);
      expect(readProblems.warnings).toEqual([]);
      const tls = config!.clusters[0]!.tls!;
      expect(tls.serverName).toBe('localhost');
      expect(tls.insecureSkip).toBe(false);
      expect(tls.files).toEqual({ ca: join(certs.dir, 'ca.pem'), certChain: join(certs.dir, 'client.pem'), privateKey: join(certs.dir, 'client.key') });
      expect(tls.ca).toContain('-----BEGIN CERTIFICATE-----');
      expect(tls.alpn).toEqual(['h2']);
      expect(tls.minVersion).toBe('TLSv1.2');
    });

    it('inline PEM, and no validation context: the server is not verified, as in Envoy', () => {
      const pem = readFileSync(join(certs.dir, 'client.pem'), 'utf8');
      const key = readFileSync(join(certs.dir, 'client.key'), 'utf8');
      const { json, problems } = cluster({
        name: 'tls-inline',
        type: 'STATIC',
        load_assignment: { cluster_name: 'tls-inline', endpoints: [{ lb_endpoints: [ep('127.0.0.1', 8443)] }] },
        transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: packAny(UPSTREAM_TLS, { common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: pem }, private_key: { inline_bytes: Buffer.from(key) } }] } }) },
      });
      expect(problems.errors).toEqual([]);
      const { config, problems: readProblems } = read(json);
      expect(readProblems.errors).toEqual([]);
      const tls = config!.clusters[0]!.tls!;
      expect(tls.insecureSkip).toBe(true);
      expect(tls.certChain).toBe(pem);
      expect(tls.files).toEqual({});
    });
  });
});
