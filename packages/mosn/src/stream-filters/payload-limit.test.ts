import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { payloadLimitFilter } from './payload-limit.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => payloadLimitFilter.read(r));

describe('payload_limit reader', () => {
  it('reads max_entity_size and http_status', () => {
    expect(read({ max_entity_size: 1024, http_status: 400 })).toEqual({ result: { maxEntitySize: 1024, status: 400 }, errors: [], warnings: [] });
  });

  it("reads MOSN's own key with its trailing space, and answers 413 by default", () => {
    expect(read({ 'max_entity_size ': 10 })).toEqual({ result: { maxEntitySize: 10, status: 413 }, errors: [], warnings: [] });
    expect(read({ 'max_entity_size ': 10, http_status: 0 }).result).toEqual({ maxEntitySize: 10, status: 413 });
  });

  it('prefers the key without the space when both are set', () => {
    const { result, warnings } = read({ 'max_entity_size ': 10, max_entity_size: 20 });
    expect(result).toEqual({ maxEntitySize: 20, status: 413 });
    expect(warnings).toEqual(['f.config.max_entity_size : ignored: "max_entity_size" is set too, and wins']);
  });

  it('reports bad values with their paths', () => {
    expect(read({ max_entity_size: -1, http_status: 99 }).errors).toEqual([
      'f.config.max_entity_size: expected a number from 0 to ∞, got -1',
      'f.config.http_status: expected an HTTP status from 200 to 599, got 99',
    ]);
  });
});
