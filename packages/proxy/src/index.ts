/**
 * @mosn/proxy: the proxy layer of mosn-ts. The `proxy` and `tcp_proxy` network filters, the per-request
 * state machine, the router, clusters and load balancers, and stats. It takes typed configs (reading MOSN's
 * JSON is the runtime's business). It re-exports @mosn/stream (and through it the layers below).
 */
export * from '@mosn/stream';
export {
  Cluster,
  ClusterManager,
  Host,
  MAX_CONNECT_ATTEMPTS,
  http1PoolFactory,
  http2PoolFactory,
  rpcPoolFactory,
  type ClusterConfig,
  type ClusterOptions,
  type HostConfig,
  type HostSource,
  type HostSourceContext,
  type HostsChangedListener,
  type PoolFactory,
  type UpstreamPool,
} from './upstream/cluster.js';
export {
  DEFAULT_DNS_REFRESH_MS,
  DEFAULT_DNS_TIMEOUT_MS,
  DNS_LOOKUP_FAMILIES,
  StrictDnsSource,
  nameList,
  type DnsLookupFamily,
  type DnsResolverSettings,
  type StrictDnsConfig,
} from './upstream/strict-dns.js';
export {
  DEFAULT_ORIGINAL_DST_CLEANUP_MS,
  MAX_ORIGINAL_DST_HOSTS,
  OriginalDstSource,
  originalDstLb,
  parseDestination,
  type OriginalDstConfig,
} from './upstream/original-dst.js';
export { DownstreamRequest } from './http/downstream.js';
export type { ProxyContext } from './context.js';
export type { LbConfig, LbContext, LoadBalancer, LoadBalancerFactory } from './lb/load-balancer.js';
export * from './lb/index.js';
export { ProxyFilterFactory, type ProxyFilterConfig } from './proxy-filter.js';
export { RpcProxy } from './rpc/rpc-request.js';
export { Registry } from './common/registry.js';
export {
  DEFAULT_ROUTE_TIMEOUT_MS,
  RouterConfig,
  RouterHandle,
  RouterManager,
  hashKey,
  httpRouteRequest,
  pickCluster,
  pickTarget,
  type ClusterTarget,
  type HashPolicy,
  rpcRouteRequest,
  RpcRouteRequest,
  type WeightedCluster,
  type HeaderMatcher,
  type VariableMatcher,
  type MirrorPolicy,
  type Route,
  type RouteAction,
  type RouteMatch,
  type RouteRequest,
  type VirtualHost,
  type ForwardAction,
  type HeaderAddConfig,
  type HeaderEditConfig,
  type HostRewrite,
  type PathRewrite,
  type RedirectAction,
  type RetryPolicy,
} from './router/router.js';
export { RETRY_CONDITIONS, retryPolicy } from './upstream/retry.js';
export { KNOWN_VARIABLES, variableGetter, type RequestVars, type VariableGetter } from './variables.js';
export { Counter, Stats, type StatsCollector } from './stats/stats.js';
export { BUCKET_NAMES, LATENCY_BUCKETS_MS, LatencyCounts, emitLatency } from './stats/latency.js';
export { UpstreamFigures, emitUpstreamFigures } from './stats/upstream-figures.js';
export { CLUSTER, JWT_AUTHN, LISTENER, downstreamRqStatus } from './stats/names.js';
export { FaultInjectFilterFactory, delayDrawn, type FaultInjectConfig } from './network-filter/fault-inject.js';
export { DEFAULT_TCP_IDLE_TIMEOUT_MS, TcpProxyFilterFactory, type Cidr, type TcpProxyConfig, type TcpRouteConfig } from './tcp/tcp-proxy.js';
export { BudgetHold, ClusterResources, DEFAULT_CIRCUIT_BREAKERS, Limit, type CircuitBreakerConfig } from './upstream/circuit-breaker.js';
export * from './health/index.js';
export { logRateLimited } from './common/failure-log.js';
export * from './stream-filter/index.js';
export * from './access-log/index.js';
