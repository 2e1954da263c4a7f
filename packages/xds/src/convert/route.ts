import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { convertRetryPolicy, convertRouteAction } from './route-action.js';
import { numberValue, obj, objects, str, strings } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';
import { convertHeaderChanges, type TouchedHeaders } from './route-headers.js';
import { convertDirectResponse, convertRedirect, ENVOY_MAX_DIRECT_BODY } from './route-local.js';
import { convertRouteMatch } from './route-match.js';

/**
 * Envoy's `RouteConfiguration` (RDS, or a listener's inline `route_config`) → one entry of MOSN's `routers[]`:
 * `{ router_config_name, virtual_hosts: [{ name, domains, routers: [{ match, route | redirect | direct_response }] }] }`
 * with header changes at the three levels. See docs/xds-routes.md for every field.
 *
 * Whatever mosn-ts cannot do as Envoy would is reported to `ctx`: an error when ignoring it would change which
 * upstream a request reaches or what it gets back (the response is NACKed), a warning when only an optional
 * feature is lost. Undefined only when there is nothing to convert (no name).
 */
export function convertRouteConfiguration(rc: Message, ctx: ConvertContext, options: RouteConfigOptions = {}): MosnJson | undefined {
  checkFields(rc, 'envoy.config.route.v3.RouteConfiguration', ROUTE_CONFIGURATION_RULES, ctx);
  const name = options.name ?? str(rc.name);
  if (name === '') {
    ctx.at('name').error('a route configuration needs a name (MOSN\'s router_config_name)');
    return undefined;
  }
  const out: MosnJson = { router_config_name: name };
  const touched = convertHeaderChanges(rc, ctx, out);
  const level: Level = {
    touched,
    responseChanges: touched.response.size > 0,
    maxBody: numberValue(rc.max_direct_response_body_size_bytes) ?? ENVOY_MAX_DIRECT_BODY,
    mostSpecificWins: rc.most_specific_header_mutations_wins === true,
  };
  out.virtual_hosts = convertVirtualHosts(objects(rc.virtual_hosts), ctx, level);
  return out;
}

export interface RouteConfigOptions {
  /** The router's name, for an inline `route_config` whose name is empty (MOSN needs one). */
  readonly name?: string;
}

/** How a RouteConfiguration's own settings reach its virtual hosts and routes. */
export interface Level {
  /** Header names the enclosing levels change, for most_specific_header_mutations_wins. */
  readonly touched: TouchedHeaders;
  /** Whether an enclosing level changes response headers (mosn-ts does not on direct responses). */
  readonly responseChanges: boolean;
  /** max_direct_response_body_size_bytes. */
  readonly maxBody: number;
  /** most_specific_header_mutations_wins. */
  readonly mostSpecificWins: boolean;
}

/** What becomes of each field of a `RouteConfiguration` (a test checks them against the protos). */
export const ROUTE_CONFIGURATION_RULES: FieldRules = {
  name: 'converted',
  virtual_hosts: 'converted',
  vhds: { error: 'on-demand virtual hosts (VHDS) are not supported by mosn-ts' },
  internal_only_headers: { error: 'mosn-ts does not tell internal from external requests, so it cannot strip these headers' },
  response_headers_to_add: 'converted',
  response_headers_to_remove: 'converted',
  request_headers_to_add: 'converted',
  request_headers_to_remove: 'converted',
  most_specific_header_mutations_wins: 'converted',
  validate_clusters: 'noop',
  max_direct_response_body_size_bytes: 'converted',
  cluster_specifier_plugins: { warn: 'cluster specifier plugins are not supported by mosn-ts; ignored (a route that names one is an error)' },
  request_mirror_policies: { warn: 'request mirroring is not supported by mosn-ts; ignored (requests go to the route\'s cluster only)' },
  ignore_port_in_host_matching: 'noop',
  ignore_path_parameters_in_path_matching: { error: 'not supported by mosn-ts: it matches paths with their parameters' },
  typed_per_filter_config: { warn: 'per-route filter config is not supported by mosn-ts; ignored' },
  metadata: { warn: 'route metadata is not used by mosn-ts; ignored' },
};

/**
 * Virtual hosts → MOSN's `virtual_hosts` (`name`, `domains`, `routers`, header changes). `level` carries the
 * enclosing RouteConfiguration's settings (defaults: none, Envoy's body limit).
 */
