import type { HeaderMap } from '@mosn/proxy';
import { literalRegex } from '@mosn/xds';
import type { HeaderCondition, JwtRuleMatch, QueryCondition, TextMatch } from './types.js';

/**
 * A rule's `match`, compiled once (Envoy's jwt_authn matcher): `prefix` is matched against the whole request
 * target (path and query, as Envoy's `:path`), `path`, `path_separated_prefix` and `safe_regex` against the path
 * without the query; `case_sensitive: false` folds ASCII letters for `prefix`, `path` and `path_separated_prefix`.
 * Then every header and query-parameter condition must hold.
 */
export class RuleMatcher {
  readonly #match: JwtRuleMatch;
  /** `prefix`, `path` or `path_separated_prefix` without case: a regex that folds ASCII letters. */
  readonly #folded: RegExp | undefined;

  constructor(match: JwtRuleMatch) {
    this.#match = match;
    const p = match.path;
    if (p.kind !== 'regex' && !match.caseSensitive) {
      const text = literalRegex(p.value, true);
      this.#folded = new RegExp(p.kind === 'prefix' ? `^${text}` : p.kind === 'path' ? `^${text}$` : `^${text}(?:/|$)`);
    }
  }

  /** `target` is the request target (`/path?query`). */
  matches(headers: HeaderMap, target: string): boolean {
    const m = this.#match;
    const p = m.path;
    if (p.kind === 'prefix') {
      if (!(this.#folded ? this.#folded.test(target) : target.startsWith(p.value))) return false;
    } else {
      const path = pathOf(target);
      if (p.kind === 'regex') {
        if (!p.regex.test(path)) return false;
      } else if (this.#folded) {
        if (!this.#folded.test(path)) return false;
      } else if (p.kind === 'path') {
        if (path !== p.value) return false;
      } else if (!(path.startsWith(p.value) && (path.length === p.value.length || path.charCodeAt(p.value.length) === 47))) {
        return false;
      }
    }
    for (const h of m.headers) if (!headerHolds(h, headers)) return false;
    if (m.queryParameters.length > 0 && !queryHolds(m.queryParameters, target)) return false;
    return true;
  }
}

/** The path of a request target: before `?` or `#`. */
function pathOf(target: string): string {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 63 || c === 35) return target.slice(0, i);
  }
  return target;
}

export function textMatches(t: TextMatch, value: string): boolean {
  return 'exact' in t ? value === t.exact : t.regex.test(value);
}

/**
 * Envoy's HeaderMatcher: a missing header fails every condition but `present_match: false` (unless
 * `treat_missing_header_as_empty`, which matches the condition against ""); `invert_match` then turns the result.
 */
function headerHolds(h: HeaderCondition, headers: HeaderMap): boolean {
  let value = headers.get(h.name);
  if (value === undefined && h.missingAsEmpty) value = '';
  let holds: boolean;
  if (h.match.kind === 'present') holds = (value !== undefined) === h.match.present;
  else if (value === undefined) return false;
  else if (h.match.kind === 'text') holds = textMatches(h.match.text, value);
  else {
    const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
    holds = n >= h.match.start && n < h.match.end;
  }
  return holds !== h.invert;
}

/** Every query condition holds: the parameter is present (and its first value matches). */
function queryHolds(conditions: readonly QueryCondition[], target: string): boolean {
  const q = target.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  for (const c of conditions) {
    const value = params.get(c.name);
    if (value === null) return false;
    if (c.text !== undefined && !textMatches(c.text, value)) return false;
  }
  return true;
}
