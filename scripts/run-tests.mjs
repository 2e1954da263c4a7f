#!/usr/bin/env node
// Runs every test with vitest and ends with the plain line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
