import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { mirrorFilter } from './mirror.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => mirrorFilter.read(r));

describe('mirror reader', () => {
  it("reads amplification (1 by default) and broadcast, as MOSN's", () => {
    expect(read({})).toEqual({ result: { amplification: 1, broadcast: false }, errors: [], warnings: [] });
    expect(read({ amplification: 10, broadcast: true }).result).toEqual({ amplification: 10, broadcast: true });
  });

  it('refuses a bad amplification, and warns about unknown keys', () => {
    const { errors, warnings } = read({ amplification: 0, copies: 2 });
    expect(errors).toEqual(['f.config.amplification: expected a number from 1 to 100, got 0']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('f.config.copies');
  });
});
