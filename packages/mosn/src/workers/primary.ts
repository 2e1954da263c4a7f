import { Stats, type MosnError, type Logger, type SocketSource } from '@mosn/proxy';
import { AdminServer } from '../admin/server.js';
import type { AdminSource, LogControl } from '../admin/types.js';
import { loadConfigFile } from '../config/load.js';
import type { MosnConfig } from '../config/types.js';
import { PrometheusSink } from '../metrics/sink.js';
import type { ApplyResult, Stage } from '../mosn.js';
import { RegistrySource } from '../registry/registry-source.js';
import { resolveLayer, type LayerSource, type SectionLayer } from '../runtime/config-edit.js';
import type { Change } from '../runtime/plan.js';
import { XdsSource, xdsSettings } from '../xds/xds-source.js';
import { isViewStat, mergeLive, sumStats, type LiveSummary } from './aggregate.js';
import { isGaugeStat } from '../metrics/render.js';
import type { ApplyAnswer, Layers, WorkerState } from './messages.js';
import { SocketStore } from './socket-store.js';
import { WorkerGroup, type WorkerAnswer } from './worker-group.js';

/** How long an admin request or a scrape waits for the workers' stats. */
const GATHER_TIMEOUT_MS = 2000;
/** How often the primary takes its workers' stats unasked, so that a worker that dies takes little of its counts along. */
const GATHER_EVERY_MS = 5000;

export interface PrimaryOptions {
  readonly workers: number;
  /** The config file: read again on each reload, and given to every worker. */
  readonly file: string;
  /** The file's config as read at start, and what the readers made of it. */
  readonly raw: unknown;
  readonly config: MosnConfig;
  readonly logger: Logger;
  /** The primary's own logger, as the admin API changes it (the change goes to every worker too). */
  readonly logs: LogControl;
  /** Reopen the primary's own log file. */
  readonly reopenLog: () => void;
  /** A hot upgrade's predecessor, when this primary was started by one: its sockets go on. */
  readonly predecessor?: SocketSource | undefined;
}

/**
 * The primary process of `mosn start --workers N` (docs/operations.md, "Workers"). It runs no traffic: it owns the
 * listening sockets (bound here, listened on by the workers), starts and restarts the workers, serves the admin API
 * and the Prometheus sink for the whole group (stats summed over the workers), runs the one xDS stream and the
 * registry sessions of the sidecar and gives their layers to every worker, and turns signals into calls to all
 * workers (reload, reopen the logs, graceful stop).
 */
export class Primary {
  readonly stats = new Stats();
  readonly #o: PrimaryOptions;
  readonly #log: Logger;
  readonly #sockets: SocketStore;
  readonly #group: WorkerGroup;
  #stage: Stage = 'init';
  /** The file's config as last read; the dynamic layers resolve over it. */
  #base: unknown;
  #layers = new Map<string, LayerSource>();
  #admin: AdminServer | undefined;
  #metrics: PrometheusSink | undefined;
  #xds: XdsSource | undefined;
  #registry: RegistrySource | undefined;
  /** What the last gather found: each worker's stats, the first worker's state, the group's live summary. */
  #gathered: { stats: Map<number, Record<string, number>>; state: WorkerState | undefined; live: LiveSummary } = { stats: new Map(), state: undefined, live: { listeners: [], clusters: [] } };
  /** Reloads and layer changes go to the workers one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  /** The counters of workers that exited, as last gathered: the group's counters do not go back when one dies. */
  #retired = new Stats();
  #summed: Record<string, number> | undefined;
  #gatherTimer: NodeJS.Timeout | undefined;

  constructor(o: PrimaryOptions) {
    this.#o = o;
    this.#log = o.logger;
    this.#base = o.raw;
    this.#sockets = new SocketStore(o.logger.child({ component: 'workers' }), o.predecessor);
    this.#group = new WorkerGroup({
      count: o.workers,
      logger: o.logger,
      stats: this.stats,
      sockets: this.#sockets,
      config: () => ({ config: this.#base, layers: this.#resolvedLayers() }),
      onExit: (id) => this.#retire(id),
    });
  }

  get stage(): Stage {
    return this.#stage;
  }

  /** The sockets this primary holds, for a hot upgrade's successor (its listeners'; the admin API's is found apart). */
  get sockets(): SocketStore {
    return this.#sockets;
  }

