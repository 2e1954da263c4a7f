#!/usr/bin/env node
// Chaos under load (issue 17): steady HTTP/1, HTTP/2, Bolt and Dubbo load through mosn while its upstream processes
// are killed, stopped, frozen, cut off and slowed, on a seeded random schedule; prints the figures per protocol and
// per action, and exits 1 when a request hung or got a wrong (or second) answer. See docs/reliability.md.
//
//   node scripts/chaos.mjs [--duration 240] [--rate 100] [--seed 17] [--report figures.txt] [--records records.json]
//
// --duration: seconds of load (the schedule starts no action that would end later); --rate: requests per second
// per protocol; --seed: the schedule's seed (the same seed gives the same actions, targets and holds);
// --report: also write the figures to this file; --records: every request's outcome and mosn's log, as JSON.
// Needs the build (`npx tsc -b`): mosn runs from packages/mosn/dist. Runs test-e2e/chaos/chaos.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const flags = { duration: '240', rate: '100', seed: '17', report: '', records: '' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const name = args[i].replace(/^--/, '');
  if (!(name in flags) || args[i + 1] === undefined) {
    console.error(`usage: node scripts/chaos.mjs [--duration s] [--rate n] [--seed n] [--report file] [--records file] (${args[i]}?)`);
    process.exit(2);
  }
  flags[name] = args[++i];
}
for (const n of ['duration', 'rate', 'seed']) {
  if (!/^\d+$/.test(flags[n]) || Number(flags[n]) <= 0) {
    console.error(`--${n} must be a positive integer, not ${flags[n]}`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mosn-chaos-'));
const report = flags.report ? resolve(flags.report) : join(dir, 'figures.txt');
const env = {
  ...process.env,
  CHAOS_DURATION: flags.duration,
  CHAOS_RATE: flags.rate,
  CHAOS_SEED: flags.seed,
  CHAOS_REPORT: report,
  ...(flags.records ? { CHAOS_RECORDS: resolve(flags.records) } : {}),
};
console.log(`chaos: ${flags.duration} s at ${flags.rate} requests/s per protocol, seed ${flags.seed}`);
const r = spawnSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', 'test-e2e/chaos/chaos.test.ts'], { cwd: root, stdio: 'inherit', env });
try {
  console.log(`\n${readFileSync(report, 'utf8')}`);
} catch {
  console.error('no figures were written: the run failed before its end');
}
rmSync(dir, { recursive: true, force: true });
process.exit(r.status === 0 ? 0 : 1);
