import { literalRegex } from '@mosn/xds';
import type { ConfigReader } from '../../config/config-reader.js';
import { oneOf, readBoolValue, readRegexMatcher, refusePresent } from './read-proto.js';
import type { HeaderCondition, JwtRuleMatch, QueryCondition, TextMatch } from './types.js';

const PATH_KEYS = ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'path_match_policy'] as const;

/**
 * A rule's `match` (Envoy's RouteMatch): one of `prefix`, `path`, `safe_regex`, `path_separated_prefix`, with
 * `case_sensitive`, `headers` and `query_parameters`. The parts a jwt_authn rule cannot use here (`grpc`,
 * `tls_context`, `runtime_fraction`, `dynamic_metadata`, `connect_matcher`, `path_match_policy`) are refused:
 * ignored, they would make the rule match requests it should not.
 */
export function readRuleMatch(m: ConfigReader): JwtRuleMatch | undefined {
  const kind = oneOf(m, PATH_KEYS);
  let path: JwtRuleMatch['path'] | undefined;
  switch (kind) {
    case undefined:
      m.problems.error(m.path, 'expected one of prefix, path, safe_regex, path_separated_prefix');
      break;
    case 'prefix':
    case 'path':
    case 'path_separated_prefix': {
      const value = m.str(kind);
      if (kind === 'path_separated_prefix' && value !== undefined && !/^[^?#]+[^?#/]$/.test(value)) {
        m.problems.error(m.at(kind), `expected a path without a trailing "/", "?" or "#", got ${JSON.stringify(value)}`);
      } else if (value !== undefined) path = { kind, value };
      break;
    }
    case 'safe_regex': {
      const regex = readRegexMatcher(m, 'safe_regex');
      if (regex) path = { kind: 'regex', regex };
      break;
    }
    default:
      refusePresent(m, [kind], 'is not supported by mosn-ts in a jwt_authn rule');
  }
  const caseSensitive = readBoolValue(m, 'case_sensitive') ?? true;
  const headers: HeaderCondition[] = [];
  for (const h of m.objects('headers')) {
    const c = readHeaderCondition(h);
    if (c) headers.push(c);
  }
  const queryParameters: QueryCondition[] = [];
  for (const q of m.objects('query_parameters')) {
    const c = readQueryCondition(q);
    if (c) queryParameters.push(c);
  }
  refusePresent(m, ['grpc', 'tls_context', 'runtime_fraction', 'dynamic_metadata'], 'is not supported by mosn-ts in a jwt_authn rule');
  m.finish({ unknown: 'error' });
  return path === undefined ? undefined : { path, caseSensitive, headers, queryParameters };
}

const HEADER_KEYS = ['exact_match', 'safe_regex_match', 'range_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match'] as const;

/** Envoy's HeaderMatcher. No match specifier: the header must be present. */
function readHeaderCondition(h: ConfigReader): HeaderCondition | undefined {
  const name = h.str('name', { required: true, nonEmpty: true })?.toLowerCase();
  const kind = oneOf(h, HEADER_KEYS);
  let match: HeaderCondition['match'] | undefined;
  switch (kind) {
    case undefined:
      match = { kind: 'present', present: true };
      break;
    case 'present_match':
      match = { kind: 'present', present: h.bool(kind) ?? true };
      break;
    case 'range_match':
      match = readRange(h, kind);
      break;
    case 'safe_regex_match': {
      const regex = readRegexMatcher(h, kind);
      if (regex) match = { kind: 'text', text: { regex } };
      break;
    }
    case 'string_match': {
      const s = h.obj(kind);
      const text = s && readStringMatcher(s);
      if (text) match = { kind: 'text', text };
      break;
    }
    default: {
      const value = h.str(kind, kind === 'exact_match' ? {} : { nonEmpty: true });
      if (value !== undefined) match = { kind: 'text', text: textOf(kind.replace('_match', '') as 'exact' | 'prefix' | 'suffix' | 'contains', value, false) };
    }
  }
  const invert = h.bool('invert_match') ?? false;
  const missingAsEmpty = h.bool('treat_missing_header_as_empty') ?? false;
  h.finish({ unknown: 'error' });
  return name === undefined || match === undefined ? undefined : { name, match, invert, missingAsEmpty };
}

/** An Int64Range `{ start, end }` (integers, as numbers or strings): [start, end). */
function readRange(h: ConfigReader, key: string): HeaderCondition['match'] | undefined {
  const r = h.obj(key);
  if (!r) return undefined;
  const int = (k: string): number | undefined => {
    const v = r.value(k);
    if (v === undefined || v === null) return 0;
    const n = typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
    r.problems.error(r.at(k), `expected an integer, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const start = int('start');
  const end = int('end');
  r.finish({ unknown: 'error' });
  return start === undefined || end === undefined ? undefined : { kind: 'range', start, end };
}

/** Envoy's QueryParameterMatcher: `name` and `string_match`, or `present_match` (or neither: present). */
function readQueryCondition(q: ConfigReader): QueryCondition | undefined {
  const name = q.str('name', { required: true, nonEmpty: true });
  const kind = oneOf(q, ['string_match', 'present_match']);
  let text: TextMatch | undefined;
  if (kind === 'string_match') {
    const s = q.obj(kind);
    text = s && readStringMatcher(s);
  } else if (kind === 'present_match' && q.bool(kind) === false) {
    q.problems.error(q.at(kind), 'present_match: false is not supported (Envoy accepts only true)');
  }
  q.finish({ unknown: 'error' });
  if (name === undefined || (kind === 'string_match' && text === undefined)) return undefined;
  return text === undefined ? { name } : { name, text };
}

const STRING_KEYS = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'custom'] as const;

/** Envoy's StringMatcher: `exact`, `prefix`, `suffix`, `contains` (each with `ignore_case`) or `safe_regex`. */
export function readStringMatcher(s: ConfigReader): TextMatch | undefined {
  const kind = oneOf(s, STRING_KEYS);
  const ignoreCase = s.bool('ignore_case') ?? false;
  let text: TextMatch | undefined;
  switch (kind) {
    case undefined:
      s.problems.error(s.path, `expected one of ${STRING_KEYS.slice(0, 5).join(', ')}`);
      break;
    case 'safe_regex': {
      // ignore_case has no effect on safe_regex in Envoy
      const regex = readRegexMatcher(s, kind);
      if (regex) text = { regex };
      break;
    }
    case 'custom':
      refusePresent(s, [kind], 'custom string matchers are not supported by mosn-ts');
      break;
    default: {
      const value = s.str(kind, kind === 'exact' ? {} : { nonEmpty: true });
      if (value !== undefined) text = textOf(kind, value, ignoreCase);
    }
  }
  s.finish({ unknown: 'error' });
  return text;
}

function textOf(kind: 'exact' | 'prefix' | 'suffix' | 'contains', value: string, ignoreCase: boolean): TextMatch {
  if (kind === 'exact' && !ignoreCase) return { exact: value };
  const literal = literalRegex(value, ignoreCase);
  const source = kind === 'exact' ? `^${literal}$` : kind === 'prefix' ? `^${literal}` : kind === 'suffix' ? `${literal}$` : literal;
  return { regex: new RegExp(source) };
}
