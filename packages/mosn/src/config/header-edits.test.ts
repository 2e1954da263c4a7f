import { describe, expect, it } from 'vitest';
import { readHeaderChanges } from './header-edits.js';
import { readSection } from './testing.js';

describe('readHeaderChanges', () => {
  it('reads adds (append defaults to true, as in MOSN) and removes, for requests and responses', () => {
    const { result, errors, warnings } = readSection(
      {
        request_headers_to_add: [{ header: { key: 'x-a', value: '1' } }, { header: { key: 'x-b', value: '%upstream_host%' }, append: false }],
        response_headers_to_remove: ['server'],
      },
      'vh',
      readHeaderChanges,
    );
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      requestHeaders: {
        add: [
          { name: 'x-a', value: '1', append: true },
          { name: 'x-b', value: '%upstream_host%', append: false },
        ],
        remove: [],
      },
      responseHeaders: { add: [], remove: ['server'] },
    });
  });

  it('is empty without the keys', () => {
    expect(readSection({}, 'vh', readHeaderChanges).result).toEqual({});
  });

  it('warns about an unknown variable (sent as text, as MOSN does) and reports a missing key', () => {
    const { result, errors, warnings } = readSection({ request_headers_to_add: [{ header: { key: 'x', value: '%nope%' } }, { header: { value: 'v' } }] }, 'r', readHeaderChanges);
    expect(result.requestHeaders?.add).toEqual([{ name: 'x', value: '%nope%', append: true }]);
    expect(errors).toEqual(['r.request_headers_to_add[1].header.key: is required: expected a string']);
    expect(warnings).toEqual([expect.stringMatching(/^r\.request_headers_to_add\[0\]\.header\.value: unknown variable %nope%; sent as text, as MOSN does; known: /)]);
  });
});
