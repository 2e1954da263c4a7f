import { makeInput, pieces, type Structure } from './mutate.js';
import { inputSeed, Rng } from './prng.js';

/** A fuzz target: how to make inputs, and what one input must not do (`check` throws when it does). */
export interface FuzzTarget extends Structure {
  readonly name: string;
  /** Run one input, reads as cut; throw to report a violation (a throw of the code under test is one too). */
  check(reads: readonly Buffer[], bytes: Buffer): void;
}

export interface Crash {
  /** The input's own seed: `node fuzz/run.mjs <target> --replay <inputSeed>` makes the same input again. */
  readonly inputSeed: number;
  readonly index: number;
  readonly error: string;
  readonly hex: string;
  readonly cuts: readonly number[];
}

export interface FuzzStats {
  readonly target: string;
  readonly seed: number;
  inputs: number;
  bytes: number;
  crashes: Crash[];
  /** Crashes past the first of each message are counted, not kept. */
  crashCount: number;
  elapsedMs: number;
  /** The input that took longest, wall clock (on a busy machine often a GC pause or another process). */
  slowest: { ms: number; inputSeed: number; length: number; hex: string };
  /**
   * The costliest of the 16 slowest inputs when each is run again 20 times (its best time): what the input
   * itself costs, without the pauses.
   */
  slowestRetimed: { ms: number; inputSeed: number; length: number };
  /** Largest input run. */
  maxInputLength: number;
  heapPeakMiB: number;
}

export interface FuzzOptions {
  seed: number;
  /** Stop after this many inputs... */
  count: number;
  /** ...or after this long, whichever comes first. */
  timeMs?: number;
  /** Called about every `progressMs` (default 2000) with the stats so far. */
  onProgress?: (s: FuzzStats) => void;
  progressMs?: number;
  /** Crash reports are printed (to stderr) as they come; default true. */
  print?: boolean;
}

const hexOf = (b: Buffer, max = 4096): string => (b.length > max ? `${b.subarray(0, max).toString('hex')}...(${b.length} bytes)` : b.toString('hex'));

/** The input of index `index` of a run seeded with `seed`, cut into reads. */
export function inputFor(target: FuzzTarget, seed: number): { bytes: Buffer; reads: Buffer[]; cuts: number[] } {
  const { bytes, cuts } = makeInput(new Rng(seed), target);
  return { bytes, reads: pieces(bytes, cuts), cuts };
}

/** Run one input by its own seed; the error message when it fails, else undefined. */
export function replay(target: FuzzTarget, seed: number): { error: string | undefined; hex: string; cuts: number[] } {
  const { bytes, reads, cuts } = inputFor(target, seed);
  try {
    target.check(reads, bytes);
    return { error: undefined, hex: bytes.toString('hex'), cuts };
  } catch (err) {
    return { error: describe(err), hex: bytes.toString('hex'), cuts };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return String(err);
}

/** Run `count` inputs (or until `timeMs`): every violation is a crash with its seed and bytes. Yields to the event loop every 1024 inputs. */
export async function runFuzz(target: FuzzTarget, o: FuzzOptions): Promise<FuzzStats> {
  const stats: FuzzStats = {
    target: target.name,
    seed: o.seed,
    inputs: 0,
    bytes: 0,
    crashes: [],
    crashCount: 0,
    elapsedMs: 0,
    slowest: { ms: 0, inputSeed: 0, length: 0, hex: '' },
    slowestRetimed: { ms: 0, inputSeed: 0, length: 0 },
    maxInputLength: 0,
    heapPeakMiB: 0,
  };
  const seen = new Set<string>();
  const slow: Array<{ ms: number; seed: number }> = [];
  let slowFloor = 0;
  const start = performance.now();
  const end = o.timeMs === undefined ? Infinity : start + o.timeMs;
  const progressMs = o.progressMs ?? 2000;
  let nextProgress = start + progressMs;
  for (let i = 0; i < o.count; i++) {
    const seed = inputSeed(o.seed, i);
    const { bytes, reads, cuts } = inputFor(target, seed);
    const t0 = performance.now();
    try {
      target.check(reads, bytes);
    } catch (err) {
      stats.crashCount++;
      const error = describe(err);
      const key = error.split('\n')[0]!.replace(/\d+/g, 'N');
      if (!seen.has(key)) {
        seen.add(key);
        const crash = { inputSeed: seed, index: i, error, hex: hexOf(bytes), cuts };
        stats.crashes.push(crash);
        if (o.print !== false) {
          process.stderr.write(`CRASH ${target.name} seed=${o.seed} index=${i} inputSeed=${seed} cuts=[${cuts.join(',')}]\n  ${error.replace(/\n/g, '\n  ')}\n  input (${bytes.length} bytes): ${crash.hex}\n`);
        }
      }
    }
    const t1 = performance.now();
    const ms = t1 - t0;
    stats.inputs++;
    stats.bytes += bytes.length;
    if (bytes.length > stats.maxInputLength) stats.maxInputLength = bytes.length;
    if (ms > stats.slowest.ms) stats.slowest = { ms, inputSeed: seed, length: bytes.length, hex: hexOf(bytes, 256) };
    if (ms > slowFloor) {
      slow.push({ ms, seed });
      slow.sort((a, b) => b.ms - a.ms);
      if (slow.length > 16) slow.pop();
      slowFloor = slow.length === 16 ? slow[15]!.ms : 0;
    }
    if ((i & 1023) === 1023) {
      // let microtasks and timers run (a closed parser is freed in a microtask, as on a connection)
      await new Promise((r) => setImmediate(r));
      if (t1 >= end) break;
      if (t1 >= nextProgress) {
        nextProgress = t1 + progressMs;
        stats.heapPeakMiB = Math.max(stats.heapPeakMiB, process.memoryUsage().heapUsed / 1048576);
        stats.elapsedMs = t1 - start;
        o.onProgress?.(stats);
      }
    }
  }
  stats.heapPeakMiB = Math.max(stats.heapPeakMiB, process.memoryUsage().heapUsed / 1048576);
  stats.elapsedMs = performance.now() - start;
  for (const { seed } of slow) {
    const { bytes, reads } = inputFor(target, seed);
    let best = Infinity;
    for (let k = 0; k < 20; k++) {
      const t0 = performance.now();
      try {
        target.check(reads, bytes);
      } catch {
        // counted above
      }
      best = Math.min(best, performance.now() - t0);
    }
    if (best > stats.slowestRetimed.ms) stats.slowestRetimed = { ms: best, inputSeed: seed, length: bytes.length };
  }
  return stats;
}

export function inputsPerSecond(s: FuzzStats): number {
  return s.elapsedMs > 0 ? Math.round((s.inputs * 1000) / s.elapsedMs) : 0;
}
