import { SimpleHeaderMap } from '@mosn/proxy';
import { describe, expect, it } from 'vitest';
import { ConfigProblems, ConfigReader } from '../../config/config-reader.js';
import { RuleMatcher } from './match.js';
import { readRuleMatch } from './read-match.js';

/** A matcher from a rule's `match` as written in a config. */
function matcher(match: Record<string, unknown>): RuleMatcher {
  const problems = new ConfigProblems();
  const m = readRuleMatch(new ConfigReader(match, 'match', problems, 'proto'));
  expect(problems.errors).toEqual([]);
  return new RuleMatcher(m!);
}

const req = (target: string, headers: Array<[string, string]> = []) => [new SimpleHeaderMap(headers), target] as const;

describe('RuleMatcher', () => {
  it('prefix matches the target (query included); path and path_separated_prefix the path without the query', () => {
    const prefix = matcher({ prefix: '/api' });
    expect([prefix.matches(...req('/api/x')), prefix.matches(...req('/apix?a')), prefix.matches(...req('/ap'))]).toEqual([true, true, false]);
    const path = matcher({ path: '/login' });
    expect([path.matches(...req('/login?next=/')), path.matches(...req('/login/')), path.matches(...req('/LOGIN'))]).toEqual([true, false, false]);
    const separated = matcher({ pathSeparatedPrefix: '/api' });
    expect([separated.matches(...req('/api')), separated.matches(...req('/api/v1')), separated.matches(...req('/api?x')), separated.matches(...req('/apiv1'))]).toEqual([true, true, true, false]);
  });

  it('case_sensitive false folds ASCII letters; safe_regex matches the whole path', () => {
    const folded = matcher({ path: '/Login', case_sensitive: false });
    expect([folded.matches(...req('/LOGIN')), folded.matches(...req('/login?x')), folded.matches(...req('/logins'))]).toEqual([true, true, false]);
    const prefix = matcher({ prefix: '/API', caseSensitive: { value: false } });
    expect(prefix.matches(...req('/api/v1'))).toBe(true);
    const regex = matcher({ safe_regex: { google_re2: {}, regex: '/users/[0-9]+' } });
    expect([regex.matches(...req('/users/12?x=1')), regex.matches(...req('/users/12/posts')), regex.matches(...req('/v1/users/12'))]).toEqual([true, false, false]);
  });

  it('needs every header condition: exact, prefix, regex, range, present (true or false), invert, missing as empty', () => {
    const m = matcher({
      prefix: '/',
      headers: [
        { name: 'x-env', exact_match: 'prod' },
        { name: 'x-version', range_match: { start: 2, end: '5' } },
        { name: 'x-debug', present_match: false },
        { name: 'x-user', string_match: { prefix: 'ADMIN-', ignore_case: true }, invert_match: true },
        { name: 'x-tag', safe_regex_match: { regex: 'a+' }, treat_missing_header_as_empty: true, invert_match: true },
      ],
    });
    const user: [string, string] = ['x-user', 'guest'];
    const base: Array<[string, string]> = [['x-env', 'prod'], ['x-version', '4'], user];
    expect(m.matches(...req('/', base))).toBe(true);
    expect(m.matches(...req('/', [['x-env', 'dev'], ['x-version', '4'], user]))).toBe(false);
    expect(m.matches(...req('/', [['x-env', 'prod'], ['x-version', '5'], user]))).toBe(false);
    expect(m.matches(...req('/', [['x-env', 'prod'], ['x-version', 'four'], user]))).toBe(false);
    expect(m.matches(...req('/', [...base, ['x-debug', '1']]))).toBe(false);
    expect(m.matches(...req('/', [['x-env', 'prod'], ['x-version', '4'], ['x-user', 'admin-7']]))).toBe(false);
    // an inverted condition on a missing header fails (Envoy's rule)
    expect(m.matches(...req('/', [['x-env', 'prod'], ['x-version', '4']]))).toBe(false);
    expect(m.matches(...req('/', [...base, ['x-tag', 'aaa']]))).toBe(false);
  });

  it('needs every query parameter condition (decoded value)', () => {
    const m = matcher({ prefix: '/', query_parameters: [{ name: 'mode', string_match: { exact: 'a b' } }, { name: 'debug', present_match: true }] });
    expect([m.matches(...req('/?mode=a%20b&debug')), m.matches(...req('/?mode=a+b&debug=1')), m.matches(...req('/?mode=a%20b')), m.matches(...req('/'))]).toEqual([true, true, false, false]);
  });
});
