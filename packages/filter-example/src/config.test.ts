import { describe, expect, it } from 'vitest';
import { ConfigProblems, ConfigReader } from 'mosn';
import { readRequireHeaderConfig } from './config.js';

/** Read `json` as the config at path `f.config`; the value and the problems as `path: message` lines. */
function read(json: Record<string, unknown>) {
  const problems = new ConfigProblems();
  const value = readRequireHeaderConfig(new ConfigReader(json, 'f.config', problems));
  const lines = (list: typeof problems.errors) => list.map((p) => `${p.path}: ${p.message}`);
  return { value, errors: lines(problems.errors), warnings: lines(problems.warnings) };
}

describe('require_header config', () => {
  it('reads every key; status 403 and any value by default', () => {
    expect(read({ header: 'x-tenant' })).toEqual({ value: { disabled: false, header: 'x-tenant', values: [], status: 403 }, errors: [], warnings: [] });
    expect(read({ header: 'x-tenant', values: ['acme'], status: 401, response_header: 'x-tenant-checked' }).value).toEqual({
      disabled: false,
      header: 'x-tenant',
      values: ['acme'],
      status: 401,
      responseHeader: 'x-tenant-checked',
    });
  });

  it('needs no header when disabled (a route turning the filter off)', () => {
    expect(read({ disabled: true })).toEqual({ value: { disabled: true, header: '', values: [], status: 403 }, errors: [], warnings: [] });
  });

  it('reports each problem with its path, and an unknown key as a warning', () => {
    const { value, errors, warnings } = read({ values: ['a', 1], status: 200, response_header: '', colour: 'blue' });
    expect(value).toBeUndefined();
    expect(errors).toEqual([
      'f.config.header: is required: expected a string',
      'f.config.values[1]: expected a string, got number 1',
      'f.config.status: expected a number from 400 to 599, got 200',
      'f.config.response_header: expected a non-empty string',
    ]);
    expect(warnings).toEqual(['f.config.colour: unknown key; ignored']);
  });
});
