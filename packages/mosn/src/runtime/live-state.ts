import { ClusterManager, Listener, RouterManager, formatAddress, type Address, type Cluster, type Logger } from '@mosn/proxy';
import type { ClusterSpec, ListenerSpec, MosnConfig } from '../config/types.js';
import { buildCluster, buildFilterChain, buildRouter, startCluster, type BuildDeps } from './build.js';
import { ListenerFigures } from './listener-figures.js';
import { describeChange, type Change } from './plan.js';
import { serverTls } from './tls.js';

/** How often retired clusters and draining listeners are looked at. */
const SWEEP_MS = 200;

/** What became of one step of an apply. */
export interface ChangeOutcome {
  readonly change: Change;
  /** Set when the step failed (a listener that could not bind); the rest of the apply went on. */
  readonly error?: Error;
}

/**
 * The running objects of a mosn: clusters, routers and listeners, and the ones on their way out (listeners whose
 * connections drain, clusters whose pools drain). `apply` carries out the steps of `planChanges`, building the new
 * objects from config values; nothing here reads JSON.
 */
export class LiveState {
  readonly clusters = new ClusterManager();
  readonly routers = new RouterManager();
  readonly listeners = new Map<string, Listener>();
  #deps: BuildDeps;
  #log: Logger;
  /** Removed listeners whose open connections drain, each with the time it must be closed by. */
  #drainingListeners = new Map<Listener, number>();
  /** Replaced or removed clusters whose pools drain, each with the time it must be closed by. */
  #retiredClusters = new Map<Cluster, number>();
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(deps: BuildDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'config' });
    // the listeners' levels (connections open, bytes buffered) join every stats snapshot, draining ones included
    deps.stats.addCollector(ListenerFigures.collector(() => [...this.listeners.values(), ...this.#drainingListeners.keys()]));
  }

  /** The addresses the listeners are bound to (ORIGINAL_DST clusters refuse to loop back to them). */
  listenerAddresses = (): readonly Address[] => [...this.listeners.values()].map((l) => l.address);

  /**
   * Carry out `changes` (from `planChanges(from, to)`) with the values of `to`. `strict`: the first failure closes
   * what this call bound and throws (start); otherwise a failed step is logged and reported, the others go on.
   */
  async apply(changes: readonly Change[], to: MosnConfig, options: { strict: boolean }): Promise<ChangeOutcome[]> {
    const gracefulTimeoutMs = to.gracefulTimeoutMs;
    const clusters = new Map(to.clusters.map((c) => [c.name, c]));
    const routers = new Map(to.routers.map((r) => [r.name, r]));
    const listeners = new Map(to.listeners.map((l) => [l.name, l]));
    const outcomes: ChangeOutcome[] = [];
    const bound: Listener[] = [];
    // New and rebuilt clusters are built and started together (each STRICT_DNS cluster awaits its first answer), then
    // put in place one by one, in the plan's order.
    const prepared = new Map<string, Promise<Cluster>>();
    for (const c of changes) {
      const spec = clusters.get(c.name);
      if (c.kind !== 'cluster' || (c.op !== 'add' && c.op !== 'rebuild') || !spec) continue;
      const ready = this.#prepareCluster(spec);
      ready.catch(() => undefined); // awaited (and reported) in its turn below
      prepared.set(c.name, ready);
    }
    for (const change of changes) {
      try {
        if (change.kind === 'cluster') await this.#cluster(change.op, change.name, clusters.get(change.name), prepared.get(change.name), gracefulTimeoutMs);
        else if (change.kind === 'router') {
          if (change.op === 'remove') this.routers.remove(change.name);
          else this.routers.set(buildRouter(routers.get(change.name)!));
        } else {
          const l = await this.#listener(change.op, change.name, listeners.get(change.name), gracefulTimeoutMs);
          if (l) bound.push(l);
        }
        outcomes.push({ change });
        this.#log.debug({ change: describeChange(change) }, 'applied');
      } catch (e) {
        if (options.strict) {
          for (const l of bound) {
            l.stopAccepting();
            this.listeners.delete(l.name);
          }
          // clusters built for this apply and not put in place stop their checks and timers
          for (const [name, ready] of prepared) void ready.then((c) => this.clusters.get(name) !== c && c.close(), () => undefined);
          throw e;
        }
        this.#log.error({ err: e, change: describeChange(change) }, `could not apply ${describeChange(change)}: ${(e as Error).message}`);
        outcomes.push({ change, error: e as Error });
      }
    }
    return outcomes;
  }

  /** A cluster built from its value and started (its host source has answered once). */
  async #prepareCluster(spec: ClusterSpec): Promise<Cluster> {
    const cluster = buildCluster(spec, this.#deps);
    await startCluster(cluster, this.listenerAddresses);
    return cluster;
  }

  async #cluster(op: Change['op'], name: string, spec: ClusterSpec | undefined, prepared: Promise<Cluster> | undefined, gracefulTimeoutMs: number): Promise<void> {
    if (op === 'remove') {
      const old = this.clusters.remove(name);
      if (old) this.#retire(old, gracefulTimeoutMs);
      return;
    }
    if (!spec) throw new Error(`cluster ${name} is not in the new config (a bug in the plan)`);
    const current = this.clusters.get(name);
    if (op === 'hosts' && current) {
      current.updateHosts(spec.config.hosts);
      return;
    }
    const cluster = await (prepared ?? this.#prepareCluster(spec));
    this.clusters.add(cluster);
    if (current) this.#retire(current, gracefulTimeoutMs);
  }

  async #listener(op: Change['op'], name: string, spec: ListenerSpec | undefined, gracefulTimeoutMs: number): Promise<Listener | undefined> {
    const current = this.listeners.get(name);
    if (op === 'remove') {
      if (current) {
        this.listeners.delete(name);
        this.#drainListener(current, gracefulTimeoutMs);
      }
      return undefined;
    }
    if (!spec) throw new Error(`listener ${name} is not in the new config (a bug in the plan)`);
    const filterChain = buildFilterChain(
      spec,
      { clusters: this.clusters, routers: this.routers, extensions: this.#deps.ext, stats: this.#deps.stats, logger: this.#deps.logger, tracer: this.#deps.tracer },
      this.#deps.accessLogSink,
    );
    const stats = this.#deps.stats;
    // new handshakes use new certificates (a rotation); connections already open keep theirs
    const tls = spec.tls ? serverTls(spec, spec.tls, { stats, logger: this.#deps.logger }) : undefined;
    if (op === 'update' && current) {
      current.update({ filterChain, bufferLimit: spec.bufferLimit, idleTimeoutMs: spec.idleTimeoutMs, tls });
      return undefined;
    }
    const l = new Listener({
      name: spec.name,
      address: spec.address,
      filterChain,
      bufferLimit: spec.bufferLimit,
      idleTimeoutMs: spec.idleTimeoutMs,
      ...(tls ? { tls } : {}),
      logger: this.#deps.logger,
      onConnection: new ListenerFigures(stats, spec.name).onConnection,
    });
    await bindWithRetry(l);
    this.listeners.set(name, l);
    return l;
  }

  /** Stop accepting at once; ask open connections to finish (idle HTTP/1 ones close now); close the rest at the deadline. */
  #drainListener(l: Listener, gracefulTimeoutMs: number): void {
    l.stopAccepting();
    l.drainConnections();
    this.#log.info({ listener: l.name, address: formatAddress(l.address), connections: l.connections.size, gracefulTimeoutMs }, 'listener removed: draining its connections');
    this.#drainingListeners.set(l, Date.now() + gracefulTimeoutMs);
    this.#scheduleSweep();
  }

  /** A cluster out of the config: requests in flight finish on its pools, which then close (at the latest at the deadline). */
  #retire(c: Cluster, gracefulTimeoutMs: number): void {
    c.retire();
    this.#retiredClusters.set(c, Date.now() + gracefulTimeoutMs);
    this.#scheduleSweep();
  }

  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined) return;
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweepTimer.unref();
  }

  #sweep(force = false): void {
    const now = Date.now();
    for (const [l, deadline] of this.#drainingListeners) {
      if (l.connections.size > 0 && now < deadline && !force) continue;
      if (l.connections.size > 0) this.#log.warn({ listener: l.name, connections: l.connections.size }, 'graceful timeout reached: closing the removed listener\'s remaining connections');
      l.closeConnections();
      this.#drainingListeners.delete(l);
    }
    for (const [c, deadline] of this.#retiredClusters) {
      if (c.activeConnections > 0 && now < deadline && !force) continue;
      c.close();
      this.#retiredClusters.delete(c);
    }
    if (this.#drainingListeners.size === 0 && this.#retiredClusters.size === 0) {
      if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
  }

  /** Connections of removed listeners still draining (for graceful stop). */
  get drainingConnections(): number {
    let n = 0;
    for (const l of this.#drainingListeners.keys()) n += l.connections.size;
    return n;
  }

  /** Close everything now: listeners (current and draining) and clusters (current and retired). */
  closeAll(): void {
    for (const l of this.listeners.values()) {
      l.stopAccepting();
      l.closeConnections();
    }
    this.#sweep(true);
    this.clusters.close();
  }
}

/**
 * Bind a listener; when its address was just released by a removed listener the kernel may still hold it for a
 * moment: try again briefly before giving up.
 */
async function bindWithRetry(l: Listener): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await l.start();
      return;
    } catch (e) {
      const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      if (code !== 'EADDRINUSE' || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  }
}
