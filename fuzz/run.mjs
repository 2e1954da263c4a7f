#!/usr/bin/env node
// The long fuzz runs (decoder level): node fuzz/run.mjs [target...] [--count N] [--time SECONDS] [--seed N]
//   targets: bolt dubbo example http1 (default: all); --count default 10,000,000 per target.
//   --replay INPUT_SEED runs one input again (the seed a crash report printed) and prints its hex and error.
//   --e2e [N] runs the end-to-end fuzzers instead, N inputs per listener (default 10,000; needs `npx tsc -b`).
// Uses the built packages (`npx tsc -b`) and builds fuzz/ itself (tsc -p fuzz). End to end: docs/reliability.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// --e2e [N]: the end-to-end fuzzers (test-e2e/fuzz/e2e.test.ts: mosn as its own process before real backends), N inputs per listener
const e2eAt = process.argv.indexOf('--e2e');
if (e2eAt >= 0) {
  const n = Number(process.argv[e2eAt + 1] ?? 10_000) || 10_000;
  const seedAt = process.argv.indexOf('--seed');
  const env = { ...process.env, FUZZ_E2E_INPUTS: String(n), ...(seedAt >= 0 ? { FUZZ_SEED: process.argv[seedAt + 1] } : {}) };
  const r = spawnSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', 'test-e2e/fuzz/e2e.test.ts'], { cwd: root, stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}fuzz/tsconfig.json`], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(2);

const { targets: makeTargets } = await import('./targets.mjs');
const { runFuzz, replay, inputsPerSecond } = await import('./dist/index.js');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const count = Number(opt('--count', 10_000_000));
const timeS = opt('--time', undefined);
const seed = Number(opt('--seed', Date.now() % 0x100000000));
const replaySeed = opt('--replay', undefined);
const all = makeTargets();
const names = args.length > 0 ? args : Object.keys(all);
for (const n of names) if (!(n in all)) throw new Error(`unknown target ${n} (known: ${Object.keys(all).join(', ')})`);

if (replaySeed !== undefined) {
  for (const n of names) {
    const r = replay(all[n], Number(replaySeed));
    console.log(`${n} inputSeed=${replaySeed} cuts=[${r.cuts.join(',')}]\n  input: ${r.hex}\n  ${r.error ?? 'no violation'}`);
  }
  process.exit(0);
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
let failed = false;
console.log(`fuzz: seed ${seed}, ${fmt(count)} inputs per target${timeS ? ` or ${timeS} s` : ''}, node ${process.version}`);
for (const n of names) {
  const s = await runFuzz(all[n], {
    seed,
    count,
    ...(timeS ? { timeMs: Number(timeS) * 1000 } : {}),
    onProgress: (p) =>
      process.stdout.write(`  ${n}: ${fmt(p.inputs)} inputs, ${fmt(inputsPerSecond(p))}/s, crashes ${p.crashCount}, heap ${p.heapPeakMiB.toFixed(0)} MiB, slowest ${p.slowest.ms.toFixed(2)} ms\n`),
  });
  failed ||= s.crashCount > 0;
  console.log(
    `${n}: ${fmt(s.inputs)} inputs (${fmt(s.bytes / 1048576)} MiB) in ${(s.elapsedMs / 1000).toFixed(1)} s = ${fmt(inputsPerSecond(s))} inputs/s; ` +
      `crashes ${s.crashCount} (${s.crashes.length} distinct); heap peak ${s.heapPeakMiB.toFixed(0)} MiB; largest input ${fmt(s.maxInputLength)} bytes\n` +
      `  slowest input: ${s.slowest.ms.toFixed(2)} ms wall clock (${s.slowest.length} bytes, inputSeed ${s.slowest.inputSeed}); ` +
      `re-timed (best of 20 runs of the 16 slowest): ${s.slowestRetimed.ms.toFixed(3)} ms, ${s.slowestRetimed.length} bytes, inputSeed ${s.slowestRetimed.inputSeed} ` +
      `(replay: node fuzz/run.mjs ${n} --replay ${s.slowestRetimed.inputSeed})`,
  );
}
process.exit(failed ? 1 : 0);
