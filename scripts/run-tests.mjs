#!/usr/bin/env node
// Runs every test with vitest and ends with the plain line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

ensureTools();
ensureZooKeeper();

// Vitest strips types without checking them: type-check every test file first (tsc -b checks only the built sources).
console.log('type-checking the tests (tsconfig.tests.json)');
const typecheck = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.tests.json'], { stdio: 'inherit' });
const typecheckFailed = typecheck.status !== 0;
if (typecheckFailed) console.error('the tests do not type-check: counted as one failure');

const dir = mkdtempSync(join(tmpdir(), 'mosn-test-'));
const out = join(dir, 'results.json');
const r = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
try {
  const res = JSON.parse(readFileSync(out, 'utf8'));
  passed = res.numPassedTests;
  failed = res.numFailedTests + (res.success || res.numFailedTestSuites === 0 ? 0 : res.numFailedTestSuites);
} catch {
  failed = Math.max(failed, 1);
  console.error('no test results were written: vitest itself failed');
}
rmSync(dir, { recursive: true, force: true });
if (typecheckFailed) failed += 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);

/**
 * The HTTP/2 e2e tests drive mosn with nghttp2's own clients (`nghttp`, `h2load`), which a fresh machine lacks.
 * When one is missing and we are root with apt-get, install `nghttp2-client` (one `apt-get update` first).
 * When that is not possible or fails, say so; those tests then fail with the reason (they do not skip).
 */
function ensureTools() {
  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const missing = ['nghttp', 'h2load'].filter((c) => !has(c));
  if (missing.length === 0) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    console.error(`${missing.join(', ')} not found and cannot be installed here (needs root and apt-get): the nghttp2 tests will fail`);
    return;
  }
  console.error(`installing nghttp2-client (for ${missing.join(', ')}): apt-get update && apt-get install -y nghttp2-client ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 }).status === 0;
  const ok = run(['update', '-qq']) && run(['install', '-y', '-qq', 'nghttp2-client']);
  const still = missing.filter((c) => !has(c));
  if (ok && still.length === 0) console.error('installed nghttp2-client');
  else console.error(`could not install nghttp2-client (${still.join(', ')} still missing): the nghttp2 tests will fail`);
}

/**
 * The registry e2e tests run a real ZooKeeper (Debian's `zookeeper` package, on the Java already here). When its jar
 * is missing and we are root with apt-get, install it (`--no-install-recommends`); otherwise say so, and those tests
 * fail with the reason.
 */
function ensureZooKeeper() {
  const jar = '/usr/share/java/zookeeper.jar';
  const present = () => spawnSync('test', ['-f', jar]).status === 0;
  if (present()) return;
  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    console.error(`${jar} not found and cannot be installed here (needs root and apt-get): the registry tests will fail`);
    return;
  }
  console.error('installing zookeeper (for the registry tests): apt-get update && apt-get install -y --no-install-recommends zookeeper ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600_000 }).status === 0;
  const ok = run(['update', '-qq']) && run(['install', '-y', '-qq', '--no-install-recommends', 'zookeeper']);
  if (ok && present()) console.error('installed zookeeper');
  else console.error('could not install zookeeper: the registry tests will fail');
}
