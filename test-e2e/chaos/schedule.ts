import { setTimeout as sleep } from 'node:timers/promises';
import type { Upstream } from './upstreams.js';

// What the chaos schedule does to the upstreams, one action at a time on one upstream: the fixed schedule of the
// CI test and a seeded random one for long runs.

/**
 * - `kill`: SIGKILL, then a new process on the same ports after `holdMs`;
 * - `term`: SIGTERM (the upstream stops gracefully), then a new process after `holdMs`;
 * - `freeze`: SIGSTOP, then SIGCONT after `holdMs`;
 * - `drop`: the upstream resets every connection it has (and keeps listening);
 * - `slow`: every answer `SLOW_MS` late for `holdMs` (health checks stay prompt).
 */
export type Action = 'kill' | 'term' | 'freeze' | 'drop' | 'slow';
export const ACTIONS: readonly Action[] = ['kill', 'term', 'freeze', 'drop', 'slow'];

export interface Step {
  action: Action;
  /** The upstream's index. */
  target: number;
  /** How long the upstream stays down, frozen or slow. */
  holdMs: number;
}

/** A slow upstream's answer delay: more than the RPC timeout and the HTTP per-try timeout (config.ts), so that every slow answer is a timeout. */
export const SLOW_MS = 2500;

/** The CI test's schedule: each action once, on the three upstreams in turn. */
export const CI_SCHEDULE: readonly Step[] = [
  { action: 'kill', target: 0, holdMs: 1500 },
  { action: 'term', target: 1, holdMs: 1500 },
  { action: 'freeze', target: 2, holdMs: 3000 },
  { action: 'drop', target: 0, holdMs: 0 },
  { action: 'slow', target: 1, holdMs: 4000 },
];

/** sfc32, a small seeded PRNG: numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** An endless seeded schedule over `upstreams` upstreams: every action in turn (a shuffled round each time), random targets and holds of 1 to 4 s. */
export function* randomSchedule(seed: number, upstreams: number): Generator<Step> {
  const random = prng(seed);
  for (;;) {
    const round = [...ACTIONS];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    for (const action of round) {
      yield { action, target: Math.floor(random() * upstreams), holdMs: action === 'drop' ? 0 : 1000 + Math.floor(random() * 3000) };
    }
  }
}

/** Do `step` to `u`, wait its hold, undo it; resolves once undone (a restarted upstream listens again). */
export async function perform(step: Step, u: Upstream): Promise<void> {
  switch (step.action) {
    case 'kill':
      await u.kill();
      await sleep(step.holdMs);
      await u.start();
      return;
    case 'term':
      await u.term();
      await sleep(step.holdMs);
      await u.start();
      return;
    case 'freeze':
      u.freeze();
      await sleep(step.holdMs);
      u.thaw();
      return;
    case 'drop':
      u.drop();
      return;
    case 'slow':
      u.slow(SLOW_MS);
      await sleep(step.holdMs);
      u.slow(0);
      return;
  }
}
