import type { Kind, Protocol } from './clients.js';
import type { RequestRecord } from './load.js';
import type { Action, Step } from './schedule.js';

// The figures of a chaos run: each request is put down to the action it met (it was in flight when the action
// began, or was sent while the action lasted or in the recovery time after it) or to none (`steady`); then, per
// protocol and per action, what became of the requests. A request that met no action must have succeeded.

/** One step as it ran: when it began and was undone (ms since the load began), and the end of its recovery time. */
export interface StepRun {
  step: Step;
  at: number;
  undoneAt: number;
  windowEnd: number;
}

export type Phase = Action | 'steady';

/** A request's phase: the step it met, or undefined (steady). */
export function stepOf(r: RequestRecord, runs: readonly StepRun[]): StepRun | undefined {
  for (const s of runs) {
    if (r.sentAt < s.at ? r.doneAt > s.at : r.sentAt < s.windowEnd) return s;
  }
  return undefined;
}

export interface Row {
  protocol: Protocol;
  phase: Phase | 'all';
  requests: number;
  ok: number;
  errors: number;
  resets: number;
  hangs: number;
  wrong: number;
  /** 99th percentile of the time to an answer (ok or error), ms. */
  p99: number;
  /** The longest time from an action's start to the sending of the last request it made fail, ms (0: none failed). */
  failingFor: number;
}

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)]!;
}

function row(protocol: Protocol, phase: Phase | 'all', rs: readonly RequestRecord[], strays: number, runOf: (r: RequestRecord) => StepRun | undefined): Row {
  const count = (k: Kind) => rs.filter((r) => r.kind === k).length;
  const failingFor = new Map<StepRun, number>();
  for (const r of rs) {
    const s = runOf(r);
    if (r.kind !== 'ok' && s) failingFor.set(s, Math.max(failingFor.get(s) ?? 0, r.sentAt - s.at));
  }
  return {
    protocol,
    phase,
    requests: rs.length,
    ok: count('ok'),
    errors: count('error'),
    resets: count('reset'),
    hangs: count('hang'),
    wrong: count('wrong') + strays,
    p99: Math.round(p99(rs.filter((r) => r.kind === 'ok' || r.kind === 'error').map((r) => r.doneAt - r.sentAt))),
    failingFor: Math.round(Math.max(0, ...failingFor.values())),
  };
}

export interface Figures {
  rows: Row[];
  /** Requests that met no action and did not succeed. */
  lost: RequestRecord[];
  /** Error answers by protocol and status. */
  statuses: Record<string, Record<string, number>>;
  /** Who answered, per protocol, the requests sent after the last step's recovery time. */
  lastAnsweredBy: Record<string, Record<string, number>>;
  hangs: number;
  wrong: number;
  /** The first few hangs, wrong answers and lost requests, described. */
  examples: string[];
}

export function figures(records: readonly RequestRecord[], runs: readonly StepRun[], strays: ReadonlyMap<Protocol, readonly string[]>, protocols: readonly Protocol[]): Figures {
  const phaseOf = new Map<RequestRecord, StepRun | undefined>();
  for (const r of records) phaseOf.set(r, stepOf(r, runs));
  const runOf = (r: RequestRecord) => phaseOf.get(r);
  const rows: Row[] = [];
  const statuses: Record<string, Record<string, number>> = {};
  const lastAnsweredBy: Record<string, Record<string, number>> = {};
  const lastEnd = runs.length > 0 ? runs[runs.length - 1]!.windowEnd : 0;
  const phases: Phase[] = ['steady', ...new Set(runs.map((s) => s.step.action))];
  for (const p of protocols) {
    const mine = records.filter((r) => r.protocol === p);
    for (const phase of phases) {
      const rs = mine.filter((r) => (runOf(r)?.step.action ?? 'steady') === phase);
      if (rs.length > 0) rows.push(row(p, phase, rs, 0, runOf));
    }
    rows.push(row(p, 'all', mine, strays.get(p)?.length ?? 0, runOf));
    const st: Record<string, number> = {};
    for (const r of mine) if (r.kind === 'error') st[String(r.status)] = (st[String(r.status)] ?? 0) + 1;
    statuses[p] = st;
    const who: Record<string, number> = {};
    for (const r of mine) if (r.kind === 'ok' && r.sentAt >= lastEnd) who[r.who!] = (who[r.who!] ?? 0) + 1;
    lastAnsweredBy[p] = who;
  }
  const lost = records.filter((r) => r.kind !== 'ok' && runOf(r) === undefined);
  const bad = records.filter((r) => r.kind === 'hang' || r.kind === 'wrong');
  const describe = (r: RequestRecord) => {
    const s = runOf(r);
    const phase = s ? `${s.step.action} of u${s.step.target} at ${Math.round(s.at)} ms` : 'steady';
    return `${r.kind} ${r.id} sent at ${Math.round(r.sentAt)} ms (${phase}), settled after ${Math.round(r.doneAt - r.sentAt)} ms${r.status !== undefined ? `, status ${r.status}` : ''}${r.detail ? `: ${r.detail}` : ''}`;
  };
  const examples = [...bad.slice(0, 10).map(describe), ...lost.slice(0, 10).map((r) => `lost: ${describe(r)}`)];
  for (const [p, list] of strays) for (const s of list.slice(0, 5)) examples.push(`stray answer (${p}): ${s}`);
  let strayCount = 0;
  for (const list of strays.values()) strayCount += list.length;
  return { rows, lost, statuses, lastAnsweredBy, hangs: bad.filter((r) => r.kind === 'hang').length, wrong: bad.length - bad.filter((r) => r.kind === 'hang').length + strayCount, examples };
}

/** The rows as a Markdown table. */
export function table(rows: readonly Row[]): string {
  const head = ['protocol', 'action', 'requests', 'ok', 'error answers', 'resets in flight', 'hangs', 'wrong answers', 'p99 ms', 'failing for ms'];
  const lines = [`| ${head.join(' | ')} |`, `| --- | --- | ${head.slice(2).map(() => '---:').join(' | ')} |`];
  for (const r of rows) {
    lines.push(`| ${r.protocol} | ${r.phase} | ${[r.requests, r.ok, r.errors, r.resets, r.hangs, r.wrong, r.p99, r.failingFor].join(' | ')} |`);
  }
  return lines.join('\n');
}
