import { describe, expect, it } from 'vitest';
import { HttpHeaders, RouterConfig, httpRouteRequest, type ForwardAction, type Route } from '@mosn/proxy';
import { ConvertContext, ConvertProblems, convertRouteConfiguration, decodeMessage, encodeMessage, type Message } from '@mosn/xds';
import { problemLines } from '../config/testing.js';
import { readConfig } from '../config/read-config.js';
import { defaultExtensions } from '../extensions.js';
import type { RouterSpec } from '../config/types.js';

/**
 * Envoy RouteConfigurations, converted by @mosn/xds, read by the real MOSN config reader with the clusters they
 * name: no problem, and the router is what Envoy meant (weights, timeouts in ms, rewrites, matches).
 */

const RC = 'envoy.config.route.v3.RouteConfiguration';

const host = (version?: string) => ({ address: '127.0.0.1:8080', ...(version ? { metadata: { filter_metadata: { 'mosn.lb': { version } } } } : {}) });
const CLUSTERS = [
  { name: 'c1', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [host()] },
  { name: 'v1', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', lb_subset_config: { subset_selectors: [['version']] }, hosts: [host('v1')] },
  { name: 'v2', type: 'SIMPLE', lb_type: 'LB_MAGLEV', hosts: [host()] },
];

/** Convert (after a round trip through the real codec, as from the wire), then read as servers[0].routers[0]. */
function convertAndRead(rc: Message): RouterSpec {
  const problems = new ConvertProblems();
  const router = convertRouteConfiguration(decodeMessage(RC, encodeMessage(RC, rc)), new ConvertContext(problems, 'RouteConfiguration'));
  expect(problems.errors).toEqual([]);
  expect(problems.warnings).toEqual([]);
  const { config, problems: read } = readConfig({ servers: [{ listeners: [], routers: [router] }], cluster_manager: { clusters: CLUSTERS } }, defaultExtensions());
  const lines = problemLines(read);
  expect(lines.errors).toEqual([]);
  expect(lines.warnings).toEqual([]);
  return config!.routers[0]!;
}

const vh = (routes: Message[], extra: Message = {}) => ({ name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes, ...extra }] });

/** The route an HTTP request gets. */
function routeOf(router: RouterSpec, method: string, path: string, headers: string[] = []): Route | undefined {
  const rc = new RouterConfig(router.name, router.virtualHosts, router);
  return rc.route(httpRouteRequest({ method, path, versionMajor: 1, versionMinor: 1, headers: new HttpHeaders(['host', 'example.com', ...headers]) }));
}

