import type { HttpHeaders, HttpRequestHead } from '@mosn/stream';
import { variableGetter, type RequestVars, type VariableGetter } from '../variables.js';

/** One `*_headers_to_add` entry as configured: `%name%` as the whole value reads a MOSN variable. */
export interface HeaderAddConfig {
  name: string;
  value: string;
  /** MOSN's default: true, joining the new value to an existing one with a comma. */
  append: boolean;
}

/** The header changes of one level (route, virtual host or router) for one direction. */
export interface HeaderEditConfig {
  add: HeaderAddConfig[];
  remove: string[];
}

interface CompiledAdd {
  name: string;
  append: boolean;
  value: string;
  getter: VariableGetter | undefined;
}

/** The getter when `value` is `%name%` of a known variable (MOSN: otherwise the text is sent as it is). */
export function headerValueVariable(value: string): VariableGetter | undefined {
  if (value.length <= 2 || !value.startsWith('%') || !value.endsWith('%')) return undefined;
  return variableGetter(value.slice(1, -1));
}

/**
 * The header changes of a route for one direction, levels in MOSN's order: the route's, then its virtual
 * host's, then the router's; within a level, adds then removes. Later levels win on the same name.
 */
export class HeaderEdits {
  #levels: Array<{ add: CompiledAdd[]; remove: string[] }>;

  private constructor(levels: HeaderEditConfig[]) {
    this.#levels = levels.map((l) => ({
      add: l.add.map((a) => ({ name: a.name.toLowerCase(), append: a.append, value: a.value, getter: headerValueVariable(a.value) })),
      remove: l.remove,
    }));
  }

  /** Undefined when no level changes anything, so requests of a plain route do no work. */
  static of(levels: Array<HeaderEditConfig | undefined>): HeaderEdits | undefined {
    const used = levels.filter((l): l is HeaderEditConfig => l !== undefined && (l.add.length > 0 || l.remove.length > 0));
    return used.length > 0 ? new HeaderEdits(used) : undefined;
  }

  apply(headers: HttpHeaders, vars: RequestVars): void {
    for (const level of this.#levels) {
      for (const a of level.add) {
        let value = a.getter ? (a.getter(vars) ?? '') : a.value;
        const old = a.append ? headers.get(a.name) : undefined;
        if (old) value = `${old},${value}`;
        headers.set(a.name, value);
      }
      for (const name of level.remove) headers.delete(name);
    }
  }
}

/** `redirect` (answered with the route's status, 301/302/303/307/308): the parts of the Location that change. */
export interface RedirectAction {
  scheme?: string;
  host?: string;
  path?: string;
}

/** The Location of a redirect (MOSN: scheme, host and path replaced when set, the query kept). */
export function redirectLocation(r: RedirectAction, head: HttpRequestHead, currentScheme: string): string {
  const q = head.path.indexOf('?');
  const path = r.path ?? (q < 0 ? head.path : head.path.slice(0, q));
  const query = q < 0 ? '' : head.path.slice(q);
  const scheme = r.scheme ?? currentScheme;
  let host = r.host ?? head.headers.get('host') ?? '';
  if (scheme !== currentScheme) {
    // a port that belonged to the other scheme goes
    const m = /^(.*):(\d+)$/.exec(host);
    if (m && ((scheme === 'http' && m[2] === '443') || (scheme === 'https' && m[2] === '80'))) host = m[1]!;
  }
  return `${scheme}://${host}${path.startsWith('/') ? '' : '/'}${path}${query}`;
}

/** `prefix_rewrite` (replaces the matched prefix) or `regex_rewrite` (every match in the path). */
export type PathRewrite = { kind: 'prefix'; prefix: string } | { kind: 'regex'; regex: RegExp; substitution: string };

export const ORIGINAL_PATH_HEADER = 'x-mosn-original-path';

/**
 * Rewrite the request path (the query is kept). `matched` is what the route matched on: its prefix or
 * exact path, or '' for a regex or header-only route. The original path goes in `x-mosn-original-path`.
 */
export function rewritePath(rw: PathRewrite, head: HttpRequestHead, matched: string): void {
  const q = head.path.indexOf('?');
  const path = q < 0 ? head.path : head.path.slice(0, q);
  let next: string;
  if (rw.kind === 'prefix') {
    if (!path.startsWith(matched)) return;
    next = rw.prefix + path.slice(matched.length);
  } else {
    // Go's ReplaceAllString: `$1` and `${name}` refer to groups, as in JS replace (with a global regex)
    next = path.replace(rw.regex, rw.substitution);
    if (next === path) return;
  }
  head.headers.set(ORIGINAL_PATH_HEADER, path);
  head.path = q < 0 ? next : next + head.path.slice(q);
}

/** `host_rewrite` (a fixed Host), `auto_host_rewrite_header` (from a request header), `auto_host_rewrite`. */
export type HostRewrite = { kind: 'literal'; host: string } | { kind: 'header'; name: string } | { kind: 'auto' };

export function rewriteHost(rw: HostRewrite, head: HttpRequestHead, upstreamHost: string): void {
  if (rw.kind === 'literal') head.headers.set('host', rw.host);
  else if (rw.kind === 'auto') head.headers.set('host', upstreamHost);
  else {
    const v = head.headers.get(rw.name);
    if (v !== undefined) head.headers.set('host', v);
  }
}

/** Append the downstream address to `X-Forwarded-For` (as nginx's `$proxy_add_x_forwarded_for`). */
export function appendForwardedFor(headers: HttpHeaders, remote: string | undefined): void {
  if (remote === undefined) return;
  const old = headers.get('x-forwarded-for');
  headers.set('x-forwarded-for', old ? `${old}, ${remote}` : remote);
}
