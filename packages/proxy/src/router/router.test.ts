import { describe, expect, it } from 'vitest';
import { HttpHeaders, type Connection, type HttpRequestHead } from '@mosn/stream';
import { RouterConfig, RpcRouteRequest, httpRouteRequest, rpcRouteRequest, variablesMatch, type RouteRequest, type VariableMatcher } from './router.js';
import { variableGetter, type RequestVars } from '../variables.js';

/** A variable entry on `name` (a header variable), equal to value or matching regex, joined to the next by `or`. */
function v(name: string, test: string | RegExp, or = false): VariableMatcher {
  const rpcHeader = name.startsWith('request_header_') ? { rpcHeader: name.slice('request_header_'.length) } : {};
  return { name, get: variableGetter(name)!, ...rpcHeader, ...(typeof test === 'string' ? { value: test } : { regex: test }), or };
}

/** A RouteRequest whose variables are the given map (missing: not set). */
function req(values: Record<string, string>): RouteRequest {
  return { host: '', path: '/', method: 'GET', header: () => undefined, variable: (m) => values[m.name] };
}

describe('variablesMatch (MOSN VariableRouteRuleImpl.Match)', () => {
  it('and (the default) needs every entry', () => {
    const vars = [v('a', '1'), v('b', '2')];
    expect(variablesMatch(vars, req({ a: '1', b: '2' }))).toBe(true);
    expect(variablesMatch(vars, req({ a: '1', b: '3' }))).toBe(false);
    expect(variablesMatch(vars, req({ a: '0', b: '2' }))).toBe(false);
  });

  it('or: either side', () => {
    const vars = [v('a', '1', true), v('b', '2')];
    expect(variablesMatch(vars, req({ a: '1' }))).toBe(true);
    expect(variablesMatch(vars, req({ b: '2' }))).toBe(true);
    expect(variablesMatch(vars, req({ a: '0', b: '0' }))).toBe(false);
  });

  it('a and b or c is (a && b) || c; a or b and c is a || (b && c)', () => {
    const abc = [v('a', '1'), v('b', '1', true), v('c', '1')];
    const cases: Array<[Record<string, string>, boolean]> = [
      [{ a: '1', b: '1' }, true],
      [{ a: '1', c: '1' }, true],
      [{ b: '1', c: '1' }, true],
      [{ a: '1' }, false],
      [{ b: '1' }, false],
      [{ c: '1' }, true],
    ];
    for (const [values, want] of cases) expect(variablesMatch(abc, req(values)), JSON.stringify(values)).toBe(want);
    const aOrBc = [v('a', '1', true), v('b', '1'), v('c', '1')];
    expect(variablesMatch(aOrBc, req({ a: '1' }))).toBe(true);
    expect(variablesMatch(aOrBc, req({ b: '1' }))).toBe(false);
    expect(variablesMatch(aOrBc, req({ b: '1', c: '1' }))).toBe(true);
    expect(variablesMatch(aOrBc, req({ c: '1' }))).toBe(false);
  });

  it('regex is unanchored; an unset variable reads as "" (a regex can match it, a value cannot)', () => {
    expect(variablesMatch([v('a', /b+/)], req({ a: 'abbc' }))).toBe(true);
    expect(variablesMatch([v('a', /^b+$/)], req({ a: 'abbc' }))).toBe(false);
    expect(variablesMatch([v('a', /^$/)], req({}))).toBe(true);
    expect(variablesMatch([v('a', 'x')], req({}))).toBe(false);
  });
});

const conn = { remoteAddress: '10.0.0.9', remotePort: 4242, localAddress: '127.0.0.1', localPort: 80 } as unknown as Connection;

function head(method: string, path: string, headers: string[] = []): HttpRequestHead {
  return { method, path, versionMajor: 1, versionMinor: 1, headers: new HttpHeaders(headers) };
}

function route(router: RouterConfig, h: HttpRequestHead): string | undefined {
  const vars = (): RequestVars => ({ request: h, downstream: conn, protocol: 'Http1', upstreamHost: undefined, upstreamCluster: undefined });
  const r = router.route(httpRouteRequest(h, vars));
  return r?.action.kind === 'cluster' ? r.action.cluster : undefined;
}

