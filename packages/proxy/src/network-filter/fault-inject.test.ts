import { describe, expect, it } from 'vitest';
import { delayDrawn } from './fault-inject.js';

describe('fault_inject draw', () => {
  it("is MOSN's: rand.Intn(100)+1 not above the percent delays", () => {
    expect([0, 0.29, 0.295, 0.3, 0.99].map((x) => delayDrawn(30, () => x))).toEqual([true, true, true, false, false]);
    expect(delayDrawn(0, () => 0)).toBe(false);
    expect(delayDrawn(100, () => 0.999)).toBe(true);
  });

  it('delays the configured share of 10,000 draws', () => {
    let n = 0;
    for (let i = 0; i < 10_000; i++) if (delayDrawn(25, Math.random)) n++;
    // Binomial(10000, 0.25): sigma 43; 5 sigma
    expect(Math.abs(n - 2500)).toBeLessThan(5 * Math.sqrt(10_000 * 0.25 * 0.75));
  });
});
