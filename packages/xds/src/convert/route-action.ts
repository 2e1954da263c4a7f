import type { Message } from '../proto.js';
import { durationString, type ConvertContext, type MosnJson } from './context.js';
import { convertRegexMatcher } from './matcher.js';
import { boolValue, isSet, numberValue, obj, objects, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';
import { HEADER_CHANGE_FIELDS } from './route-headers.js';
import { structToJson } from './struct.js';
import type { RewriteBase } from './route-match.js';

/** Envoy's route timeout when none is given (MOSN's default is 60s). */
export const ENVOY_ROUTE_TIMEOUT = '15s';

/** The retry conditions mosn-ts knows (`@mosn/proxy`'s RETRY_CONDITIONS). */
const RETRY_CONDITIONS = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes'];

/** What becomes of each field of a `RouteAction` (a test checks them against the protos). */
export const ROUTE_ACTION_RULES: FieldRules = {
  cluster: 'converted',
  cluster_header: 'converted',
  weighted_clusters: 'converted',
  cluster_specifier_plugin: 'converted',
  inline_cluster_specifier_plugin: 'converted',
  cluster_not_found_response_code: { warn: 'not supported by mosn-ts; ignored (mosn-ts answers a request whose cluster does not exist as it answers one no route matches)' },
  metadata_match: 'converted',
  prefix_rewrite: 'converted',
  regex_rewrite: 'converted',
  path_rewrite_policy: 'converted',
  host_rewrite_literal: 'converted',
  auto_host_rewrite: 'converted',
  host_rewrite_header: 'converted',
  host_rewrite_path_regex: 'converted',
  append_x_forwarded_host: { warn: 'not supported by mosn-ts; ignored (no x-forwarded-host is added)' },
  timeout: 'converted',
  idle_timeout: { warn: 'stream idle timeouts are not supported by mosn-ts; ignored' },
  early_data_policy: { warn: 'early data (0-RTT) is not supported by mosn-ts; ignored' },
  retry_policy: 'converted',
  retry_policy_typed_config: { warn: 'retry policy extensions are not supported by mosn-ts; ignored' },
  request_mirror_policies: { warn: 'request mirroring is not supported by mosn-ts; ignored (requests go to the route\'s cluster only)' },
  priority: 'converted',
  rate_limits: { warn: 'rate limits are not supported by mosn-ts; ignored' },
  include_vh_rate_limits: { warn: 'rate limits are not supported by mosn-ts; ignored' },
  hash_policy: 'converted',
  cors: { warn: 'CORS is not supported by mosn-ts; ignored' },
  max_grpc_timeout: { warn: 'grpc-timeout headers are not read by mosn-ts; ignored' },
  grpc_timeout_offset: { warn: 'grpc-timeout headers are not read by mosn-ts; ignored' },
  upgrade_configs: { warn: 'per-route upgrade settings are not supported by mosn-ts; ignored (mosn-ts passes upgrades on HTTP/1)' },
  internal_redirect_policy: 'converted',
  internal_redirect_action: 'converted',
  max_internal_redirects: { warn: 'internal redirects are not supported by mosn-ts; ignored' },
  hedge_policy: { warn: 'request hedging is not supported by mosn-ts; ignored' },
  max_stream_duration: { warn: 'stream duration limits are not supported by mosn-ts; ignored' },
};

/** What converting a route's action needs from its route and virtual host. */
export interface ActionContext {
  /** What Envoy's `prefix_rewrite` replaces on this route (from its match). */
  readonly rewriteBase: RewriteBase;
  /** The virtual host's retry policy, already converted: used when the route has none. */
  readonly virtualHostRetry: MosnJson | undefined;
}

/**
 * A `RouteAction` → MOSN's `route`: `cluster_name` or `weighted_clusters`, `metadata_match`, `timeout` (Envoy's
 * default, 15s, when absent), `retry_policy`, `prefix_rewrite` / `regex_rewrite`, `host_rewrite`,
 * `auto_host_rewrite`, `auto_host_rewrite_header`, `hash_policy`. The route's header changes are added by the caller.
 */
export function convertRouteAction(ra: Message, ctx: ConvertContext, actx: ActionContext): MosnJson | undefined {
  let ok = true;
  const out: MosnJson = {};
  switch (ra.cluster_specifier) {
    case 'cluster':
      out.cluster_name = str(ra.cluster);
      break;
    case 'weighted_clusters':
      ok = convertWeightedClusters(obj(ra.weighted_clusters), ctx.at('weighted_clusters'), out) && ok;
      break;
    case 'cluster_header':
      ctx.at('cluster_header').error('choosing the cluster from a request header is not supported by mosn-ts');
      ok = false;
      break;
    case 'cluster_specifier_plugin':
    case 'inline_cluster_specifier_plugin':
      ctx.at(ra.cluster_specifier).error('cluster specifier plugins are not supported by mosn-ts');
      ok = false;
      break;
    default:
      ctx.error('no cluster specifier (cluster or weighted_clusters): Envoy requires one');
      ok = false;
  }
  const match = convertMetadataMatch(ra.metadata_match, ctx.at('metadata_match'));
  if (match === null) ok = false;
  else if (match) out.metadata_match = match;
  out.timeout = ra.timeout === undefined ? ENVOY_ROUTE_TIMEOUT : durationString(ra.timeout);
  ok = convertPathRewrite(ra, ctx, actx.rewriteBase, out) && ok;
  ok = convertHostRewrite(ra, ctx, out) && ok;
  const retry = ra.retry_policy !== undefined ? convertRetryPolicy(obj(ra.retry_policy), ctx.at('retry_policy')) : actx.virtualHostRetry;
  if (retry === null) ok = false;
  else if (retry) out.retry_policy = retry;
  if (ra.priority !== undefined && ra.priority !== 'DEFAULT') ctx.at('priority').warn('routing priorities are not supported by mosn-ts; ignored (the default priority\'s limits apply)');
  const hash = convertHashPolicies(objects(ra.hash_policy), ctx);
  if (hash.length > 0) out.hash_policy = hash;
  if (ra.internal_redirect_policy !== undefined || ra.internal_redirect_action === 'HANDLE_INTERNAL_REDIRECT') {
    const field = ra.internal_redirect_policy !== undefined ? 'internal_redirect_policy' : 'internal_redirect_action';
    ctx.at(field).error('internal redirects are not supported by mosn-ts (the client would get the upstream\'s redirect)');
    ok = false;
  }
  checkFields(ra, 'envoy.config.route.v3.RouteAction', ROUTE_ACTION_RULES, ctx);
  return ok ? out : undefined;
}

/** What becomes of each field of a `WeightedCluster` (a test checks them against the protos). */
export const WEIGHTED_CLUSTER_RULES: FieldRules = {
  clusters: 'converted',
  total_weight: 'converted',
  runtime_key_prefix: { warn: 'mosn-ts has no runtime; the configured weights are used' },
  header_name: 'converted',
};

/** What becomes of each field of a `WeightedCluster.ClusterWeight` (a test checks them against the protos). */
export const CLUSTER_WEIGHT_RULES: FieldRules = {
  name: 'converted',
  cluster_header: 'converted',
  weight: 'converted',
  metadata_match: 'converted',
  request_headers_to_add: 'converted',
  request_headers_to_remove: 'converted',
  response_headers_to_add: 'converted',
  response_headers_to_remove: 'converted',
  typed_per_filter_config: { warn: 'per-route filter config is not supported by mosn-ts; ignored' },
  host_rewrite_literal: 'converted',
};

/** `weighted_clusters` → MOSN's `weighted_clusters: [{ cluster: { name, weight, metadata_match } }]` and `total_cluster_weight`. */
function convertWeightedClusters(wc: Message, ctx: ConvertContext, out: MosnJson): boolean {
  checkFields(wc, 'envoy.config.route.v3.WeightedCluster', WEIGHTED_CLUSTER_RULES, ctx);
  let ok = true;
  const entries: MosnJson[] = [];
  let sum = 0;
  objects(wc.clusters).forEach((c, i) => {
    const at = ctx.at(`clusters[${i}]`);
    checkFields(c, 'envoy.config.route.v3.WeightedCluster.ClusterWeight', CLUSTER_WEIGHT_RULES, at);
    if (c.cluster_header !== undefined && c.cluster_header !== '') {
      at.at('cluster_header').error('choosing the cluster from a request header is not supported by mosn-ts');
      ok = false;
    }
    for (const field of HEADER_CHANGE_FIELDS) {
      if (isSet(c[field])) {
        at.at(field).error('header changes per weighted cluster are not supported by mosn-ts (MOSN has them per route)');
        ok = false;
      }
    }
    if (c.host_rewrite_literal !== undefined) {
      at.at('host_rewrite_literal').error('a host rewrite per weighted cluster is not supported by mosn-ts (MOSN has it per route)');
      ok = false;
    }
    const name = str(c.name);
    if (name === '' && c.cluster_header === undefined) {
      at.at('name').error('a cluster name is required');
      ok = false;
    }
    const weight = numberValue(c.weight) ?? 0;
    sum += weight;
    const cluster: MosnJson = { name, weight };
    const match = convertMetadataMatch(c.metadata_match, at.at('metadata_match'));
    if (match === null) ok = false;
    else if (match) cluster.metadata_match = match;
    entries.push({ cluster });
  });
  if (entries.length === 0) {
    ctx.at('clusters').error('at least one cluster is required');
    return false;
  }
  if (sum === 0) {
    ctx.at('clusters').error('the weights add up to 0 (Envoy refuses it)');
    ok = false;
  }
  const total = numberValue(wc.total_weight);
  if (total !== undefined && total > 0 && total !== sum) {
    ctx.at('total_weight').error(`the weights add up to ${sum}, not ${total} (Envoy refuses it)`);
    ok = false;
  }
  if (wc.header_name !== undefined) {
    ctx.at('header_name').error('choosing a weighted cluster by a request header is not supported by mosn-ts (it picks at random)');
    ok = false;
  }
  out.weighted_clusters = entries;
  out.total_cluster_weight = sum;
  return ok;
}

/**
 * `metadata_match` (`filter_metadata["envoy.lb"]`, the key Envoy's subset balancer reads) → MOSN's
 * `{ filter_metadata: { "mosn.lb": { key: "value" } } }`. Undefined when there is nothing to match; null, with an
 * error, when a value is not a string (MOSN matches strings only).
 */
export function convertMetadataMatch(mv: unknown, ctx: ConvertContext): MosnJson | undefined | null {
  if (mv === undefined) return undefined;
  const labels = structToJson(obj(obj(mv).filter_metadata)['envoy.lb']);
  const out: Record<string, string> = {};
  let ok = true;
  for (const [k, value] of Object.entries(labels)) {
    if (typeof value === 'string') out[k] = value;
    else {
      ctx.at(`filter_metadata["envoy.lb"].${k}`).error('only string values can be matched by mosn-ts (MOSN\'s metadata is strings)');
      ok = false;
    }
  }
  if (!ok) return null;
  return Object.keys(out).length > 0 ? { filter_metadata: { 'mosn.lb': out } } : undefined;
}

/**
 * `prefix_rewrite` and `regex_rewrite`. Where MOSN's own `prefix_rewrite` would not replace what Envoy's does (the
 * route matches by `regex` in MOSN), the prefix rewrite becomes a `regex_rewrite` of the part Envoy replaces.
 */
function convertPathRewrite(ra: Message, ctx: ConvertContext, base: RewriteBase, out: MosnJson): boolean {
  if (ra.path_rewrite_policy !== undefined) {
    ctx.at('path_rewrite_policy').error('path rewrite policies (URI templates) are not supported by mosn-ts');
    return false;
  }
  const prefix = str(ra.prefix_rewrite);
  const hasPrefix = prefix !== '';
  if (hasPrefix && ra.regex_rewrite !== undefined) {
    ctx.at('regex_rewrite').error('prefix_rewrite and regex_rewrite are both set (Envoy refuses it)');
    return false;
  }
  if (hasPrefix) {
    if (base.kind === 'native') {
      out.prefix_rewrite = prefix;
      return true;
    }
    const substitution = literalSubstitution(prefix, ctx.at('prefix_rewrite'));
    if (substitution === undefined) return false;
    out.regex_rewrite = { pattern: { regex: base.pattern }, substitution };
    return true;
  }
  if (ra.regex_rewrite === undefined) return true;
  const rr = obj(ra.regex_rewrite);
  const at = ctx.at('regex_rewrite');
  const pattern = convertRegexMatcher(rr.pattern, at.at('pattern'));
  const substitution = convertSubstitution(str(rr.substitution), at.at('substitution'));
  if (pattern === undefined || substitution === undefined) return false;
  out.regex_rewrite = { pattern: { regex: pattern }, substitution };
  return true;
}

/**
 * Text as a MOSN `substitution` that inserts it literally: `$` doubled. The reader turns `${1}` into `$1` before
 * JavaScript reads `$$`, so a literal `${` cannot be written.
 */
function literalSubstitution(text: string, ctx: ConvertContext): string | undefined {
  if (text.includes('${')) {
    ctx.error(`${JSON.stringify(text)}: a rewrite containing "\${" cannot be written as MOSN's regex substitution`);
    return undefined;
  }
  return text.replace(/\$/g, '$$$$');
}

/**
 * An Envoy (RE2) substitution → MOSN's: `\1`…`\9` are `${1}`…`${9}`, `\0` the whole match (`$&`), `\\` a
 * backslash, `$` literal (`$$`).
 */
function convertSubstitution(text: string, ctx: ConvertContext): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '$') {
      if (text[i + 1] === '{') {
        ctx.error(`${JSON.stringify(text)}: a literal "\${" cannot be written as MOSN's regex substitution`);
        return undefined;
      }
      out += '$$';
    } else if (c !== '\\') out += c;
    else {
      const d = text[i + 1];
      i++;
      if (d === '\\') out += '\\';
      else if (d === '0') out += '$&';
      else if (d !== undefined && d >= '1' && d <= '9') {
        // the reader makes ${1} JavaScript's $1, which a digit after it would extend
        if (/[0-9]/.test(text[i + 1] ?? '')) {
          ctx.error(`${JSON.stringify(text)}: a group reference followed by a digit cannot be written as MOSN's regex substitution`);
          return undefined;
        }
        out += `\${${d}}`;
      } else {
        ctx.error(`${JSON.stringify(text)}: invalid escape in a substitution (\\0 to \\9 and \\\\ only)`);
        return undefined;
      }
    }
  }
  return out;
}