export function convertVirtualHosts(list: readonly Message[], ctx: ConvertContext, level: Level = NO_LEVEL): MosnJson[] {
  const domains = new Map<string, number>();
  return list.map((vh, i) => convertVirtualHost(vh, ctx.at(`virtual_hosts[${i}]`), level, i, domains));
}

const NO_LEVEL: Level = { touched: { request: new Set(), response: new Set() }, responseChanges: false, maxBody: ENVOY_MAX_DIRECT_BODY, mostSpecificWins: false };

/** What becomes of each field of a `VirtualHost` (a test checks them against the protos). */
export const VIRTUAL_HOST_RULES: FieldRules = {
  name: 'converted',
  domains: 'converted',
  routes: 'converted',
  matcher: { error: 'a matcher tree instead of routes is not supported by mosn-ts' },
  require_tls: 'converted',
  virtual_clusters: { warn: 'virtual cluster stats are not supported by mosn-ts; ignored' },
  rate_limits: { warn: 'rate limits are not supported by mosn-ts; ignored' },
  request_headers_to_add: 'converted',
  request_headers_to_remove: 'converted',
  response_headers_to_add: 'converted',
  response_headers_to_remove: 'converted',
  cors: { warn: 'CORS is not supported by mosn-ts; ignored' },
  typed_per_filter_config: { warn: 'per-route filter config is not supported by mosn-ts; ignored' },
  include_request_attempt_count: { warn: 'not supported by mosn-ts; ignored (no x-envoy-attempt-count header)' },
  include_attempt_count_in_response: { warn: 'not supported by mosn-ts; ignored (no x-envoy-attempt-count header)' },
  retry_policy: 'converted',
  retry_policy_typed_config: { warn: 'retry policy extensions are not supported by mosn-ts; ignored' },
  hedge_policy: { warn: 'request hedging is not supported by mosn-ts; ignored' },
  include_is_timeout_retry_header: { warn: 'not supported by mosn-ts; ignored' },
  per_request_buffer_limit_bytes: { warn: 'not supported by mosn-ts; ignored (the listener\'s buffer limit applies)' },
  request_mirror_policies: { warn: 'request mirroring is not supported by mosn-ts; ignored (requests go to the route\'s cluster only)' },
  metadata: { warn: 'virtual host metadata is not used by mosn-ts; ignored' },
};

function convertVirtualHost(vh: Message, ctx: ConvertContext, level: Level, index: number, seen: Map<string, number>): MosnJson {
  checkFields(vh, 'envoy.config.route.v3.VirtualHost', VIRTUAL_HOST_RULES, ctx);
  const name = str(vh.name);
  if (name === '') ctx.at('name').error('a virtual host needs a name (Envoy requires one)');
  const domains = strings(vh.domains);
  if (domains.length === 0) ctx.at('domains').error('at least one domain is required (Envoy requires one)');
  domains.forEach((d, i) => {
    const at = ctx.at(`domains[${i}]`);
    const lower = d.toLowerCase();
    const before = seen.get(lower);
    if (before !== undefined) at.error(`domain "${d}" is also in virtual_hosts[${before}] (Envoy refuses duplicates)`);
    else seen.set(lower, index);
    if (d !== '*' && d.indexOf('*', 1) >= 0) at.error(`"${d}": a wildcard other than a leading "*" (a prefix wildcard such as "foo.*") is not supported by mosn-ts`);
  });
  if (vh.require_tls !== undefined && vh.require_tls !== 'NONE') ctx.at('require_tls').error('redirecting plain-text requests to https is not supported by mosn-ts');
  const out: MosnJson = { name, domains };
  const touched = convertHeaderChanges(vh, ctx, out);
  const retry = vh.retry_policy !== undefined ? convertRetryPolicy(obj(vh.retry_policy), ctx.at('retry_policy')) : undefined;
  const routeLevel: RouteLevel = {
    ...level,
    responseChanges: level.responseChanges || touched.response.size > 0,
    virtualHostRetry: retry ?? undefined,
    virtualHostTouched: touched,
  };
  const routes: MosnJson[] = [];
  objects(vh.routes).forEach((r, i) => {
    const route = convertRoute(r, ctx.at(`routes[${i}]`), routeLevel);
    if (route) routes.push(route);
  });
  out.routers = routes;
  return out;
}

