import { describe, expect, it } from 'vitest';
import { Stats } from './stats.js';

describe('Stats', () => {
  it('a counter shows in the snapshot once incremented, sharing its value with inc by name', () => {
    const s = new Stats();
    const c = s.counter('listener.a.downstream_rq_total');
    s.counter('listener.a.never');
    expect(s.snapshot()).toEqual({});
    c.inc();
    c.inc(2);
    s.inc('listener.a.downstream_rq_total');
    s.set('b.gauge', 7);
    expect(s.get('listener.a.downstream_rq_total')).toBe(4);
    expect(s.snapshot()).toEqual({ 'b.gauge': 7, 'listener.a.downstream_rq_total': 4 });
    expect(Object.keys(s.snapshot())).toEqual(['b.gauge', 'listener.a.downstream_rq_total']);
  });
});
