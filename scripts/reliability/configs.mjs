// MOSN JSON for the reliability scripts: one listener per kind (http1, http2, bolt, dubbo, tcp, tls), each with
// the cluster its backend is in.

/** The kinds of listener the scripts know, in the order they run. */
export const KINDS = ['http1', 'http2', 'bolt', 'dubbo', 'tcp', 'tls'];

/** The backend kind behind a listener kind (TLS terminates in mosn: HTTP/1 behind it). */
export const BACKEND_OF = { http1: 'http1', http2: 'http2', bolt: 'bolt', dubbo: 'dubbo', tcp: 'tcp', tls: 'http1' };

/** The behaviours of a listener kind's slow clients (slow-clients-child.mjs; TLS adds a ClientHello trickled). */
export function behavioursOf(kind) {
  return kind === 'tls' ? ['slow-hello', 'slow-head', 'slow-body', 'no-read'] : ['slow-head', 'slow-body', 'no-read'];
}

export function cluster(name, addresses, extra = {}) {
  return { name, type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: addresses.map((address) => ({ address })), ...extra };
}

/**
 * The listener of `kind` on `port`, sending everything to cluster `clusterName`.
 * `o`: bufferLimit (bytes), idleTimeout, headersTimeout, routeTimeout (duration strings), tls ({cert, key} paths),
 * routeHeader (a header the HTTP routes add to requests: a reload changes it).
 */
export function listenerFor(kind, port, clusterName, o = {}) {
  const base = {
    name: kind,
    address: `127.0.0.1:${port}`,
    bind_port: true,
    ...(o.bufferLimit !== undefined ? { per_connection_buffer_limit_bytes: o.bufferLimit } : {}),
    ...(o.idleTimeout !== undefined ? { connection_idle_timeout: o.idleTimeout } : {}),
  };
  if (kind === 'tcp') {
    return { ...base, filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { cluster: clusterName, ...(o.idleTimeout ? { idle_timeout: o.idleTimeout } : {}) } }] }] };
  }
  const downstream = { http1: 'Http1', tls: 'Http1', http2: 'Http2', bolt: 'bolt', dubbo: 'dubbo' }[kind];
  const extend = kind === 'http1' || kind === 'tls' ? (o.headersTimeout ? { http1: { request_headers_timeout: o.headersTimeout } } : undefined) : undefined;
  const proxy = {
    type: 'proxy',
    config: { downstream_protocol: downstream, ...(kind === 'http2' ? { upstream_protocol: 'Http2' } : {}), router_config_name: `r_${kind}`, ...(extend ? { extend_config: extend } : {}) },
  };
  const chain = { filters: [proxy] };
  if (kind === 'tls') chain.tls_context = { status: true, cert_chain: o.tls.cert, private_key: o.tls.key };
  return { ...base, filter_chains: [chain] };
}

/** The router of a listener kind (none for tcp): every request to `clusterName`. */
export function routerFor(kind, clusterName, o = {}) {
  if (kind === 'tcp') return undefined;
  const route = { cluster_name: clusterName, ...(o.routeTimeout ? { timeout: o.routeTimeout } : {}) };
  const rpc = kind === 'bolt' || kind === 'dubbo';
  const match = rpc ? { headers: [{ name: 'service', value: '.*', regex: true }] } : { prefix: '/' };
  return {
    router_config_name: `r_${kind}`,
    virtual_hosts: [
      {
        name: 'vh',
        domains: ['*'],
        routers: [{ match, route }],
        ...(o.routeHeader && !rpc ? { request_headers_to_add: [{ header: { key: 'x-soak-route', value: o.routeHeader }, append: false }] } : {}),
      },
    ],
  };
}

/** A whole config: `listeners` and `routers` (undefined entries dropped), `clusters`. */
export function mosnConfig({ listeners, routers, clusters, gracefulTimeout = '5s' }) {
  return {
    servers: [{ default_log_path: 'stderr', graceful_timeout: gracefulTimeout, routers: routers.filter(Boolean), listeners }],
    cluster_manager: { clusters },
  };
}
