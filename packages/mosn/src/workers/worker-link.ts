import { setSocketSource, type InheritedSocket, type Logger } from '@mosn/proxy';
import type { LogControl } from '../admin/types.js';
import type { ApplyResult } from '../mosn.js';
import type { SectionLayer } from '../runtime/config-edit.js';
import type { LiveSummary } from './aggregate.js';
import { WORKER_ENV, isWorkerMessage, type ApplyAnswer, type Layers, type WorkerCall, type WorkerMessage, type WorkerState } from './messages.js';

/** What a worker's primary may ask of it: its Mosn and its logger, as the CLI wires them. */
export interface WorkerRuntime {
  /** A reload: the file's config as the primary read it, with the dynamic layers. */
  apply(config: unknown, layers: Layers, origin: string): Promise<ApplyResult>;
  applyLayer(source: string, layer: SectionLayer, origin: string): Promise<ApplyResult>;
  stop(): Promise<void>;
  reopenLogs(): void;
  readonly logs: LogControl;
  stats(): Record<string, number>;
  state(): WorkerState;
  /** The share keys of the addresses its listeners listen on. */
  keys(): string[];
  /** What the live admin page shows of it. */
  live(): LiveSummary;
}

/** An apply's result as it crosses the channel (errors as their messages). */
export function applyAnswer(r: ApplyResult): ApplyAnswer {
  if (!r.ok) return { ok: false, version: r.version, problems: r.problems.map((p) => ({ path: p.path, message: p.message })) };
  return { ok: true, version: r.version, changes: r.changes, failed: r.failed.map((f) => ({ change: f.change, error: f.error.message })) };
}

/**
 * The worker's side of its IPC channel to the primary (a process started with MOSN_WORKER_ID): its listeners take
 * their sockets from the primary (set up before anything listens, kept for listeners a reload adds), it takes the
 * config to serve from the primary, answers the primary's calls, and stops when the primary is gone.
 */
export class PrimaryLink {
  readonly id: number;
  #runtime: WorkerRuntime | undefined;
  #log: Logger | undefined;
  readonly #sockets = new Map<string, Array<(s: InheritedSocket | undefined) => void>>();
  #config: ((c: { config: unknown; layers: Layers }) => void) | undefined;
  #onGone: (() => void) | undefined;

  /** This process as a worker (its id from the environment), or undefined when it is not one. */
  static connect(): PrimaryLink | undefined {
    const id = Number(process.env[WORKER_ENV]);
    delete process.env[WORKER_ENV];
    if (!Number.isInteger(id) || id <= 0 || typeof process.send !== 'function') return undefined;
    return new PrimaryLink(id);
  }

  private constructor(id: number) {
    this.id = id;
    process.on('message', (m: unknown, handle: unknown) => this.#onMessage(m, handle));
    // the primary gone: a serving worker drains; one still starting has nothing to drain
    process.once('disconnect', () => {
      if (!this.#onGone) process.exit(1);
      this.#log?.warn('the primary is gone: graceful stop');
      this.#onGone();
    });
    setSocketSource(
      (key) =>
        new Promise((resolve) => {
          const waiting = this.#sockets.get(key);
          if (waiting) waiting.push(resolve);
          else this.#sockets.set(key, [resolve]);
          process.send!({ mosn: 'socket?', key } satisfies WorkerMessage);
        }),
    );
  }

  /** The config to serve: the file as the primary read it, and the dynamic sources' layers. */
  config(): Promise<{ config: unknown; layers: Layers }> {
    return new Promise((resolve) => {
      this.#config = resolve;
      process.send!({ mosn: 'config?' } satisfies WorkerMessage);
    });
  }

  /** Answer the primary's calls with `runtime`; `onGone` when the primary's channel closes (the primary is gone). */
  serve(runtime: WorkerRuntime, logger: Logger, onGone: () => void): void {
    this.#runtime = runtime;
    this.#log = logger.child({ component: 'worker' });
    this.#onGone = onGone;
  }

  /** This worker serves (its listeners listen): the primary counts it in. */
  ready(): void {
    process.send?.({ mosn: 'ready', pid: process.pid } satisfies WorkerMessage);
  }

  #onMessage(m: unknown, handle: unknown): void {
    if (!isWorkerMessage(m)) return;
    if (m.mosn === 'socket') {
      const waiting = this.#sockets.get(m.key);
      this.#sockets.delete(m.key);
      // every listener of that address gets the socket (handles arrive once per message: one message per ask)
      waiting?.shift()?.(m.found ? (handle as InheritedSocket) : undefined);
      if (waiting && waiting.length > 0) this.#sockets.set(m.key, waiting);
    } else if (m.mosn === 'config') {
      this.#config?.({ config: m.config, layers: m.layers });
      this.#config = undefined;
    } else if (m.mosn === 'call') {
      const id = m.id;
      this.#run(m.call).then(
        (value) => process.connected && process.send!({ mosn: 'answer', id, value } satisfies WorkerMessage),
        (e: unknown) => {
          this.#log?.error({ err: e, op: m.call.op }, `call from the primary failed: ${(e as Error).message}`);
          if (process.connected) process.send!({ mosn: 'answer', id, error: (e as Error).message } satisfies WorkerMessage);
        },
      );
    }
  }

  async #run(call: WorkerCall): Promise<unknown> {
    const r = this.#runtime;
    if (!r) throw new Error('this worker is not serving yet');
    switch (call.op) {
      case 'apply':
        return applyAnswer(await r.apply(call.config, call.layers, call.origin));
      case 'layer':
        return applyAnswer(await r.applyLayer(call.source, call.layer, call.origin));
      case 'stop':
        await r.stop();
        return true;
      case 'reopen-logs':
        r.reopenLogs();
        return true;
      case 'log-level':
        r.logs.setLevel(call.level);
        return true;
      case 'log-enabled':
        r.logs.setEnabled(call.on);
        return true;
      case 'stats':
        return r.stats();
      case 'state':
        return r.state();
      case 'keys':
        return r.keys();
      case 'live':
        return r.live();
    }
  }
}