describe('RouterConfig with variable routes', () => {
  const router = new RouterConfig('r', [
    {
      name: 'vh',
      domains: ['*'],
      routes: [
        { match: { headers: [], variables: [v('x-mosn-method', 'POST'), v('request_header_x-tenant', /^gold-/)] }, action: { kind: 'cluster', cluster: 'gold-post', timeoutMs: 1 } },
        { match: { headers: [], variables: [v('x-mosn-path', '/a', true), v('Http1_request_arg', /(^|&)v=2(&|$)/)] }, action: { kind: 'cluster', cluster: 'a-or-v2', timeoutMs: 1 } },
        { match: { headers: [], variables: [v('downstream_remote_address', /^10\./)] }, action: { kind: 'cluster', cluster: 'ten', timeoutMs: 1 } },
        { match: { headers: [], prefix: '/' }, action: { kind: 'cluster', cluster: 'default', timeoutMs: 1 } },
      ],
    },
  ]);

  it('routes on request variables, first matching route wins', () => {
    expect(route(router, head('POST', '/x', ['x-tenant', 'gold-1']))).toBe('gold-post');
    expect(route(router, head('GET', '/a?z=1', ['x-tenant', 'gold-1']))).toBe('a-or-v2');
    expect(route(router, head('POST', '/b?q=1&v=2', ['x-tenant', 'silver']))).toBe('a-or-v2');
    expect(route(router, head('POST', '/b?v=22'))).toBe('ten');
  });

  it('RPC requests: request_header_<name> reads the frame header; other variables are unset', () => {
    const rpc = new RouterConfig('r', [
      {
        name: 'vh',
        domains: ['*'],
        routes: [
          { match: { headers: [], variables: [v('request_header_service', 'svc.A')] }, action: { kind: 'cluster', cluster: 'A', timeoutMs: 1 } },
          { match: { headers: [], variables: [v('x-mosn-method', /^$/)] }, action: { kind: 'cluster', cluster: 'unset', timeoutMs: 1 } },
        ],
      },
    ]);
    const pick = (service: string) => {
      const r = rpc.route(rpcRouteRequest(new HttpHeaders(['service', service])));
      return r?.action.kind === 'cluster' ? r.action.cluster : undefined;
    };
    expect(pick('svc.A')).toBe('A');
    expect(pick('svc.B')).toBe('unset');
  });
});

describe('routing on a host and path a stream filter set', () => {
  const toCluster = (cluster: string) => ({ kind: 'cluster' as const, cluster, timeoutMs: 1 });
  const router = new RouterConfig('r', [
    { name: 'greeter', domains: ['org.demo.Greeter'], routes: [{ match: { prefix: '/', headers: [] }, action: toCluster('greeter') }] },
    { name: 'orders', domains: ['org.demo.Orders'], routes: [{ match: { prefix: '/', headers: [] }, action: toCluster('orders') }] },
    { name: 'rest', domains: ['*'], routes: [{ match: { headers: [] }, action: toCluster('rest') }] },
  ]);
  const cluster = (r: RouteRequest) => {
    const route = router.route(r);
    return route?.action.kind === 'cluster' ? route.action.cluster : undefined;
  };

  it("RPC: the frame has no host or path (the '*' virtual host) until they are set; the object is reused", () => {
    const r = new RpcRouteRequest(new HttpHeaders(['service', 'org.demo.Orders']));
    expect(cluster(r)).toBe('rest');
    r.host = 'org.demo.Orders';
    r.path = '/';
    expect(cluster(r)).toBe('orders');
    // a virtual host's domains match case-insensitively, as for HTTP; without the path, `prefix: "/"` does not match
    r.host = 'ORG.DEMO.GREETER';
    expect(cluster(r)).toBe('greeter');
    r.path = '';
    expect(cluster(r)).toBeUndefined();
  });

  it("HTTP: the set host and path replace the request's own for the match only", () => {
    const h = head('GET', '/any?q=1', ['host', 'example.com']);
    expect(cluster(httpRouteRequest(h))).toBe('rest');
    expect(cluster(httpRouteRequest(h, undefined, { host: 'org.demo.Greeter' }))).toBe('greeter');
    expect(cluster(httpRouteRequest(h, undefined, { path: '' }))).toBe('rest');
    expect([h.path, h.headers.get('host')]).toEqual(['/any?q=1', 'example.com']);
  });
});
