import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { convertRegexMatcher, convertStringMatcher, fullMatch, literalRegex } from './matcher.js';
import { boolValue, obj, objects, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';

/**
 * What Envoy's `prefix_rewrite` replaces on this route, for the action converter: MOSN's own prefix or path rule
 * (`native`: MOSN's `prefix_rewrite` replaces what it matched), or a regex source anchored at the start that
 * selects the part (the route matches by `regex` in MOSN, whose `prefix_rewrite` would replace nothing).
 */
export type RewriteBase = { kind: 'native' } | { kind: 'regex'; pattern: string };

export interface MatchResult {
  readonly match: MosnJson;
  readonly rewriteBase: RewriteBase;
}

/** What becomes of each field of a `RouteMatch` (a test checks them against the protos). */
export const ROUTE_MATCH_RULES: FieldRules = {
  prefix: 'converted',
  path: 'converted',
  safe_regex: 'converted',
  connect_matcher: 'converted',
  path_separated_prefix: 'converted',
  path_match_policy: 'converted',
  case_sensitive: 'converted',
  runtime_fraction: 'converted',
  headers: 'converted',
  query_parameters: 'converted',
  grpc: 'converted',
  tls_context: 'converted',
  dynamic_metadata: 'converted',
};

/** What becomes of each field of a `HeaderMatcher` (a test checks them against the protos). */
export const HEADER_MATCHER_RULES: FieldRules = {
  name: 'converted',
  exact_match: 'converted',
  safe_regex_match: 'converted',
  range_match: 'converted',
  present_match: 'converted',
  prefix_match: 'converted',
  suffix_match: 'converted',
  contains_match: 'converted',
  string_match: 'converted',
  invert_match: 'converted',
  treat_missing_header_as_empty: 'converted',
};

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** `gRPC` requests as Envoy tells them: content-type `application/grpc`, alone or followed by `+` or `;`. */
const GRPC_CONTENT_TYPE = '^application\\/grpc(?:$|[+;])';

/**
 * A `RouteMatch` → MOSN's `match` (`prefix`, `path`, `regex`, `headers`). MOSN compares `path` case-insensitively
 * and `prefix` case-sensitively, and takes JavaScript regexes that are not anchored; so an Envoy `path` (case
 * sensitive by default) becomes an anchored `regex`, a case-insensitive `prefix` a folded `regex`, and a
 * case-insensitive `path` MOSN's `path`. Undefined, with an error, when the route cannot be matched as Envoy means.
 */
export function convertRouteMatch(mv: unknown, ctx: ConvertContext): MatchResult | undefined {
  if (mv === undefined) {
    ctx.error('match is required');
    return undefined;
  }
  const m = obj(mv);
  checkFields(m, 'envoy.config.route.v3.RouteMatch', ROUTE_MATCH_RULES, ctx);
  let ok = true;
  const caseSensitive = boolValue(m.case_sensitive) ?? true;
  const match: MosnJson = {};
  let rewriteBase: RewriteBase = { kind: 'native' };
  switch (m.path_specifier) {
    case 'prefix': {
      const prefix = str(m.prefix);
      if (prefix.includes('?')) {
        // Envoy matches a prefix against the path with its query; MOSN without it
        ctx.at('prefix').error(`a prefix with a query ("${prefix}") is not supported: mosn-ts matches the path without its query`);
        ok = false;
      } else if (caseSensitive || prefix === '') match.prefix = prefix;
      else {
        match.regex = `^${literalRegex(prefix, true)}`;
        rewriteBase = { kind: 'regex', pattern: match.regex as string };
      }
      break;
    }
    case 'path': {
      const path = str(m.path);
      if (caseSensitive) {
        // MOSN's `path` ignores case: an anchored regex matches as Envoy does
        match.regex = `^${literalRegex(path)}$`;
        rewriteBase = { kind: 'regex', pattern: match.regex as string };
      } else match.path = path;
      break;
    }
    case 'safe_regex': {
      // case_sensitive has no effect on safe_regex in Envoy; the whole path (no query) must match
      const source = convertRegexMatcher(m.safe_regex, ctx.at('safe_regex'));
      if (source === undefined) ok = false;
      else {
        match.regex = fullMatch(source);
        rewriteBase = { kind: 'regex', pattern: '^[\\s\\S]*$' };
      }
      break;
    }
    case 'path_separated_prefix': {
      const prefix = literalRegex(str(m.path_separated_prefix), !caseSensitive);
      match.regex = `^${prefix}(?:\\/|$)`;
      rewriteBase = { kind: 'regex', pattern: `^${prefix}` };
      break;
    }
    case 'connect_matcher':
      ctx.at('connect_matcher').error('CONNECT routes are not supported: mosn-ts answers CONNECT requests with 501');
      ok = false;
      break;
    case 'path_match_policy':
      ctx.at('path_match_policy').error('path match policies (URI templates) are not supported by mosn-ts');
      ok = false;
      break;
    default:
      ctx.error('no path specifier (prefix, path, safe_regex or path_separated_prefix): Envoy requires one');
      ok = false;
  }
  if (m.runtime_fraction !== undefined && !convertRuntimeFraction(m.runtime_fraction)) {
    ctx.at('runtime_fraction').error('matching a fraction of requests is not supported by mosn-ts (it would match all of them)');
    ok = false;
  }
  const headers: MosnJson[] = [];
  objects(m.headers).forEach((h, i) => {
    const converted = convertHeaderMatcher(h, ctx.at(`headers[${i}]`));
    if (converted) headers.push(converted);
    else ok = false;
  });
  if (m.grpc !== undefined) headers.push({ name: 'content-type', value: GRPC_CONTENT_TYPE, regex: true });
  if (objects(m.query_parameters).length > 0) {
    ctx.at('query_parameters').error('matching query parameters is not supported by mosn-ts');
    ok = false;
  }
  const tls = obj(m.tls_context);
  if (tls.presented !== undefined || tls.validated !== undefined) {
    ctx.at('tls_context').error('matching on the client certificate is not supported by mosn-ts');
    ok = false;
  }
  if (objects(m.dynamic_metadata).length > 0) {
    ctx.at('dynamic_metadata').error('matching dynamic metadata is not supported by mosn-ts');
    ok = false;
  }
  if (headers.length > 0) match.headers = headers;
  return ok ? { match, rewriteBase } : undefined;
}

const PATH_SPECIFIERS = ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'path_match_policy'];

