import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap, type StreamFilterHandler } from 'mosn';
import type { RequireHeaderConfig } from './config.js';
import { RequireHeaderFactory } from './require-header.js';

/** A handler that records the replies a filter sends (what mosn's chain would turn into the protocol's answer). */
function handler() {
  const replies: string[] = [];
  const h: StreamFilterHandler = {
    protocol: 'Http1',
    requestHeaders: new SimpleHeaderMap(),
    downstreamAddress: '127.0.0.1',
    route: undefined,
    clusterName: 'c',
    upstreamHost: undefined,
    variable: () => undefined,
    continue: () => {},
    sendLocalReply: (status, message) => replies.push(`${status} ${message}`),
    mirror: () => 0,
    setVariable: () => {},
    sendResponseData: () => {},
    sendResponseTrailers: () => {},
    holdUpstream: () => {},
  };
  return { h, replies };
}

const config = (c: Partial<RequireHeaderConfig> = {}): RequireHeaderConfig => Object.freeze({ disabled: false, header: 'x-tenant', values: [], status: 403, ...c });

/** Run one request's headers through a filter of `factory` for `c`: what it answered and what it returned. */
function request(factory: RequireHeaderFactory, c: RequireHeaderConfig, headers: Array<[string, string]>) {
  const { h, replies } = handler();
  const filter = factory.createFilter(c);
  const status = filter.onRequestHeaders?.(h, new SimpleHeaderMap(headers), true) ?? 'continue';
  return { filter, status, replies };
}

describe('require_header filter', () => {
  it('answers a request without the header with the status; one with it goes on', () => {
    const c = config();
    const f = new RequireHeaderFactory(c);
    expect([f.name, f.phase]).toEqual(['require_header', 'after_route']);
    expect(request(f, c, [])).toMatchObject({ status: 'stop', replies: ['403 header x-tenant is required'] });
    expect(request(f, c, [['x-tenant', 'acme']])).toMatchObject({ status: 'continue', replies: [] });
  });

  it('lets through only the listed values', () => {
    const c = config({ values: ['acme', 'globex'], status: 401 });
    const f = new RequireHeaderFactory(c);
    expect(request(f, c, [['x-tenant', 'globex']]).replies).toEqual([]);
    expect(request(f, c, [['x-tenant', 'initech']]).replies).toEqual(['401 header x-tenant: value not allowed']);
  });

  it('finds a mixed-case name as given (RPC headers) and lower-cased (HTTP headers)', () => {
    const c = config({ header: 'X-Tenant' });
    const f = new RequireHeaderFactory(c);
    expect(request(f, c, [['X-Tenant', 'rpc']]).status).toBe('continue');
    expect(request(f, c, [['x-tenant', 'http']]).status).toBe('continue');
    expect(request(f, c, [['x-other', 'http']]).status).toBe('stop');
  });

  it('shares one filter across the requests of a config when it keeps nothing per request', () => {
    const c = config();
    const f = new RequireHeaderFactory(c);
    expect(f.createFilter(c)).toBe(f.createFilter(c));
    // a route's config (per_filter_config) is compiled on its first request, and kept too
    const route = config({ header: 'x-admin' });
    expect(f.createFilter(route)).toBe(f.createFilter(route));
    expect(f.createFilter(route)).not.toBe(f.createFilter(c));
    expect(request(f, route, [['x-tenant', 'acme']]).replies).toEqual(['403 header x-admin is required']);
  });

  it('with response_header: puts the request value on its response (a filter per request)', () => {
    const c = config({ responseHeader: 'x-tenant-checked' });
    const f = new RequireHeaderFactory(c);
    const one = request(f, c, [['x-tenant', 'acme']]);
    const two = request(f, c, [['x-tenant', 'globex']]);
    expect(one.filter).not.toBe(two.filter);
    const responses = [new SimpleHeaderMap(), new SimpleHeaderMap()];
    one.filter.onResponseHeaders!(handler().h, responses[0]!, 200, true);
    two.filter.onResponseHeaders!(handler().h, responses[1]!, 200, true);
    expect(responses.map((r) => r.get('x-tenant-checked'))).toEqual(['acme', 'globex']);
  });

  it('does nothing when disabled', () => {
    const c = config({ disabled: true });
    const f = new RequireHeaderFactory(c);
    expect(request(f, c, [])).toMatchObject({ status: 'continue', replies: [] });
  });
});
