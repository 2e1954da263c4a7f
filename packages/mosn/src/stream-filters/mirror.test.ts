import { describe, expect, it } from 'vitest';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { mirrorFilter } from './mirror.js';

function read(config: Record<string, unknown>) {
  const problems = new ConfigProblems();
  const result = mirrorFilter.read(new ConfigReader(config, 'f.config', problems));
  return { result, errors: problems.errors.map((e) => e.toString()) };
}

describe('mirror config', () => {
  it("reads amplification (1 by default) and broadcast, as MOSN's", () => {
    expect(read({}).result).toEqual({ amplification: 1, broadcast: false });
    expect(read({ amplification: 10, broadcast: true }).result).toEqual({ amplification: 10, broadcast: true });
  });

  it('refuses a bad amplification and unknown keys', () => {
    expect(read({ amplification: 0, copies: 2 }).errors).toEqual([
      'f.config.amplification: expected a number from 1 to 100, got 0',
      'f.config.copies: unknown key (known: amplification, broadcast)',
    ]);
  });
});