/** True when a `RuntimeFractionalPercent` matches every request (its default value is 100%): no runtime in mosn-ts. */
function convertRuntimeFraction(rf: unknown): boolean {
  const d = obj(obj(rf).default_value);
  const numerator = Number(d.numerator ?? 0);
  const denominator = DENOMINATORS[str(d.denominator) || 'HUNDRED'] ?? 100;
  return numerator >= denominator;
}

/**
 * A `HeaderMatcher` → MOSN's `{ name, value, regex }`: exact values as they are, every other kind as an anchored
 * regex. `:authority` is MOSN's `host`, `:method` MOSN's `method` (which MOSN matches against the method).
 */
export function convertHeaderMatcher(h: Message, ctx: ConvertContext): MosnJson | undefined {
  checkFields(h, 'envoy.config.route.v3.HeaderMatcher', HEADER_MATCHER_RULES, ctx);
  const envoyName = str(h.name);
  const name = headerName(envoyName, ctx.at('name'));
  let ok = name !== undefined;
  if (h.invert_match === true) {
    ctx.at('invert_match').error('inverted header matches are not supported by mosn-ts');
    ok = false;
  }
  let test: { value: string } | { regex: string } | undefined;
  switch (h.header_match_specifier) {
    case 'exact_match':
      test = { value: str(h.exact_match) };
      break;
    case 'safe_regex_match': {
      const source = convertRegexMatcher(h.safe_regex_match, ctx.at('safe_regex_match'));
      test = source === undefined ? undefined : { regex: fullMatch(source) };
      break;
    }
    case 'prefix_match':
      test = { regex: `^${literalRegex(str(h.prefix_match))}` };
      break;
    case 'suffix_match':
      test = { regex: `${literalRegex(str(h.suffix_match))}$` };
      break;
    case 'contains_match':
      test = { regex: literalRegex(str(h.contains_match)) };
      break;
    case 'string_match':
      test = convertStringMatcher(obj(h.string_match), ctx.at('string_match'));
      break;
    case 'range_match':
      ctx.at('range_match').error('header range matches are not supported by mosn-ts');
      break;
    case 'present_match':
      if (h.present_match === true) test = { regex: '.*' };
      else ctx.at('present_match').error('matching an absent header is not supported by mosn-ts');
      break;
    default:
      // Envoy: a matcher with no specifier matches when the header is present
      test = { regex: '.*' };
  }
  if (!test || !ok || name === undefined) return undefined;
  if (h.treat_missing_header_as_empty === true && ('value' in test ? test.value === '' : new RegExp(test.regex).test(''))) {
    ctx.at('treat_missing_header_as_empty').error('the matcher matches an empty value, and mosn-ts never matches a missing header');
    return undefined;
  }
  // MOSN's "sofa rule" reads the value ".*" of a `service` rule as a regex that matches anything
  if ('value' in test && name === 'service' && test.value === '.*') test = { regex: `^${literalRegex(test.value)}$` };
  return 'value' in test ? { name, value: test.value, regex: false } : { name, value: test.regex, regex: true };
}

const HEADER_SPECIFIERS = ['exact_match', 'safe_regex_match', 'range_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match'];

/** The header name MOSN matches on, or undefined with an error. */
function headerName(name: string, ctx: ConvertContext): string | undefined {
  const lower = name.toLowerCase();
  if (lower === ':authority') return 'host';
  if (lower === ':method') return 'method';
  if (lower.startsWith(':')) {
    ctx.error(`matching the pseudo-header ${name} is not supported by mosn-ts (only :authority and :method)`);
    return undefined;
  }
  if (lower === 'method') {
    ctx.error('a header named "method" cannot be matched: MOSN matches the name "method" against the request method');
    return undefined;
  }
  if (name === '') {
    ctx.error('a header name is required');
    return undefined;
  }
  return name;
}
