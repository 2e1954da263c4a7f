import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { gzipFilter } from './gzip.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => gzipFilter.read(r));

describe('gzip reader', () => {
  it("reads MOSN's keys: gzip_level, content_length, content_types", () => {
    const { result, errors, warnings } = read({ gzip_level: 9, content_length: 1024, content_types: ['text/html', 'Application/JSON'] });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({ level: 9, minLength: 1024, contentTypes: ['text/html', 'application/json'] });
  });

  it("has MOSN's defaults: level 6 (also for 0), no minimum, text/html", () => {
    expect(read({}).result).toEqual({ level: 6, minLength: 0, contentTypes: ['text/html'] });
    expect(read({ gzip_level: 0 }).result?.level).toBe(6);
  });

  it('an empty content_types compresses nothing, as in MOSN, with a warning', () => {
    const { result, warnings } = read({ content_types: [] });
    expect(result?.contentTypes).toEqual([]);
    expect(warnings).toEqual(['f.config.content_types: an empty list: no response is compressed (as in MOSN)']);
  });

  it('names the right key for content_type (which MOSN ignores)', () => {
    const { result, warnings } = read({ content_type: ['application/json'] });
    expect(result?.contentTypes).toEqual(['text/html']);
    expect(warnings).toEqual(['f.config.content_type: unknown key; ignored: the list of types to compress is "content_types"']);
  });

  it('reports bad values with their paths', () => {
    const { errors } = read({ gzip_level: 10, content_length: -1, content_types: ['text/html', 7] });
    expect(errors).toEqual([
      'f.config.gzip_level: expected a number from 0 to 9, got 10',
      'f.config.content_length: expected a number from 0 to 4294967295, got -1',
      'f.config.content_types[1]: expected a string, got number 7',
    ]);
    expect(read({ gzip_level: 1.5, content_types: 'text/html' }).errors).toEqual([
      'f.config.gzip_level: expected an integer, got 1.5',
      'f.config.content_types: expected an array, got string "text/html"',
    ]);
  });
});
