import { describe, expect, it } from 'vitest';
import { newSpanId, newTraceId } from './ids.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('parseTraceparent (W3C Trace Context)', () => {
  it("reads the specification's example, sampled or not, with surrounding spaces", () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true });
    expect(parseTraceparent(` 00-${TRACE}-${PARENT}-00 `)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: false });
    // other flag bits do not make it sampled; the sampled bit does
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-02`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-03`)?.sampled).toBe(true);
  });

  it('reads a later version by its first four fields, when a dash or nothing follows them', () => {
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true });
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-comes-next`)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01x`)).toBeUndefined();
  });

  it('refuses what the specification calls invalid', () => {
    const bad = [
      '',
      'garbage',
      `ff-${TRACE}-${PARENT}-01`, // version ff
      `00-${TRACE}-${PARENT}-01-extra`, // version 00 has exactly four fields
      `00-${TRACE.toUpperCase()}-${PARENT}-01`, // uppercase hex
      `00-${'0'.repeat(32)}-${PARENT}-01`, // all-zero trace id
      `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent id
      `00-${TRACE}-${PARENT}-0g`,
      `0-${TRACE}-${PARENT}-01`,
      `00_${TRACE}-${PARENT}-01`,
      `00-${TRACE.slice(1)}-${PARENT}0-01`,
    ];
    for (const v of bad) expect(parseTraceparent(v), v).toBeUndefined();
  });

  it('formats version 00 with the sampled flag', () => {
    expect(formatTraceparent(TRACE, PARENT, true)).toBe(`00-${TRACE}-${PARENT}-01`);
    expect(formatTraceparent(TRACE, PARENT, false)).toBe(`00-${TRACE}-${PARENT}-00`);
  });
});

describe('ids', () => {
  it('are lowercase hex of the right length, valid in a traceparent, and differ', () => {
    const traces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      expect(parseTraceparent(formatTraceparent(t, s, true))).toEqual({ traceId: t, parentId: s, sampled: true });
      traces.add(t);
    }
    expect(traces.size).toBe(2000);
  });
});
