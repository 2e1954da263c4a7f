import type { HeaderMap, HttpRequestHead } from '@mosn/stream';
import type { MetadataMatch } from '../lb/subset.js';
import { HeaderEdits, type HeaderEditConfig, type HostRewrite, type PathRewrite, type RedirectAction } from './route-actions.js';
import type { RetryPolicy } from '../upstream/retry.js';
import type { RequestVars, VariableGetter } from '../variables.js';

export type { HeaderAddConfig, HeaderEditConfig, HostRewrite, PathRewrite, RedirectAction } from './route-actions.js';
export type { RetryPolicy } from '../upstream/retry.js';

/** A header rule of a route: exact value, or an unanchored regex. The name `method` matches the method. */
export interface HeaderMatcher {
  name: string;
  value: string;
  regex?: RegExp;
}

/**
 * One entry of a route's `variables` (MOSN's VariableMatcher): the variable's value equals `value`, or the
 * unanchored `regex` finds a match in it. A variable that is not set reads as ''. `or` is MOSN's `model`:
 * how this entry joins the next one (`and` when false).
 */
export interface VariableMatcher {
  name: string;
  /** Reads the variable of an HTTP request. */
  get: VariableGetter;
  /** For RPC requests: the header a `request_header_<name>` variable reads (other variables read ''). */
  rpcHeader?: string;
  value?: string;
  regex?: RegExp;
  or: boolean;
}

export interface RouteMatch {
  prefix?: string;
  /** Exact path, compared case-insensitively. */
  path?: string;
  /** Unanchored regex on the path. */
  regex?: RegExp;
  headers: HeaderMatcher[];
  /** MOSN's variable rule: AND-groups separated by `or` entries (AND binds tighter). */
  variables?: VariableMatcher[];
}

/** Where a forwarded request goes: a cluster, and which of its hosts' subset (`metadata_match`). */
export interface ClusterTarget {
  name: string;
  metadataMatch?: MetadataMatch | undefined;
}

/** An entry of `weighted_clusters`; its own `metadata_match` replaces the route's, as in MOSN. */
export interface WeightedCluster extends ClusterTarget {
  weight: number;
}

/** What consistent-hash balancers (Maglev) hash for this route: a header, a cookie, or the source IP. */
export type HashPolicy = { kind: 'header'; name: string } | { kind: 'cookie'; name: string } | { kind: 'source_ip' };

/** What a forwarding route does besides choosing a cluster; every field is optional and absent by default. */
export interface ForwardOptions {
  timeoutMs: number;
  hashPolicy?: HashPolicy;
  retry?: RetryPolicy;
  rewrite?: PathRewrite;
  hostRewrite?: HostRewrite;
  /** The route's `metadata_match`: balance over the cluster's matching subset (`lb_subset_config`). */
  metadataMatch?: MetadataMatch;
  /**
   * The route's `upstream_protocol` (a protocol registry name such as `Http2`): the protocol this route's
   * requests go upstream in, whichever cluster of the route they go to; it wins over the proxy filter's.
   * Absent: the proxy filter chooses (for RPC requests, their own protocol).
   */
  upstreamProtocol?: string;
}

export type ForwardAction =
  | ({ kind: 'cluster'; cluster: string } & ForwardOptions)
  | ({ kind: 'weighted'; clusters: WeightedCluster[]; totalWeight: number } & ForwardOptions);

/** A local answer: `direct_response`, or a `redirect` (its status, and a Location built per request). */
export type RouteAction = ForwardAction | { kind: 'direct'; status: number; body: string | undefined; redirect?: RedirectAction };

/** The cluster a forwarding action sends this request to: weighted clusters pick by weight at random. */
export function pickCluster(action: ForwardAction): string {
  return action.kind === 'cluster' ? action.cluster : pickWeighted(action).name;
}

function pickWeighted(action: ForwardAction & { kind: 'weighted' }): WeightedCluster {
  let r = Math.random() * action.totalWeight;
  for (const c of action.clusters) {
    r -= c.weight;
    if (r < 0) return c;
  }
  return action.clusters[action.clusters.length - 1]!;
}

/**
 * The cluster and subset a forwarding action sends this request to. A weighted entry with its own
 * `metadata_match` uses it; one without uses the route's (MOSN would then match nothing; see docs/compat.md).
 */
export function pickTarget(action: ForwardAction): ClusterTarget {
  if (action.kind === 'cluster') return { name: action.cluster, metadataMatch: action.metadataMatch };
  const c = pickWeighted(action);
  return c.metadataMatch !== undefined || action.metadataMatch === undefined ? c : { name: c.name, metadataMatch: action.metadataMatch };
}

