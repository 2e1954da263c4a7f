import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  Http1ConnectionPool,
  Http2ConnectionPool,
  formatAddress,
  silentLogger,
  type Address,
  type ClientTlsOptions,
  type ConnectionPool,
  type KeepaliveOptions,
  type Logger,
  type XProtocolCodec,
  XConnectionPool,
} from '@mosn/stream';

/** An upstream connection pool: HTTP (one request per connection at a time) or RPC (multiplexed). */
export type UpstreamPool = ConnectionPool | XConnectionPool;
import { ClusterResources, type CircuitBreakerConfig } from './circuit-breaker.js';
import { clusterCounters, type ClusterCounters } from '../stats/counters.js';
import { emitUpstreamFigures, UpstreamFigures } from '../stats/upstream-figures.js';
import type { Stats } from '../stats/stats.js';
import type { HealthChecker, OutlierDetector } from '../health/index.js';
import { withPreviousHost, type LbConfig, type LbContext, type LoadBalancer, type LoadBalancerFactory } from '../lb/load-balancer.js';
import { subsetLoadBalancer, type Metadata, type SubsetConfig } from '../lb/subset.js';

export interface HostConfig {
  address: Address;
  weight: number;
  hostname?: string;
  /** `metadata.filter_metadata["mosn.lb"]`: what subset load balancing selects hosts by. */
  metadata?: Metadata;
  /** `tls_disable`: this host is dialed in plaintext although its cluster has TLS. */
  tlsDisable?: boolean;
}

/**
 * Where a cluster's hosts come from when they are not a fixed list: DNS (`STRICT_DNS`), the downstream
 * connection (`ORIGINAL_DST`). The runtime starts it before binding listeners (awaiting its first answer) and
 * stops it with the cluster. It changes the cluster's hosts only through `Cluster.updateHosts`.
 */
export interface HostSource {
  start(ctx: HostSourceContext): Promise<void>;
  stop(): void;
}

/** What a host source may ask the runtime. */
export interface HostSourceContext {
  /** The addresses mosn's own listeners are bound to (known once they are started; read it late). */
  listenerAddresses(): readonly Address[];
}

const NO_METADATA: Metadata = Object.freeze({});

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
  /** `lb_subset_config` with at least one selector: subset load balancing. */
  lbSubset?: SubsetConfig;
  /** TLS to every host (`tls_context`); each pool adds the ALPN of its protocol. Absent: plain TCP. */
  tls?: ClientTlsOptions;
}

/** An upstream host: where to connect, its weight and health, and its connection pools by protocol. */
export class Host {
  readonly address: Address;
  readonly addressText: string;
  /** The configured weight (`updateHosts` may change it, with the balancers rebuilt). */
  weight: number;
  /** Subset load balancing's labels (`updateHosts` may change them, with the subsets rebuilt). */
  metadata: Metadata;
  /** The host's config as last given (`updateHosts` replaces it when the weight or labels change). */
  config: HostConfig;
  /**
   * When (on the cluster's clock) this host was added by `Cluster.updateHosts` or last became healthy again:
   * the start of its `slow_start` window. Undefined for hosts of the initial config that never were unhealthy.
   */
  slowStartSince: number | undefined;
  /** Removed from its cluster: its pools drain, and a pool asked for now is drained at once. */
  retired = false;
  /** When a load balancer last chose this host (performance.now(); ORIGINAL_DST reaps hosts idle too long). */
  lastUsed = 0;
  #healthy = true;
  /** Requests sent to this host and not yet answered (least-request and EWMA balancers read it). */
  activeRequests = 0;
  /** Exponentially weighted moving average of response latency in ms (LB_PEAK_EWMA); 0 until measured. */
  latencyEwmaMs = 0;
  /** What this host counts of its requests (`cluster.<c>.host.<address>.upstream_rq_*`). */
  readonly figures = new UpstreamFigures();
  readonly cluster: Cluster;
  #pools = new Map<string, UpstreamPool>();

  constructor(cluster: Cluster, config: HostConfig) {
    this.cluster = cluster;
    this.config = config;
    this.address = config.address;
    this.addressText = formatAddress(config.address);
    this.weight = config.weight;
    this.metadata = config.metadata ?? NO_METADATA;
  }

  /** Whether the balancers may choose this host (the health checker and outlier detector set it). */
  get healthy(): boolean {
    return this.#healthy;
  }

