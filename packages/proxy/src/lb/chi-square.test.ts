import { describe, expect, it } from 'vitest';
import { chiSquare, chiSquareCritical, chiSquareFit } from './chi-square.js';

describe('chi-square helper', () => {
  it('gives the tabled critical values at p = 0.001', () => {
    const table: [number, number][] = [[1, 10.828], [2, 13.816], [3, 16.266], [4, 18.467], [9, 27.877], [29, 58.301]];
    for (const [df, critical] of table) expect(chiSquareCritical(df, 0.001)).toBeCloseTo(critical, 2);
    expect(chiSquareCritical(1, 0.05)).toBeCloseTo(3.841, 2);
  });

  it('accepts a perfect fit and rejects a skewed one', () => {
    expect(chiSquare([100, 200, 300], [1, 2, 3])).toEqual({ statistic: 0, df: 2, pValue: 1 });
    expect(chiSquare([120, 180, 300], [1, 2, 3]).pValue).toBeCloseTo(Math.exp(-3), 10); // statistic 6, df 2
    const skewed = chiSquareFit([200, 100, 300], [1, 2, 3]);
    expect(skewed.df).toBe(2);
    expect(skewed.statistic).toBeGreaterThan(skewed.critical);
    expect(skewed.pValue).toBeLessThan(0.001);
  });

  it('a cell expected never must be seen never; it adds no degree of freedom', () => {
    expect(chiSquare([0, 50, 50], [0, 1, 1]).df).toBe(1);
    expect(chiSquare([1, 50, 50], [0, 1, 1]).statistic).toBe(Infinity);
  });
});