/** `host_rewrite_literal` → `host_rewrite`, `auto_host_rewrite` → `auto_host_rewrite`, `host_rewrite_header` → `auto_host_rewrite_header`. */
function convertHostRewrite(ra: Message, ctx: ConvertContext, out: MosnJson): boolean {
  switch (ra.host_rewrite_specifier) {
    case 'host_rewrite_literal':
      if (ra.host_rewrite_literal !== '') out.host_rewrite = ra.host_rewrite_literal;
      return true;
    case 'auto_host_rewrite':
      if (boolValue(ra.auto_host_rewrite)) out.auto_host_rewrite = true;
      return true;
    case 'host_rewrite_header':
      if (ra.host_rewrite_header !== '') out.auto_host_rewrite_header = ra.host_rewrite_header;
      return true;
    case 'host_rewrite_path_regex':
      ctx.at('host_rewrite_path_regex').error('rewriting the host from the path is not supported by mosn-ts');
      return false;
    default:
      return true;
  }
}

/**
 * A `RetryPolicy` → MOSN's `retry_policy`: `retry_on` (the conditions mosn-ts knows, comma-separated),
 * `num_retries` (Envoy's default 1), `retry_timeout` (per_try_timeout), `status_codes`. Undefined when nothing is
 * to be retried; null, with an error, when it cannot be converted.
 */
