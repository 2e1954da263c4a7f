import type { Logger } from '@mosn/stream';
import type { Cluster, Host } from '../upstream/cluster.js';
import { OUTLIER, ejectionsDetected, ejectionsEnforced, type EjectionType } from '../stats/names.js';
import type { Stats } from '../stats/stats.js';
import { hostHealthState, onActiveCheckSuccess, setEjected } from './host-health.js';

/**
 * What one request to a host came to, as the proxy reports it: `5xx` an upstream 5xx other than 502/503/504;
 * `gateway_error` a 502/503/504, an upstream reset or a timeout; `connect_failure` no connection.
 */
export type OutlierResult = 'success' | '5xx' | 'gateway_error' | 'connect_failure';

/** The result for an upstream response with this HTTP status (an RPC status through `codec.mapStatusToHttp`). */
export function outlierResultOfStatus(httpStatus: number): OutlierResult {
  if (httpStatus < 500 || httpStatus > 599) return 'success';
  return httpStatus >= 502 && httpStatus <= 504 ? 'gateway_error' : '5xx';
}


/** A cluster's `outlier_detection` (Envoy's names and defaults; a mosn-ts extension of MOSN's config). */
export interface OutlierDetectionConfig {
  /** Consecutive 5xx (gateway errors included) before an ejection; 0 turns this detector off. */
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  /** Used only with `splitExternalLocalOriginErrors`. */
  consecutiveLocalOriginFailure: number;
  /** How often ejected hosts are checked for return (and ejection multipliers decay). */
  intervalMs: number;
  /** An ejection lasts `baseEjectionTimeMs` × the host's ejection multiplier, at most `maxEjectionTimeMs`. */
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  /** A random extra of up to this much on each ejection. */
  maxEjectionTimeJitterMs: number;
  /** At most this percentage of the cluster's hosts ejected at once. */
  maxEjectionPercent: number;
  /** Eject one host even when `maxEjectionPercent` would allow none. */
  alwaysEjectOneHost: boolean;
  /** Percent chance that a detected outlier is really ejected. */
  enforcingConsecutive5xx: number;
  enforcingConsecutiveGatewayFailure: number;
  enforcingConsecutiveLocalOriginFailure: number;
  /** Count connect failures apart (`consecutive_local_origin_failure`) instead of as 503s. */
  splitExternalLocalOriginErrors: boolean;
  /** A successful active health check returns an ejected host at once. */
  successfulActiveHealthCheckUnejectHost: boolean;
}

/** Envoy's defaults. */
export const DEFAULT_OUTLIER_DETECTION: Readonly<OutlierDetectionConfig> = {
  consecutive5xx: 5,
  consecutiveGatewayFailure: 5,
  consecutiveLocalOriginFailure: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionTimeJitterMs: 0,
  maxEjectionPercent: 10,
  alwaysEjectOneHost: false,
  enforcingConsecutive5xx: 100,
  enforcingConsecutiveGatewayFailure: 0,
  enforcingConsecutiveLocalOriginFailure: 100,
  splitExternalLocalOriginErrors: false,
  successfulActiveHealthCheckUnejectHost: true,
};

/** One host's counters and ejection history. */
interface Monitor {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocal: number;
  ejections: number;
  /** The ejection time multiplier: up on each ejection, down once per interval the host stays in. */
  backoff: number;
  jitterMs: number;
  ejectedAt: number;
  unejectedAt: number | undefined;
  unsubscribe: (() => void) | undefined;
}

export interface OutlierDetectorOptions {
  logger?: Logger;
  /** Envoy's `outlier_detection.*` counters and the `ejections_active` gauge, under `cluster.<name>.`. */
  stats?: Stats;
  /** Enforcement draws and ejection jitter (default Math.random). */
  random?: () => number;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

/**
 * Passive health checking with Envoy's consecutive-error rules: the proxy reports each request's result
 * (`onResult`); a host with too many errors in a row is ejected (unhealthy for the load balancers) for
 * `base_ejection_time` × its ejection multiplier, within `max_ejection_percent` of the cluster. Ejected
 * hosts return on the interval timer (`start`), or on a successful active health check.
 */
export class OutlierDetector {
  readonly cluster: Cluster;
  readonly config: OutlierDetectionConfig;
  #monitors = new Map<Host, Monitor>();
  #ejected = 0;
  #timer: NodeJS.Timeout | undefined;
  #log: Logger;
  #stats: Stats | undefined;
  #prefix: string;
  #random: () => number;
  #now: () => number;

