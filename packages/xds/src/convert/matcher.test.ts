import { describe, expect, it } from 'vitest';
import { fullMatch, literalRegex, re2ToJs } from './matcher.js';

/** The translated regex, anchored as Envoy's safe_regex. */
function full(pattern: string): RegExp {
  const r = re2ToJs(pattern);
  if (r.error !== undefined) throw new Error(r.error);
  return new RegExp(fullMatch(r.source));
}

describe('re2ToJs', () => {
  it('translates RE2-only syntax', () => {
    expect(re2ToJs('(?P<id>\\d+)')).toEqual({ source: '(?<id>\\d+)' });
    expect(full('\\Aabc\\z').test('abc')).toBe(true);
    expect(full('\\Qa.b\\E').test('a.b')).toBe(true);
    expect(full('\\Qa.b\\E').test('axb')).toBe(false);
    expect(full('\\x{41}\\x42\\101').test('ABA')).toBe(true);
    expect(full('[[:digit:][:upper:]]+').test('9Z')).toBe(true);
    expect(full('[]a]+').test(']a')).toBe(true);
    expect(full('\\a').test('\x07')).toBe(true);
  });

  it('folds ASCII letters under the i flag, in its scope only', () => {
    expect(full('(?i)abc').test('AbC')).toBe(true);
    expect(full('(?i:ab)c').test('ABc')).toBe(true);
    expect(full('(?i:ab)c').test('ABC')).toBe(false);
    expect(full('(?i)[a-c]+x').test('BCX')).toBe(true);
    expect(full('(?i)[^a]').test('A')).toBe(false);
    expect(full('a(?i)b').test('aB')).toBe(true);
    expect(full('a(?i)b').test('AB')).toBe(false);
    expect(full('(?i)\\Qa.\\E').test('A.')).toBe(true);
  });

  it('makes . match a line break under the s flag', () => {
    expect(full('(?s)a.b').test('a\nb')).toBe(true);
    expect(full('a.b').test('a\nb')).toBe(false);
  });

  it('refuses what RE2 refuses or JavaScript cannot do without flags', () => {
    expect(re2ToJs('(?=a)').error).toBe('"(?=" is not RE2 syntax (RE2 has no lookaround or backreferences)');
    expect(re2ToJs('(?<!a)b').error).toBe('"(?<!" is not RE2 syntax (RE2 has no lookaround or backreferences)');
    expect(re2ToJs('(a)\\1').error).toBe('\\1 is a backreference, which RE2 does not support');
    expect(re2ToJs('\\pL').error).toMatch(/^Unicode classes/);
    expect(re2ToJs('(?U)a+').error).toBe('the U flag (ungreedy) has no JavaScript equivalent');
    expect(re2ToJs('(?i)é').error).toBe('cannot fold the case of "é" (only ASCII letters are folded)');
    expect(re2ToJs('\\C').error).toBe('\\C (any byte) is not supported');
    expect(re2ToJs('[[:^alpha:]]').error).toBe('negated POSIX class [:^alpha:] is not supported');
    expect(re2ToJs('a(').error).toMatch(/^invalid regular expression/);
  });
});

describe('literalRegex', () => {
  it('escapes and optionally folds', () => {
    expect(new RegExp(`^${literalRegex('a.b*(c)?')}$`).test('a.b*(c)?')).toBe(true);
    expect(literalRegex('Ab-1', true)).toBe('[aA][bB]-1');
  });
});
