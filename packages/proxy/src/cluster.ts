import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  Http1ConnectionPool,
  Http2ConnectionPool,
  formatAddress,
  silentLogger,
  type Address,
  type ConnectionPool,
  type KeepaliveOptions,
  type Logger,
  type XProtocolCodec,
  XConnectionPool,
} from '@mosn/stream';

/** An upstream connection pool: HTTP (one request per connection at a time) or RPC (multiplexed). */
export type UpstreamPool = ConnectionPool | XConnectionPool;
import { ClusterResources, type CircuitBreakerConfig } from './circuit-breaker.js';
import type { HealthChecker, OutlierDetector } from './health/index.js';
import type { LbConfig, LbContext, LoadBalancer, LoadBalancerFactory } from './load-balancer.js';

export interface HostConfig {
  address: Address;
  weight: number;
  hostname?: string;
}

export interface ClusterConfig {
  name: string;
  type: string;
  lbType: string;
  hosts: HostConfig[];
  connectTimeoutMs: number;
  /** Pooled upstream connections idle this long are closed; 0 keeps them. */
  idleTimeoutMs: number;
  maxRequestsPerConnection: number;
  bufferLimit?: number;
  /** Most connections per host (RPC pools multiplex over them; default 1). */
  maxConnections?: number;
  /** Heartbeats on idle RPC connections. */
  keepalive?: KeepaliveOptions;
  /** `lbconfig`: settings of the load balancer. */
  lbConfig?: LbConfig;
  /** `circuit_breakers` thresholds. */
  circuitBreakers?: CircuitBreakerConfig;
}

/** An upstream host: where to connect, its weight and health, and its connection pools by protocol. */
export class Host {
  readonly address: Address;
  readonly addressText: string;
  readonly weight: number;
  healthy = true;
  /** Requests sent to this host and not yet answered (least-request and EWMA balancers read it). */
  activeRequests = 0;
  /** Exponentially weighted moving average of response latency in ms (LB_PEAK_EWMA); 0 until measured. */
  latencyEwmaMs = 0;
  readonly cluster: Cluster;
  #pools = new Map<string, UpstreamPool>();

  constructor(cluster: Cluster, config: HostConfig) {
    this.cluster = cluster;
    this.address = config.address;
    this.addressText = formatAddress(config.address);
    this.weight = config.weight;
  }

  /** A request to this host started (returns the start time, for `requestEnded`). */
  requestStarted(): number {
    this.activeRequests++;
    return performance.now();
  }

  /** A request to this host ended; `startedAt` from `requestStarted`. */
  requestEnded(startedAt: number): void {
    if (this.activeRequests > 0) this.activeRequests--;
    const ms = performance.now() - startedAt;
    this.latencyEwmaMs = this.latencyEwmaMs === 0 ? ms : this.latencyEwmaMs * 0.9 + ms * 0.1;
  }

  /** The pool for a protocol, made on first use. */
  pool(protocol: string): UpstreamPool {
    let p = this.#pools.get(protocol);
    if (!p) {
      p = this.cluster.createPool(this, protocol);
      this.#pools.set(protocol, p);
    }
    return p;
  }

  /** Upstream connections open (or opening) to this host, over all its pools. */
  get activeConnections(): number {
    let n = 0;
    for (const p of this.#pools.values()) n += p.connectionCount;
    return n;
  }

  get pools(): Iterable<UpstreamPool> {
    return this.#pools.values();
  }
}

/** Makes the connection pool of a protocol for a host; the runtime registers one per upstream protocol. */
export type PoolFactory = (host: Host, cluster: Cluster) => UpstreamPool;

export class Cluster {
  readonly name: string;
  readonly config: ClusterConfig;
  readonly hosts: Host[];
  readonly lb: LoadBalancer;
  readonly log: Logger;
  readonly resources: ClusterResources;
  /** Active health checks (`health_check`), started by the runtime. */
  healthChecker: HealthChecker | undefined;
  /** Passive outlier ejection (`outlier_detection`); the proxy reports each request's outcome to it. */
  outlierDetector: OutlierDetector | undefined;
  #poolFactories: ReadonlyMap<string, PoolFactory>;

