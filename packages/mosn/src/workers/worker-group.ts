import { fork, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { MosnError, type Logger, type Stats } from '@mosn/proxy';
import { WORKER_ENV, isWorkerMessage, type Layers, type WorkerCall, type WorkerMessage } from './messages.js';
import type { SocketStore } from './socket-store.js';

/** At most this many restarts of one worker within RESTART_WINDOW_MS; past that the next waits for the window. */
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;
/** How long a call to a worker may take before it is given up (an apply can take long: it binds, it drains). */
const CALL_TIMEOUT_MS = 30_000;

export interface WorkerGroupOptions {
  readonly count: number;
  readonly logger: Logger;
  /** The primary's stats: `workers.running`, `workers.exited`, `workers.restarts`. */
  readonly stats: Stats;
  readonly sockets: SocketStore;
  /** What a starting worker serves: the file's config as the primary read it last, and the dynamic layers. */
  readonly config: () => { config: unknown; layers: Layers };
  /** A worker exited (for good, or to be started again). */
  readonly onExit?: (id: number) => void;
}

/** One worker's place: its id stays across restarts. */
interface Slot {
  readonly id: number;
  child: ChildProcess | undefined;
  ready: boolean;
  /** When it was restarted, within the window. */
  restarts: number[];
  timer: NodeJS.Timeout | undefined;
}

/** One worker's answer to a broadcast call. */
export interface WorkerAnswer {
  readonly worker: number;
  readonly value?: unknown;
  readonly error?: string;
}

/**
 * The worker processes of `mosn start --workers N` (docs/operations.md, "Workers"): each a whole mosn (its own
 * listeners on the primary's shared sockets, routers, clusters, upstream pools), started with the primary's own
 * command line and `MOSN_WORKER_ID`. A worker that exits while the group runs is logged, counted and started again
 * (at most MAX_RESTARTS per RESTART_WINDOW_MS each; past that, when the window allows).
 */
export class WorkerGroup {
  readonly #o: WorkerGroupOptions;
  readonly #log: Logger;
  readonly #slots: Slot[];
  #calls = new Map<number, { worker: number; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #nextCall = 1;
  #stopping = false;
  /** Resolves a worker's first start (the group's start waits for all); rejects when it exits first. */
  #starting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(o: WorkerGroupOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'workers' });
    this.#slots = Array.from({ length: o.count }, (_, i) => ({ id: i + 1, child: undefined, ready: false, restarts: [], timer: undefined }));
  }

  /** Start every worker; resolves when all serve, rejects (after stopping the others) when one exits first. */
  async start(): Promise<void> {
    try {
      await Promise.all(
        this.#slots.map(
          (s) =>
            new Promise<void>((resolve, reject) => {
              this.#starting.set(s.id, { resolve, reject });
              this.#spawn(s);
            }),
        ),
      );
    } catch (e) {
      await this.stop(1000);
      throw e;
    }
  }

  /** The ids of the workers that serve now, in order. */
  get ready(): number[] {
    return this.#slots.filter((s) => s.ready).map((s) => s.id);
  }

  /** The pids of the workers by id (absent while one is being restarted). */
  get pids(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const s of this.#slots) if (s.child?.pid !== undefined && s.child.exitCode === null) out[s.id] = s.child.pid;
    return out;
  }

  /** Ask worker `id`; rejects when it does not serve, does not answer in time, or answers with an error. */
  call(id: number, call: WorkerCall, timeoutMs = CALL_TIMEOUT_MS): Promise<unknown> {
    const slot = this.#slots[id - 1];
    const child = slot?.child;
    if (!slot?.ready || !child?.connected) return Promise.reject(new Error(`worker ${id} does not serve now`));
    const callId = this.#nextCall++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(callId);
        reject(new Error(`worker ${id} did not answer "${call.op}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#calls.set(callId, { worker: id, resolve, reject, timer });
      child.send({ mosn: 'call', id: callId, call } satisfies WorkerMessage, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.#calls.delete(callId);
        reject(err);
      });
    });
  }

  /** Ask every worker that serves; each answer or error by worker. */
  broadcast(call: WorkerCall, timeoutMs?: number): Promise<WorkerAnswer[]> {
    return Promise.all(
      this.ready.map((worker) =>
        this.call(worker, call, timeoutMs).then(
          (value) => ({ worker, value }),
          (e: unknown) => ({ worker, error: (e as Error).message }),
        ),
      ),
    );
  }

  /**
   * Graceful stop: no restarts from now on; each worker drains (its own graceful_timeout) and exits; one still there
   * after `timeoutMs` is killed.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    const running = this.#slots.filter((s) => s.child && s.child.exitCode === null && s.child.signalCode === null);
    for (const s of this.#slots) clearTimeout(s.timer);
    const exits = running.map((s) => new Promise<void>((r) => s.child!.once('exit', () => r())));
    for (const s of running) {
      // one still starting has nothing to drain yet: its signal handler (or Node's default) ends it
      if (s.ready && s.child!.connected) s.child!.send({ mosn: 'call', id: 0, call: { op: 'stop' } } satisfies WorkerMessage, () => undefined);
      else s.child!.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      for (const s of running) {
        if (s.child!.exitCode !== null || s.child!.signalCode !== null) continue;
        this.#log.warn({ workerId: s.id, workerPid: s.child!.pid }, 'worker did not stop in time: killed');
        s.child!.kill('SIGKILL');
      }
    }, timeoutMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  #spawn(slot: Slot): void {
    const child = fork(process.argv[1]!, process.argv.slice(2), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: process.execArgv,
      // libuv's UV_TCP_SINGLE_ACCEPT: a worker yields the CPU after each accept, so that the first worker woken by a
      // burst of connects does not take them all (measured: benchmarks/README.md, "Workers"); a value set is kept
      env: { UV_TCP_SINGLE_ACCEPT: '1', ...process.env, [WORKER_ENV]: String(slot.id) },
    });
    slot.child = child;
    slot.ready = false;
    this.#log.info({ workerId: slot.id, workerPid: child.pid }, 'worker started');
    child.on('message', (m: unknown, handle: unknown) => this.#onMessage(slot, child, m, handle));
    child.on('exit', (code, signal) => this.#onExit(slot, child, code, signal));
    // (a fork that fails, a signal that cannot be sent: the exit, or its absence, is what counts)
    child.on('error', (err) => this.#log.error({ workerId: slot.id, err: { message: err.message } }, 'worker process error'));
  }

  #onMessage(slot: Slot, child: ChildProcess, m: unknown, _handle: unknown): void {
    if (!isWorkerMessage(m)) return;
    switch (m.mosn) {
      case 'socket?':
        void this.#o.sockets.get(m.key).then((handle) => {
          if (!child.connected) return;
          // a bound handle goes as Node's native handle
          child.send({ mosn: 'socket', key: m.key, found: handle !== undefined } satisfies WorkerMessage, handle as net.Server | undefined, (err) => {
            if (err) this.#log.warn({ workerId: slot.id, key: m.key, err: { message: err.message } }, 'could not hand a socket to a worker; it binds the address itself');
          });
        });
        return;
      case 'config?': {
        const { config, layers } = this.#o.config();
        child.send({ mosn: 'config', config, layers } satisfies WorkerMessage, () => undefined);
        return;
      }
      case 'ready':
        slot.ready = true;
        this.#o.stats.set('workers.running', this.ready.length);
        this.#log.info({ workerId: slot.id, workerPid: m.pid }, 'worker serves');
        this.#starting.get(slot.id)?.resolve();
        this.#starting.delete(slot.id);
        return;
      case 'answer': {
        const c = this.#calls.get(m.id);
        if (!c) return;
        this.#calls.delete(m.id);
        clearTimeout(c.timer);
        if (m.error !== undefined) c.reject(new Error(m.error));
        else c.resolve(m.value);
        return;
      }
      default:
    }
  }

  #onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    slot.child = undefined;
    slot.ready = false;
    this.#o.stats.set('workers.running', this.ready.length);
    this.#o.onExit?.(slot.id);
    // calls it will not answer
    for (const [callId, c] of this.#calls) {
      if (c.worker !== slot.id) continue;
      this.#calls.delete(callId);
      clearTimeout(c.timer);
      c.reject(new Error(`worker ${slot.id} exited`));
    }
    const first = this.#starting.get(slot.id);
    if (first) {
      this.#starting.delete(slot.id);
      this.#log.error({ workerId: slot.id, workerPid: child.pid, code, signal }, 'worker exited before it served (its log says why)');
      first.reject(new MosnError('MOSN_ERR_WORKER_START', `worker ${slot.id} exited (${signal ?? `code ${code}`}) before it served; its log lines (worker ${slot.id}) say why`));
      return;
    }
    if (this.#stopping) {
      this.#log.info({ workerId: slot.id, workerPid: child.pid, code, signal }, 'worker stopped');
      return;
    }
    this.#o.stats.inc('workers.exited');
    const now = Date.now();
    slot.restarts = slot.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    const wait = slot.restarts.length < MAX_RESTARTS ? 0 : slot.restarts[0]! + RESTART_WINDOW_MS - now;
    this.#log.error(
      { workerId: slot.id, workerPid: child.pid, code, signal, restartInMs: wait },
      wait === 0 ? 'worker exited: starting it again' : `worker exited: restarted ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 1000} s; starting it again in ${Math.ceil(wait / 1000)} s`,
    );
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.#stopping) return;
      slot.restarts.push(Date.now());
      this.#o.stats.inc('workers.restarts');
      this.#spawn(slot);
    }, wait);
  }
}
