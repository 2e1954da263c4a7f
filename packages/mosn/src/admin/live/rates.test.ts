import { describe, expect, it } from 'vitest';
import { RateMeter, listenerRateStats } from './rates.js';

describe('RateMeter', () => {
  it('rates are the counters` growth per second since the scope`s previous sample; none at first sight', () => {
    const m = new RateMeter();
    expect(m.rates('l', 10, 0, 1_000)).toEqual({ requests: null, errors: null });
    expect(m.rates('l', 30, 1, 3_000)).toEqual({ requests: 10, errors: 0.5 });
    expect(m.rates('l', 30, 1, 3_500)).toEqual({ requests: 0, errors: 0 });
  });

  it('a counter that went down started again (a cluster rebuilt by a reload): its value is the growth', () => {
    const m = new RateMeter();
    m.rates('c', 500, 9, 0);
    expect(m.rates('c', 30, 2, 2000)).toEqual({ requests: 15, errors: 1 });
  });

  it('forgets a scope not sampled in a round (a removed listener or cluster): it starts again with no rate', () => {
    const m = new RateMeter();
    m.rates('a', 1, 0, 0);
    m.rates('b', 1, 0, 0);
    m.endRound();
    m.rates('a', 2, 0, 1000);
    m.endRound();
    expect([m.has('a'), m.has('b')]).toEqual([true, false]);
    expect(m.rates('b', 5, 0, 2000)).toEqual({ requests: null, errors: null });
  });
});

describe('the stats behind the rates', () => {
  it('a listener: requests received; errors: timeouts, upstream resets, filter failures, RPC requests answered by mosn', () => {
    const l = listenerRateStats('egress');
    expect(l.requests).toBe('listener.egress.downstream_rq_total');
    expect(l.errors).toEqual(
      expect.arrayContaining(['listener.egress.downstream_rq_timeout', 'listener.egress.upstream_rq_reset', 'listener.egress.downstream_rq_no_healthy_upstream']),
    );
    expect(l.errors).not.toContain('listener.egress.downstream_rq_total');
    expect(new Set(l.errors).size).toBe(l.errors.length);
  });
});
