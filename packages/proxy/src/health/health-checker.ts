import type { Logger, XProtocolCodec } from '@mosn/stream';
import { hostTls, type Cluster, type Host } from '../upstream/cluster.js';
import { HEALTH_CHECK } from '../stats/names.js';
import type { Stats } from '../stats/stats.js';
import type { CheckSession } from './check-session.js';
import type { HealthCheckConfig, HealthCheckKind } from './health-check-config.js';
import { reportActiveCheckSuccess, setActiveHealthy } from './host-health.js';
import { httpCheckSession } from './http-check.js';
import { rpcCheckSession } from './rpc-check.js';
import { tcpCheckSession } from './tcp-check.js';

export interface HealthCheckerOptions {
  /** The codec of an RPC protocol by its config name (for heartbeat checks); the runtime passes its registry's. */
  codecFor?: (protocol: string) => XProtocolCodec | undefined;
  logger?: Logger;
  /** Counters `cluster.<name>.health_check.{attempt,success,failure,network_failure,active_failure}`, gauge `.healthy`. */
  stats?: Stats;
  /** After every check of a host, once its health is updated (tests, event logs). */
  onCheck?: (host: Host, ok: boolean) => void;
  /** Source of the interval jitter (default Math.random). */
  random?: () => number;
}

/**
 * Active health checking of a cluster's hosts, as MOSN does it: per host, after `initial_delay_seconds`,
 * one check at a time, each bounded by `timeout`, the next `interval` (+ up to `interval_jitter`) after the
 * last one ended. Hosts start healthy; `unhealthy_threshold` consecutive failures make one unhealthy and
 * `healthy_threshold` consecutive successes healthy again. Timers do not keep the process alive.
 */
export class HealthChecker {
  readonly cluster: Cluster;
  readonly config: HealthCheckConfig;
  /** The kind actually used: `rpc` falls back to `tcp` when the protocol has no codec with heartbeats. */
  readonly kind: HealthCheckKind;
  #codec: XProtocolCodec | undefined;
  #log: Logger;
  #options: HealthCheckerOptions;
  #prefix: string;
  #checks = new Map<Host, HostCheck>();
  #hooks: CheckHooks;
  #started = false;

