import { Listener, MosnError, formatAddress, type Address, type ConfigProblem, type Logger } from '@mosn/proxy';
import { AdminServer } from './admin.js';
import { buildConfig, type BuiltConfig } from './config/build.js';
import { defaultExtensions, type Extensions } from './extensions.js';

export type Stage = 'init' | 'starting' | 'running' | 'draining' | 'stopped';

export interface MosnOptions {
  /** The config as parsed from JSON/YAML. */
  config: unknown;
  logger: Logger;
  extensions?: Extensions;
  /** The config already built from `config` with this logger and these extensions (the CLI checks it first). */
  built?: ReturnType<typeof buildConfig>;
}

/**
 * One mosn runtime instance: its extensions, its config, its listeners and admin API. Stages are named:
 * init (read and check the config, nothing bound) → start (bind) → running → graceful stop.
 */
export class Mosn {
  readonly extensions: Extensions;
  readonly config: BuiltConfig;
  readonly warnings: ConfigProblem[];
  readonly listeners: Listener[] = [];
  #raw: unknown;
  #log: Logger;
  #admin: AdminServer | undefined;
  #stage: Stage = 'init';

  /** Read and check the config; throws MOSN_ERR_CONFIG with every problem and its JSON path. */
  constructor(options: MosnOptions) {
    this.extensions = options.extensions ?? defaultExtensions();
    this.#raw = options.config;
    this.#log = options.logger;
    const { config, problems } = options.built ?? buildConfig(options.config, this.extensions, options.logger);
    this.warnings = problems.warnings;
    problems.throwIfAny();
    this.config = config!;
  }

  get stage(): Stage {
    return this.#stage;
  }

  /** Bind every listener (and the admin API). If one cannot bind, the others are closed again. */
  async start(): Promise<void> {
    this.#stage = 'starting';
    for (const w of this.warnings) this.#log.warn({ path: w.path }, `config: ${w.path}: ${w.message}`);
    try {
      // Hosts from DNS before anything checks or uses them: each name is resolved once (answered or failed).
      const sourceCtx = { listenerAddresses: () => this.listeners.map((l) => l.address) };
      await Promise.all([...this.config.clusters.all()].map((c) => c.hostSource?.start(sourceCtx)));
      // the detector first: a passing active check is what un-ejects a host
      for (const c of this.config.clusters.all()) {
        c.outlierDetector?.start();
        c.healthChecker?.start();
      }
      for (const spec of this.config.listeners) {
        const l = new Listener({
          name: spec.name,
          address: spec.address,
          filterChain: spec.filterChain,
          bufferLimit: spec.bufferLimit,
          idleTimeoutMs: spec.idleTimeoutMs,
          logger: this.#log,
          onConnection: (conn) => {
            const stats = this.config.stats;
            stats.inc(`listener.${spec.name}.downstream_cx_total`);
            conn.on('filter_error', () => stats.inc(`listener.${spec.name}.downstream_filter_error`));
          },
        });
        await l.start();
        this.listeners.push(l);
      }
      if (this.config.admin) {
        this.#admin = new AdminServer(
          {
            configDump: () => this.#raw,
            stats: () => this.config.stats.snapshot(),
            state: () => this.#stage,
            logLevel: () => this.config.logLevel,
          },
          this.#log,
        );
        await this.#admin.start(this.config.admin);
      }
    } catch (e) {
      await this.#closeAll();
      throw e;
    }
    this.#stage = 'running';
    this.#log.info({ listeners: this.listeners.map((l) => `${l.name}@${formatAddress(l.address)}`) }, 'mosn started');
  }

  /** The bound address of a listener by name (its real port when the config said 0). */
  listenerAddress(name: string): Address {
    const l = this.listeners.find((x) => x.name === name);
    if (!l) throw new MosnError('MOSN_ERR_NO_LISTENER', `no listener named ${name}`);
    return l.address;
  }

  /**
   * Graceful stop: stop accepting, ask each connection to finish (idle HTTP connections close now,
   * busy ones after their response), wait up to `graceful_timeout`, then close what is left.
   */
  async stop(timeoutMs = this.config.gracefulTimeoutMs): Promise<void> {
    if (this.#stage === 'stopped' || this.#stage === 'draining') return;
    this.#stage = 'draining';
    this.#log.info({ gracefulTimeoutMs: timeoutMs }, 'graceful stop: no new connections; draining');
    for (const l of this.listeners) l.stopAccepting();
    for (const l of this.listeners) l.drainConnections();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.listeners.some((l) => l.connections.size > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const left = this.listeners.reduce((n, l) => n + l.connections.size, 0);
    if (left > 0) this.#log.warn({ connections: left }, 'graceful timeout reached; closing remaining connections');
    await this.#closeAll();
    this.#stage = 'stopped';
    this.#log.info('mosn stopped');
  }

  async #closeAll(): Promise<void> {
    for (const l of this.listeners) {
      l.stopAccepting();
      l.closeConnections();
    }
    this.config.clusters.close();
    await this.#admin?.close();
  }
}