/** Header changes of one level (route, virtual host, router) for requests and responses. */
export interface HeaderChanges {
  requestHeaders?: HeaderEditConfig;
  responseHeaders?: HeaderEditConfig;
}

export interface Route extends HeaderChanges {
  match: RouteMatch;
  action: RouteAction;
  /** `per_filter_config`: a stream filter's config for this route, by filter name, replacing the listener's. */
  perFilterConfig?: Readonly<Record<string, unknown>>;
  /** `request_mirror_policies`: copies of `percent` % of this route's requests go to `cluster` (by the `mirror` stream filter). */
  mirror?: MirrorPolicy;
  /** Set by RouterConfig: this route's, its virtual host's and the router's changes, in MOSN's order. */
  requestEdits?: HeaderEdits;
  responseEdits?: HeaderEdits;
}

/** MOSN's `request_mirror_policies` of a route: which cluster gets copies, and of what share of the requests (0-100). */
export interface MirrorPolicy {
  readonly cluster: string;
  readonly percent: number;
}

export interface VirtualHost extends HeaderChanges {
  name: string;
  domains: string[];
  routes: Route[];
}

/** What a route matched on, for `prefix_rewrite`: its prefix or exact path, else ''. */
export function matchedPath(m: RouteMatch): string {
  return m.prefix ?? m.path ?? '';
}

/** What a route is matched against: a path (query removed) and headers. */
export interface RouteRequest {
  host: string;
  path: string;
  method: string;
  header(name: string): string | undefined;
  /** The value of a variable a route matches on (undefined: not set). */
  variable(v: VariableMatcher): string | undefined;
}

export const DEFAULT_ROUTE_TIMEOUT_MS = 60_000;

/**
 * One entry of `routers[]`: virtual hosts chosen by host (exact `host:port`, exact host, longest `*.suffix`,
 * then `*`), then the first route whose match fits.
 */
export class RouterConfig {
  readonly name: string;
  #exact = new Map<string, VirtualHost>();
  #suffixes: Array<{ suffix: string; vh: VirtualHost }> = [];
  #default: VirtualHost | undefined;