export function convertRetryPolicy(rp: Message, ctx: ConvertContext): MosnJson | undefined | null {
  checkFields(rp, 'envoy.config.route.v3.RetryPolicy', RETRY_POLICY_RULES, ctx);
  if (objects(rp.retriable_request_headers).length > 0) {
    ctx.at('retriable_request_headers').error('not supported by mosn-ts: it would retry requests this policy does not allow to be retried');
    return null;
  }
  const conditions = str(rp.retry_on).split(',').map((c) => c.trim()).filter((c) => c !== '');
  const known = conditions.filter((c) => RETRY_CONDITIONS.includes(c));
  const unknown = conditions.filter((c) => !RETRY_CONDITIONS.includes(c));
  if (unknown.length > 0) ctx.at('retry_on').warn(`${unknown.join(', ')} not supported by mosn-ts; left out (mosn-ts knows ${RETRY_CONDITIONS.join(', ')})`);
  if (known.length === 0) return undefined;
  const out: MosnJson = { retry_on: known.join(','), num_retries: numberValue(rp.num_retries) ?? 1 };
  if (rp.per_try_timeout !== undefined) out.retry_timeout = durationString(rp.per_try_timeout);
  const codes = Array.isArray(rp.retriable_status_codes) ? rp.retriable_status_codes.filter((c): c is number => typeof c === 'number') : [];
  if (codes.length > 0) out.status_codes = codes;
  return out;
}

