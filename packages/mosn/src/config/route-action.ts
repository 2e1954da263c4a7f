import {
  DEFAULT_ROUTE_TIMEOUT_MS,
  RETRY_CONDITIONS,
  metadataMatch,
  retryPolicy,
  type HashPolicy,
  type HostRewrite,
  type MetadataMatch,
  type PathRewrite,
  type RetryPolicy,
  type RouteAction,
  type WeightedCluster,
} from '@mosn/proxy';
import type { Extensions } from '../extensions.js';
import { checkClusterDefined, type ClusterRefs } from './cluster.js';
import { compileRegex, type ConfigReader } from './config-reader.js';
import { readMetadata } from './lb.js';
import { isWildcardProtocol, resolveProtocol } from './protocols.js';
import type { ClusterSpec } from './types.js';

/** What reading a route action needs: the config's clusters (actions name them) and protocols. */
export interface ActionContext extends ClusterRefs {
  readonly ext: Extensions;
}

/**
 * `retry_policy`: `retry_on` (MOSN's bool, or Envoy conditions as a comma-separated string or a list),
 * `num_retries` (1 when absent), `retry_timeout` (per try), `status_codes`.
 */
function readRetryPolicy(ra: ConfigReader): RetryPolicy | undefined {
  const rp = ra.obj('retry_policy');
  if (!rp) return undefined;
  const raw = rp.value('retry_on');
  let retryOn: boolean | string[] = false;
  if (typeof raw === 'boolean') retryOn = raw;
  else if (typeof raw === 'string' || Array.isArray(raw)) {
    const list = (typeof raw === 'string' ? raw.split(',') : raw).map((c) => String(c).trim()).filter((c) => c !== '');
    for (const c of list) {
      if (!(RETRY_CONDITIONS as readonly string[]).includes(c)) rp.problems.error(rp.at('retry_on'), `unknown retry condition "${c}"; known: true, false, ${RETRY_CONDITIONS.join(', ')}`);
    }
    retryOn = list;
  } else if (raw !== undefined && raw !== null) rp.problems.error(rp.at('retry_on'), 'expected true, false, or a list of retry conditions');
  const numRetries = rp.num('num_retries', { min: 0 }) ?? 1;
  const tryTimeoutMs = rp.duration('retry_timeout', { numberUnit: 'ns' }) ?? 0;
  const statusCodes: number[] = [];
  for (const e of rp.arr('status_codes')) {
    if (typeof e.value === 'number' && Number.isInteger(e.value) && e.value >= 100 && e.value <= 599) statusCodes.push(e.value);
    else rp.problems.error(e.path, 'expected an HTTP status code');
  }
  rp.finish();
  return retryPolicy(retryOn, numRetries, tryTimeoutMs, statusCodes);
}

/** `prefix_rewrite`, or `regex_rewrite: { pattern: { regex }, substitution }` (MOSN uses the prefix when both are set). */
function readPathRewrite(ra: ConfigReader): PathRewrite | undefined {
  const prefix = ra.str('prefix_rewrite') || undefined;
  const rr = ra.obj('regex_rewrite');
  let rewrite: PathRewrite | undefined = prefix !== undefined ? { kind: 'prefix', prefix } : undefined;
  if (rr) {
    const pattern = rr.obj('pattern', { required: true });
    const text = pattern?.str('regex', { required: true, nonEmpty: true });
    pattern?.ignore(['google_re2'], 'JavaScript regular expressions have no program size limit; ignored');
    pattern?.finish();
    // Go's ${1} and ${name} are $1 and $<name> in JavaScript
    const substitution = (rr.str('substitution') ?? '').replace(/\$\{(\d+)\}/g, '$$$1').replace(/\$\{(\w+)\}/g, '$$<$1>');
    rr.finish();
    const regex = pattern ? compileRegex(pattern, 'regex', text) : undefined;
    if (prefix !== undefined) ra.problems.warn(ra.at('regex_rewrite'), 'ignored: prefix_rewrite is set, and MOSN then uses prefix_rewrite');
    else if (regex) rewrite = { kind: 'regex', regex: new RegExp(regex.source, 'g'), substitution };
  }
  return rewrite;
}

/** `host_rewrite`, else `auto_host_rewrite_header`, else `auto_host_rewrite` (MOSN's order). */
function readHostRewrite(ra: ConfigReader): HostRewrite | undefined {
  const host = ra.str('host_rewrite') || undefined;
  const header = ra.str('auto_host_rewrite_header') || undefined;
  const auto = ra.bool('auto_host_rewrite') ?? false;
  if (host !== undefined) return { kind: 'literal', host };
  if (header !== undefined) return { kind: 'header', name: header };
  return auto ? { kind: 'auto' } : undefined;
}

/**
 * `hash_policy`: what LB_MAGLEV hashes. MOSN uses the first entry: `{"header": {"key": "x-user"}}`,
 * `{"http_cookie": {"name": "session"}}` (also `cookie`), or `{"source_ip": {}}`.
 */
