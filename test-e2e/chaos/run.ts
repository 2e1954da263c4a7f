import { setTimeout as sleep } from 'node:timers/promises';
import { closedPort } from '../helpers.js';
import { startMosnProcess, type MosnProcess } from '../reload/support.js';
import { boltClient, dubboClient, http1Client, http2Client, type LoadClient, type Protocol } from './clients.js';
import { chaosConfig, deadlineOf, RPC_TIMEOUT_MS, type ListenerPorts } from './config.js';
import { figures, table, type Figures, type StepRun } from './figures.js';
import { OpenLoad, type RequestRecord } from './load.js';
import { perform, type Step } from './schedule.js';
import { Upstream } from './upstreams.js';
import { Vitals } from './vitals.js';

// One chaos run: upstream processes, mosn (its own process) before them, steady load of every protocol through
// mosn, the schedule's actions one after the other with steady time between them, then the figures.

export interface ChaosOptions {
  /** Requests per second, per protocol. */
  rate: number;
  schedule: Iterable<Step>;
  /** Start no step that would end after this (ms of load); absent: run the whole schedule. */
  durationMs?: number;
  /** Steady load before the first step. */
  warmupMs: number;
  /** After a step is undone, how long requests may still fail because of it. */
  recoveryMs: number;
  /** Steady load after each step's recovery time, before the next step. */
  steadyMs: number;
  upstreams: number;
  protocols: readonly Protocol[];
  /** Run at the end of the test (the processes). */
  cleanups: Array<() => unknown>;
  /** Progress lines (each step as it runs). */
  log?: (line: string) => void;
}

export interface ChaosReport {
  figures: Figures;
  runs: StepRun[];
  /** mosn's stats of interest at the end, per protocol. */
  stats: Record<string, Record<string, number>>;
  /** mosn was still running at the end. */
  mosnRunning: boolean;
  /** ms from the last step's recovery time until every upstream answered requests of every protocol again; -1: not within 15 s. */
  allHostsBackMs: number;
  upstreams: string[];
  /** Every request, in the order they settled. */
  records: RequestRecord[];
  /** What mosn wrote (its end). */
  mosnOutput: string;
  /** The figures as text: the table, error statuses, mosn's stats. */
  text: string;
}

const STATS = ['upstream_rq_retry', 'upstream_rq_per_try_timeout', 'downstream_rq_timeout', 'upstream_rq_reset'] as const;
const CLUSTER_STATS = ['outlier_detection.ejections_enforced_total', 'health_check.failure', 'upstream_cx_connect_failed', 'upstream_rq_retry_overflow'] as const;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const upstreams = Array.from({ length: o.upstreams }, (_, i) => new Upstream(`u${i}`));
  for (const u of upstreams) o.cleanups.push(() => u.close());
  await Promise.all(upstreams.map((u) => u.start()));
  const ports: ListenerPorts = { admin: await closedPort(), http1: await closedPort(), http2: await closedPort(), bolt: await closedPort(), dubbo: await closedPort() };
  const mosn = await startMosnProcess(chaosConfig(ports, upstreams), o.cleanups);

  const make: Record<Protocol, () => LoadClient> = {
    http1: () => http1Client(ports.http1),
    http2: () => http2Client(ports.http2),
    bolt: () => boltClient(ports.bolt, RPC_TIMEOUT_MS),
    dubbo: () => dubboClient(ports.dubbo),
  };
  const clients = o.protocols.map((p) => make[p]());
  o.cleanups.push(() => clients.forEach((c) => c.close()));
  const load = new OpenLoad(clients, o.rate, deadlineOf);
  const vitals = new Vitals(mosn.pid, () => load.now());
  const runs: StepRun[] = [];
  await sleep(o.warmupMs);
  for (const step of o.schedule) {
    if (o.durationMs !== undefined && load.now() + step.holdMs + o.recoveryMs + o.steadyMs > o.durationMs) break;
    const at = load.now();
    log(`${(at / 1000).toFixed(1)} s: ${step.action} u${step.target}${step.holdMs > 0 ? ` for ${step.holdMs} ms` : ''}`);
    await perform(step, upstreams[step.target]!);
    const undoneAt = load.now();
    runs.push({ step, at, undoneAt, windowEnd: undoneAt + o.recoveryMs });
    await sleep(o.recoveryMs + o.steadyMs);
  }

  // traffic goes back to every upstream: each answers requests of every protocol again
  const lastEnd = runs.length > 0 ? runs[runs.length - 1]!.windowEnd : 0;
  const back = () =>
    o.protocols.every((p) => {
      const who = new Set(load.records.filter((r) => r.protocol === p && r.kind === 'ok' && r.sentAt >= lastEnd).map((r) => r.who));
      return upstreams.every((u) => who.has(u.name));
    });
  let allHostsBackMs = -1;
  for (const end = load.now() + 15_000; load.now() < end; await sleep(50)) {
    if (back()) {
      allHostsBackMs = Math.round(load.now() - lastEnd);
      break;
    }
  }
  await load.stop();
  vitals.stop();
  const mosnRunning = mosn.running();
  const stats = mosnRunning ? await statsOf(mosn, o.protocols) : {};
  clients.forEach((c) => c.close());

  const strays = new Map(clients.map((c) => [c.protocol, c.strays] as const));
  const f = figures(load.records, runs, strays, o.protocols);
  const text = [
    table(f.rows),
    '',
    `error answers by status: ${JSON.stringify(f.statuses)}`,
    `answered after the last recovery: ${JSON.stringify(f.lastAnsweredBy)}; every upstream answering again after ${allHostsBackMs} ms`,
    `mosn stats: ${JSON.stringify(stats)}`,
    vitals.summary(),
    `hangs ${f.hangs}, wrong answers ${f.wrong}, lost ${f.lost.length}${mosnRunning ? '' : ', MOSN EXITED'}`,
    ...f.examples,
    ...load.records
      .filter((r) => r.kind === 'hang')
      .slice(0, 5)
      .map((r) => `while ${r.id} hung: ${vitals.around(r.sentAt, r.doneAt)}`),
  ].join('\n');
  return { figures: f, runs, stats, mosnRunning, allHostsBackMs, upstreams: upstreams.map((u) => u.name), records: load.records, mosnOutput: mosn.tail(1_000_000), text };
}

async function statsOf(mosn: MosnProcess, protocols: readonly Protocol[]): Promise<Record<string, Record<string, number>>> {
  const all = await mosn.stats();
  const out: Record<string, Record<string, number>> = {};
  for (const p of protocols) {
    const mine: Record<string, number> = {};
    for (const s of STATS) mine[s] = all[`listener.${p}.${s}`] ?? 0;
    for (const s of CLUSTER_STATS) mine[s] = all[`cluster.c_${p}.${s}`] ?? 0;
    out[p] = mine;
  }
  return out;
}
