import { BlockList, isIP } from 'node:net';
import {
  Connection,
  pipeWithBackpressure,
  type FilterStatus,
  type IoBuffer,
  type NetworkFilterFactory,
  type ReadFilter,
} from '@mosn/stream';
import { RequestLog, type AccessLog } from '../access-log/request-log.js';
import { hostTls, type Cluster, type ClusterManager } from '../upstream/cluster.js';
import { logRequestFailure } from '../common/failure-log.js';
import { tcpCounters, type TcpCounters } from '../stats/counters.js';
import { TCP } from '../stats/names.js';
import type { Stats } from '../stats/stats.js';

export interface Cidr {
  address: string;
  length: number;
}

export interface TcpRouteConfig {
  cluster: string;
  sourceAddrs: Cidr[];
  destinationAddrs: Cidr[];
}

export interface TcpProxyConfig {
  /** The cluster when no route matches (or there are no routes). */
  cluster?: string;
  routes: TcpRouteConfig[];
  /** Upstream connect attempts before the downstream is closed, each to a newly chosen host. */
  maxConnectAttempts: number;
  /** Close both sides after this long with no bytes either way; 0 disables. */
  idleTimeoutMs: number;
  statPrefix: string;
}

/** Envoy's default `idle_timeout` for tcp_proxy: one hour. */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 3_600_000;

/** A route, or the default cluster (no CIDRs, `text` 'default'). */
interface CompiledRoute {
  cluster: string;
  source: BlockList | undefined;
  destination: BlockList | undefined;
  /** The route in a few words, for a failure's log line: `source 10.0.0.0/8 destination 0.0.0.0/0`. */
  text: string;
}

function routeText(r: TcpRouteConfig): string {
  const cidrs = (l: Cidr[]) => l.map((c) => `${c.address}/${c.length}`).join(',');
  const parts: string[] = [];
  if (r.sourceAddrs.length > 0) parts.push(`source ${cidrs(r.sourceAddrs)}`);
  if (r.destinationAddrs.length > 0) parts.push(`destination ${cidrs(r.destinationAddrs)}`);
  return parts.length > 0 ? parts.join(' ') : 'any';
}

function blockList(cidrs: readonly Cidr[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const b = new BlockList();
  for (const c of cidrs) {
    const type = isIP(c.address) === 6 ? 'ipv6' : 'ipv4';
    b.addSubnet(c.address, c.length, type);
  }
  return b;
}

function inList(list: BlockList | undefined, address: string | undefined): boolean {
  if (list === undefined) return true;
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The `tcp_proxy` network filter: each downstream connection gets one upstream connection to a host of
 * the cluster its route names (by source and destination CIDR); bytes are copied both ways with
 * backpressure; a half-close passes through; an upstream failure closes the downstream.
 */
export class TcpProxyFilterFactory implements NetworkFilterFactory {
  readonly config: TcpProxyConfig;
  #clusters: ClusterManager;
  /** `tcp.<stat_prefix>.` counters, resolved once. */
  readonly counters: TcpCounters;
  #routes: CompiledRoute[];
  #default: CompiledRoute | undefined;
  /** The listener's access logs: one line per connection, when it closes. */
  readonly accessLogs: readonly AccessLog[] | undefined;

  constructor(config: TcpProxyConfig, clusters: ClusterManager, stats: Stats, accessLogs?: readonly AccessLog[]) {
    this.config = config;
    this.accessLogs = accessLogs && accessLogs.length > 0 ? accessLogs : undefined;
    this.#clusters = clusters;
    this.counters = tcpCounters(stats, config.statPrefix);
    this.#routes = config.routes.map((r) => ({
      cluster: r.cluster,
      source: blockList(r.sourceAddrs),
      destination: blockList(r.destinationAddrs),
      text: routeText(r),
    }));
    const name = config.cluster;
    this.#default = name === undefined ? undefined : { cluster: name, source: undefined, destination: undefined, text: 'default' };
  }

  createFilterChain(connection: Connection): void {
    connection.halfClose = true;
    connection.setIdleTimeout(this.config.idleTimeoutMs);
    connection.addReadFilter(new TcpProxyFilter(this, connection));
  }

  /** The route of a downstream connection: the first that matches, else the default cluster's; or none. */
  routeFor(conn: Connection): CompiledRoute | undefined {
    for (const r of this.#routes) {
      if (inList(r.source, conn.remoteAddress) && inList(r.destination, conn.localAddress)) return r;
    }
    return this.#default;
  }

  cluster(name: string): Cluster | undefined {
    return this.#clusters.get(name);
  }

}

class TcpProxyFilter implements ReadFilter {
  #factory: TcpProxyFilterFactory;
  #down: Connection;
  #up: Connection | undefined;
  #connected = false;
  #attempts = 0;
  #cluster: Cluster | undefined;
  /** The matched route (for a failure's log line). */
  #route: CompiledRoute | undefined;
  #log: RequestLog | undefined;

  constructor(factory: TcpProxyFilterFactory, down: Connection) {
    this.#factory = factory;
    this.#down = down;
  }