function readHashPolicy(ra: ConfigReader): HashPolicy | undefined {
  const entries = ra.objects('hash_policy');
  let policy: HashPolicy | undefined;
  entries.forEach((e, i) => {
    let p: HashPolicy | undefined;
    const header = e.obj('header');
    const cookie = e.obj('http_cookie') ?? e.obj('cookie');
    const source = e.obj('source_ip');
    if (header) {
      const name = header.str('key', { required: true, nonEmpty: true });
      header.finish();
      if (name !== undefined) p = { kind: 'header', name };
    } else if (cookie) {
      const name = cookie.str('name', { required: true, nonEmpty: true });
      cookie.ignore(['path', 'ttl'], 'mosn-ts does not set the cookie; ignored');
      cookie.finish();
      if (name !== undefined) p = { kind: 'cookie', name };
    } else if (source) {
      source.finish();
      p = { kind: 'source_ip' };
    } else e.problems.error(e.path, 'expected one of "header", "http_cookie" or "source_ip"');
    e.finish();
    if (i === 0) policy = p;
    else e.problems.warn(e.path, 'only the first hash_policy entry is used, as in MOSN');
  });
  return policy;
}

/**
 * `metadata_match` of a route or a weighted cluster entry (MOSN's metadata format), with a warning when the
 * cluster it goes to has no subsets (MOSN then ignores it too).
 */
function readMetadataMatch(r: ConfigReader, clusterName: string | undefined, clusters: ReadonlyMap<string, ClusterSpec>): MetadataMatch | undefined {
  const metadata = readMetadata(r, 'metadata_match');
  if (!metadata) return undefined;
  const target = clusterName === undefined ? undefined : clusters.get(clusterName);
  if (target && !target.config.lbSubset) {
    r.problems.warn(r.at('metadata_match'), `cluster "${clusterName}" has no lb_subset_config with subset_selectors: metadata_match has no effect, as in MOSN`);
  }
  return metadataMatch(metadata);
}

/**
 * `route`: `cluster_name` or `weighted_clusters` (`[{cluster: {name, weight}}]`), `timeout`, and
 * `upstream_protocol` (for every cluster of the route; `Auto`, `X` or empty: the proxy filter chooses).
 */
export function readRouteAction(ra: ConfigReader, ctx: ActionContext): RouteAction | undefined {
  const clusters = ctx.clusters;
  const timeoutMs = ra.duration('timeout', { numberUnit: 'ns' }) ?? DEFAULT_ROUTE_TIMEOUT_MS;
  const cluster = ra.str('cluster_name');
  const weighted: WeightedCluster[] = [];
  for (const w of ra.objects('weighted_clusters')) {
    const c = w.obj('cluster', { required: true });
    const name = c?.str('name', { required: true, nonEmpty: true });
    const weight = c?.num('weight', { required: true, min: 0 });
    if (c && name !== undefined) checkClusterDefined(c, 'name', name, ctx);
    const match = c ? readMetadataMatch(c, name, clusters) : undefined;
    c?.finish();
    w.finish();
    if (name !== undefined && weight !== undefined && weight > 0) weighted.push({ name, weight, ...(match ? { metadataMatch: match } : {}) });
  }
  ra.num('total_cluster_weight', { min: 0 });
  const hashPolicy = readHashPolicy(ra);
  const retry = readRetryPolicy(ra);
  const rewrite = readPathRewrite(ra);
  const hostRewrite = readHostRewrite(ra);
  const match = readMetadataMatch(ra, cluster, clusters);
  ra.refuse(['request_mirror_policies', 'mirror_policy']);
  ra.refuse(['cluster_header', 'cluster_variable'], 'choosing the cluster from a header or variable is not supported by mosn-ts yet');
  const protocolText = ra.str('upstream_protocol') ?? '';
  const upstreamProtocol = isWildcardProtocol(protocolText) ? undefined : resolveProtocol(ra, 'upstream_protocol', protocolText, ctx.ext)?.name;
  ra.ignore(['metadata', 'upgrade_config']);
  // (readRoute reads the header-change keys and finishes `ra`)
  const options = { timeoutMs, ...(match ? { metadataMatch: match } : {}), ...(hashPolicy ? { hashPolicy } : {}), ...(retry ? { retry } : {}), ...(rewrite ? { rewrite } : {}), ...(hostRewrite ? { hostRewrite } : {}), ...(upstreamProtocol ? { upstreamProtocol } : {}) };
  if (cluster !== undefined) {
    if (weighted.length > 0) ra.problems.error(ra.at('weighted_clusters'), 'set either cluster_name or weighted_clusters, not both');
    checkClusterDefined(ra, 'cluster_name', cluster, ctx);
    return { kind: 'cluster', cluster, ...options };
  }
  if (weighted.length > 0) {
    const totalWeight = weighted.reduce((n, w) => n + w.weight, 0);
    return { kind: 'weighted', clusters: weighted, totalWeight, ...options };
  }
  ra.problems.error(ra.at('cluster_name'), 'is required: expected the name of a cluster (or weighted_clusters)');
  return undefined;
}
