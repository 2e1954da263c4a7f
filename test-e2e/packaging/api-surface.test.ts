import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers.js';
import { apiLists } from './api-lists.js';

// Each package's public API is a committed list, api/<package>.txt: a new export, a removed one or a type that became
// a value fails here with the difference and the command that accepts it (scripts/api-surface.mjs).

const SCRIPT = join(REPO_ROOT, 'scripts/api-surface.mjs');

describe('public API: api/*.txt', () => {
  it('every entry point exports exactly what its list names (node scripts/api-surface.mjs)', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it('every list has an entry point: one per package and per subpath export', () => {
    const expected: string[] = [];
    for (const d of readdirSync(join(REPO_ROOT, 'packages'))) {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', d, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
      for (const key of Object.keys(pkg.exports)) expected.push(key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`);
    }
    expect([...apiLists().keys()].sort()).toEqual(expected.sort());
  });

  for (const [specifier, { values, types }] of apiLists()) {
    it(`${specifier}: its values at run time are the list's, and no listed type is a value`, async () => {
      const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
      expect(Object.keys(mod).sort()).toEqual(values);
      for (const t of types) expect(Object.keys(mod), t).not.toContain(t);
    });
  }

  describe('the check itself, on a package of its own', () => {
    const root = mkdtempSync(join(tmpdir(), 'mosn-api-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const write = (index: string) => {
      mkdirSync(join(root, 'packages/demo/src'), { recursive: true });
      writeFileSync(join(root, 'packages/demo/package.json'), JSON.stringify({ name: '@mosn/demo', exports: { '.': { source: './src/index.ts' } } }));
      writeFileSync(join(root, 'packages/demo/src/index.ts'), index);
    };
    const check = () => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { check } from ${JSON.stringify(SCRIPT)}; console.log(check(${JSON.stringify(root)}).join('\\n'))`], { encoding: 'utf8' });
      return r.stdout + r.stderr;
    };

    it('a missing list, a new export, and a type made a value each fail with the difference', () => {
      write("export { a, type B } from './a.js';\nexport const c = 1;\n");
      expect(check()).toContain('@mosn/demo has no list: api/demo.txt is missing');
      mkdirSync(join(root, 'api'), { recursive: true });
      writeFileSync(join(root, 'api/demo.txt'), '# @mosn/demo: listed\na\ntype B\nc\n');
      expect(check()).toBe('\n');
      write("export { a, type B, d } from './a.js';\nexport const c = 1;\n/** export { commented } */\n");
      expect(check()).toContain('@mosn/demo exports differ from api/demo.txt:\n  +d');
      write("export { a, B } from './a.js';\nexport const c = 1;\n");
      expect(check()).toMatch(/-type B\n {2}\+B/);
    });

    it('export * is refused: a package names what it exports', () => {
      write("export * from '@mosn/other';\n");
      expect(check()).toContain('packages/demo/src/index.ts: "export *" exports whatever the other module has');
    });
  });
});
