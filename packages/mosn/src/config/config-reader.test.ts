import { describe, expect, it } from 'vitest';
import { ConfigProblems, ConfigReader, compileRegex, parseDuration } from './config-reader.js';
import { problemLines, readSection } from './testing.js';

describe('parseDuration', () => {
  it("reads Go's duration strings into milliseconds", () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('.5s')).toBe(500);
    expect(parseDuration('+10s')).toBe(10_000);
    expect(parseDuration('250us')).toBe(0.25);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses what is not one, and negative durations', () => {
    for (const t of ['', '10', 's', '-1s', '1s 2s', '1d', '+']) expect(parseDuration(t), t).toBeUndefined();
  });
});

describe('ConfigReader.duration', () => {
  const read = (json: Record<string, unknown>, numberUnit?: 'ns' | 's' | 'ms') => readSection(json, 'c', (r) => r.duration('timeout', numberUnit ? { numberUnit } : {}));

  it('reads a bare number in the unit asked for (nanoseconds by default, as MOSN)', () => {
    expect(read({ timeout: 2_000_000_000 }).result).toBe(2000);
    expect(read({ timeout: 3 }, 's').result).toBe(3000);
    expect(read({ timeout: 7 }, 'ms').result).toBe(7);
    expect(read({ timeout: '1m' }).result).toBe(60_000);
  });

  it('warns about a number of nanoseconds under a millisecond, naming the key and what was probably meant', () => {
    const r = read({ timeout: 12 });
    expect(r.result).toBe(12 / 1e6);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(['c.timeout: 12 is read as nanoseconds (12ns), as MOSN does; did you mean "12s" or "12ms"?']);
  });

  it('does not warn about 0, a millisecond or more, strings, or numbers in seconds', () => {
    for (const [v, unit] of [[0, undefined], [1_000_000, undefined], ['12ns', undefined], [12, 's']] as const) {
      expect(read({ timeout: v }, unit).warnings, String(v)).toEqual([]);
    }
  });

  it('reports what is not a duration, and a required one that is missing', () => {
    expect(read({ timeout: 'soon' }).errors).toEqual(['c.timeout: expected a duration such as "10s", "500ms" or "1m30s", got string "soon"']);
    expect(read({ timeout: -1 }).errors).toEqual(['c.timeout: expected a duration such as "10s", "500ms" or "1m30s", got number -1']);
    expect(readSection({}, 'c', (r) => r.duration('timeout', { required: true })).errors).toEqual(['c.timeout: is required: expected a duration such as "10s"']);
  });
});

describe('ConfigReader', () => {
  it('matches keys case-insensitively, the later of two spellings winning, and warns about keys nothing read', () => {
    const { result, warnings } = readSection({ Name: 'a', name: 'b', extra: 1 }, 'x', (r) => {
      const name = r.str('name');
      r.finish();
      return name;
    });
    expect(result).toBe('b');
    expect(warnings).toEqual(['x.Name: ignored: keys match case-insensitively and the later "name" wins', 'x.extra: unknown key; ignored']);
  });

  it('proto key style: snake_case or lowerCamelCase, inherited by nested readers; finish can make unknown keys errors', () => {
    const { result, errors, warnings } = readSection({ localJwks: { inlineString: 'a' }, from_params: ['p'], fromParams: ['q'], mystery: 1 }, 'x', (r) => {
      const p = r.withKeyStyle('proto');
      const jwks = p.obj('local_jwks');
      const text = jwks?.str('inline_string');
      jwks?.finish({ unknown: 'error' });
      const params = p.strings('from_params');
      p.finish({ unknown: 'error' });
      return { text, params, set: p.isSet('local_jwks') && !p.isSet('remote_jwks') };
    });
    expect(result).toEqual({ text: 'a', params: ['q'], set: true });
    expect(errors).toEqual(['x.mystery: unknown key']);
    expect(warnings).toEqual(['x.from_params: ignored: it names the same field as the later "fromParams", which wins']);
  });

  it('reports the root that is not an object as (root)', () => {
    const problems = new ConfigProblems();
    expect(ConfigReader.of([], '', problems)).toBeUndefined();
    expect(problemLines(problems).errors).toEqual(['(root): expected an object, got an array']);
  });

  it('refuse, ignore and inert: errors, warnings, and silence, for set and non-empty keys only', () => {
    const { errors, warnings } = readSection({ a: 1, b: [], c: 'x', d: true, e: {} }, 'k', (r) => {
      r.refuse(['a', 'b'], 'no');
      r.ignore(['c', 'e'], 'ignored');
      r.inert(['d']);
      r.finish();
    });
    expect(errors).toEqual(['k.a: no']);
    expect(warnings).toEqual(['k.c: ignored']);
  });

  it('compileRegex: a RegExp, or an error at the key', () => {
    const { result, errors } = readSection({}, 'm', (r) => [compileRegex(r, 'regex', '^/a'), compileRegex(r, 'regex', '(')]);
    expect(result[0]).toEqual(/^\/a/);
    expect(result[1]).toBeUndefined();
    expect(errors).toEqual([expect.stringMatching(/^m\.regex: invalid regular expression: /)]);
  });
});