describe('an Envoy RouteConfiguration converted and read by mosn-ts', () => {
  it('forwards by weights, with the timeout, retries and hash policy Envoy meant', () => {
    const router = convertAndRead(
      vh([
        {
          match: { prefix: '/canary' },
          route: {
            weighted_clusters: {
              clusters: [
                { name: 'v1', weight: { value: 90 }, metadata_match: { filter_metadata: { 'envoy.lb': { fields: { version: { stringValue: 'v1' } } } } } },
                { name: 'v2', weight: { value: 10 } },
              ],
            },
            timeout: { seconds: 2, nanos: 500_000_000 },
            retry_policy: { retry_on: 'gateway-error,reset', num_retries: { value: 3 }, per_try_timeout: { nanos: 250_000_000 } },
            hash_policy: [{ header: { header_name: 'x-user' } }],
          },
        },
        { match: { prefix: '/' }, route: { cluster: 'c1' } },
      ]),
    );
    const [canary, rest] = router.virtualHosts[0]!.routes;
    const action = canary!.action as Extract<ForwardAction, { kind: 'weighted' }>;
    expect(action.kind).toBe('weighted');
    expect(action.clusters.map((c) => [c.name, c.weight])).toEqual([['v1', 90], ['v2', 10]]);
    expect(action.clusters[0]!.metadataMatch).toBeDefined();
    expect(action.totalWeight).toBe(100);
    expect(action.timeoutMs).toBe(2500);
    expect(action.hashPolicy).toEqual({ kind: 'header', name: 'x-user' });
    expect(action.retry).toMatchObject({ numRetries: 3, tryTimeoutMs: 250, onReset: true });
    expect([502, 500].map((s) => action.retry!.retryStatus?.(s))).toEqual([true, false]);
    // no timeout in Envoy is 15s there, not MOSN's 60s
    expect((rest!.action as ForwardAction).timeoutMs).toBe(15_000);
  });

  it('matches paths and headers as Envoy does', () => {
    const router = convertAndRead(
      vh([
        { match: { path: '/Exact' }, direct_response: { status: 200, body: { inline_string: 'exact' } } },
        { match: { prefix: '/ci/', case_sensitive: { value: false } }, direct_response: { status: 200, body: { inline_string: 'ci' } } },
        { match: { safe_regex: { regex: '/v[0-9]+' } }, direct_response: { status: 200, body: { inline_string: 'regex' } } },
        { match: { prefix: '/', headers: [{ name: 'x-env', string_match: { prefix: 'prod' } }, { name: ':method', exact_match: 'POST' }] }, direct_response: { status: 201 } },
        { match: { prefix: '/' }, direct_response: { status: 404 } },
      ]),
    );
    const answer = (method: string, path: string, headers?: string[]) => {
      const a = routeOf(router, method, path, headers)?.action;
      return a?.kind === 'direct' ? (a.body ?? a.status) : undefined;
    };
    expect(answer('GET', '/Exact')).toBe('exact');
    expect(answer('GET', '/exact')).toBe(404); // Envoy's path match is case-sensitive; MOSN's `path` is not
    expect(answer('GET', '/CI/x')).toBe('ci');
    expect(answer('GET', '/v12')).toBe('regex');
    expect(answer('GET', '/v12/x')).toBe(404); // safe_regex is a full match
    expect(answer('POST', '/x', ['x-env', 'production'])).toBe(201);
    expect(answer('GET', '/x', ['x-env', 'production'])).toBe(404);
    expect(answer('POST', '/x', ['x-env', 'dev'])).toBe(404);
  });

  it('rewrites paths and hosts, and changes headers at the three levels', () => {
    const router = convertAndRead({
      ...vh(
        [
          {
            match: { prefix: '/api/' },
            route: { cluster: 'c1', prefix_rewrite: '/', host_rewrite_literal: 'backend.local' },
            request_headers_to_add: [{ header: { key: 'x-route', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          },
          { match: { path: '/old' }, route: { cluster: 'c1', prefix_rewrite: '/new' } },
          { match: { prefix: '/svc/' }, route: { cluster: 'c1', regex_rewrite: { pattern: { regex: '^/svc/([^/]+)/(.*)$' }, substitution: '/\\2/\\1' } } },
        ],
        { response_headers_to_add: [{ header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } }] },
      ),
      request_headers_to_remove: ['x-internal'],
    });
    const [api, old, svc] = router.virtualHosts[0]!.routes.map((r) => r.action as ForwardAction);
    expect(api!.rewrite).toEqual({ kind: 'prefix', prefix: '/' });
    expect(api!.hostRewrite).toEqual({ kind: 'literal', host: 'backend.local' });
    expect(router.virtualHosts[0]!.routes[0]!.requestHeaders).toEqual({ add: [{ name: 'x-route', value: '1', append: false }], remove: [] });
    expect(router.virtualHosts[0]!.responseHeaders).toEqual({ add: [{ name: 'x-client', value: '%downstream_remote_address%', append: true }], remove: [] });
    expect(router.requestHeaders).toEqual({ add: [], remove: ['x-internal'] });
    const replace = (a: ForwardAction, path: string) => (a.rewrite?.kind === 'regex' ? path.replace(a.rewrite.regex, a.rewrite.substitution) : undefined);
    expect(replace(old!, '/old')).toBe('/new');
    expect(replace(svc!, '/svc/users/list')).toBe('/list/users');
  });

  it('answers redirects and direct responses', () => {
    const router = convertAndRead(
      vh([
        { match: { prefix: '/moved' }, redirect: { https_redirect: true, host_redirect: 'new.example.com', response_code: 'FOUND' } },
        { match: { prefix: '/' }, direct_response: { status: 503, body: { inline_bytes: Buffer.from('maintenance') } } },
      ]),
    );
    const [moved, down] = router.virtualHosts[0]!.routes.map((r) => r.action);
    expect(moved).toEqual({ kind: 'direct', status: 302, body: undefined, redirect: { scheme: 'https', host: 'new.example.com' } });
    expect(down).toEqual({ kind: 'direct', status: 503, body: 'maintenance' });
  });
});
