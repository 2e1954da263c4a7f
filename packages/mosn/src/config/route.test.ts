import { describe, expect, it } from 'vitest';
import { defaultExtensions } from '../extensions.js';
import { readRoute, type RouteContext } from './route.js';
import { clusterSpecs, readSection } from './testing.js';

const ext = defaultExtensions();
const clusters = clusterSpecs(ext, [{ name: 'c', hosts: [] }]);
const RT = 'servers[0].routers[0].virtual_hosts[0].routers[0]';
function read(route: Record<string, unknown>) {
  const ctx: RouteContext = { clusters, ext, protocolRoutes: [] };
  return { ...readSection(route, RT, (rt) => readRoute(rt, ctx)), protocolRoutes: ctx.protocolRoutes };
}
const to = { route: { cluster_name: 'c' } };

describe('readRoute: match', () => {
  it('matches every request without match (an RPC rule with no header conditions)', () => {
    expect(read(to).result?.match).toEqual({ headers: [] });
  });

  it('reads headers (exact, regex, and the sofa rule service ".*" as a regex) and a prefix', () => {
    const { result, errors } = read({
      match: { prefix: '/api', headers: [{ name: 'x-env', value: 'prod' }, { name: 'x-v', value: '^v[12]$', regex: true }, { name: 'service', value: '.*' }] },
      ...to,
    });
    expect(errors).toEqual([]);
    expect(result?.match).toEqual({
      prefix: '/api',
      headers: [
        { name: 'x-env', value: 'prod' },
        { name: 'x-v', value: '^v[12]$', regex: /^v[12]$/ },
        { name: 'service', value: '.*', regex: /.*/ },
      ],
    });
  });

  it("uses one of prefix, path, regex in MOSN's order, warning about the others", () => {
    const { result, warnings } = read({ match: { prefix: '/a', path: '/b', regex: '^/c' }, ...to });
    expect(result?.match).toEqual({ prefix: '/a', headers: [] });
    expect(warnings).toEqual([
      `${RT}.match.path: ignored: "prefix" is set, and MOSN matches on one of prefix, path, regex (in that order)`,
      `${RT}.match.regex: ignored: "prefix" is set, and MOSN matches on one of prefix, path, regex (in that order)`,
    ]);
    expect(read({ match: { regex: '^/c' }, ...to }).result?.match.regex).toEqual(/^\/c/);
  });

  it('reads variables (a variable rule ignores headers; a path rule ignores variables), with request_header_ for RPC', () => {
    const { result, warnings } = read({
      match: { headers: [{ name: 'a', value: 'b' }], variables: [{ name: 'request_header_x-user', value: 'u1', model: 'or' }, { name: 'x-mosn-method', regex: '^GET$' }] },
      ...to,
    });
    expect(warnings).toEqual([`${RT}.match.headers: ignored: MOSN does not match headers on a route that matches variables`]);
    expect(result?.match.headers).toEqual([]);
    expect(result?.match.variables).toEqual([
      { name: 'request_header_x-user', get: expect.any(Function), rpcHeader: 'x-user', value: 'u1', or: true },
      { name: 'x-mosn-method', get: expect.any(Function), regex: /^GET$/, or: false },
    ]);
    expect(read({ match: { prefix: '/', variables: [{ name: 'x-mosn-path', value: '/' }] }, ...to }).warnings).toEqual([
      `${RT}.match.variables: ignored: "prefix" is set, and MOSN matches variables only on a route with no prefix, path or regex`,
    ]);
  });

  it('reports bad regexes, unknown variables and empty variable entries', () => {
    const { errors } = read({ match: { regex: '(', variables: [{ name: 'nope', value: 'x' }, { name: 'x-mosn-path' }] }, ...to });
    expect(errors).toEqual([
      expect.stringMatching(/^servers\[0\].*\.match\.regex: invalid regular expression: /),
      expect.stringMatching(/^servers\[0\].*\.match\.variables\[0\]\.name: unknown variable "nope"; known: /),
      `${RT}.match.variables[1]: expected a non-empty "value" or "regex" (an entry with neither never matches in MOSN)`,
    ]);
    expect(read({ match: { dsl_expressions: [{}] }, ...to }).errors).toEqual([`${RT}.match.dsl_expressions: is not supported by mosn-ts yet (a route would match more than intended)`]);
  });
});

describe('readRoute: what it does', () => {
  it('direct_response first, then redirect, then route (warning about the ignored ones)', () => {
    const { result, warnings } = read({ direct_response: { status: 503, body: 'down' }, redirect: { path_redirect: '/x' }, ...to });
    expect(result?.action).toEqual({ kind: 'direct', status: 503, body: 'down' });
    expect(warnings).toEqual([`${RT}.redirect: ignored: MOSN answers direct_response first`, `${RT}.route: ignored: MOSN answers direct_response first`]);
    expect(read({ redirect: { path_redirect: '/new', host_redirect: 'h', scheme_redirect: 'HTTPS', response_code: 308 } }).result?.action).toEqual({
      kind: 'direct',
      status: 308,
      body: undefined,
      redirect: { path: '/new', host: 'h', scheme: 'https' },
    });
  });

  it('reports a route with no action, and a bad redirect', () => {
    expect(read({ match: { prefix: '/' } }).errors).toEqual([`${RT}: expected "route", "redirect" or "direct_response"`]);
    expect(read({ redirect: { response_code: 200, scheme_redirect: 'a b' } }).errors).toEqual([
      `${RT}.redirect.response_code: expected one of 301, 302, 303, 307, 308, got 200`,
      `${RT}.redirect.scheme_redirect: invalid scheme "a b"`,
    ]);
  });

  it('reads the route\'s header changes from "route", and notes a route with an upstream_protocol', () => {
    const { result, protocolRoutes } = read({ route: { cluster_name: 'c', upstream_protocol: 'bolt', request_headers_to_remove: ['x'] } });
    expect(result?.requestHeaders).toEqual({ add: [], remove: ['x'] });
    expect(protocolRoutes).toEqual([{ route: result, protocol: ext.protocols.get('bolt'), at: `${RT}.route.upstream_protocol` }]);
    expect(protocolRoutes[0]!.route).toBe(result);
    expect(read(to).protocolRoutes).toEqual([]);
  });

  it("reads MOSN's request_mirror_policies object; refuses Envoy's list, an undefined cluster and a bad percent", () => {
    expect(read({ ...to, request_mirror_policies: { cluster: 'c', percent: 30, trace_sampled: true } }).result?.mirror).toEqual({ cluster: 'c', percent: 30 });
    expect(read({ ...to, request_mirror_policies: { cluster: 'c' } }).result?.mirror).toEqual({ cluster: 'c', percent: 0 });
    expect(read({ ...to, request_mirror_policies: [{ cluster: 'c' }] }).errors).toEqual([
      `${RT}.request_mirror_policies: expected an object { "cluster", "percent" } (MOSN's shape; Envoy's list is read from xDS only)`,
    ]);
    expect(read({ ...to, request_mirror_policies: { cluster: 'x', percent: 101 } }).errors).toEqual([
      `${RT}.request_mirror_policies.percent: expected a number from 0 to 100, got 101`,
      `${RT}.request_mirror_policies.cluster: cluster "x" is not defined in cluster_manager.clusters; defined: c`,
    ]);
  });

  it('warns about route metadata', () => {
    const { warnings } = read({ ...to, metadata: { a: 1 } });
    expect(warnings).toEqual([`${RT}.metadata: route metadata is read by MOSN's stream filters; mosn-ts runs none; ignored (metadata_match, in "route", selects subsets)`]);
  });
});