  onNewConnection(): FilterStatus {
    if (this.#factory.accessLogs) this.#startLog(this.#factory.accessLogs);
    const route = this.#factory.routeFor(this.#down);
    this.#route = route;
    this.#cluster = route && this.#factory.cluster(route.cluster);
    if (this.#log) this.#log.upstreamCluster = route?.cluster;
    if (!this.#cluster) {
      this.#factory.counters.no_route.inc();
      this.#fail('no_route', route ? `cluster ${route.cluster} not found; closing the connection` : 'no route for the connection; closing it', route?.cluster);
      this.#down.close('now', 'upstream_failed');
      return 'stop';
    }
    // bytes only pass through: reads go into the shared buffer (cheaper than Node's allocation per read)
    this.#down.neverNeedsSocket();
    // Nothing is read until the upstream is there: the downstream's bytes wait in the kernel.
    this.#down.readDisable(true);
    this.#down.on('event', (ev) => {
      if (ev === 'local_close' || ev === 'remote_close') this.#up?.close('flush', 'requested');
    });
    this.#connect();
    return 'continue';
  }

  onData(buffer: IoBuffer, endStream: boolean): FilterStatus {
    const up = this.#up;
    if (!up || !this.#connected) return 'stop';
    if (buffer.length > 0) up.write(...buffer.chunks());
    buffer.clear();
    if (endStream) up.closeWrite();
    return 'stop';
  }

  #connect(): void {
    const cluster = this.#cluster!;
    const conn = this.#down;
    const host = cluster.lb.chooseHost({ sourceAddress: conn.remoteAddress, localAddress: conn.localAddress, localPort: conn.localPort });
    if (!host) {
      this.#factory.counters.no_healthy_upstream.inc();
      this.#fail('no_healthy_upstream', `no healthy upstream in cluster ${cluster.name}; closing the connection`, cluster.name);
      this.#down.close('flush', 'upstream_failed');
      return;
    }
    this.#attempts++;
    if (this.#log) this.#log.upstreamHost = host.addressText;
    const tls = hostTls(host, cluster.config);
    const up = Connection.dial(host.address, {
      connectTimeoutMs: cluster.config.connectTimeoutMs,
      halfClose: true,
      idleTimeoutMs: this.#factory.config.idleTimeoutMs,
      logger: cluster.log,
      ...(cluster.config.bufferLimit !== undefined ? { bufferLimit: cluster.config.bufferLimit } : {}),
      ...(tls ? { tls } : {}),
    });
    this.#up = up;
    up.on('event', (ev) => {
      if (ev === 'connected') return this.#onConnected(up);
      if (ev === 'connect_failed' || ev === 'connect_timeout') {
        this.#factory.counters[ev === 'connect_failed' ? TCP.upstream_connect_failed : TCP.upstream_connect_timeout].inc();
        this.#up = undefined;
        if (this.#down.state !== 'open') return;
        if (this.#attempts < this.#factory.config.maxConnectAttempts) return this.#connect();
        const what = ev === 'connect_timeout' ? 'timed out' : 'failed';
        const attempts = this.#attempts === 1 ? '1 attempt' : `${this.#attempts} attempts`;
        this.#fail('connect_failed', `upstream connect ${what} (${attempts}); closing the connection`, cluster.name, host.addressText);
        this.#down.close('flush', 'upstream_failed');
        return;
      }
      // the upstream closed (fully): so does the downstream, after what it has buffered
      this.#down.close('flush', 'requested');
    });
  }

  /** The connection's one failure line (rate-limited, shared with the proxy filter's requests). */
  #fail(reason: string, message: string, cluster: string | undefined, host?: string): void {
    if (this.#log) this.#log.flags ??= reason;
    logRequestFailure(this.#down, { protocol: 'TCP', reason, message, route: this.#route?.text, cluster, host });
  }

  #onConnected(up: Connection): void {
    if (this.#down.state !== 'open') {
      up.close('now', 'requested');
      return;
    }
    this.#connected = true;
    up.neverNeedsSocket();
    this.#factory.counters.upstream_cx_total.inc();
    const log = this.#log;
    if (log) {
      log.requestSentAt = performance.now();
      log.upstreamConnectionId = up.id;
      if (up.localAddress !== undefined) log.upstreamLocalAddress = up.localAddress.includes(':') ? `[${up.localAddress}]:${up.localPort ?? 0}` : `${up.localAddress}:${up.localPort ?? 0}`;
    }
    up.addReadFilter({
      onData: (buffer, endStream) => {
        if (buffer.length > 0) this.#down.write(...buffer.chunks());
        buffer.clear();
        if (endStream) this.#down.closeWrite();
        return 'stop';
      },
    });
    pipeWithBackpressure(this.#down, up);
    pipeWithBackpressure(up, this.#down);
    up.initializeReadFilters();
    this.#down.readDisable(false);
  }

  /** One access log line per connection, written when the downstream connection closes. */
  #startLog(logs: readonly AccessLog[]): void {
    const down = this.#down;
    const log = (this.#log = new RequestLog(logs, down, 'TCP'));
    down.on('event', (ev) => {
      if ((ev !== 'local_close' && ev !== 'remote_close') || log.endedAt !== 0) return;
      log.bytesReceived = down.bytesRead;
      log.bytesSent = down.bytesWritten;
      log.end();
    });
  }
}