  /** Start the admin API and the metrics sink, then the workers; resolves when every worker serves. */
  async start(): Promise<void> {
    this.#stage = 'starting';
    const config = this.#o.config;
    try {
      if (config.admin) {
        this.#admin = new AdminServer(this.#adminSource(), this.#log);
        await this.#admin.start(config.admin);
      }
      if (config.metrics?.prometheus) {
        this.#metrics = new PrometheusSink(config.metrics, () => this.#gather(false).then(() => this.#stats()), this.#log);
        await this.#metrics.start({ host: config.metrics.prometheus.host, port: config.metrics.prometheus.port });
      }
      await this.#group.start();
    } catch (e) {
      await this.#closeAll();
      throw e;
    }
    this.#stage = 'running';
    this.#gatherTimer = setInterval(() => void this.#gather(false).catch(() => undefined), GATHER_EVERY_MS);
    this.#gatherTimer.unref();
    this.#log.info({ workers: this.#group.pids }, `mosn started with ${this.#o.workers} workers`);
    if (config.xds) {
      this.#xds = new XdsSource(xdsSettings(config, config.xds), this, this.#log);
      await this.#xds.start();
    }
    if (config.registry) {
      this.#registry = new RegistrySource(config.registry, this, this.#log);
      await this.#registry.start();
    }
  }

  /** The primary's sockets no longer come from a predecessor (it serves). */
  stopInheriting(): void {
    this.#sockets.stopInheriting();
  }

  /** Re-read the config file and give it to every worker; a file that cannot be read changes nothing. */
  reload(origin: string): Promise<ApplyResult> {
    return this.#serialized(async () => {
      let raw: unknown;
      try {
        raw = loadConfigFile(this.#o.file);
      } catch (e) {
        this.stats.inc('config.apply_failed');
        this.#log.error({ origin, code: (e as MosnError).code }, `reload: ${(e as Error).message}; the workers keep their config`);
        return { ok: false, version: this.#version(), problems: [{ path: '(file)', message: (e as Error).message }] };
      }
      const answers = await this.#group.broadcast({ op: 'apply', config: raw, layers: this.#resolvedLayers(raw), origin });
      const result = combine(answers);
      // the file's config is the workers' base once they took it (a worker started later gets it too)
      if (result.ok) this.#base = raw;
      await this.#sweepSockets();
      return result;
    });
  }

