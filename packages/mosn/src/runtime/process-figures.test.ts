import { describe, expect, it } from 'vitest';
import { processFigures } from './process-figures.js';

function snapshot(collect: ReturnType<typeof processFigures>): Record<string, number> {
  const out: Record<string, number> = {};
  collect((name, value) => (out[name] = value));
  return out;
}

describe('processFigures', () => {
  it('reads the memory, handles and uptime; counts no timer unless asked', () => {
    const s = snapshot(processFigures(Date.now() - 2500, {}));
    expect(s['server.memory_rss']).toBeGreaterThan(0);
    expect(s['server.memory_heap_size']).toBeGreaterThanOrEqual(s['server.memory_heap_used']!);
    expect(s['server.uptime']).toBe(2);
    expect(s).not.toHaveProperty('server.timers');
  });

  it('with MOSN_COUNT_TIMERS=1, counts every timer alive, unref`d ones too (which the active timers miss)', async () => {
    const collect = processFigures(Date.now(), { MOSN_COUNT_TIMERS: '1' });
    const before = snapshot(collect);
    const made = Array.from({ length: 5 }, () => setInterval(() => {}, 60_000).unref());
    const during = snapshot(collect);
    expect(during['server.timers']! - before['server.timers']!).toBe(5);
    expect(during['server.active_timers']).toBe(before['server.active_timers']);
    for (const t of made) clearInterval(t);
    // Node runs destroy hooks after the current operation
    await new Promise((r) => setImmediate(r));
    expect(snapshot(collect)['server.timers']).toBe(before['server.timers']);
  });
});
