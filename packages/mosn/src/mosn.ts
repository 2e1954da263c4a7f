import { isDeepStrictEqual } from 'node:util';
import { MosnError, Stats, Tracer, formatAddress, type Address, type ClusterManager, type Listener, type Logger, type RouterManager } from '@mosn/proxy';
import { AccessLogFiles } from './access-log/writer.js';
import { AdminServer } from './admin/server.js';
import { clusterSummary } from './admin/live/clusters.js';
import { listenerSummary } from './admin/live/listeners.js';
import type { ClusterSummary, ListenerSummary, LiveSource } from './admin/live/types.js';
import { mosnVersion } from './admin/info.js';
import { PrometheusSink } from './metrics/sink.js';
import type { LogControl } from './admin/types.js';
import { ConfigProblems, type ConfigProblem } from './config/config-reader.js';
import { readConfig, type ReadConfigOptions } from './config/read-config.js';
import type { MosnConfig } from './config/types.js';
import { defaultExtensions, type Extensions } from './extensions.js';
import { removeSection, resolveLayer, setSectionHosts, upsertSection, withLayers, type LayerSource, type MosnSection, type SectionKind } from './runtime/config-edit.js';
import { CertWatcher } from './runtime/cert-watch.js';
import { LiveState } from './runtime/live-state.js';
import { processFigures } from './runtime/process-figures.js';
import { describeChange, planChanges, type Change } from './runtime/plan.js';
import { RegistrySource } from './registry/registry-source.js';
import { reportInternalChecks, runInternalChecks } from './runtime/self-test.js';
import type { XdsFlags } from './xds/flags.js';
import { XdsSource, xdsSettings } from './xds/xds-source.js';
import { OtlpHttpExporter } from './tracing/otlp-exporter.js';

export type Stage = 'init' | 'starting' | 'running' | 'draining' | 'stopped';

export interface MosnOptions {
  /** The config as parsed from JSON/YAML (MOSN's format). */
  config: unknown;
  logger: Logger;
  extensions?: Extensions;
  /** The config already read from `config` with these extensions (the CLI checks it first). */
  read?: { config: MosnConfig | undefined; problems: ConfigProblems };
  /** Called when an applied config changes `default_log_level` (the CLI sets its pino logger's level). */
  setLogLevel?: (level: string) => void;
  /** The runtime's logger as the admin API changes it (`update_loglevel`, ...): the CLI's pino logger. */
  logs?: LogControl;
  /** Re-read the config file and apply it: offered by the admin API as `POST /api/v1/reload`. */
  reload?: () => Promise<ApplyResult>;
  /** Where relative file paths of the config (certificates) are found: the config file's folder (default: cwd). */
  baseDir?: string;
  /** The CLI's xDS node flags (`--service-node`, ...), applied over the bootstrap's `node`. */
  xdsFlags?: XdsFlags;
  /**
   * This mosn is worker `id` of `--workers N`: the primary serves the admin API and the metrics sink and runs xDS
   * and the registry (their sections come as layers), so this one starts none of them.
   */
  worker?: number;
}

/** What an apply did: the new version and its steps, or, when the config was refused, its problems (nothing changed). */
export type ApplyResult =
  | { readonly ok: true; readonly version: number; readonly changes: readonly Change[]; readonly failed: readonly { change: Change; error: Error }[] }
  | { readonly ok: false; readonly version: number; readonly problems: readonly ConfigProblem[] };

/**
 * One mosn runtime instance: its extensions, its running config (a value with a version), its listeners, routers,
 * clusters and admin API. Stages are named: init (read and check the config, nothing bound) → start (bind) →
 * running → graceful stop. While running, every change (a reloaded file, the in-process API below, later xDS
 * and the registry) goes through `apply`: the new config is read and checked whole, then only what differs changes.
 */
