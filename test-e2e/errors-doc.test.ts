import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : files(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('docs/errors.md', () => {
  it('lists exactly the error codes the sources use', () => {
    const used = new Set<string>();
    for (const f of files(join(REPO_ROOT, 'packages'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/['"`](MOSN_ERR_[A-Z0-9_]+)['"`]/g)) used.add(m[1]!);
    }
    const doc = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(MOSN_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((c) => !documented.has(c)), 'used but not documented').toEqual([]);
    expect([...documented].filter((c) => !used.has(c)), 'documented but not used').toEqual([]);
  });
});
