import { describe, expect, it } from 'vitest';
import { defaultExtensions } from '../extensions.js';
import { readRouteAction } from './route-action.js';
import { clusterSpecs, readSection } from './testing.js';

const ext = defaultExtensions();
const clusters = clusterSpecs(ext, [
  { name: 'a', hosts: [] },
  { name: 'b', hosts: [], lb_subset_config: { subset_selectors: [['version']] } },
]);
const R = 'servers[0].routers[0].virtual_hosts[0].routers[0].route';
const read = (route: Record<string, unknown>) =>
  readSection(route, R, (ra) => {
    const action = readRouteAction(ra, { clusters, ext });
    ra.finish();
    return action;
  });
const meta = (pairs: Record<string, string>) => ({ filter_metadata: { 'mosn.lb': pairs } });

describe('readRouteAction', () => {
  it('reads a cluster route with its default timeout, and a timeout as a Go duration', () => {
    expect(read({ cluster_name: 'a' }).result).toEqual({ kind: 'cluster', cluster: 'a', timeoutMs: 60_000 });
    expect(read({ cluster_name: 'a', timeout: '1.5s' }).result).toEqual({ kind: 'cluster', cluster: 'a', timeoutMs: 1500 });
  });

  it('warns about a timeout given as a small bare number (nanoseconds, as MOSN)', () => {
    expect(read({ cluster_name: 'a', timeout: 5 }).warnings).toEqual([`${R}.timeout: 5 is read as nanoseconds (5ns), as MOSN does; did you mean "5s" or "5ms"?`]);
  });

  it('reads weighted clusters (zero weights dropped) with their own metadata_match', () => {
    const { result, errors, warnings } = read({
      weighted_clusters: [{ cluster: { name: 'a', weight: 1 } }, { cluster: { name: 'b', weight: 3, metadata_match: meta({ version: 'v2' }) } }, { cluster: { name: 'a', weight: 0 } }],
    });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toMatchObject({ kind: 'weighted', totalWeight: 4, clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3, metadataMatch: { pairs: [['version', 'v2']] } }] });
  });

  it('reports clusters that are not defined, both forms at once, and neither', () => {
    expect(read({ cluster_name: 'x' }).errors).toEqual([`${R}.cluster_name: cluster "x" is not defined in cluster_manager.clusters; defined: a, b`]);
    expect(read({ cluster_name: 'a', weighted_clusters: [{ cluster: { name: 'b', weight: 1 } }] }).errors).toEqual([`${R}.weighted_clusters: set either cluster_name or weighted_clusters, not both`]);
    expect(read({})).toMatchObject({ result: undefined, errors: [`${R}.cluster_name: is required: expected the name of a cluster (or weighted_clusters)`] });
  });

  it('reads retry_policy: MOSN\'s bool or Envoy conditions, per-try timeout, status codes', () => {
    const mosn = read({ cluster_name: 'a', retry_policy: { retry_on: true, num_retries: 2, retry_timeout: '1s' } }).result;
    expect(mosn?.kind !== 'direct' && mosn?.retry).toMatchObject({ numRetries: 2, tryTimeoutMs: 1000, onReset: true });
    const envoy = read({ cluster_name: 'a', retry_policy: { retry_on: 'gateway-error, retriable-status-codes', status_codes: [409] } }).result;
    const retry = envoy?.kind !== 'direct' ? envoy?.retry : undefined;
    expect(retry?.numRetries).toBe(1);
    expect([502, 409, 500].map((s) => retry?.retryStatus?.(s))).toEqual([true, true, false]);
    expect(read({ cluster_name: 'a', retry_policy: { retry_on: 'sometimes', status_codes: [99] } }).errors).toEqual([
      expect.stringMatching(/^servers\[0\].*\.retry_policy\.retry_on: unknown retry condition "sometimes"; known: true, false, /),
      `${R}.retry_policy.status_codes[0]: expected an HTTP status code`,
    ]);
  });

  it('reads rewrites: prefix wins over regex (a warning), Go substitutions become JavaScript ones, host rewrites in MOSN\'s order', () => {
    const prefix = read({ cluster_name: 'a', prefix_rewrite: '/v2', regex_rewrite: { pattern: { regex: '^/v1' }, substitution: '/x' } });
    expect(prefix.result).toMatchObject({ rewrite: { kind: 'prefix', prefix: '/v2' } });
    expect(prefix.warnings).toEqual([`${R}.regex_rewrite: ignored: prefix_rewrite is set, and MOSN then uses prefix_rewrite`]);
    const regex = read({ cluster_name: 'a', regex_rewrite: { pattern: { regex: '^/(\\w+)/(?<id>\\d+)' }, substitution: '/${1}/item/${id}' } }).result;
    const rw = regex?.kind !== 'direct' ? regex?.rewrite : undefined;
    expect(rw?.kind === 'regex' && '/users/42'.replace(rw.regex, rw.substitution)).toBe('/users/item/42');
    expect(rw?.kind === 'regex' && rw.regex.flags).toBe('g');
    expect(read({ cluster_name: 'a', host_rewrite: 'h', auto_host_rewrite_header: 'x-host', auto_host_rewrite: true }).result).toMatchObject({ hostRewrite: { kind: 'literal', host: 'h' } });
    expect(read({ cluster_name: 'a', auto_host_rewrite_header: 'x-host', auto_host_rewrite: true }).result).toMatchObject({ hostRewrite: { kind: 'header', name: 'x-host' } });
    expect(read({ cluster_name: 'a', auto_host_rewrite: true }).result).toMatchObject({ hostRewrite: { kind: 'auto' } });
  });

  it('reads the first hash_policy entry, warning about the rest', () => {
    const { result, warnings } = read({ cluster_name: 'a', hash_policy: [{ http_cookie: { name: 's' } }, { source_ip: {} }] });
    expect(result).toMatchObject({ hashPolicy: { kind: 'cookie', name: 's' } });
    expect(warnings).toEqual([`${R}.hash_policy[1]: only the first hash_policy entry is used, as in MOSN`]);
    expect(read({ cluster_name: 'a', hash_policy: [{ query: {} }] }).errors).toEqual([`${R}.hash_policy[0]: expected one of "header", "http_cookie" or "source_ip"`]);
  });

  it('metadata_match: a subset match, with a warning when the cluster has no subsets', () => {
    expect(read({ cluster_name: 'b', metadata_match: meta({ version: 'v1' }) })).toMatchObject({ result: { metadataMatch: { pairs: [['version', 'v1']] } }, warnings: [] });
    expect(read({ cluster_name: 'a', metadata_match: meta({ version: 'v1' }) }).warnings).toEqual([
      `${R}.metadata_match: cluster "a" has no lb_subset_config with subset_selectors: metadata_match has no effect, as in MOSN`,
    ]);
  });

  it('upstream_protocol: a registry name, Auto for none, an unknown one reported', () => {
    expect(read({ cluster_name: 'a', upstream_protocol: 'http2' }).result).toMatchObject({ upstreamProtocol: 'Http2' });
    expect(read({ cluster_name: 'a', upstream_protocol: 'Auto' }).result).not.toHaveProperty('upstreamProtocol');
    expect(read({ cluster_name: 'a', upstream_protocol: 'gopher' }).errors).toEqual([`${R}.upstream_protocol: unknown protocol "gopher"; known: Auto, Http2, Http1, bolt, boltv2, dubbo`]);
  });

  it('refuses mirroring and clusters chosen by header', () => {
    expect(read({ cluster_name: 'a', mirror_policy: { cluster: 'b' }, cluster_header: 'x-c' }).errors).toEqual([
      `${R}.mirror_policy: is not supported by mosn-ts yet`,
      `${R}.cluster_header: choosing the cluster from a header or variable is not supported by mosn-ts yet`,
    ]);
  });
});
