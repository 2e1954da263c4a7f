import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { faultFilter } from './fault.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => faultFilter.read(r));

describe('fault reader', () => {
  it("reads MOSN's keys: delay, abort, upstream_cluster, headers", () => {
    const { result, errors, warnings } = read({
      delay: { fixed_delay: '1.5s', percentage: 30 },
      abort: { status: 503, percentage: 10 },
      upstream_cluster: 'c1',
      headers: [{ name: 'x-user', value: 'alice' }, { name: 'x-id', value: '^7', regex: true }],
    });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      delay: { delayMs: 1500, percent: 30 },
      abort: { status: 503, percent: 10 },
      upstreamCluster: 'c1',
      headers: [{ name: 'x-user', value: 'alice' }, { name: 'x-id', value: '^7', regex: /^7/ }],
    });
  });

  it('reads an empty config as a filter that does nothing', () => {
    expect(read({}).result).toEqual({ headers: [] });
  });

  it('reports bad values with their paths', () => {
    const { errors } = read({ delay: { fixed_delay: 'soon', percentage: 101 }, abort: { percentage: 5 }, headers: [{ value: 'x', regex: true }, { name: 'a', value: '(', regex: true }] });
    expect(errors).toEqual([
      'f.config.delay.fixed_delay: expected a duration such as "10s", "500ms" or "1m30s", got string "soon"',
      'f.config.delay.percentage: expected a number from 0 to 100, got 101',
      'f.config.abort.status: is required with a percentage: expected an HTTP status such as 503',
      'f.config.headers[0].name: is required: expected a string',
      expect.stringMatching(/^f\.config\.headers\[1\]\.value: invalid regular expression/),
    ]);
  });
});
