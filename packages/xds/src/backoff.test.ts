import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles its ceiling up to the cap, jitters below it, and starts over after reset', () => {
    const top = new Backoff(500, 4000, () => 0.999);
    expect([top.next(), top.next(), top.next(), top.next(), top.next()]).toEqual([499, 999, 1998, 3996, 3996]);
    top.reset();
    expect(top.next()).toBe(499);
    const bottom = new Backoff(500, 4000, () => 0);
    expect(bottom.next()).toBe(50);
  });
});
