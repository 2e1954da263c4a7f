import { describe, expect, it } from 'vitest';
import { FlowLimiter, PassWindow, type FlowDecision } from './flow-limiter.js';

/** A clock the test moves by hand (ms). */
function clock(start = 0) {
  let t = start;
  return { now: () => t, set: (ms: number) => (t = ms), advance: (ms: number) => (t += ms) };
}

/** `n` checks of `resource`: how many passed and how many were blocked. */
function burst(limiter: FlowLimiter, resource: string, n: number): { pass: number; block: number; unlimited: number } {
  const out: Record<FlowDecision, number> = { pass: 0, block: 0, unlimited: 0 };
  for (let i = 0; i < n; i++) out[limiter.check(resource)]++;
  return out;
}

describe('FlowLimiter', () => {
  it('lets exactly the threshold pass in one window and blocks the rest', () => {
    const c = clock(10_000);
    const limiter = new FlowLimiter([{ resource: '/test', threshold: 5, statIntervalMs: 1000 }], c.now);
    expect(burst(limiter, '/test', 12)).toEqual({ pass: 5, block: 7, unlimited: 0 });
    // still the same window 400 ms on (same bucket): nothing more
    c.advance(400);
    expect(burst(limiter, '/test', 3)).toEqual({ pass: 0, block: 3, unlimited: 0 });
  });

  it('recovers once the window has moved past the passed requests', () => {
    const c = clock(10_000);
    const limiter = new FlowLimiter([{ resource: '/test', threshold: 3, statIntervalMs: 1000 }], c.now);
    expect(burst(limiter, '/test', 5).pass).toBe(3);
    // the next bucket: the window still holds the first bucket's three
    c.set(10_500);
    expect(burst(limiter, '/test', 5).pass).toBe(0);
    // one window later the first bucket has left it: the threshold again
    c.set(11_000);
    expect(burst(limiter, '/test', 5)).toEqual({ pass: 3, block: 2, unlimited: 0 });
  });

  it("slides by 500 ms buckets as sentinel's default statistic: a bucket's passes count for two buckets", () => {
    const c = clock(0);
    const limiter = new FlowLimiter([{ resource: 'r', threshold: 4, statIntervalMs: 1000 }], c.now);
    c.set(250); // bucket [0, 500)
    expect(burst(limiter, 'r', 1).pass).toBe(1);
    c.set(750); // bucket [500, 1000): the window holds [0, 1000)
    expect(burst(limiter, 'r', 5).pass).toBe(3);
    c.set(1100); // [500, 1500): the request at 250 has left, the three at 750 have not
    expect(burst(limiter, 'r', 5).pass).toBe(1);
    c.set(1600); // [1000, 2000): only the one at 1100
    expect(burst(limiter, 'r', 5).pass).toBe(3);
  });

  it('counts a longer window in buckets (10 s: 20 of 500 ms)', () => {
    const c = clock(0);
    const limiter = new FlowLimiter([{ resource: 'r', threshold: 10, statIntervalMs: 10_000 }], c.now);
    for (let t = 0; t < 10; t++) {
      c.set(t * 500);
      expect(burst(limiter, 'r', 1).pass).toBe(1);
    }
    c.set(9_900);
    expect(burst(limiter, 'r', 3).pass).toBe(0);
    // at 10 000 the bucket [0, 500) has left: one request's room
    c.set(10_000);
    expect(burst(limiter, 'r', 3).pass).toBe(1);
  });

  it('makes a window that is not a multiple of 500 ms (or is over 10 s) one fixed bucket, as sentinel', () => {
    const c = clock(0);
    const limiter = new FlowLimiter([{ resource: 'r', threshold: 2, statIntervalMs: 300 }], c.now);
    expect(burst(limiter, 'r', 3).pass).toBe(2);
    c.set(299);
    expect(burst(limiter, 'r', 3).pass).toBe(0);
    c.set(300);
    expect(burst(limiter, 'r', 3).pass).toBe(2);
    const long = new FlowLimiter([{ resource: 'r', threshold: 1, statIntervalMs: 60_000 }], c.now);
    c.set(0);
    expect(burst(long, 'r', 2).pass).toBe(1);
    c.set(59_999);
    expect(burst(long, 'r', 2).pass).toBe(0);
    c.set(60_000);
    expect(burst(long, 'r', 2).pass).toBe(1);
  });

  it('reads statIntervalMs 0 as 1 s; a threshold 0 blocks all; a fraction is compared as sentinel does', () => {
    const c = clock(5_000);
    const limiter = new FlowLimiter(
      [
        { resource: 'default', threshold: 2, statIntervalMs: 0 },
        { resource: 'closed', threshold: 0, statIntervalMs: 1000 },
        { resource: 'half', threshold: 1.5, statIntervalMs: 1000 },
      ],
      c.now,
    );
    expect(burst(limiter, 'default', 4).pass).toBe(2);
    expect(burst(limiter, 'closed', 4).pass).toBe(0);
    expect(burst(limiter, 'half', 4).pass).toBe(1);
    c.advance(999);
    expect(burst(limiter, 'default', 4).pass).toBe(0);
    c.advance(1);
    expect(burst(limiter, 'default', 4).pass).toBe(2);
  });

  it('checks every rule of a resource; a blocked request counts in no window', () => {
    const c = clock(0);
    // 3 per second and 4 per 10 s
    const limiter = new FlowLimiter(
      [
        { resource: 'r', threshold: 3, statIntervalMs: 1000 },
        { resource: 'r', threshold: 4, statIntervalMs: 10_000 },
      ],
      c.now,
    );
    expect(burst(limiter, 'r', 10).pass).toBe(3);
    c.set(1000);
    // the per-second rule has room for 3, the 10 s one for 1 (the 7 blocked ones were not counted)
    expect(burst(limiter, 'r', 10).pass).toBe(1);
    c.set(2000);
    expect(burst(limiter, 'r', 10).pass).toBe(0);
  });

  it('keeps resources apart, and a resource no rule names is unlimited', () => {
    const c = clock(0);
    const limiter = new FlowLimiter([{ resource: '/a', threshold: 1, statIntervalMs: 1000 }, { resource: '/b', threshold: 2, statIntervalMs: 1000 }], c.now);
    expect(burst(limiter, '/a', 3)).toEqual({ pass: 1, block: 2, unlimited: 0 });
    expect(burst(limiter, '/b', 3)).toEqual({ pass: 2, block: 1, unlimited: 0 });
    expect(burst(limiter, '/c', 3)).toEqual({ pass: 0, block: 0, unlimited: 3 });
  });
});

describe('PassWindow', () => {
  it('forgets a bucket reused after a full turn of the ring', () => {
    const w = new PassWindow(1000);
    w.add(100);
    w.add(100);
    expect(w.passed(100)).toBe(2);
    // bucket 2 ([1000, 1500)) takes the slot of bucket 0
    w.add(1200);
    expect(w.passed(1200)).toBe(1);
    // a long gap: nothing left
    expect(w.passed(50_000)).toBe(0);
  });
});
