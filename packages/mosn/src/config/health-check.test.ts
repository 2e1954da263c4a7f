import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_CHECK, type XProtocolCodec } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';
import { readHealthCheck } from './health-check.js';
import { readSection } from './testing.js';

/** Read `cluster` (a cluster's JSON) with `read`. */
const read = <T>(cluster: Record<string, unknown>, readFn: (c: ConfigReader) => T) => readSection(cluster, 'cluster_manager.clusters[0]', readFn);

const P = 'cluster_manager.clusters[0].health_check';
const heartbeatCodec = { name: 'bolt', heartbeatTrigger: () => ({}) } as unknown as XProtocolCodec;
const quietCodec = { name: 'quiet' } as unknown as XProtocolCodec;
const codecFor = (name: string) => (name === 'bolt' ? heartbeatCodec : name === 'quiet' ? quietCodec : undefined);

describe('readHealthCheck', () => {
  it('is absent without health_check, or when every field is unset (MOSN writes {"timeout":"0s",...} in its dumps)', () => {
    expect(read({}, readHealthCheck).result).toBeUndefined();
    const dump = read({ health_check: { timeout: '0s', interval: '0s', interval_jitter: '0s' } }, readHealthCheck);
    expect(dump.result).toBeUndefined();
    expect(dump.warnings).toEqual([]);
  });

  it('fills MOSN defaults, zero values included, and checks by TCP connect without a protocol', () => {
    const { result, errors } = read({ health_check: { service_name: 'svc', healthy_threshold: 0 } }, readHealthCheck);
    expect(errors).toEqual([]);
    expect(result).toEqual({ ...DEFAULT_HEALTH_CHECK, kind: 'tcp', protocol: '', serviceName: 'svc' });
  });

  it('reads every key, durations as Go strings', () => {
    const { result, errors, warnings } = read(
      {
        health_check: {
          protocol: 'Http1',
          timeout: '2s',
          interval: '5s',
          interval_jitter: '100ms',
          initial_delay_seconds: '3s',
          healthy_threshold: 2,
          unhealthy_threshold: 3,
          check_config: {
            http_check_config: { port: 8080, path: 'ping?x=1', method: 'head', domain: 'svc.local', timeout: '500ms', codes: [{ Start: 200, End: 204 }] },
          },
        },
      },
      readHealthCheck,
    );
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      kind: 'http',
      protocol: 'Http1',
      timeoutMs: 2000,
      intervalMs: 5000,
      intervalJitterMs: 100,
      initialDelayMs: 3000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      http: { path: '/ping?x=1', method: 'HEAD', port: 8080, domain: 'svc.local', timeoutMs: 500, codes: [{ start: 200, end: 204 }] },
    });
  });

  it('checks Http1 without http_check_config, and protocols without heartbeats, by TCP connect, with a warning', () => {
    const http = read({ health_check: { protocol: 'Http1' } }, readHealthCheck);
    expect(http.result?.kind).toBe('tcp');
    expect(http.warnings).toEqual([`${P}.check_config: protocol "Http1" without check_config.http_check_config: checked by TCP connect, as MOSN does`]);
    const rd = (protocol: string) => read({ health_check: { protocol } }, (c) => readHealthCheck(c, codecFor));
    expect(rd('bolt').result?.kind).toBe('rpc');
    expect(rd('quiet').result?.kind).toBe('tcp');
    expect(rd('quiet').warnings).toEqual([`${P}.protocol: protocol "quiet" has no heartbeat: checked by TCP connect, as MOSN does`]);
    expect(rd('Http2').warnings).toEqual([`${P}.protocol: no health checker for protocol "Http2": checked by TCP connect, as MOSN does`]);
    expect(rd('tcp').result?.kind).toBe('tcp');
  });

  it('reports bad values with their paths', () => {
    const { errors, warnings } = read(
      {
        health_check: {
          protocol: 'Http1',
          timeout: 'soon',
          unhealthy_threshold: -1,
          event_log_path: '/tmp/hc.log',
          check_config: { http_check_config: { scheme: 'https', codes: [{ start: 500, end: 200 }], method: 'GE T' }, extra: 1 },
        },
      },
      readHealthCheck,
    );
    expect(errors).toEqual([
      `${P}.timeout: expected a duration such as "10s", "500ms" or "1m30s", got string "soon"`,
      `${P}.unhealthy_threshold: expected a number from 0 to ∞, got -1`,
      `${P}.check_config.http_check_config.method: "GE T" is not an HTTP method`,
      `${P}.check_config.http_check_config.scheme: "https" needs TLS on the cluster (its tls_context, with the CA and name to check): add it, or use "http"`,
      `${P}.check_config.http_check_config.codes[0]: start 500 is after end 200`,
    ]);
    expect(warnings).toEqual([
      `${P}.check_config.extra: unknown key; ignored`,
      `${P}.event_log_path: a separate health-check event log is not supported by mosn-ts; changes are logged to the main log`,
    ]);
  });
});