  set healthy(healthy: boolean) {
    if (healthy && !this.#healthy) this.slowStartSince = this.cluster.now();
    this.#healthy = healthy;
  }

  /**
   * A request to this host started (returns the start time, for `requestEnded`; 0 when the cluster's balancer does
   * not weigh latency: reading the clock twice per request is not free).
   */
  requestStarted(): number {
    this.activeRequests++;
    this.figures.total++;
    const cluster = this.cluster;
    cluster.figures.total++;
    return cluster.tracksLatency ? performance.now() : 0;
  }

  /** A request to this host ended; `startedAt` from `requestStarted`. */
  requestEnded(startedAt: number): void {
    if (this.activeRequests > 0) this.activeRequests--;
    if (startedAt === 0) return;
    const ms = performance.now() - startedAt;
    this.latencyEwmaMs = this.latencyEwmaMs === 0 ? ms : this.latencyEwmaMs * 0.9 + ms * 0.1;
    if (this.cluster.timesRequests) {
      this.figures.ended(ms);
      this.cluster.figures.ended(ms);
    }
  }

  /** The answer to a request to this host had this status (an HTTP status; RPC statuses mapped to HTTP's). */
  responded(status: number): void {
    this.figures.responded(status);
    this.cluster.figures.responded(status);
  }

  /** A request to this host timed out (its try's timeout, or the request's). */
  timedOut(): void {
    this.figures.timeouts++;
    this.cluster.figures.timeouts++;
  }

  /** The pool for a protocol, made on first use. */
  pool(protocol: string): UpstreamPool {
    let p = this.#pools.get(protocol);
    if (!p) {
      p = this.cluster.createPool(this, protocol);
      this.#pools.set(protocol, p);
      // a request that chose this host just before it was removed fails over like a failed connect
      if (this.retired) p.drain();
    }
    return p;
  }

  /**
   * The host left its cluster: new requests get no connection from its pools; idle connections close now, busy
   * ones once their requests are answered.
   */
  retire(): void {
    this.retired = true;
    for (const p of this.#pools.values()) p.drain();
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

/** The identity of a host across updates: the same address and hostname keep the same Host (health, pools). */
function hostKey(h: HostConfig): string {
  return `${formatAddress(h.address)}|${h.hostname ?? ''}`;
}

function sameMetadata(a: Metadata, b: Metadata): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** A change of a cluster's hosts, for whoever follows them. */
export type HostsChangedListener = (added: readonly Host[], removed: readonly Host[]) => void;

/** How a cluster is run (beside its config). */
export interface ClusterOptions {
  /** Keep latency histograms of its requests (two clock reads per request). */
  readonly timeRequests?: boolean;
}

export class Cluster {
  readonly name: string;
  readonly config: ClusterConfig;
  readonly log: Logger;
  /** The clock of slow start, in ms (`lbConfig.now`, else `performance.now`). */
  readonly now: () => number;
  /** Hosts time their requests: the balancer weighs them by latency (`LB_PEAK_EWMA`), or `timesRequests`. */
  readonly tracksLatency: boolean;
  /** Latency histograms are kept (a metrics sink is configured: `ClusterOptions.timeRequests`). */
  readonly timesRequests: boolean;
  /** What the cluster counts of its requests, over its hosts (`cluster.<c>.upstream_rq_*`). */
  readonly figures = new UpstreamFigures();
  readonly resources: ClusterResources;
  /** Active health checks (`health_check`), started by the runtime. */
  healthChecker: HealthChecker | undefined;
  /** Passive outlier ejection (`outlier_detection`); the proxy reports each request's outcome to it. */
  outlierDetector: OutlierDetector | undefined;
  /** Where the hosts come from when they change at run time (DNS, original destination); started by the runtime. */
  hostSource: HostSource | undefined;
  #poolFactories: ReadonlyMap<string, PoolFactory>;
  #lbFactory: LoadBalancerFactory;
  #hosts: readonly Host[];
  #byKey: Map<string, Host>;
  #byAddress = new Map<string, Host>();
  #lb: LoadBalancer;
  #listeners: HostsChangedListener[] = [];
  /** Removed hosts whose pools still had connections at the last update (closed with the cluster). */
  #draining = new Set<Host>();
  #drainTimer: NodeJS.Timeout | undefined;
  #counters: ClusterCounters | undefined;
  #countersIn: Stats | undefined;

  constructor(config: ClusterConfig, lbFactory: LoadBalancerFactory, poolFactories: ReadonlyMap<string, PoolFactory>, logger: Logger = silentLogger, options: ClusterOptions = {}) {
    this.name = config.name;
    this.config = config;
    this.log = logger.child({ cluster: config.name });
    this.now = config.lbConfig?.now ?? (() => performance.now());
    this.timesRequests = options.timeRequests ?? false;
    this.tracksLatency = config.lbType === 'LB_PEAK_EWMA' || this.timesRequests;
    this.#poolFactories = poolFactories;
    this.#lbFactory = lbFactory;
    this.resources = new ClusterResources(config.circuitBreakers);
    this.#byKey = new Map();
    for (const h of config.hosts) if (!this.#byKey.has(hostKey(h))) this.#byKey.set(hostKey(h), new Host(this, h));
    this.#hosts = [...this.#byKey.values()];
    for (const h of this.#hosts) this.#byAddress.set(h.addressText, h);
    this.#lb = this.#buildLb();
  }

  /** The cluster's and its hosts' request figures, for a stats snapshot (`cluster.<c>.` and `cluster.<c>.host.<address>.`). */
  emitFigures(emit: (name: string, value: number) => void): void {
    const prefix = `cluster.${this.name}.`;
    let active = 0;
    for (const h of this.#hosts) {
      active += h.activeRequests;
      emitUpstreamFigures(emit, `${prefix}host.${h.addressText}.`, h.figures, h.activeRequests);
    }
    emitUpstreamFigures(emit, prefix, this.figures, active);
  }

  /** This cluster's request counters (`cluster.<name>.`) in `stats`: resolved on first use, then held. */
  counters(stats: Stats): ClusterCounters {
    const held = this.#counters;
    if (held !== undefined && this.#countersIn === stats) return held;
    this.#countersIn = stats;
    return (this.#counters = clusterCounters(stats, this.name));
  }

  /** The hosts now, in config order. The array is replaced (never changed in place) by `updateHosts`. */
  get hosts(): readonly Host[] {
    return this.#hosts;
  }

  /** The balancer over `hosts` (a subset balancer with `lb_subset_config`); a new one after `updateHosts`. */
  get lb(): LoadBalancer {
    return this.#lb;
  }

  /** Set where the hosts come from; the load balancer is built again (it may ask the source, as LB_ORIGINAL_DST does). */
  setHostSource(source: HostSource): void {
    this.hostSource = source;
    this.#lb = this.#buildLb();
  }

  /** The host with this address text (`ip:port`), if the cluster has one. */
  hostByAddress(addressText: string): Host | undefined {
    return this.#byAddress.get(addressText);
  }

  /** Call `listener` after each change of the hosts. */
  onHostsChanged(listener: HostsChangedListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Replace the cluster's hosts (DNS answers, original destinations, a registry). A host whose address and
   * hostname stay keeps its Host (health verdicts, pools, load counters; weight and labels are updated); new hosts
   * start their `slow_start` window now; the balancer, and every subset, is built again once here, not per
   * request; the health checker and outlier detector follow; removed hosts are retired: their pools drain
   * (requests in flight finish) and close. Returns false when nothing changed.
   */
  updateHosts(configs: readonly HostConfig[]): boolean {
    const next = new Map<string, Host>();
    const added: Host[] = [];
    const now = this.now();
    let changed = false;
    for (const c of configs) {
      const key = hostKey(c);
      if (next.has(key)) continue;
      let h = this.#byKey.get(key);
      if (!h) {
        h = new Host(this, c);
        h.slowStartSince = now;
        added.push(h);
      } else if (h.weight !== c.weight || !sameMetadata(h.metadata, c.metadata ?? NO_METADATA)) {
        h.config = c;
        h.weight = c.weight;
        h.metadata = c.metadata ?? NO_METADATA;
        changed = true;
      }
      next.set(key, h);
    }
    const removed: Host[] = [];
    for (const [key, h] of this.#byKey) if (!next.has(key)) removed.push(h);
    if (added.length === 0 && removed.length === 0 && !changed) return false;
    this.#byKey = next;
    this.#hosts = [...next.values()];
    this.#byAddress = new Map();
    for (const h of this.#hosts) this.#byAddress.set(h.addressText, h);
    this.#lb = this.#buildLb();
    this.healthChecker?.hostsChanged(added, removed);
    this.outlierDetector?.hostsChanged(added, removed);
    this.#retireHosts(removed);
    for (const l of this.#listeners) l(added, removed);
    return true;
  }

  /** Hosts out of service: their pools drain (requests in flight finish), the busy ones are swept until closed. */
  #retireHosts(hosts: readonly Host[]): void {
    for (const h of hosts) {
      h.retire();
      if (h.activeConnections > 0) this.#draining.add(h);
    }
    this.#startDrainSweep();
  }

  #startDrainSweep(): void {
    if (this.#draining.size > 0 && this.#drainTimer === undefined) {
      // Some pools close a busy connection only when asked again after its requests ended (RPC pools).
      this.#drainTimer = setInterval(() => this.#sweepDraining(), DRAIN_SWEEP_MS);
      this.#drainTimer.unref();
    }
  }

  #buildLb(): LoadBalancer {
    const { lbSubset, lbConfig } = this.config;
    if (lbSubset && lbSubset.selectors.length > 0) return subsetLoadBalancer(this.#hosts, lbSubset, this.#lbFactory, lbConfig, this);
    return this.#lbFactory(this.#hosts, lbConfig, this);
  }

  /**
   * Another host for a request whose connect to the `tried` hosts failed: asks the load balancer a few
   * times for one not tried yet. Undefined when there is none.
   */
  retryHost(tried: readonly Host[], ctx?: LbContext): Host | undefined {
    const lb = this.#lb;
    if (lb.fixedChoice) return undefined;
    // With subsets, a retry stays within the hosts the request's subset (and fallback) allows.
    const hosts = lb.hostsFor?.(ctx) ?? this.#hosts;
    if (tried.length >= hosts.length) return undefined;
    // The previous host tells position-based balancers (request round robin, Maglev) to move on.
    const retryCtx = withPreviousHost(ctx, tried[tried.length - 1]);
    for (let i = 0; i < hosts.length * 2; i++) {
      const h = lb.chooseHost(retryCtx);
      if (h === undefined) return undefined;
      if (!tried.includes(h)) return h;
      retryCtx.previousHost = h;
    }
    return hosts.find((h) => h.healthy && !tried.includes(h));
  }

  /** A new pool to `host` for `protocol`, from the pool factory registered for it. */
  createPool(host: Host, protocol: string): UpstreamPool {
    const f = this.#poolFactories.get(protocol.toLowerCase());
    if (f) return f(host, this);
    throw new Error(`no upstream connection pool for protocol ${protocol}`);
  }

  /**
   * The cluster left the config (or was replaced by a rebuilt one): its host source and checks stop, its hosts'
   * pools drain (requests in flight finish; idle connections close now, busy ones once answered).
   */
  retire(): void {
    this.#stopWatching();
    this.#retireHosts(this.#hosts);
  }

  /** The host source and the checks stop. */
  #stopWatching(): void {
    this.hostSource?.stop();
    this.healthChecker?.stop();
    this.outlierDetector?.stop();
  }

  /** Upstream connections still open over every host, current and removed. */
  get activeConnections(): number {
    let n = 0;
    // (a retired cluster's hosts are in both lists)
    for (const h of new Set([...this.#hosts, ...this.#draining])) n += h.activeConnections;
    return n;
  }

  close(): void {
    this.#stopWatching();
    for (const h of this.#hosts) for (const p of h.pools) p.close();
    for (const h of this.#draining) for (const p of h.pools) p.close();
    this.#draining.clear();
    this.#sweepDraining();
  }

  /** Ask the pools of removed hosts to close what became idle; forget hosts with no connection left. */
  #sweepDraining(): void {
    for (const h of this.#draining) {
      for (const p of h.pools) p.drain();
      if (h.activeConnections === 0) this.#draining.delete(h);
    }
    if (this.#draining.size === 0 && this.#drainTimer !== undefined) {
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
    }
  }
}

/** How often the pools of removed hosts are asked to close connections that became idle. */
const DRAIN_SWEEP_MS = 1000;

/** Connect attempts per request: a failed connect is retried on another host (nothing was sent yet; see attempt.ts). */
export { MAX_CONNECT_ATTEMPTS } from './attempt.js';

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
    ...withAlpn(hostTls(host, c), 'http/1.1'),
  });
};

/** The TLS a host is dialed with: its cluster's, unless the host has `tls_disable`. */
export function hostTls(host: Host, c: ClusterConfig): ClientTlsOptions | undefined {
  return host.config.tlsDisable ? undefined : c.tls;
}

/** The cluster's TLS with the ALPN protocol of a pool's protocol, unless the config names its own (`alpn`). */
function withAlpn(tls: ClientTlsOptions | undefined, protocol: string | undefined): { tls?: ClientTlsOptions } {
  if (!tls) return {};
  return { tls: tls.alpnProtocols !== undefined || protocol === undefined ? tls : { ...tls, alpnProtocols: [protocol] } };
}

/** Every cluster of `cluster_manager.clusters`, by name. */
export class ClusterManager {
  #clusters = new Map<string, Cluster>();

  /** Add a cluster, or replace the one of its name (requests from now on get the new one). */
  add(cluster: Cluster): void {
    this.#clusters.set(cluster.name, cluster);
  }
  /** Take a cluster out (requests from now on do not find it); the caller retires or closes it. */
  remove(name: string): Cluster | undefined {
    const c = this.#clusters.get(name);
    this.#clusters.delete(name);
    return c;
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
    ...withAlpn(hostTls(host, c), 'h2'),
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
      ...withAlpn(hostTls(host, c), undefined),
    });
  };
}
