import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(tmpdir(), 'bolt-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('has examples', () => {
    if (examples.length === 0) throw new Error('no ```ts blocks in README.md');
  });
  examples.forEach((code, i) => {
    it(`example ${i + 1} runs`, async () => {
      const file = join(dir, `example-${i + 1}.ts`);
      writeFileSync(file, code);
      await import(file);
    });
  });
});
