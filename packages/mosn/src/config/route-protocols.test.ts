import { describe, expect, it } from 'vitest';
import type { ProtocolEntry } from '@mosn/proxy';
import { defaultExtensions } from '../extensions.js';
import type { ProxyFilterSpec } from '../filters/proxy.js';
import { ConfigProblems, ConfigReader } from './config-reader.js';
import type { RouteContext } from './route.js';
import { checkRouteProtocols } from './route-protocols.js';
import { readRouter } from './router.js';
import { clusterSpecs, problemLines } from './testing.js';
import type { ListenerSpec } from './types.js';

const ext = defaultExtensions();
const clusters = clusterSpecs(ext, [{ name: 'c', hosts: [] }]);
const p = (name: string) => ext.protocols.get(name)!;

function listener(name: string, routerName: string, downstream: ProtocolEntry[]): ListenerSpec {
  const proxy: ProxyFilterSpec = { downstream, detect: downstream.length > 1, routerName, httpUpstream: 'Http1', goAway: false };
  return { name, source: {}, address: { host: '127.0.0.1', port: 0 }, bufferLimit: 1 << 20, idleTimeoutMs: 0, filters: [{ type: 'proxy', config: proxy }] };
}

/** The errors of checking `router` (JSON) against `listeners`. */
function check(router: Record<string, unknown>, listeners: ListenerSpec[]): string[] {
  const problems = new ConfigProblems();
  const ctx: RouteContext = { clusters, ext, protocolRoutes: [] };
  readRouter(new ConfigReader(router, 'servers[0].routers[0]', problems), ctx, new Set());
  expect(problems.errors).toEqual([]);
  checkRouteProtocols(ctx.protocolRoutes, listeners, problems);
  return problemLines(problems).errors;
}

const AT = 'servers[0].routers[0].virtual_hosts[0].routers[0].route.upstream_protocol';
const router = (match: Record<string, unknown>, protocol: string, domains = ['*']) => ({
  router_config_name: 'r',
  virtual_hosts: [{ domains, routers: [{ match, route: { cluster_name: 'c', upstream_protocol: protocol } }] }],
});

describe('checkRouteProtocols', () => {
  it('refuses an RPC protocol on a route only HTTP requests can match', () => {
    expect(check(router({ prefix: '/' }, 'bolt'), [])).toEqual([
      `${AT}: "bolt" is an RPC protocol, but only HTTP requests can match this route (it matches on a path) and mosn-ts does not translate between protocols; expected "Http1", "Http2" or "Auto"`,
    ]);
    expect(check(router({}, 'bolt', ['a.example']), [])).toEqual([
      `${AT}: "bolt" is an RPC protocol, but only HTTP requests can match this route (RPC requests get another virtual host) and mosn-ts does not translate between protocols; expected "Http1", "Http2" or "Auto"`,
    ]);
  });

  it('refuses a protocol that cannot carry what a listener using the router sends to the route', () => {
    expect(check(router({}, 'bolt'), [listener('rpc', 'r', [p('dubbo')])])).toEqual([
      `${AT}: "bolt" cannot carry the requests listener "rpc" sends to this route (dubbo): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)`,
    ]);
    expect(check(router({ prefix: '/' }, 'Http2'), [listener('web', 'r', [p('Http1')])])).toEqual([]);
  });

  it('accepts what some request can use, and listeners of other routers', () => {
    // an Auto listener: HTTP can use Http2, bolt requests can use bolt
    expect(check(router({}, 'bolt'), [listener('auto', 'r', [p('Http1'), p('bolt')])])).toEqual([]);
    expect(check(router({}, 'Http2'), [listener('mixed', 'r', [p('Http1'), p('dubbo')])])).toEqual([]);
    expect(check(router({}, 'bolt'), [listener('other', 'elsewhere', [p('dubbo')])])).toEqual([]);
    // RPC requests get the "" domain's virtual host
    expect(check(router({}, 'bolt', ['']), [listener('rpc', 'r', [p('bolt')])])).toEqual([]);
  });
});
