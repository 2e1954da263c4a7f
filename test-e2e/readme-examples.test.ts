import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

// Every ```ts example in a package README runs here; each checks its own outcome with node:assert.
const dir = mkdtempSync(join(tmpdir(), 'mosn-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const packages = readdirSync(join(REPO_ROOT, 'packages'));

describe('package README examples', () => {
  for (const pkg of packages) {
    const readme = readFileSync(join(REPO_ROOT, 'packages', pkg, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    it(`${pkg}/README.md has a runnable example`, () => {
      expect(examples.length).toBeGreaterThan(0);
    });
    examples.forEach((code, i) => {
      it(`${pkg}/README.md example ${i + 1} runs`, async () => {
        const file = join(dir, `${pkg}-${i + 1}.ts`);
        writeFileSync(file, code);
        await import(file);
      });
    });
  }
});