/** What becomes of each field of a `RetryPolicy` (a test checks them against the protos). */
export const RETRY_POLICY_RULES: FieldRules = {
  retry_on: 'converted',
  num_retries: 'converted',
  per_try_timeout: 'converted',
  per_try_idle_timeout: { warn: 'per-try idle timeouts are not supported by mosn-ts; ignored' },
  retry_priority: { warn: 'retry priorities are not supported by mosn-ts; ignored' },
  retry_host_predicate: { warn: 'retry host predicates are not supported by mosn-ts; ignored (a retry may go to any host)' },
  retry_options_predicates: { warn: 'not supported by mosn-ts; ignored' },
  host_selection_retry_max_attempts: { warn: 'not supported by mosn-ts; ignored' },
  retriable_status_codes: 'converted',
  retry_back_off: { warn: 'retries are not backed off by mosn-ts; ignored' },
  rate_limited_retry_back_off: { warn: 'retries are not backed off by mosn-ts; ignored' },
  retriable_headers: { warn: 'retrying on response headers is not supported by mosn-ts; ignored' },
  retriable_request_headers: 'converted',
};

/** `hash_policy` → MOSN's: `header` (`{ header: { key } }`), `cookie` (`{ http_cookie: { name } }`), `source_ip`. */
function convertHashPolicies(list: Message[], ctx: ConvertContext): MosnJson[] {
  const out: MosnJson[] = [];
  list.forEach((p, i) => {
    const at = ctx.at(`hash_policy[${i}]`);
    let entry: MosnJson | undefined;
    switch (p.policy_specifier) {
      case 'header': {
        const h = obj(p.header);
        if (h.regex_rewrite !== undefined) at.at('header.regex_rewrite').warn('not supported by mosn-ts; ignored (the header\'s value is hashed as it is)');
        entry = { header: { key: str(h.header_name) } };
        break;
      }
      case 'cookie': {
        const c = obj(p.cookie);
        for (const k of ['ttl', 'path', 'attributes']) if (isSet(c[k])) at.at(`cookie.${k}`).warn('mosn-ts does not set the cookie; ignored');
        entry = { http_cookie: { name: str(c.name) } };
        break;
      }
      case 'connection_properties':
        if (obj(p.connection_properties).source_ip === true) entry = { source_ip: {} };
        break;
      default:
        (typeof p.policy_specifier === 'string' ? at.at(p.policy_specifier) : at).warn('this hash policy is not supported by mosn-ts; ignored (the source address is hashed)');
    }
    if (p.terminal === true) at.at('terminal').warn('MOSN hashes one policy; ignored');
    if (!entry) return;
    if (out.length > 0) at.warn('MOSN hashes only the first hash policy; ignored');
    else out.push(entry);
  });
  return out;
}
