import { KNOWN_VARIABLES, variableGetter, type HeaderMatcher, type MirrorPolicy, type RedirectAction, type Route, type RouteAction, type RouteMatch, type VariableMatcher } from '@mosn/proxy';
import { ConfigReader, compileRegex } from './config-reader.js';
import { checkClusterDefined } from './cluster.js';
import { readHeaderChanges } from './header-edits.js';
import { readRouteAction, type ActionContext } from './route-action.js';
import type { ProtocolRoute } from './route-protocols.js';
import { readPerFilterConfig } from '../stream-filters/read.js';

/** What reading routes needs: clusters (routes name them), protocols, and where to note route protocols. */
export interface RouteContext extends ActionContext {
  /** Routes with an `upstream_protocol`: checked against the listeners that use their router. */
  readonly protocolRoutes: ProtocolRoute[];
}

/** One route of a virtual host's `routers[]`: its match, and what it does (direct_response, redirect or route). */
export function readRoute(rt: ConfigReader, ctx: RouteContext): Route | undefined {
  const match = readMatch(rt);
  // MOSN answers a direct_response first, then a redirect, else forwards by `route`.
  let action: RouteAction | undefined;
  const dr = rt.obj('direct_response');
  const rd = dr ? undefined : rt.obj('redirect');
  const ra = dr || rd ? undefined : rt.obj('route');
  if (dr) {
    const status = dr.num('status', { required: true, min: 100, max: 599 });
    const body = dr.str('body');
    dr.finish();
    if (status !== undefined) action = { kind: 'direct', status, body };
  } else if (rd) {
    action = readRedirect(rd);
  } else if (ra) {
    action = readRouteAction(ra, ctx);
  } else {
    rt.problems.error(rt.path, 'expected "route", "redirect" or "direct_response"');
  }
  for (const k of dr ? ['redirect', 'route'] : rd ? ['route'] : []) {
    if (rt.value(k) != null) rt.problems.warn(rt.at(k), `ignored: MOSN answers ${dr ? 'direct_response' : 'redirect'} first`);
  }
  const routeChanges = ra ? readHeaderChanges(ra) : {};
  const mirror = readMirrorPolicy(rt, ctx);
  rt.ignore(['metadata'], 'route metadata is read by MOSN\'s stream filters; mosn-ts runs none; ignored (metadata_match, in "route", selects subsets)');
  const perFilterConfig = readPerFilterConfig(rt, ctx.ext);
  rt.finish();
  ra?.finish();
  if (!match || !action) return undefined;
  const route: Route = { match, action, ...routeChanges, ...(perFilterConfig ? { perFilterConfig } : {}), ...(mirror ? { mirror } : {}) };
  if (action.kind !== 'direct' && action.upstreamProtocol !== undefined) {
    const protocol = ctx.ext.protocols.get(action.upstreamProtocol);
    if (protocol) ctx.protocolRoutes.push({ route, protocol, at: ra!.at('upstream_protocol') });
  }
  return route;
}

/**
 * `request_mirror_policies` (MOSN's: one object, `cluster` and `percent`; only the listener's `mirror` stream filter
 * acts on it). `trace_sampled` is accepted: MOSN does not implement it either.
 */
function readMirrorPolicy(rt: ConfigReader, ctx: RouteContext): MirrorPolicy | undefined {
  if (Array.isArray(rt.value('request_mirror_policies'))) {
    rt.problems.error(rt.at('request_mirror_policies'), 'expected an object { "cluster", "percent" } (MOSN\'s shape; Envoy\'s list is read from xDS only)');
    return undefined;
  }
  const m = rt.obj('request_mirror_policies');
  if (!m) return undefined;
  const cluster = m.str('cluster', { required: true, nonEmpty: true });
  const percent = m.num('percent', { min: 0, max: 100, integer: true }) ?? 0;
  m.bool('trace_sampled');
  m.finish();
  if (cluster === undefined) return undefined;
  checkClusterDefined(m, 'cluster', cluster, ctx);
  return { cluster, percent };
}