  constructor(cluster: Cluster, config: OutlierDetectionConfig, options: OutlierDetectorOptions = {}) {
    this.cluster = cluster;
    this.config = config;
    this.#log = (options.logger?.child({ cluster: cluster.name }) ?? cluster.log).child({ outlierDetection: true });
    this.#stats = options.stats;
    this.#prefix = `cluster.${cluster.name}.outlier_detection.`;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
    for (const h of cluster.hosts) this.#monitors.set(h, newMonitor());
  }

  /** The cluster's hosts changed: watch the new ones, forget the removed ones (an ejected one leaves the count). */
  hostsChanged(added: readonly Host[], removed: readonly Host[]): void {
    for (const h of removed) {
      const m = this.#monitors.get(h);
      if (m === undefined) continue;
      m.unsubscribe?.();
      this.#monitors.delete(h);
      if (hostHealthState(h).ejected) {
        setEjected(h, false);
        this.#ejected--;
        this.#stats?.set(this.#prefix + OUTLIER.ejections_active, this.#ejected);
      }
    }
    for (const h of added) {
      if (this.#monitors.has(h)) continue;
      this.#monitors.set(h, newMonitor());
    }
    if (this.#timer !== undefined) this.#subscribe();
  }

  /** Start the interval timer (un-ejection and multiplier decay) and follow active health checks. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), this.config.intervalMs);
    this.#timer.unref();
    this.#subscribe();
  }

  /** Follow the active health checks of every watched host (once each). */
  #subscribe(): void {
    if (!this.config.successfulActiveHealthCheckUnejectHost) return;
    for (const [host, m] of this.#monitors) {
      m.unsubscribe ??= onActiveCheckSuccess(host, () => {
        if (hostHealthState(host).ejected && hostHealthState(host).activeHealthy) this.#uneject(host, m);
      });
    }
  }

  /** Stop the timer and return every ejected host. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const [host, m] of this.#monitors) {
      m.unsubscribe?.();
      m.unsubscribe = undefined;
      if (hostHealthState(host).ejected) this.#uneject(host, m);
    }
  }

  /** The result of one request to `host`. */
  onResult(host: Host, result: OutlierResult): void {
    const m = this.#monitors.get(host);
    if (m === undefined) return;
    switch (result) {
      case 'success':
        m.consecutive5xx = m.consecutiveGateway = m.consecutiveLocal = 0;
        return;
      case '5xx':
        return this.#httpError(host, m, false);
      case 'gateway_error':
        return this.#httpError(host, m, true);
      case 'connect_failure':
        // Without the split, Envoy counts a failed connect as a 503 from the upstream.
        if (!this.config.splitExternalLocalOriginErrors) return this.#httpError(host, m, true);
        if (++m.consecutiveLocal === this.config.consecutiveLocalOriginFailure) this.#detected(host, m, 'consecutive_local_origin_failure');
        return;
    }
  }

  /** The interval's work (the timer runs it): return hosts whose ejection is over, decay the multipliers. */
  sweep(): void {
    const now = this.#now();
    const { baseEjectionTimeMs: base, maxEjectionTimeMs: max, intervalMs } = this.config;
    for (const [host, m] of this.#monitors) {
      if (hostHealthState(host).ejected && now - m.ejectedAt >= Math.min(base * m.backoff, max) + m.jitterMs) this.#uneject(host, m);
    }
    for (const [host, m] of this.#monitors) {
      if (!hostHealthState(host).ejected && m.unejectedAt !== undefined && now - m.unejectedAt >= intervalMs && m.backoff > 0) m.backoff--;
    }
  }

  /** A host's ejection state: the number of times it was ejected and how long its last ejection lasts. */
  state(host: Host): { ejected: boolean; ejections: number; ejectionTimeMs: number } {
    const m = this.#monitors.get(host);
    if (m === undefined) return { ejected: false, ejections: 0, ejectionTimeMs: 0 };
    const { baseEjectionTimeMs: base, maxEjectionTimeMs: max } = this.config;
    return { ejected: hostHealthState(host).ejected, ejections: m.ejections, ejectionTimeMs: Math.min(base * m.backoff, max) + m.jitterMs };
  }

  /** Hosts ejected now. */
  get ejectedCount(): number {
    return this.#ejected;
  }

  /** An HTTP-level error: a 5xx, and also a gateway error (502/503/504, reset, timeout) when `gateway`. */
  #httpError(host: Host, m: Monitor, gateway: boolean): void {
    if (gateway) {
      if (++m.consecutiveGateway === this.config.consecutiveGatewayFailure) this.#detected(host, m, 'consecutive_gateway_failure');
    } else m.consecutiveGateway = 0;
    if (++m.consecutive5xx === this.config.consecutive5xx) this.#detected(host, m, 'consecutive_5xx');
  }