  constructor(cluster: Cluster, config: HealthCheckConfig, options: HealthCheckerOptions = {}) {
    this.cluster = cluster;
    this.config = config;
    this.#options = options;
    this.#log = (options.logger?.child({ cluster: cluster.name }) ?? cluster.log).child({ healthCheck: config.serviceName ?? cluster.name });
    this.#prefix = `cluster.${cluster.name}.health_check.`;
    let kind = config.kind;
    if (kind === 'http' && !config.http) kind = 'tcp';
    if (kind === 'rpc') {
      this.#codec = options.codecFor?.(config.protocol);
      if (!this.#codec?.heartbeatTrigger) {
        this.#log.warn({ protocol: config.protocol }, 'no codec with heartbeats for this protocol; checking by TCP connect');
        kind = 'tcp';
      }
    }
    this.kind = kind;
    this.#hooks = {
      config,
      nextDelay: () => this.#nextDelay(),
      recorded: (host, ok, timedOut, changed, healthy) => this.#recorded(host, ok, timedOut, changed, healthy),
      failed: (host, err) => {
        this.#options.stats?.inc(this.#prefix + HEALTH_CHECK.error);
        this.#log.warn({ host: host.addressText, err }, 'health check threw; counted as a failed check');
      },
    };
  }

  /** Start checking every host of the cluster (again after `stop`). */
  start(): void {
    this.#started = true;
    for (const host of this.cluster.hosts) {
      if (this.#checks.has(host)) continue;
      const check = new HostCheck(this.#hooks, host, this.#session(host));
      this.#checks.set(host, check);
      check.schedule(this.config.initialDelayMs);
    }
    this.#updateGauge();
  }

  /** Stop every check, close what they hold and clear this checker's verdicts (hosts count as healthy again). */
  stop(): void {
    this.#started = false;
    for (const [host, check] of this.#checks) {
      check.stop();
      setActiveHealthy(host, true);
    }
    this.#checks.clear();
  }

  /** The cluster's hosts changed: check the new ones (when started), stop checking the removed ones. */
  hostsChanged(added: readonly Host[], removed: readonly Host[]): void {
    for (const host of removed) {
      this.#checks.get(host)?.stop();
      this.#checks.delete(host);
    }
    if (this.#started) this.start();
    else this.#updateGauge();
  }

  /** Hosts the active checks count as healthy. */
  get healthyCount(): number {
    let n = 0;
    for (const c of this.#checks.values()) if (c.healthy) n++;
    return n;
  }

  #session(host: Host): CheckSession {
    const timeoutMs = this.config.timeoutMs;
    // a TLS cluster's hosts are checked over TLS (the HTTP/1 ALPN for an HTTP check)
    const tls = hostTls(host, this.cluster.config);
    if (this.kind === 'http') return httpCheckSession(host.address, this.config.http!, tls);
    if (this.kind === 'rpc') return rpcCheckSession(host.address, this.#codec!, timeoutMs, this.#log, tls);
    return tcpCheckSession(host.address, timeoutMs, tls);
  }

  /** The next check's delay: the interval plus up to `interval_jitter`. */
  #nextDelay(): number {
    const jitter = this.config.intervalJitterMs;
    return this.config.intervalMs + (jitter > 0 ? Math.floor((this.#options.random ?? Math.random)() * jitter) : 0);
  }

  /** One check of `host` ended. */
  #recorded(host: Host, ok: boolean, timedOut: boolean, changed: boolean, healthy: boolean): void {
    const stats = this.#options.stats;
    if (stats) {
      stats.inc(this.#prefix + HEALTH_CHECK.attempt);
      stats.inc(this.#prefix + (ok ? HEALTH_CHECK.success : HEALTH_CHECK.failure));
      if (!ok) stats.inc(this.#prefix + (timedOut ? HEALTH_CHECK.network_failure : HEALTH_CHECK.active_failure));
    }
    if (changed) {
      setActiveHealthy(host, healthy);
      this.#updateGauge();
      this.#log.info({ host: host.addressText, healthy }, healthy ? 'host is healthy' : 'host is unhealthy');
    } else if (!ok) this.#log.debug({ host: host.addressText, timedOut }, 'health check failed');
    if (ok) reportActiveCheckSuccess(host);
    this.#options.onCheck?.(host, ok);
  }

  #updateGauge(): void {
    this.#options.stats?.set(this.#prefix + HEALTH_CHECK.healthy, this.healthyCount);
  }
}

/** What a host's checks need from their checker. */
interface CheckHooks {
  readonly config: HealthCheckConfig;
  nextDelay(): number;
  recorded(host: Host, ok: boolean, timedOut: boolean, changed: boolean, healthy: boolean): void;
  /** A check threw (a bug): logged and counted. */
  failed(host: Host, err: unknown): void;
}

/** The checks of one host: a timer, at most one check in flight, and the consecutive counts. */
class HostCheck {
  healthy = true;
  #checker: CheckHooks;
  #host: Host;
  #session: CheckSession;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: AbortController | undefined;
  #successes = 0;
  #failures = 0;
  #stopped = false;

  constructor(checker: CheckHooks, host: Host, session: CheckSession) {
    this.#checker = checker;
    this.#host = host;
    this.#session = session;
  }

  schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#run().catch((e: unknown) => {
        // recording or rescheduling threw: say so, and keep checking
        this.#checker.failed(this.#host, e);
        if (!this.#stopped) this.schedule(this.#checker.nextDelay());
      });
    }, delayMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#session.close();
  }

  async #run(): Promise<void> {
    this.#timer = undefined;
    const controller = new AbortController();
    this.#inFlight = controller;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#checker.config.timeoutMs);
    deadline.unref();
    let ok: boolean;
    try {
      ok = await this.#session.check(controller.signal);
    } catch (e) {
      // a check that throws (a bug, not a host answering badly) counts as a failure, said in the log
      this.#checker.failed(this.#host, e);
      ok = false;
    }
    clearTimeout(deadline);
    this.#inFlight = undefined;
    if (this.#stopped) return;
    if (timedOut) ok = false;
    this.#record(ok, timedOut);
    if (!this.#stopped) this.schedule(this.#checker.nextDelay());
  }

  #record(ok: boolean, timedOut: boolean): void {
    const c = this.#checker.config;
    let changed = false;
    if (ok) {
      this.#failures = 0;
      if (!this.healthy && ++this.#successes >= c.healthyThreshold) {
        this.healthy = changed = true;
        this.#successes = 0;
      }
    } else {
      this.#successes = 0;
      if (this.healthy && ++this.#failures >= c.unhealthyThreshold) {
        this.healthy = false;
        changed = true;
        this.#failures = 0;
      }
    }
    this.#checker.recorded(this.#host, ok, timedOut, changed, this.healthy);
  }
}
