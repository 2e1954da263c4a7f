import { describe, expect, it } from 'vitest';
import { localIpHex, otelTraceIdOfSofa, SofaTraceIds, sofaTraceSampled } from './sofa-tracer.js';

describe('SofaTraceIds', () => {
  it("builds SOFATracer's ids: address in hex, time in ms, a counter from 1001 that wraps after 9001 to 1000, the pid", () => {
    const ids = new SofaTraceIds('0ad1348f', 56696);
    expect(ids.next(1403169275002)).toBe('0ad1348f1403169275002100156696');
    expect(ids.next(1403169275002)).toBe('0ad1348f1403169275002100256696');
    expect(ids.next(1403169275002)).toHaveLength(30);
    for (let i = 0; i < 7997; i++) ids.next(0);
    expect(ids.next(1)).toBe('0ad1348f1900156696');
    expect(ids.next(1)).toBe('0ad1348f1100056696');
  });

  it('takes the first non-loopback IPv4 address as 8 hex digits (ffffffff without one)', () => {
    expect(localIpHex()).toMatch(/^[0-9a-f]{8}$/);
    expect(localIpHex()).not.toBe('7f000001');
  });
});

describe('otelTraceIdOfSofa', () => {
  it('pads a hex SOFA id to 32 digits, so the SOFA id can be read back', () => {
    expect(otelTraceIdOfSofa('0ad1348f1403169275002100356696')).toBe('000ad1348f1403169275002100356696');
    expect(otelTraceIdOfSofa('0AD1348F1403169275002100356696')).toBe('000ad1348f1403169275002100356696');
  });

  it('hashes any other id into a valid one, the same every time', () => {
    for (const id of ['x-not-hex', '0'.repeat(30), 'a'.repeat(33)]) {
      const otel = otelTraceIdOfSofa(id);
      expect(otel).toMatch(/^[0-9a-f]{32}$/);
      expect(otel).not.toBe('0'.repeat(32));
      expect(otelTraceIdOfSofa(id)).toBe(otel);
    }
  });
});

describe('sofaTraceSampled', () => {
  it('is all or nothing at 1 and 0, the same for the same id, and near the rate over many ids', () => {
    const ids = new SofaTraceIds('0ad1348f', 4242);
    const sample = Array.from({ length: 20_000 }, (_, i) => ids.next(1700000000000 + i));
    expect(sample.every((id) => sofaTraceSampled(id, 1))).toBe(true);
    expect(sample.some((id) => sofaTraceSampled(id, 0))).toBe(false);
    const kept = sample.filter((id) => sofaTraceSampled(id, 0.25)).length;
    // binomial(20000, 0.25): sd ≈ 61; 6 sd either way
    expect(kept).toBeGreaterThan(5000 - 370);
    expect(kept).toBeLessThan(5000 + 370);
    expect(sample.slice(0, 100).map((id) => sofaTraceSampled(id, 0.25))).toEqual(sample.slice(0, 100).map((id) => sofaTraceSampled(id, 0.25)));
  });
});
