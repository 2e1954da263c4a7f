import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKERS } from '@mosn/proxy';
import { readCircuitBreakers } from './circuit-breakers.js';
import { readSection } from './testing.js';

const C = 'cluster_manager.clusters[0]';
const read = (cb: unknown) => readSection(cb === undefined ? {} : { circuit_breakers: cb }, C, readCircuitBreakers);

describe('readCircuitBreakers', () => {
  it('has the defaults without circuit_breakers, as a copy', () => {
    const { result } = read(undefined);
    expect(result).toEqual(DEFAULT_CIRCUIT_BREAKERS);
    expect(result).not.toBe(DEFAULT_CIRCUIT_BREAKERS);
  });

  it("reads MOSN's array and the object form; the default priority applies, others are ignored with a warning", () => {
    const entries = [
      { priority: 'default', max_connections: 10, max_requests: 20 },
      { priority: 'high', max_connections: 99 },
    ];
    for (const [form, at] of [
      [entries, 'circuit_breakers'],
      [{ thresholds: entries }, 'circuit_breakers.thresholds'],
    ] as const) {
      const { result, warnings } = read(form);
      expect(result).toEqual({ ...DEFAULT_CIRCUIT_BREAKERS, maxConnections: 10, maxRequests: 20 });
      expect(warnings).toEqual([`${C}.${at}[1].priority: priority "high" thresholds are not used: mosn-ts has one priority`]);
    }
  });

  it('reports values out of range at their paths', () => {
    expect(read([{ max_retries: -1 }]).errors).toEqual([`${C}.circuit_breakers[0].max_retries: expected a number from 0 to 1000000, got -1`]);
    expect(read({ thresholds: [], extra: 1 }).warnings).toEqual([`${C}.circuit_breakers.extra: unknown key; ignored`]);
    expect(read('high').errors).toEqual([`${C}.circuit_breakers: expected an object, got string "high"`]);
  });
});
