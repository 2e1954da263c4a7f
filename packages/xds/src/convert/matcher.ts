import type { Message } from '../proto.js';
import type { ConvertContext } from './context.js';
import { obj, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';

/**
 * Envoy's matchers as the JavaScript regular expressions mosn-ts's readers take (`new RegExp(text)`, no flags,
 * unanchored). Envoy's `safe_regex` is RE2 syntax and a full match; `ignore_case` folds ASCII letters only.
 */

/** A regex source, or why it cannot be one. */
export type RegexResult = { source: string; error?: undefined } | { error: string; source?: undefined };

const SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

/** The text as a regex that matches it literally; with `ignoreCase`, ASCII letters match either case (`[aA]`). */
export function literalRegex(text: string, ignoreCase = false): string {
  const escaped = text.replace(SPECIAL, '\\$&');
  return ignoreCase ? escaped.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`) : escaped;
}

/** A regex that must match the whole input (Envoy's `safe_regex` is a full match). */
export function fullMatch(source: string): string {
  return `^(?:${source})$`;
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** RE2's one-letter escapes of control characters, with their codes (`\\a` is not JavaScript). */
const SIMPLE_ESCAPES: Record<string, [string, number]> = { a: ['\\x07', 7], f: ['\\f', 12], n: ['\\n', 10], r: ['\\r', 13], t: ['\\t', 9], v: ['\\v', 11] };
const CLASS_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W']);

interface Flags {
  i: boolean;
  s: boolean;
}

class Re2Error extends Error {}

const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;
const isAsciiLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/**
 * An RE2 pattern (Envoy's `safe_regex`) → the same regex in JavaScript syntax, or why not. Translated: `(?P<name>`,
 * `\A`, `\z`, `\Q…\E`, `\x{…}`, octal escapes, `\a`, POSIX classes (`[[:alpha:]]`), and the flags `i` (ASCII
 * letters folded, as `[aA]`), `s` (`.` as `[\s\S]`) and `m` (no effect on a path or header value, which holds no
 * line breaks), in `(?flags)` and `(?flags:…)`. Refused: `U`, `\p`/`\P` Unicode classes, `\C`, a
 * non-ASCII letter under `i`, and whatever RE2 itself refuses and JavaScript would take (lookaround).
 */
export function re2ToJs(pattern: string): RegexResult {
  let source: string;
  try {
    source = translate(pattern);
  } catch (e) {
    if (e instanceof Re2Error) return { error: e.message };
    throw e;
  }
  try {
    new RegExp(source);
  } catch (e) {
    return { error: `invalid regular expression: ${(e as Error).message}` };
  }
  return { source };
}

function translate(p: string): string {
  const stack: Flags[] = [{ i: false, s: false }];
  const flags = () => stack[stack.length - 1]!;
  let out = '';
  let i = 0;
  const letter = (c: string) => {
    const code = c.charCodeAt(0);
    if (!flags().i || c.toLowerCase() === c.toUpperCase()) return c;
    if (!isAsciiLetter(code)) throw new Re2Error(`cannot fold the case of "${c}" (only ASCII letters are folded)`);
    return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  };
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const { text, next } = escapeOutside(p, i, flags().i);
      out += text;
      i = next;
    } else if (c === '[') {
      const { text, next } = charClass(p, i, flags().i);
      out += text;
      i = next;
    } else if (c === '(') {
      if (p[i + 1] !== '?') {
        stack.push({ ...flags() });
        out += '(';
        i++;
        continue;
      }
      const rest = p.slice(i + 2);
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        stack.push({ ...flags() });
        out += `(?<${named[1]}>`;
        i += 2 + named[0].length;
        continue;
      }
      const flagGroup = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
      if (!flagGroup) throw new Re2Error(`"(?${rest.slice(0, rest[0] === '<' ? 2 : 1)}" is not RE2 syntax (RE2 has no lookaround or backreferences)`);
      const next = applyFlags({ ...flags() }, flagGroup[1] ?? '', flagGroup[2] ?? '');
      if (flagGroup[3] === ')') stack[stack.length - 1] = next;
      else {
        stack.push(next);
        out += '(?:';
      }
      i += 2 + flagGroup[0].length;
    } else if (c === ')') {
      if (stack.length > 1) stack.pop();
      out += ')';
      i++;
    } else if (c === '.') {
      out += flags().s ? '[\\s\\S]' : '.';
      i++;
    } else {
      out += letter(c);
      i++;
    }
  }
  return out;
}

function applyFlags(f: Flags, on: string, off: string): Flags {
  for (const [set, value] of [[on, true], [off, false]] as const) {
    for (const flag of set) {
      if (flag === 'i') f.i = value;
      else if (flag === 's') f.s = value;
      else if (flag === 'm') continue;
      else if (flag === 'U') throw new Re2Error('the U flag (ungreedy) has no JavaScript equivalent');
      else throw new Re2Error(`unknown flag "${flag}"`);
    }
  }
  return f;
}

/** An escape outside a class: its JavaScript text and where the pattern goes on. */
function escapeOutside(p: string, i: number, fold: boolean): { text: string; next: number } {
  const c = p[i + 1];
  if (c === undefined) throw new Re2Error('trailing backslash');
  if (c === 'Q') {
    const end = p.indexOf('\\E', i + 2);
    const text = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
    if (fold && /[^\x00-\x7f]/.test(text) && text.toLowerCase() !== text.toUpperCase()) throw new Re2Error('cannot fold the case of non-ASCII letters');
    return { text: literalRegex(text, fold), next: end < 0 ? p.length : end + 2 };
  }
  if (c === 'A') return { text: '^', next: i + 2 };
  if (c === 'z') return { text: '$', next: i + 2 };
  if (c === 'b' || c === 'B') return { text: `\\${c}`, next: i + 2 };
  const ch = escapedChar(p, i);
  return { text: ch.code !== undefined && fold && isAsciiLetter(ch.code) ? `[${String.fromCharCode(ch.code).toLowerCase()}${String.fromCharCode(ch.code).toUpperCase()}]` : ch.text, next: ch.next };
}

/** An escape that stands for one character (`code`) or a class (`\d`), valid inside and outside a class. */
function escapedChar(p: string, i: number): { text: string; code?: number; next: number } {
  const c = p[i + 1]!;
  if (CLASS_ESCAPES.has(c)) return { text: `\\${c}`, next: i + 2 };
  const simple = SIMPLE_ESCAPES[c];
  if (simple) return { text: simple[0], code: simple[1], next: i + 2 };
  if (c === 'x') {
    const braced = /^\{([0-9a-fA-F]{1,8})\}/.exec(p.slice(i + 2));
    const plain = /^[0-9a-fA-F]{2}/.exec(p.slice(i + 2));
    const digits = braced ? braced[1]! : plain?.[0];
    if (digits === undefined) throw new Re2Error('invalid \\x escape');
    const code = parseInt(digits, 16);
    if (code > 0xffff) throw new Re2Error(`\\x{${digits}} is outside the Basic Multilingual Plane, which mosn-ts's regexes (no "u" flag) cannot match as one character`);
    return { text: hex4(code), code, next: i + 2 + (braced ? braced[0].length : 2) };
  }
  if (c >= '0' && c <= '7') {
    const m = /^[0-7]{1,3}/.exec(p.slice(i + 1))!;
    if (c !== '0' && m[0].length === 1) throw new Re2Error(`\\${c} is a backreference, which RE2 does not support`);
    const code = parseInt(m[0], 8);
    return { text: hex4(code), code, next: i + 1 + m[0].length };
  }
  if (c === 'p' || c === 'P') throw new Re2Error(`Unicode classes (\\${c}) are not supported: mosn-ts's regexes have no "u" flag`);
  if (c === 'C') throw new Re2Error('\\C (any byte) is not supported');
  if (/[A-Za-z0-9]/.test(c)) throw new Re2Error(`invalid escape \\${c}`);
  return { text: `\\${c}`, code: c.charCodeAt(0), next: i + 2 };
}

/** A bracketed class from `[` at `i`: POSIX classes expanded; under `i`, the other case of every letter added. */
function charClass(p: string, i: number, fold: boolean): { text: string; next: number } {
  let j = i + 1;
  let text = '[';
  if (p[j] === '^') {
    text += '^';
    j++;
  }
  const ranges: Array<[number, number]> = [];
  let first = true;
  while (j < p.length && (p[j] !== ']' || first)) {
    first = false;
    const posix = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(j));
    if (posix) {
      const expansion = POSIX[posix[2]!];
      if (!expansion) throw new Re2Error(`unknown POSIX class [:${posix[2]}:]`);
      if (posix[1]) throw new Re2Error(`negated POSIX class [:^${posix[2]}:] is not supported`);
      text += expansion;
      j += posix[0].length;
      continue;
    }
    const lo = classChar(p, j);
    j = lo.next;
    if (p[j] === '-' && p[j + 1] !== undefined && p[j + 1] !== ']' && lo.code !== undefined) {
      const hi = classChar(p, j + 1);
      if (hi.code === undefined) throw new Re2Error('invalid range in a character class');
      text += `${lo.text}-${hi.text}`;
      ranges.push([lo.code, hi.code]);
      j = hi.next;
    } else {
      text += lo.text;
      if (lo.code !== undefined) ranges.push([lo.code, lo.code]);
    }
  }
  if (j >= p.length) throw new Re2Error('missing closing ]');
  if (fold) {
    for (const [lo, hi] of ranges) {
      for (const [a, z, shift] of [[97, 122, -32], [65, 90, 32]] as const) {
        const from = Math.max(lo, a);
        const to = Math.min(hi, z);
        if (from <= to) text += from === to ? String.fromCharCode(from + shift) : `${String.fromCharCode(from + shift)}-${String.fromCharCode(to + shift)}`;
      }
      if (hi > 127 && lo <= 0xffff) {
        for (let code = Math.max(lo, 128); code <= Math.min(hi, 0xffff); code++) {
          const ch = String.fromCharCode(code);
          if (ch.toLowerCase() !== ch.toUpperCase()) throw new Re2Error('cannot fold the case of non-ASCII letters');
        }
      }
    }
  }
  return { text: `${text}]`, next: j + 1 };
}

/** One character of a class: its JavaScript text and code (no code for `\d` and kin). */
function classChar(p: string, j: number): { text: string; code?: number; next: number } {
  const c = p[j]!;
  if (c === '\\') {
    if (p[j + 1] === undefined) throw new Re2Error('trailing backslash');
    return escapedChar(p, j);
  }
  // `]` first in a class, `[` and `^` anywhere: literal in RE2, escaped for JavaScript
  if (c === ']' || c === '[' || c === '^') return { text: `\\${c}`, code: c.charCodeAt(0), next: j + 1 };
  return { text: c, code: c.charCodeAt(0), next: j + 1 };
}

/** What becomes of each field of a `RegexMatcher` (a test checks them against the protos). */
export const REGEX_MATCHER_RULES: FieldRules = {
  google_re2: 'noop', // max_program_size: JavaScript regexes have no program size limit
  regex: 'converted',
};

/** What becomes of each field of a `StringMatcher` (a test checks them against the protos). */
export const STRING_MATCHER_RULES: FieldRules = {
  exact: 'converted',
  prefix: 'converted',
  suffix: 'converted',
  safe_regex: 'converted',
  contains: 'converted',
  custom: 'converted',
  ignore_case: 'converted',
};

/** A `RegexMatcher` (`{ regex, google_re2 }`) → a JavaScript regex source (not anchored), or undefined with an error. */
export function convertRegexMatcher(rm: unknown, ctx: ConvertContext): string | undefined {
  const m = obj(rm);
  checkFields(m, 'envoy.type.matcher.v3.RegexMatcher', REGEX_MATCHER_RULES, ctx);
  const text = str(m.regex);
  if (text === '') {
    ctx.at('regex').error('an empty regex (Envoy requires one)');
    return undefined;
  }
  const r = re2ToJs(text);
  if (r.error !== undefined) {
    ctx.at('regex').error(`${JSON.stringify(text)}: ${r.error}`);
    return undefined;
  }
  return r.source;
}

/**
 * A `StringMatcher` → how mosn-ts matches it: an exact `value`, or a `regex` source (anchored as Envoy means it:
 * `prefix` at the start, `suffix` at the end, `safe_regex` whole). Undefined, with an error, when it cannot be.
 */
export function convertStringMatcher(sm: Message, ctx: ConvertContext): { value: string } | { regex: string } | undefined {
  checkFields(sm, 'envoy.type.matcher.v3.StringMatcher', STRING_MATCHER_RULES, ctx);
  const ignoreCase = sm.ignore_case === true;
  switch (sm.match_pattern) {
    case 'exact':
      return ignoreCase ? { regex: `^${literalRegex(str(sm.exact), true)}$` } : { value: str(sm.exact) };
    case 'prefix':
      return { regex: `^${literalRegex(str(sm.prefix), ignoreCase)}` };
    case 'suffix':
      return { regex: `${literalRegex(str(sm.suffix), ignoreCase)}$` };
    case 'contains':
      return { regex: literalRegex(str(sm.contains), ignoreCase) };
    case 'safe_regex': {
      // ignore_case has no effect on safe_regex in Envoy
      const source = convertRegexMatcher(sm.safe_regex, ctx.at('safe_regex'));
      return source === undefined ? undefined : { regex: fullMatch(source) };
    }
    case 'custom':
      ctx.at('custom').error('custom string matchers are not supported by mosn-ts');
      return undefined;
    default:
      ctx.error('no match_pattern (exact, prefix, suffix, safe_regex or contains)');
      return undefined;
  }
}
