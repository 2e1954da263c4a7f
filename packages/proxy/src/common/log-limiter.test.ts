import { describe, expect, it } from 'vitest';
import { DROP, LogLimiter } from './log-limiter.js';

describe('LogLimiter', () => {
  it('lets a burst through, then the rate; the line after drops carries their count', () => {
    let now = 0;
    const l = new LogLimiter({ ratePerSecond: 10, burst: 5, now: () => now });
    const first = Array.from({ length: 8 }, () => l.take());
    expect(first).toEqual([0, 0, 0, 0, 0, DROP, DROP, DROP]);
    expect(l.suppressed).toBe(3);
    now += 50; // half a token
    expect(l.take()).toBe(DROP);
    now += 50;
    expect(l.take()).toBe(4); // this line passes and tells of the 4 dropped before it
    expect(l.take()).toBe(DROP);
    now += 100;
    expect(l.take()).toBe(1);
    // a long quiet period refills up to the burst, no more
    now += 60_000;
    expect(Array.from({ length: 6 }, () => l.take())).toEqual([0, 0, 0, 0, 0, DROP]);
  });

  it('at most burst + rate × time lines pass a flood, and every other line is counted', () => {
    let now = 0;
    const l = new LogLimiter({ ratePerSecond: 10, burst: 100, now: () => now });
    let passed = 0;
    let reported = 0;
    for (let i = 0; i < 100_000; i++) {
      now += 0.1; // 10,000 lines a second for 10 s
      const r = l.take();
      if (r !== DROP) {
        passed++;
        reported += r;
      }
    }
    expect(passed).toBeLessThanOrEqual(100 + 10 * 10 + 1);
    expect(passed + reported + l.suppressed).toBe(100_000);
  });

  it('reports drops from a timer when no line passes after them', async () => {
    const reports: number[] = [];
    const l = new LogLimiter({ ratePerSecond: 0.001, burst: 1, reportAfterMs: 20, report: (n) => reports.push(n) });
    expect(l.take()).toBe(0);
    expect(l.take()).toBe(DROP);
    expect(l.take()).toBe(DROP);
    await new Promise((r) => setTimeout(r, 60));
    expect(reports).toEqual([2]);
    expect(l.suppressed).toBe(0);
    // nothing dropped since: no report
    await new Promise((r) => setTimeout(r, 40));
    expect(reports).toEqual([2]);
  });
});
