import { cluster } from '../helpers.js';
import { mosnJson, proxyListener, router } from '../reload/support.js';
import type { Protocol } from './clients.js';
import type { Upstream } from './upstreams.js';

// The mosn config of the chaos tests, as a MOSN user would write it for services that fail: one listener and one
// cluster per protocol over the same upstream processes, with timeouts, HTTP retries, active health checks and
// outlier detection.

/** Route timeouts: HTTP (all tries together), RPC (also the Bolt request's own timeout field). */
export const HTTP_TIMEOUT_MS = 3000;
export const HTTP_TRY_TIMEOUT_MS = 1000;
export const RPC_TIMEOUT_MS = 2000;

/** A client waits this much longer than mosn's timeout before it calls a request hung. */
export const HANG_MARGIN_MS = 2000;

/** The deadline of a request of `protocol`: mosn must have answered it by then. */
export function deadlineOf(protocol: Protocol): number {
  return (protocol === 'http1' || protocol === 'http2' ? HTTP_TIMEOUT_MS : RPC_TIMEOUT_MS) + HANG_MARGIN_MS;
}

/** The listener ports mosn is given. */
export type ListenerPorts = Record<Protocol, number> & { admin: number };

const CHECK_TIMING = { timeout: '500ms', interval: '500ms', interval_jitter: '100ms', initial_delay_seconds: '0s', unhealthy_threshold: 2, healthy_threshold: 2 };

/**
 * Envoy's consecutive-error ejection, with gateway errors (timeouts, resets) enforced: three in a row eject a host
 * for 2 s (longer when it is ejected again soon). One host of three at most. A passing active check does not
 * return an ejected host: a slow host answers its health checks at once, and would otherwise be back at once.
 */
const OUTLIER = {
  consecutive_5xx: 5,
  consecutive_gateway_failure: 3,
  enforcing_consecutive_gateway_failure: 100,
  interval: '1s',
  base_ejection_time: '2s',
  max_ejection_percent: 50,
  successful_active_health_check_uneject_host: false,
};

/**
 * Retries in flight per cluster (HTTP retries and connect-failure retries of every protocol). The default, 3, is
 * for a cluster that fails now and then: a host lost under 100 requests/s fails tens of requests at once, and
 * past the limit each keeps its own failure (counted as `upstream_rq_retry_overflow`).
 */
const CIRCUIT_BREAKERS = [{ max_retries: 100 }];

const httpRoute = (clusterName: string) => ({
  match: { prefix: '/' },
  route: {
    cluster_name: clusterName,
    timeout: `${HTTP_TIMEOUT_MS}ms`,
    retry_policy: { retry_on: true, num_retries: 2, retry_timeout: `${HTTP_TRY_TIMEOUT_MS}ms` },
  },
});

const rpcRoute = (clusterName: string) => ({
  match: { headers: [{ name: 'service', value: '.*', regex: true }] },
  route: { cluster_name: clusterName, timeout: `${RPC_TIMEOUT_MS}ms` },
});

/** The whole config, mosn as its own process (admin API on `ports.admin`, for the stats). */
export function chaosConfig(ports: ListenerPorts, upstreams: readonly Upstream[]): Record<string, unknown> {
  const hosts = (p: 'h1' | 'h2' | 'bolt' | 'dubbo') => upstreams.map((u) => u.address(p));
  return mosnJson({
    admin: ports.admin,
    logLevel: 'WARN',
    routers: [router('r_http1', [httpRoute('c_http1')]), router('r_http2', [httpRoute('c_http2')]), router('r_bolt', [rpcRoute('c_bolt')]), router('r_dubbo', [rpcRoute('c_dubbo')])],
    listeners: [
      proxyListener('http1', ports.http1, 'Http1', 'r_http1', { upstream: 'Http1' }),
      proxyListener('http2', ports.http2, 'Http2', 'r_http2', { upstream: 'Http2' }),
      proxyListener('bolt', ports.bolt, 'bolt', 'r_bolt'),
      proxyListener('dubbo', ports.dubbo, 'dubbo', 'r_dubbo'),
    ],
    clusters: [
      cluster('c_http1', hosts('h1'), {
        health_check: { protocol: 'Http1', ...CHECK_TIMING, check_config: { http_check_config: { path: '/health' } } },
        outlier_detection: OUTLIER,
        circuit_breakers: CIRCUIT_BREAKERS,
      }),
      // mosn's HTTP check speaks HTTP/1 only, and an h2c server answers nothing else: a TCP check
      cluster('c_http2', hosts('h2'), { health_check: { protocol: 'tcp', ...CHECK_TIMING }, outlier_detection: OUTLIER, circuit_breakers: CIRCUIT_BREAKERS }),
      cluster('c_bolt', hosts('bolt'), { health_check: { protocol: 'bolt', ...CHECK_TIMING }, outlier_detection: OUTLIER, circuit_breakers: CIRCUIT_BREAKERS }),
      cluster('c_dubbo', hosts('dubbo'), { health_check: { protocol: 'dubbo', ...CHECK_TIMING }, outlier_detection: OUTLIER, circuit_breakers: CIRCUIT_BREAKERS }),
    ],
  });
}