  /** The virtual hosts as given (routes are copied with their header edits: the given values are not changed). */
  constructor(name: string, given: readonly VirtualHost[], changes: HeaderChanges = {}) {
    this.name = name;
    const virtualHosts = given.map((vh) => ({ ...vh, routes: vh.routes.map((r) => ({ ...r })) }));
    for (const vh of virtualHosts) {
      for (const r of vh.routes) {
        const req = HeaderEdits.of([r.requestHeaders, vh.requestHeaders, changes.requestHeaders]);
        const res = HeaderEdits.of([r.responseHeaders, vh.responseHeaders, changes.responseHeaders]);
        if (req) r.requestEdits = req;
        if (res) r.responseEdits = res;
      }
      for (const d of vh.domains) {
        const domain = d.toLowerCase();
        if (domain === '*') this.#default ??= vh;
        else if (domain.startsWith('*')) this.#suffixes.push({ suffix: domain.slice(1), vh });
        else if (!this.#exact.has(domain)) this.#exact.set(domain, vh);
      }
    }
    this.#suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The virtual host for a Host header value. */
  virtualHost(host: string): VirtualHost | undefined {
    if (this.#exact.size === 0 && this.#suffixes.length === 0) return this.#default;
    const h = host.toLowerCase();
    let vh = this.#exact.get(h);
    if (vh) return vh;
    const colon = h.lastIndexOf(':');
    const bare = colon > 0 && !h.endsWith(']') ? h.slice(0, colon) : h;
    if (bare !== h && (vh = this.#exact.get(bare))) return vh;
    for (const s of this.#suffixes) if (bare.endsWith(s.suffix) && bare.length > s.suffix.length) return s.vh;
    return this.#default;
  }

  route(req: RouteRequest): Route | undefined {
    const vh = this.virtualHost(req.host);
    if (!vh) return undefined;
    for (const r of vh.routes) if (matches(r.match, req)) return r;
    return undefined;
  }
}

function matches(m: RouteMatch, req: RouteRequest): boolean {
  if (m.prefix !== undefined && !req.path.startsWith(m.prefix)) return false;
  if (m.path !== undefined && m.path.toLowerCase() !== req.path.toLowerCase()) return false;
  if (m.regex !== undefined && !m.regex.test(req.path)) return false;
  for (const h of m.headers) {
    const v = h.name.toLowerCase() === 'method' ? req.method : req.header(h.name);
    if (v === undefined) return false;
    if (h.regex ? !h.regex.test(v) : v !== h.value) return false;
  }
  return m.variables === undefined || variablesMatch(m.variables, req);
}

/**
 * MOSN's evaluation, left to right: an entry's result is ANDed into the running result when the entry before
 * it said `and`, and replaces it when that entry said `or`; a true result at an `or` entry ends the walk.
 * So `a and b or c` is `(a && b) || c`.
 */
export function variablesMatch(vars: readonly VariableMatcher[], req: RouteRequest): boolean {
  let result = true;
  let lastOr = false;
  for (const v of vars) {
    const actual = req.variable(v) ?? '';
    const cur = v.regex ? v.regex.test(actual) : actual === v.value;
    result = lastOr ? cur : result && cur;
    if (result && v.or) return true;
    lastOr = v.or;
  }
  return result;
}

/** The hash key of a request under a route's hash policy (undefined: hash the source address). */
export function hashKey(policy: HashPolicy | undefined, headers: { get(name: string): string | undefined }): string | undefined {
  if (policy === undefined || policy.kind === 'source_ip') return undefined;
  if (policy.kind === 'header') return headers.get(policy.name);
  const cookies = headers.get('cookie');
  if (cookies === undefined) return undefined;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === policy.name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** What an RPC route reads of a frame's header map. */
type HeaderLookup = Pick<HeaderMap, 'get'>;

/**
 * A RouteRequest over an RPC frame: routes match on the frame's header map (`service`, `method`, ...).
 * RPC frames have no host or path: the `*` virtual host serves them, and path rules never match, unless a
 * before_route stream filter gave the request a host and path (`dubbo_stream`: the service name and `/`).
 * `headers`, `host` and `path` may be replaced between routings, so that one object serves every request of a
 * listener.
 */
export class RpcRouteRequest implements RouteRequest {
  /** A header map without entries. */
  static readonly NO_HEADERS: HeaderLookup = { get: () => undefined };
  host = '';
  path = '';
  headers: HeaderLookup;
  constructor(headers: HeaderLookup = RpcRouteRequest.NO_HEADERS) {
    this.headers = headers;
  }
  /** A `method` header rule reads the RPC method (Dubbo's method name, a Bolt `method` header). */
  get method(): string {
    return this.headers.get('method') ?? '';
  }
  header(name: string): string | undefined {
    return this.headers.get(name);
  }
  variable(v: VariableMatcher): string | undefined {
    return v.rpcHeader !== undefined ? this.headers.get(v.rpcHeader) : undefined;
  }
}

/** A RouteRequest over an RPC frame's header map (see RpcRouteRequest). */
export function rpcRouteRequest(header: HeaderMap): RouteRequest {
  return new RpcRouteRequest(header);
}

/**
 * A RouteRequest over an HTTP request head; `vars` gives what variables read (built when a rule asks). `routing`:
 * the host and path stream filters set to be routed on instead of the head's (StreamFilterHandler.setVariable).
 */
export function httpRouteRequest(head: HttpRequestHead, vars?: () => RequestVars, routing?: { readonly host?: string; readonly path?: string }): RouteRequest {
  const q = head.path.indexOf('?');
  let built: RequestVars | undefined;
  return {
    host: routing?.host ?? head.headers.get('host') ?? '',
    path: routing?.path ?? (q < 0 ? head.path : head.path.slice(0, q)),
    method: head.method,
    header: (name) => head.headers.get(name),
    variable: (v) => (vars ? v.get((built ??= vars())) : undefined),
  };
}

/**
 * A router by name, as the proxy filters that use it hold it: `current` is replaced when the router changes, so
 * a request reads it once and is routed entirely by the old table or entirely by the new one.
 */
export class RouterHandle {
  readonly name: string;
  current: RouterConfig | undefined;
  constructor(name: string) {
    this.name = name;
  }
}

/** Every router config by `router_config_name`, each behind a handle that stays when the router is replaced. */
export class RouterManager {
  #handles = new Map<string, RouterHandle>();
  /** Add or replace the router of this name (requests routed from now on use it). */
  set(r: RouterConfig): void {
    this.handle(r.name).current = r;
  }
  /** Forget a router: the handle keeps its last table for the proxy filters that still hold it. */
  remove(name: string): void {
    this.#handles.delete(name);
  }
  get(name: string): RouterConfig | undefined {
    return this.#handles.get(name)?.current;
  }
  /** The handle of a router name, made (empty) when there is none yet. */
  handle(name: string): RouterHandle {
    let h = this.#handles.get(name);
    if (!h) this.#handles.set(name, (h = new RouterHandle(name)));
    return h;
  }
  names(): string[] {
    return [...this.#handles.values()].filter((h) => h.current !== undefined).map((h) => h.name);
  }
}