/** `match`: `headers`, one of `prefix`, `path`, `regex` (MOSN's order), or `variables`; absent, it matches every request. */
function readMatch(rt: ConfigReader): RouteMatch | undefined {
  // MOSN: a route without `match` matches every request (an RPC rule with no header conditions).
  const mv = rt.value('match');
  const m = mv === undefined || mv === null ? new ConfigReader({}, rt.at('match'), rt.problems) : ConfigReader.of(mv, rt.at('match'), rt.problems);
  if (!m) return undefined;
  const headers: HeaderMatcher[] = [];
  for (const h of m.objects('headers')) {
    const name = h.str('name', { required: true, nonEmpty: true });
    const value = h.str('value', { required: true });
    // MOSN's "sofa rule": a `service` header rule with the value ".*" matches any service, regex or not.
    const isRegex = (h.bool('regex') ?? false) || (name === 'service' && value === '.*');
    const regex = isRegex ? compileRegex(h, 'value', value) : undefined;
    h.finish();
    if (name !== undefined && value !== undefined) headers.push({ name, value, ...(regex ? { regex } : {}) });
  }
  // MOSN uses one of prefix, path and regex, in that order, and drops the rest.
  const prefix = m.str('prefix') || undefined;
  let path = m.str('path') || undefined;
  let regexText = m.str('regex') || undefined;
  const by = prefix !== undefined ? 'prefix' : path !== undefined ? 'path' : undefined;
  if (by && path !== undefined && by !== 'path') {
    m.problems.warn(m.at('path'), `ignored: "${by}" is set, and MOSN matches on one of prefix, path, regex (in that order)`);
    path = undefined;
  }
  if (by && regexText !== undefined) {
    m.problems.warn(m.at('regex'), `ignored: "${by}" is set, and MOSN matches on one of prefix, path, regex (in that order)`);
    regexText = undefined;
  }
  const regex = compileRegex(m, 'regex', regexText);
  // MOSN: a route with none of prefix, path, regex and with `variables` is a variable rule, which ignores headers.
  let variables = readVariables(m);
  const pathBy = prefix !== undefined ? 'prefix' : path !== undefined ? 'path' : regexText !== undefined ? 'regex' : undefined;
  if (variables && pathBy) {
    m.problems.warn(m.at('variables'), `ignored: "${pathBy}" is set, and MOSN matches variables only on a route with no prefix, path or regex`);
    variables = undefined;
  } else if (variables && headers.length > 0) {
    m.problems.warn(m.at('headers'), 'ignored: MOSN does not match headers on a route that matches variables');
    headers.length = 0;
  }
  m.refuse(['dsl_expressions'], 'is not supported by mosn-ts yet (a route would match more than intended)');
  m.ignore(['case_sensitive']);
  m.finish();
  return {
    headers,
    ...(prefix !== undefined ? { prefix } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(regex ? { regex } : {}),
    ...(variables ? { variables } : {}),
  };
}

const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** `redirect`: `response_code` (301 when absent), `path_redirect`, `host_redirect`, `scheme_redirect`. */
function readRedirect(rd: ConfigReader): RouteAction | undefined {
  const code = rd.num('response_code') || 301;
  if (!REDIRECT_CODES.includes(code)) rd.problems.error(rd.at('response_code'), `expected one of ${REDIRECT_CODES.join(', ')}, got ${code}`);
  const redirect: RedirectAction = {};
  const path = rd.str('path_redirect');
  const host = rd.str('host_redirect');
  const scheme = rd.str('scheme_redirect')?.toLowerCase();
  if (path) redirect.path = path;
  if (host) redirect.host = host;
  if (scheme) {
    if (/^[a-z][a-z0-9.+-]*$/.test(scheme)) redirect.scheme = scheme;
    else rd.problems.error(rd.at('scheme_redirect'), `invalid scheme "${scheme}"`);
  }
  rd.finish();
  return { kind: 'direct', status: code, body: undefined, redirect };
}

const REQUEST_HEADER_VAR = 'request_header_';

/**
 * `match.variables` (MOSN's VariableMatcher list): `name` (a variable mosn-ts knows), `value` (exact) or `regex`
 * (unanchored; wins over `value` as in MOSN), `model` `and` (default) or `or`, joining this entry to the next.
 * Undefined when absent or empty.
 */
function readVariables(m: ConfigReader): VariableMatcher[] | undefined {
  const out: VariableMatcher[] = [];
  for (const v of m.objects('variables')) {
    const name = v.str('name', { required: true, nonEmpty: true });
    const value = v.str('value') || undefined;
    const regexText = v.str('regex') || undefined;
    const model = v.str('model', { oneOf: ['and', 'or'] })?.toLowerCase();
    v.finish();
    const get = name === undefined ? undefined : variableGetter(name);
    if (name !== undefined && !get) v.problems.error(v.at('name'), `unknown variable "${name}"; known: ${KNOWN_VARIABLES.join(', ')}`);
    if (value === undefined && regexText === undefined) {
      // MOSN reads an empty or absent value as "no value", and such an entry never matches.
      v.problems.error(v.path, 'expected a non-empty "value" or "regex" (an entry with neither never matches in MOSN)');
    }
    if (value !== undefined && regexText !== undefined) v.problems.warn(v.at('value'), 'ignored: "regex" is set, and MOSN uses the regex');
    const regex = compileRegex(v, 'regex', regexText);
    if (name === undefined || !get) continue;
    const test = regex ? { regex } : value !== undefined ? { value } : undefined;
    if (!test) continue;
    const rpcHeader = name.startsWith(REQUEST_HEADER_VAR) ? name.slice(REQUEST_HEADER_VAR.length) : undefined;
    out.push({ name, get, ...(rpcHeader ? { rpcHeader } : {}), ...test, or: model === 'or' });
  }
  return out.length > 0 ? out : undefined;
}