export class Mosn {
  readonly extensions: Extensions;
  readonly stats = new Stats();
  /** The access log files of every listener, one writer per path (SIGUSR1 reopens them: `reopenAccessLogs`). */
  readonly #accessLogs: AccessLogFiles;
  readonly warnings: ConfigProblem[];
  #config: MosnConfig;
  /** The config as the file (or the in-process API) gives it, without the sections of dynamic sources. */
  #base: unknown;
  /** Sections of dynamic sources (xDS, the registry), by source: merged over `#base` at each apply. */
  #layers: ReadonlyMap<string, LayerSource> = new Map();
  #version = 0;
  #live: LiveState;
  #log: Logger;
  #setLogLevel: ((level: string) => void) | undefined;
  #reload: (() => Promise<ApplyResult>) | undefined;
  #logs: LogControl | undefined;
  #baseDir: string | undefined;
  #xdsFlags: XdsFlags | undefined;
  #worker: number | undefined;
  /** The control plane's stream, when the config has an xDS bootstrap. */
  #xds: XdsSource | undefined;
  /** The service registry (ZooKeeper), when the config's `extends` has one. */
  #registry: RegistrySource | undefined;
  /** Certificate rotation: a changed certificate or key file applies the running config again (files re-read). */
  #certs = new CertWatcher(() => {
    if (this.#stage !== 'running') return;
    this.#enqueue(() => ({ base: this.#base }), 'certificate rotation').catch((e: unknown) => this.#log.error({ err: e }, 'certificate rotation failed'));
  });
  #admin: AdminServer | undefined;
  #metrics: PrometheusSink | undefined;
  /** Where spans go, when the config traces (`tracing`, driver `otel`); fixed until a restart. */
  readonly #spans: OtlpHttpExporter | undefined;
  #stage: Stage = 'init';
  /** Applies run one after another, each on the config the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();

  /** Read and check the config; throws MOSN_ERR_CONFIG with every problem and its JSON path. */
  constructor(options: MosnOptions) {
    this.extensions = options.extensions ?? defaultExtensions();
    this.#log = options.logger;
    this.#setLogLevel = options.setLogLevel;
    this.#reload = options.reload;
    this.#logs = options.logs;
    this.#baseDir = options.baseDir;
    this.#xdsFlags = options.xdsFlags;
    this.#worker = options.worker;
    const { config, problems } = options.read ?? readConfig(options.config, this.extensions, this.#readOptions());
    this.warnings = problems.warnings;
    problems.throwIfAny();
    this.#config = config!;
    this.#base = this.#config.source;
    const dropped = this.stats.counter('access_log.dropped_lines');
    this.#accessLogs = new AccessLogFiles({ logger: options.logger.child({ component: 'access_log' }), onDrop: (n) => dropped.inc(n) });
    // a metrics sink gets latency histograms: every upstream request is timed (clusters read this when built)
    this.stats.timing = this.#config.metrics?.prometheus !== undefined;
    const tracing = this.#config.tracing;
    let tracer: Tracer | undefined;
    if (tracing) {
      this.#spans = new OtlpHttpExporter({ config: tracing, logger: options.logger.child({ component: 'tracing' }), stats: this.stats, version: mosnVersion() });
      tracer = new Tracer({ sampleRate: tracing.sampleRate, sink: this.#spans });
    }
    this.#live = new LiveState({ ext: this.extensions, stats: this.stats, logger: options.logger, accessLogSink: (path) => this.#accessLogs.get(path), tracer });
    // the request figures of clusters and hosts join every stats snapshot (they live on those objects)
    this.stats.addCollector((emit) => {
      for (const c of this.#live.clusters.all()) c.emitFigures(emit);
    });
    this.stats.addCollector(processFigures());
  }

  get stage(): Stage {
    return this.#stage;
  }

  /** The running config (after every change, not the file mosn started from). */
  get config(): MosnConfig {
    return this.#config;
  }

  /** 1 once started; one more for each apply that changed something. */
  get version(): number {
    return this.#version;
  }

  get clusters(): ClusterManager {
    return this.#live.clusters;
  }

  get routers(): RouterManager {
    return this.#live.routers;
  }

  /** The listeners now serving (removed ones that still drain are not listed). */
  get listeners(): Listener[] {
    return [...this.#live.listeners.values()];
  }

  /**
   * Bind every listener (and the admin API, the metrics sink). If one cannot bind, the others are closed again.
   * First the Node internals mosn relies on are checked (once per process: runtime/self-test.ts).
   */
  async start(): Promise<void> {
    this.#stage = 'starting';
    for (const w of this.warnings) this.#log.warn({ path: w.path }, `config: ${w.path}: ${w.message}`);
    // Node internals are tried before anything binds: where one fails, its fallback serves every connection
    reportInternalChecks(await runInternalChecks(), this.#log, this.stats);
    try {
      await this.#live.apply(planChanges(undefined, this.#config), this.#config, { strict: true });
      if (this.#config.admin && this.#worker === undefined) {
        this.#admin = new AdminServer(
          {
            config: () => this.#config.source,
            statuses: () => ({ ...(this.#xds ? { xds: this.#xds.status() } : {}), ...(this.#registry ? { registry: this.#registry.status() } : {}) }),
            stats: () => this.stats.snapshot(),
            stage: () => this.#stage,
            version: () => this.#version,
            live: this.#liveSource(),
            logs: this.#logs,
            reload: this.#reload,
          },
          this.#log,
        );
        await this.#admin.start(this.#config.admin);
      }
      const metrics = this.#config.metrics;
      if (metrics?.prometheus && this.#worker === undefined) {
        this.#metrics = new PrometheusSink(metrics, () => this.stats.snapshot(), this.#log);
        await this.#metrics.start({ host: metrics.prometheus.host, port: metrics.prometheus.port });
      }
    } catch (e) {
      await this.#closeAll();
      throw e;
    }
    this.#version = 1;
    this.stats.set('config.version', this.#version);
    this.#certs.follow(this.#config);
    this.#stage = 'running';
    this.#log.info({ listeners: this.listeners.map((l) => `${l.name}@${formatAddress(l.address)}`) }, 'mosn started');
    if (this.#worker !== undefined) return;
    if (this.#config.xds) {
      this.#xds = new XdsSource(xdsSettings(this.#config, this.#config.xds), this, this.#log);
      await this.#xds.start();
    }
    if (this.#config.registry) {
      this.#registry = new RegistrySource(this.#config.registry, this, this.#log);
      await this.#registry.start();
    }
  }

  /** What the live admin page reads: the listeners serving (in config order), the clusters, single stats. */
  /** What the live admin page shows of this mosn now (a worker's primary asks for it: it has no clusters itself). */
  liveSummary(): { listeners: readonly ListenerSummary[]; clusters: readonly ClusterSummary[] } {
    const live = this.#liveSource();
    return { listeners: live.listeners(), clusters: live.clusters() };
  }

  #liveSource(): LiveSource {
    return {
      listeners: () =>
        this.#config.listeners.flatMap((spec) => {
          const l = this.#live.listeners.get(spec.name);
          return l ? [listenerSummary(spec, l)] : [];
        }),
      clusters: () => [...this.#live.clusters.all()].map(clusterSummary),
      stat: (name) => this.stats.get(name),
    };
  }

  /** The service registry, when the config has one (its API's address, its status). */
  get registry(): RegistrySource | undefined {
    return this.#registry;
  }

  /**
   * Apply a whole config (MOSN's JSON, as parsed): read and check it whole; if it has errors nothing changes (they
   * are logged with their JSON paths and `config.apply_failed` rises); else only what differs from the running
   * config changes. `origin` says where it came from, for the logs (`SIGHUP`, `api`). `layers`, when given, replace
   * the dynamic sources' sections in the same apply (a worker takes the file and the layers from its primary).
   */
  apply(raw: unknown, origin = 'api', layers?: ReadonlyMap<string, LayerSource>): Promise<ApplyResult> {
    return this.#enqueue(() => ({ base: raw, ...(layers ? { layers } : {}) }), origin);
  }

  /**
   * Set the sections a dynamic source adds (`xds`): they are merged over the file's config (a section of the same
   * name replaces the file's), read and applied like any config; refused whole when the result has an error. A
   * function is called with the file's config at this apply and at each later one (a reload included).
   */
  applyLayer(source: string, layer: LayerSource, origin = source): Promise<ApplyResult> {
    return this.#enqueue(() => ({ base: this.#base, layers: new Map(this.#layers).set(source, layer) }), origin);
  }

  /** Add a cluster, or replace the one of its name (MOSN's cluster JSON). Only its hosts changed: updated in place. */
  upsertCluster(cluster: MosnSection): Promise<ApplyResult> {
    return this.#edit('cluster', (doc) => upsertSection(doc, 'cluster', cluster));
  }

  /** Remove a cluster; refused while a route or listener names it. Its pools drain. */
  removeCluster(name: string): Promise<ApplyResult> {
    return this.#edit('cluster', (doc) => removeSection(doc, 'cluster', name));
  }

  /** Set one cluster's hosts (MOSN's host JSON: `{ "address": "ip:port", "weight": 1, "metadata": ... }`). */
  setClusterHosts(name: string, hosts: readonly MosnSection[]): Promise<ApplyResult> {
    return this.#edit('cluster', (doc) => setSectionHosts(doc, name, hosts));
  }

  /** Add a router, or replace the one of its `router_config_name` (swapped atomically). */
  upsertRouter(router: MosnSection): Promise<ApplyResult> {
    return this.#edit('router', (doc) => upsertSection(doc, 'router', router));
  }

  /** Remove a router; refused while a listener uses it. */
  removeRouter(name: string): Promise<ApplyResult> {
    return this.#edit('router', (doc) => removeSection(doc, 'router', name));
  }

  /** Add a listener (bound now), or replace the one of its name (new connections get the new filter chain). */
  upsertListener(listener: MosnSection): Promise<ApplyResult> {
    return this.#edit('listener', (doc) => upsertSection(doc, 'listener', listener));
  }

  /** Remove a listener: it stops accepting at once and its connections drain (up to `graceful_timeout`). */
  removeListener(name: string): Promise<ApplyResult> {
    return this.#edit('listener', (doc) => removeSection(doc, 'listener', name));
  }

  #edit(kind: SectionKind, edit: (doc: unknown) => unknown): Promise<ApplyResult> {
    return this.#enqueue(() => ({ base: edit(this.#base) }), `api ${kind}`);
  }

  /** Run an apply after the ones already queued, on the config they leave (`next` is asked for it then). */
  #enqueue(next: () => NextConfig, origin: string): Promise<ApplyResult> {
    const run = this.#queue.then(() => this.#apply(next, origin));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(next: () => NextConfig, origin: string): Promise<ApplyResult> {
    if (this.#stage !== 'running') throw new MosnError('MOSN_ERR_NOT_RUNNING', `mosn is ${this.#stage}: a config can be applied only while it runs`);
    let raw: unknown;
    let proposed: NextConfig | undefined;
    let read: { config: MosnConfig | undefined; problems: ConfigProblems };
    try {
      proposed = next();
      const layers = proposed.layers ?? this.#layers;
      const base = proposed.base;
      raw = layers.size > 0 ? withLayers(base, [...layers.values()].map((l) => resolveLayer(l, base))) : base;
      read = readConfig(raw, this.extensions, this.#readOptions());
    } catch (e) {
      if (!(e instanceof MosnError)) throw e;
      read = { config: undefined, problems: new ConfigProblems() };
      read.problems.error('(edit)', e.message);
    }
    const { config, problems } = read;
    this.#checkUnchangedAtRuntime(raw, config, problems);
    for (const w of problems.warnings) this.#log.warn({ path: w.path, origin }, `config: ${w.path}: ${w.message}`);
    if (!config || problems.errors.length > 0) {
      this.stats.inc('config.apply_failed');
      for (const e of problems.errors) this.#log.error({ path: e.path, origin }, `config: ${e.path}: ${e.message}`);
      this.#log.error({ origin, errors: problems.errors.length, version: this.#version }, `new config refused (${problems.errors.length} error(s)); version ${this.#version} keeps serving`);
      return { ok: false, version: this.#version, problems: problems.errors };
    }
    const previous = this.#config;
    this.#base = proposed!.base;
    if (proposed!.layers) this.#layers = proposed!.layers;
    const changes = planChanges(previous, config);
    const outcomes = await this.#live.apply(changes, config, { strict: false });
    const failed = outcomes.filter((o) => o.error !== undefined).map((o) => ({ change: o.change, error: o.error! }));
    // A listener that could not bind is not running: leave it out, so that the next apply tries to add it again.
    const unbound = new Set(failed.filter((f) => f.change.kind === 'listener').map((f) => f.change.name));
    this.#config = unbound.size === 0 ? config : withoutListeners(config, unbound);
    const levelChanged = config.logLevel !== previous.logLevel;
    if (levelChanged) this.#setLogLevel?.(config.logLevel);
    if (changes.length > 0 || levelChanged) this.#version++;
    this.#certs.follow(this.#config);
    this.stats.inc('config.apply_total');
    this.stats.set('config.version', this.#version);
    if (failed.length > 0) this.stats.inc('config.apply_partial');
    this.#log.info({ origin, version: this.#version, changes: changes.map(describeChange), failed: failed.map((f) => describeChange(f.change)) }, changes.length > 0 ? `config version ${this.#version} applied` : 'config applied: nothing changed');
    return { ok: true, version: this.#version, changes, failed };
  }

  /** Parts of the config a running mosn does not change: a change to them is refused (they need a restart). */
  #checkUnchangedAtRuntime(raw: unknown, next: MosnConfig | undefined, problems: ConfigProblems): void {
    const section = (doc: unknown, key: string) => (doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined);
    if (!isDeepStrictEqual(section(raw, 'third_part_codec'), section(this.#config.source, 'third_part_codec'))) {
      problems.error('third_part_codec', 'changed: protocol packages are loaded once, at start; restart mosn to load others');
    }
    if (!isDeepStrictEqual(section(raw, 'third_part_stream_filter'), section(this.#config.source, 'third_part_stream_filter'))) {
      problems.error('third_part_stream_filter', 'changed: stream filter packages are loaded once, at start; restart mosn to load others');
    }
    if (!isDeepStrictEqual(section(raw, 'extends'), section(this.#config.source, 'extends'))) problems.warn('extends', 'changed: the registry extensions are read once, at start; restart mosn to use the new ones');
    for (const key of ['dynamic_resources', 'static_resources', 'node']) {
      if (!isDeepStrictEqual(section(raw, key), section(this.#config.source, key))) problems.warn(key, 'changed: the xDS bootstrap is read once, at start; restart mosn to use the new one');
    }
    if (!next) return;
    const now = this.#config.admin ? formatAddress(this.#config.admin) : undefined;
    if ((next.admin ? formatAddress(next.admin) : undefined) !== now) problems.warn('admin.address', `the admin API stays on ${now ?? '(none)'} until mosn restarts`);
    if (!isDeepStrictEqual(next.metrics, this.#config.metrics)) problems.warn('metrics', 'changed: the metrics sink keeps its settings until mosn restarts');
    if (!isDeepStrictEqual(next.tracing, this.#config.tracing)) problems.warn('tracing', 'changed: tracing keeps its settings until mosn restarts');
    if (next.workers !== this.#config.workers) problems.warn('servers[0].processor', `the worker count stays ${this.#config.workers} until mosn restarts`);
    if (next.logPath !== this.#config.logPath) problems.warn('servers[0].default_log_path', `the log stays at ${this.#config.logPath} until mosn restarts`);
  }

  /** The bound address of a listener by name (its real port when the config said 0). */
  listenerAddress(name: string): Address {
    const l = this.#live.listeners.get(name);
    if (!l) throw new MosnError('MOSN_ERR_NO_LISTENER', `no listener named ${name}`);
    return l.address;
  }

  /**
   * Graceful stop: stop accepting, ask each connection to finish (idle HTTP connections close now,
   * busy ones after their response), wait up to `graceful_timeout`, then close what is left.
   */
  async stop(timeoutMs = this.#config.gracefulTimeoutMs): Promise<void> {
    if (this.#stage === 'stopped' || this.#stage === 'draining') return;
    await this.#queue;
    this.#stage = 'draining';
    // What mosn published goes first (its registry session ends), so that consumers stop sending while it drains.
    this.#registry?.close();
    this.#log.info({ gracefulTimeoutMs: timeoutMs }, 'graceful stop: no new connections; draining');
    const listeners = this.listeners;
    for (const l of listeners) l.stopAccepting();
    for (const l of listeners) l.drainConnections();
    const deadline = Date.now() + timeoutMs;
    const open = () => listeners.reduce((n, l) => n + l.connections.size, 0) + this.#live.drainingConnections;
    while (Date.now() < deadline && open() > 0) await new Promise((r) => setTimeout(r, 20));
    const left = open();
    if (left > 0) this.#log.warn({ connections: left }, 'graceful timeout reached; closing remaining connections');
    await this.#closeAll();
    this.#stage = 'stopped';
    this.#log.info('mosn stopped');
  }

  /** Open every access log file again (SIGUSR1, after log rotation moved them away). */
  reopenAccessLogs(): void {
    this.#accessLogs.reopen();
  }

  #readOptions(): ReadConfigOptions {
    return { ...(this.#baseDir !== undefined ? { baseDir: this.#baseDir } : {}), ...(this.#xdsFlags ? { xdsFlags: this.#xdsFlags } : {}) };
  }

  async #closeAll(): Promise<void> {
    this.#xds?.close();
    this.#registry?.close();
    this.#certs.close();
    this.#live.closeAll();
    await this.#admin?.close();
    await this.#metrics?.close();
    await this.#spans?.close();
    await this.#accessLogs.close();
  }
}

/** What an apply starts from: the file's config, and the dynamic sections when they change (else the current ones). */
interface NextConfig {
  readonly base: unknown;
  readonly layers?: ReadonlyMap<string, LayerSource>;
}

/** The config without listeners that could not bind: the running config (and its dump) says what runs. */
function withoutListeners(config: MosnConfig, names: ReadonlySet<string>): MosnConfig {
  let source = config.source;
  for (const name of names) source = removeSection(source, 'listener', name);
  return Object.freeze({ ...config, listeners: config.listeners.filter((l) => !names.has(l.name)), source: Object.freeze(source) });
}