  #detected(host: Host, m: Monitor, type: EjectionType): void {
    // An ejected host still gets requests in panic mode; its counters run on and reset when it returns.
    if (hostHealthState(host).ejected) return;
    this.#stats?.inc(this.#prefix + ejectionsDetected(type));
    this.#eject(host, m, type);
    if (type === 'consecutive_5xx') m.consecutive5xx = 0;
    else if (type === 'consecutive_gateway_failure') m.consecutiveGateway = 0;
    else m.consecutiveLocal = 0;
  }

  #eject(host: Host, m: Monitor, type: EjectionType): void {
    const c = this.config;
    const percent = (100 * (this.#ejected + 1)) / this.#monitors.size;
    const allowed = percent <= c.maxEjectionPercent || (c.alwaysEjectOneHost && this.#ejected === 0);
    if (!allowed) {
      this.#stats?.inc(this.#prefix + OUTLIER.ejections_overflow);
      return;
    }
    const enforcing =
      type === 'consecutive_5xx'
        ? c.enforcingConsecutive5xx
        : type === 'consecutive_gateway_failure'
          ? c.enforcingConsecutiveGatewayFailure
          : c.enforcingConsecutiveLocalOriginFailure;
    if (!(this.#random() * 100 < enforcing)) return;
    m.ejections++;
    m.ejectedAt = this.#now();
    m.jitterMs = c.maxEjectionTimeJitterMs > 0 ? Math.floor(this.#random() * (c.maxEjectionTimeJitterMs + 1)) : 0;
    if (m.backoff * c.baseEjectionTimeMs < c.maxEjectionTimeMs + c.baseEjectionTimeMs) m.backoff++;
    this.#ejected++;
    setEjected(host, true);
    if (this.#stats) {
      this.#stats.inc(this.#prefix + OUTLIER.ejections_enforced_total);
      this.#stats.inc(this.#prefix + ejectionsEnforced(type));
      this.#stats.set(this.#prefix + OUTLIER.ejections_active, this.#ejected);
    }
    this.#log.info({ host: host.addressText, type, ejections: m.ejections, ejectionTimeMs: this.state(host).ejectionTimeMs }, 'host ejected');
  }

  #uneject(host: Host, m: Monitor): void {
    if (!setEjected(host, false)) return;
    this.#ejected--;
    m.consecutive5xx = m.consecutiveGateway = m.consecutiveLocal = 0;
    m.unejectedAt = this.#now();
    this.#stats?.set(this.#prefix + OUTLIER.ejections_active, this.#ejected);
    this.#log.info({ host: host.addressText }, 'host returned from ejection');
  }
}

function newMonitor(): Monitor {
  return {
    consecutive5xx: 0,
    consecutiveGateway: 0,
    consecutiveLocal: 0,
    ejections: 0,
    backoff: 0,
    jitterMs: 0,
    ejectedAt: 0,
    unejectedAt: undefined,
    unsubscribe: undefined,
  };
}
