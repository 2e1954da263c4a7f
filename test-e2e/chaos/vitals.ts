import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

// How the machine and the processes of a chaos run are doing, sampled twice a second: the load average, mosn's CPU
// time, and how late this process's own timers run. On a shared machine a hung request may be mosn's fault or the
// machine's: these say which (a mosn that used no CPU while its requests hung was starved, not stuck).

/** ms of CPU (user + system) a process used so far, from /proc; undefined when it cannot be read. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command (which may hold spaces) start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

function loadAverage(): number | undefined {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

export interface VitalSample {
  /** ms since the load began. */
  at: number;
  load: number | undefined;
  /** mosn's CPU over the last interval, percent of one core. */
  mosnCpu: number | undefined;
  /** How late this process's timer ran, at most, over the last interval (ms). */
  lag: number;
}

const INTERVAL_MS = 500;
const TICK_MS = 20;

/**
 * How late this process's timers have run, in all and at most since the last `takeMaxLag`: a 20 ms ticker, started
 * on first use. A request's deadline is measured in this process's running time: the time it stood still is added.
 */
class StallClock {
  #stalled = 0;
  #maxLag = 0;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;

  get stalledMs(): number {
    this.#start();
    return this.#stalled;
  }

  /** The worst lag since the last call. */
  takeMaxLag(): number {
    this.#start();
    const m = this.#maxLag;
    this.#maxLag = 0;
    return m;
  }

  #start(): void {
    if (this.#timer) return;
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const t = performance.now();
      const late = t - this.#last - TICK_MS;
      this.#last = t;
      if (late > 5) this.#stalled += late;
      if (late > this.#maxLag) this.#maxLag = late;
    }, TICK_MS);
    this.#timer.unref();
  }
}

export const stallClock = new StallClock();

export class Vitals {
  readonly samples: VitalSample[] = [];
  #mosnPid: number;
  #now: () => number;
  #lastCpu: number | undefined;
  #lastAt: number;
  #stalledAtStart = stallClock.stalledMs;
  #sampler: NodeJS.Timeout;

  /** `now`: the load's clock (ms). */
  constructor(mosnPid: number, now: () => number) {
    this.#mosnPid = mosnPid;
    this.#now = now;
    this.#lastCpu = cpuMsOf(mosnPid);
    this.#lastAt = now();
    stallClock.takeMaxLag();
    this.#sampler = setInterval(() => this.#sample(), INTERVAL_MS);
    this.#sampler.unref();
  }

  #sample(): void {
    const at = this.#now();
    const cpu = cpuMsOf(this.#mosnPid);
    const mosnCpu = cpu !== undefined && this.#lastCpu !== undefined ? Math.round(((cpu - this.#lastCpu) / (at - this.#lastAt)) * 100) : undefined;
    this.samples.push({ at, load: loadAverage(), mosnCpu, lag: Math.round(Math.max(0, stallClock.takeMaxLag())) });
    this.#lastCpu = cpu;
    this.#lastAt = at;
  }

  stop(): void {
    clearInterval(this.#sampler);
  }

  /** The samples of [from, to] in one line: load, mosn CPU, this process's worst timer lag. */
  around(from: number, to: number): string {
    const s = this.samples.filter((v) => v.at >= from && v.at <= to + INTERVAL_MS);
    if (s.length === 0) return 'no samples';
    const max = (f: (v: VitalSample) => number | undefined) => Math.max(...s.map((v) => f(v) ?? 0));
    const min = (f: (v: VitalSample) => number | undefined) => Math.min(...s.map((v) => f(v) ?? Infinity));
    return `load ${max((v) => v.load)}, mosn CPU ${min((v) => v.mosnCpu)}-${max((v) => v.mosnCpu)}%, this process's timers up to ${max((v) => v.lag)} ms late`;
  }

  /** The whole run in one line. */
  summary(): string {
    const loads = this.samples.map((v) => v.load ?? 0);
    const cpu = this.samples.map((v) => v.mosnCpu ?? 0);
    const avg = (a: number[]) => (a.length === 0 ? 0 : Math.round(a.reduce((x, y) => x + y, 0) / a.length));
    return (
      `machine: ${cpus().length} cores, load average ${Math.min(...loads)} to ${Math.max(...loads)}; mosn CPU ${avg(cpu)}% of a core on average, ` +
      `${Math.max(...cpu)}% at most; this process's timers ran ${Math.round(stallClock.stalledMs - this.#stalledAtStart)} ms late in all, ${Math.max(0, ...this.samples.map((v) => v.lag))} ms at most`
    );
  }
}
