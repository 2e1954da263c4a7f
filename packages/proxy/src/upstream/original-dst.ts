import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { formatAddress, silentLogger, type Logger } from '@mosn/stream';
import type { Cluster, Host, HostConfig, HostSource, HostSourceContext } from './cluster.js';
import type { LbContext, LoadBalancer, LoadBalancerFactory } from '../lb/load-balancer.js';
import { ORIGINAL_DST } from '../stats/names.js';
import type { Stats } from '../stats/stats.js';

/** Envoy's default `cleanup_interval` of original-destination clusters. */
export const DEFAULT_ORIGINAL_DST_CLEANUP_MS = 5000;
/** Most hosts an original-destination cluster keeps at once (each is a set of pools); more are refused. */
export const MAX_ORIGINAL_DST_HOSTS = 1024;

/** `original_dst_lb_config` and the cluster's cleanup settings. */
export interface OriginalDstConfig {
  /** Take the destination from a request header (`header_name`), falling back to the connection's. */
  useHeader: boolean;
  /** Lowercase; MOSN's default is `host`. */
  headerName: string;
  /** Connect to 127.0.0.1 with the destination's port (an inbound sidecar). */
  replaceLocal: boolean;
  /** Hosts not chosen for this long (and with no request in flight) are removed. */
  cleanupIntervalMs: number;
  maxHosts: number;
}

export interface OriginalDstOptions {
  stats?: Stats | undefined;
  logger?: Logger | undefined;
}

/**
 * The hosts of an `ORIGINAL_DST` cluster: made on demand, one per destination a request asks for, and removed
 * when idle. The destination is the downstream connection's local address (what a client connected to; with
 * TPROXY the original destination), or, with `use_header`, the `ip:port` in a request header. A destination that
 * is one of mosn's own listeners is refused (it would loop).
 */
export class OriginalDstSource implements HostSource {
  readonly cluster: Cluster;
  readonly config: OriginalDstConfig;
  #ctx: HostSourceContext | undefined;
  #timer: NodeJS.Timeout | undefined;
  #log: Logger;
  #stats: Stats | undefined;
  #prefix: string;

  constructor(cluster: Cluster, config: OriginalDstConfig, options: OriginalDstOptions = {}) {
    this.cluster = cluster;
    this.config = config;
    this.#log = (options.logger ?? cluster.log ?? silentLogger).child({ originalDst: true });
    this.#stats = options.stats;
    this.#prefix = `cluster.${cluster.name}.original_dst.`;
  }

  async start(ctx: HostSourceContext): Promise<void> {
    this.#ctx = ctx;
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.cleanup(), this.config.cleanupIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Remove hosts no load balancer chose for a cleanup interval and with no request in flight. */
  cleanup(now = performance.now()): void {
    const keep: HostConfig[] = [];
    let removed = 0;
    for (const h of this.cluster.hosts) {
      if (h.activeRequests > 0 || now - h.lastUsed < this.config.cleanupIntervalMs) keep.push(h.config);
      else removed++;
    }
    if (removed > 0 && this.cluster.updateHosts(keep)) {
      this.#stats?.inc(this.#prefix + ORIGINAL_DST.hosts_removed, removed);
      this.#log.debug({ removed, left: keep.length }, 'idle original-destination hosts removed');
    }
  }

  /** The host for a request: its destination's, made now if new. Undefined when there is none or it would loop. */
  choose(ctx: LbContext | undefined): Host | undefined {
    const address = this.destination(ctx);
    if (address === undefined) {
      this.#stats?.inc(this.#prefix + ORIGINAL_DST.no_destination);
      return undefined;
    }
    if (this.#isOwnListener(address)) {
      this.#stats?.inc(this.#prefix + ORIGINAL_DST.loop_refused);
      this.#log.debug({ destination: formatAddress(address) }, 'original destination is a listener of this mosn; refused (it would loop)');
      return undefined;
    }
    const text = formatAddress(address);
    let host = this.cluster.hostByAddress(text);
    if (host === undefined) {
      const hosts = this.cluster.hosts;
      if (hosts.length >= this.config.maxHosts) {
        this.#stats?.inc(this.#prefix + ORIGINAL_DST.hosts_overflow);
        return undefined;
      }
      this.cluster.updateHosts([...hosts.map((h) => h.config), { address, weight: 1 }]);
      this.#stats?.inc(this.#prefix + ORIGINAL_DST.hosts_added);
      host = this.cluster.hostByAddress(text);
    }
    if (host) host.lastUsed = performance.now();
    return host;
  }

  /** Where the request wants to go: the header's `ip[:port]` (with `use_header`), else the connection's local address. */
  destination(ctx: LbContext | undefined): { host: string; port: number } | undefined {
    let text: string | undefined;
    if (this.config.useHeader) text = ctx?.header?.(this.config.headerName)?.trim() || undefined;
    let address = text !== undefined ? parseDestination(text) : undefined;
    if (text !== undefined && address === undefined) {
      this.#stats?.inc(this.#prefix + ORIGINAL_DST.bad_header);
      return undefined;
    }
    if (address === undefined && ctx?.localAddress !== undefined && ctx.localPort !== undefined) {
      address = { host: unmapV4(ctx.localAddress), port: ctx.localPort };
    }
    if (address !== undefined && this.config.replaceLocal) address = { host: '127.0.0.1', port: address.port };
    return address;
  }

  #isOwnListener(a: { host: string; port: number }): boolean {
    const listeners = this.#ctx?.listenerAddresses() ?? [];
    for (const l of listeners) {
      if (!('port' in l) || l.port !== a.port) continue;
      const lh = unmapV4(l.host);
      if (lh === a.host) return true;
      if ((lh === '0.0.0.0' || lh === '::') && isLocalIp(a.host)) return true;
    }
    return false;
  }
}

/** `ip:port`, `[ip6]:port`, or an IP without a port (port 80, as MOSN). Names are not accepted (no DNS per request). */
export function parseDestination(text: string): { host: string; port: number } | undefined {
  let host: string;
  let port = 80;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (isIP(text) !== 0) {
    host = text;
  } else {
    const m = /^([^:]+):(\d{1,5})$/.exec(text);
    if (!m) return undefined;
    host = m[1]!;
    port = Number(m[2]);
  }
  if (isIP(host) === 0 || port < 1 || port > 65535) return undefined;
  return { host: unmapV4(host), port };
}

/** `::ffff:1.2.3.4` (a dual-stack socket's view of an IPv4 peer) as `1.2.3.4`. */
function unmapV4(host: string): string {
  return host.toLowerCase().startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
}

/** An address of this machine: loopback, unspecified, or on one of its interfaces. */
function isLocalIp(host: string): boolean {
  if (host.startsWith('127.') || host === '::1' || host === '0.0.0.0' || host === '::') return true;
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.address === host) return true;
  return false;
}

/**
 * `LB_ORIGINAL_DST`: the host is the request's destination (see OriginalDstSource); never another one, so a
 * failed connect is not retried elsewhere.
 */
export const originalDstLb: LoadBalancerFactory = (_hosts, _config, cluster) => {
  const source = cluster?.hostSource;
  if (!(source instanceof OriginalDstSource)) return { chooseHost: () => undefined, fixedChoice: true };
  const lb: LoadBalancer = { chooseHost: (ctx) => source.choose(ctx), fixedChoice: true };
  return lb;
};