  constructor(config: ClusterConfig, lbFactory: LoadBalancerFactory, poolFactories: ReadonlyMap<string, PoolFactory>, logger: Logger = silentLogger) {
    this.name = config.name;
    this.config = config;
    this.log = logger.child({ cluster: config.name });
    this.#poolFactories = poolFactories;
    this.resources = new ClusterResources(config.circuitBreakers);
    this.hosts = config.hosts.map((h) => new Host(this, h));
    this.lb = lbFactory(this.hosts, config.lbConfig);
  }

  /**
   * Another host for a request whose connect to the `tried` hosts failed: asks the load balancer a few
   * times for one not tried yet. Undefined when there is none.
   */
  retryHost(tried: readonly Host[], ctx?: LbContext): Host | undefined {
    if (tried.length >= this.hosts.length) return undefined;
    // The previous host tells position-based balancers (request round robin, Maglev) to move on.
    const retryCtx: LbContext = { ...ctx, previousHost: tried[tried.length - 1] };
    for (let i = 0; i < this.hosts.length * 2; i++) {
      const h = this.lb.chooseHost(retryCtx);
      if (h === undefined) return undefined;
      if (!tried.includes(h)) return h;
      retryCtx.previousHost = h;
    }
    return this.hosts.find((h) => h.healthy && !tried.includes(h));
  }

  /** A new pool to `host` for `protocol`, from the pool factory registered for it. */
  createPool(host: Host, protocol: string): UpstreamPool {
    const f = this.#poolFactories.get(protocol.toLowerCase());
    if (f) return f(host, this);
    throw new Error(`no upstream connection pool for protocol ${protocol}`);
  }

  close(): void {
    this.healthChecker?.stop();
    this.outlierDetector?.stop();
    for (const h of this.hosts) for (const p of h.pools) p.close();
  }
}

/** Connect attempts per request: a failed connect is retried on another host (nothing was sent yet). */
export const MAX_CONNECT_ATTEMPTS = 3;

/** The HTTP/1 keep-alive pool for a host of a cluster, with the cluster's limits. */
export const http1PoolFactory: PoolFactory = (host, cluster) => {
  const c = cluster.config;
  return new Http1ConnectionPool({
    address: host.address,
    connectTimeoutMs: c.connectTimeoutMs || DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: c.idleTimeoutMs,
    maxRequestsPerConnection: c.maxRequestsPerConnection,
    ...(c.bufferLimit !== undefined ? { bufferLimit: c.bufferLimit } : {}),
    logger: cluster.log,
    connectionLimit: cluster.resources.connections,
    pendingLimit: cluster.resources.pendingRequests,
  });
};

/** Every cluster of `cluster_manager.clusters`, by name. */
export class ClusterManager {
  #clusters = new Map<string, Cluster>();

  add(cluster: Cluster): void {
    this.#clusters.set(cluster.name, cluster);
  }
  get(name: string): Cluster | undefined {
    return this.#clusters.get(name);
  }
  names(): string[] {
    return [...this.#clusters.keys()];
  }
  all(): Iterable<Cluster> {
    return this.#clusters.values();
  }
  close(): void {
    for (const c of this.#clusters.values()) c.close();
  }
}

/** The HTTP/2 (h2c) pool for a host of a cluster: one multiplexed session, with the cluster's limits. */
export const http2PoolFactory: PoolFactory = (host, cluster) => {
  const c = cluster.config;
  return new Http2ConnectionPool({
    address: host.address,
    connectTimeoutMs: c.connectTimeoutMs || DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: c.idleTimeoutMs,
    maxRequestsPerConnection: c.maxRequestsPerConnection,
    ...(c.maxConnections !== undefined ? { maxConnections: c.maxConnections } : {}),
    logger: cluster.log,
    connectionLimit: cluster.resources.connections,
    pendingLimit: cluster.resources.pendingRequests,
  });
};

/** A multiplexing RPC pool over `codec` for a host of a cluster, with the cluster's limits. */
export function rpcPoolFactory(codec: XProtocolCodec): PoolFactory {
  return (host, cluster) => {
    const c = cluster.config;
    return new XConnectionPool({
      address: host.address,
      codec,
      connectTimeoutMs: c.connectTimeoutMs || DEFAULT_CONNECT_TIMEOUT_MS,
      maxConnections: c.maxConnections ?? 1,
      ...(c.keepalive ? { keepalive: c.keepalive } : {}),
      ...(c.bufferLimit !== undefined ? { bufferLimit: c.bufferLimit } : {}),
      logger: cluster.log,
      connectionLimit: cluster.resources.connections,
      pendingLimit: cluster.resources.pendingRequests,
    });
  };
}