interface RouteLevel extends Level {
  readonly virtualHostRetry: MosnJson | undefined;
  readonly virtualHostTouched: TouchedHeaders;
}

/** What becomes of each field of a `Route` (a test checks them against the protos). */
export const ROUTE_RULES: FieldRules = {
  name: 'noop',
  match: 'converted',
  route: 'converted',
  redirect: 'converted',
  direct_response: 'converted',
  filter_action: 'converted',
  non_forwarding_action: 'converted',
  metadata: { warn: 'route metadata is not used by mosn-ts; ignored' },
  decorator: { warn: 'tracing is not supported by mosn-ts; ignored' },
  typed_per_filter_config: { warn: 'per-route filter config is not supported by mosn-ts; ignored' },
  request_headers_to_add: 'converted',
  request_headers_to_remove: 'converted',
  response_headers_to_add: 'converted',
  response_headers_to_remove: 'converted',
  tracing: { warn: 'tracing is not supported by mosn-ts; ignored' },
  per_request_buffer_limit_bytes: { warn: 'not supported by mosn-ts; ignored (the listener\'s buffer limit applies)' },
  stat_prefix: { warn: 'per-route stats are not supported by mosn-ts; ignored' },
};

/** One `Route` → MOSN's route (`match` and `route`, `redirect` or `direct_response`); `name` has no MOSN key. */
function convertRoute(r: Message, ctx: ConvertContext, level: RouteLevel): MosnJson | undefined {
  checkFields(r, 'envoy.config.route.v3.Route', ROUTE_RULES, ctx);
  const matched = convertRouteMatch(r.match, ctx.at('match'));
  const changes: MosnJson = {};
  const touched = convertHeaderChanges(r, ctx, changes);
  let action: MosnJson | undefined;
  let key: string;
  switch (r.action) {
    case 'route':
      key = 'route';
      action = matched && convertRouteAction(obj(r.route), ctx.at('route'), { rewriteBase: matched.rewriteBase, virtualHostRetry: level.virtualHostRetry });
      // MOSN reads a route's header changes inside `route`
      if (action) Object.assign(action, changes);
      break;
    case 'redirect':
    case 'direct_response':
      key = r.action;
      action = r.action === 'redirect' ? convertRedirect(obj(r.redirect), ctx.at('redirect')) : convertDirectResponse(obj(r.direct_response), ctx.at('direct_response'), level.maxBody);
      // request changes have nothing to go to; response changes are not made on local answers by mosn-ts
      if (touched.response.size > 0 || level.responseChanges) {
        ctx.warn(`response header changes (of this route, its virtual host or its route configuration) are not made on a ${r.action === 'redirect' ? 'redirect' : 'direct response'} by mosn-ts; ignored for this route`);
      }
      break;
    case 'filter_action':
    case 'non_forwarding_action':
      ctx.at(r.action).error(`${r.action} is not supported by mosn-ts (the route would neither forward nor answer)`);
      return undefined;
    default:
      ctx.error('no action (route, redirect or direct_response): Envoy requires one');
      return undefined;
  }
  if (level.mostSpecificWins) {
    // the flag reverses the order of the levels; MOSN's is fixed, which matters only for a header changed at two
    const overlaps = overlapping(touched, level.virtualHostTouched, level.touched);
    if (overlaps.length > 0) {
      ctx.error(`${overlaps.join(', ')} changed at more than one level: with most_specific_header_mutations_wins the most specific level wins in Envoy, the route configuration's in mosn-ts`);
    }
  }
  if (!matched || !action) return undefined;
  return { match: matched.match, [key]: action };
}

/** Header names changed at more than one level, for the same direction. */
function overlapping(route: TouchedHeaders, vh: TouchedHeaders, rc: TouchedHeaders): string[] {
  const names = new Set<string>();
  for (const d of ['request', 'response'] as const) {
    const levels = [route[d], vh[d], rc[d]];
    levels.forEach((l, i) => {
      for (const n of l) if (levels.some((other, j) => j !== i && other.has(n))) names.add(`${d} ${n}`);
    });
  }
  return [...names];
}