  /** A dynamic source's sections (xDS, the registry), resolved over the file's config and given to every worker. */
  applyLayer(source: string, layer: LayerSource, origin = source): Promise<ApplyResult> {
    return this.#serialized(async () => {
      const answers = await this.#group.broadcast({ op: 'layer', source, layer: resolveLayer(layer, this.#base), origin });
      const result = combine(answers);
      // kept even when refused by some: a worker started later takes what the others serve
      if (result.ok || answers.some((a) => (a.value as ApplyAnswer | undefined)?.ok)) this.#layers.set(source, layer);
      await this.#sweepSockets();
      return result;
    });
  }

  /** SIGUSR1: the primary's log and every worker's log and access logs. */
  reopenLogs(): void {
    this.#o.reopenLog();
    void this.#group.broadcast({ op: 'reopen-logs' });
  }

  /** Graceful stop: the workers drain (up to graceful_timeout) and exit; then the admin API and sockets close. */
  async stop(): Promise<void> {
    if (this.#stage === 'draining' || this.#stage === 'stopped') return;
    this.#stage = 'draining';
    this.#registry?.close();
    this.#log.info({ gracefulTimeoutMs: this.#o.config.gracefulTimeoutMs }, 'graceful stop: every worker drains');
    await this.#group.stop(this.#o.config.gracefulTimeoutMs + 5000);
    await this.#closeAll();
    this.#stage = 'stopped';
    this.#log.info('mosn stopped');
  }

  #serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #resolvedLayers(base = this.#base): Layers {
    const out: Record<string, SectionLayer> = {};
    for (const [source, layer] of this.#layers) out[source] = resolveLayer(layer, base);
    return out;
  }

  /** Close the sockets of addresses no worker listens on any more (after a change that removed a listener). */
  async #sweepSockets(): Promise<void> {
    const answers = await this.#group.broadcast({ op: 'keys' });
    // keep everything unless every worker answered (one being restarted will ask for what it needs again)
    if (answers.length < this.#o.workers || answers.some((a) => a.error !== undefined)) return;
    this.#sockets.keepOnly(new Set(answers.flatMap((a) => a.value as string[])));
  }

  /**
   * Ask every worker for its stats, and (`full`: for the admin API and its live page) the first for its running
   * config and every one for its live summary.
   */
  async #gather(full: boolean): Promise<void> {
    const first = this.#group.ready[0];
    const [stats, state, live] = await Promise.all([
      this.#group.broadcast({ op: 'stats' }, GATHER_TIMEOUT_MS),
      full && first !== undefined ? this.#group.call(first, { op: 'state' }, GATHER_TIMEOUT_MS).catch(() => undefined) : undefined,
      full ? this.#group.broadcast({ op: 'live' }, GATHER_TIMEOUT_MS) : undefined,
    ]);
    const byWorker = new Map<number, Record<string, number>>();
    for (const a of stats) {
      if (a.error === undefined) {
        byWorker.set(a.worker, a.value as Record<string, number>);
        continue;
      }
      // a worker that did not answer in time counts with what it said last (the sums do not go back)
      const last = this.#gathered.stats.get(a.worker);
      if (last) byWorker.set(a.worker, last);
      this.#log.warn({ workerId: a.worker, reason: a.error }, "a worker's stats are as of the previous answer");
    }
    this.#summed = undefined;
    this.#gathered = {
      stats: byWorker,
      state: (state as WorkerState | undefined) ?? this.#gathered.state,
      live: live ? mergeLive(live.flatMap((a) => (a.value ? [a.value as LiveSummary] : []))) : this.#gathered.live,
    };
  }

  /** The group's stats as last gathered (summed once per gather). */
  #stats(): Record<string, number> {
    return (this.#summed ??= sumStats([...this.#gathered.stats.values(), this.#retired.snapshot()], this.stats.snapshot()));
  }

  /** Worker `id` exited: its counters as last gathered stay in the group's (its gauges go: what they held is gone). */
  #retire(id: number): void {
    const last = this.#gathered.stats.get(id);
    this.#gathered.stats.delete(id);
    this.#summed = undefined;
    if (!last) return;
    for (const [name, value] of Object.entries(last)) if (!isGaugeStat(name) && !isViewStat(name)) this.#retired.inc(name, value);
  }

  #version(): number {
    return this.#gathered.state?.version ?? 0;
  }

  #adminSource(): AdminSource {
    const group = this.#group;
    const own = this.#o.logs;
    // a log change goes to the primary's logger and to every worker's
    const logs: LogControl = {
      path: own.path,
      level: () => own.level(),
      setLevel: (level) => {
        own.setLevel(level);
        void group.broadcast({ op: 'log-level', level });
      },
      enabled: () => own.enabled(),
      setEnabled: (on) => {
        own.setEnabled(on);
        void group.broadcast({ op: 'log-enabled', on });
      },
    };
    return {
      refresh: () => this.#gather(true),
      config: () => this.#gathered.state?.config ?? this.#base,
      statuses: () => ({ ...(this.#xds ? { xds: this.#xds.status() } : {}), ...(this.#registry ? { registry: this.#registry.status() } : {}) }),
      stats: () => this.#stats(),
      workerStats: (id) => this.#gathered.stats.get(id),
      stage: () => this.#stage,
      version: () => this.#version(),
      live: {
        listeners: () => this.#gathered.live.listeners,
        clusters: () => this.#gathered.live.clusters,
        stat: (name) => this.#stats()[name] ?? 0,
      },
      logs,
      reload: () => this.reload('admin'),
    };
  }

  async #closeAll(): Promise<void> {
    clearInterval(this.#gatherTimer);
    this.#xds?.close();
    this.#registry?.close();
    await this.#admin?.close();
    await this.#metrics?.close();
    this.#sockets.closeAll();
  }
}

/** The workers' answers to one apply as one result: refused when any worker refused it or did not answer. */
function combine(answers: readonly WorkerAnswer[]): ApplyResult {
  const first = answers.find((a) => a.value !== undefined)?.value as ApplyAnswer | undefined;
  for (const a of answers) {
    if (a.error !== undefined) return { ok: false, version: first?.version ?? 0, problems: [{ path: '(worker)', message: `worker ${a.worker}: ${a.error}` }] };
    const v = a.value as ApplyAnswer;
    if (!v.ok) return { ok: false, version: v.version, problems: v.problems };
  }
  if (!first || !first.ok) return { ok: false, version: 0, problems: [{ path: '(workers)', message: 'no worker serves' }] };
  const failed = first.failed.map((f) => ({ change: f.change as Change, error: new Error(f.error) }));
  return { ok: true, version: first.version, changes: first.changes as Change[], failed };
}

