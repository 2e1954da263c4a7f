import { SimpleHeaderMap, Stats, silentLogger, type LocalReplyHeaders, type StreamFilterHandler } from '@mosn/proxy';
import { beforeAll, describe, expect, it } from 'vitest';
import { jwtAuthnFilterFactory } from './filter.js';
import { testKey, testProvider, testToken, type TestKey } from './testing.js';
import type { JwtAuthnConfig } from './types.js';

// The filter on a handler that records what it was told: pass at once, pause then resume, or refuse (401).

let key: TestKey;
beforeAll(async () => {
  key = await testKey('k1');
});

const prefix = (value: string) => ({ path: { kind: 'prefix' as const, value }, caseSensitive: true, headers: [], queryParameters: [] });

function factory(o: Partial<JwtAuthnConfig> = {}) {
  const stats = new Stats();
  const config: JwtAuthnConfig = {
    providers: { p: testProvider('p', [key.jwk], { issuer: 'me' }) },
    rules: [
      { match: prefix('/public'), requires: { kind: 'none' } },
      { match: prefix('/'), requires: { kind: 'provider', provider: 'p' } },
    ],
    bypassCorsPreflight: false,
    stripFailureResponse: false,
    ...o,
  };
  return { f: jwtAuthnFilterFactory(config, { stats, logger: silentLogger, listenerName: 'l', statPrefix: 'listener.l.' }), stats };
}

/** A request of `protocol` to `target`, and what the filter did with it. */
function request(target: string, headers: Array<[string, string]>, protocol = 'Http1', method = 'GET') {
  const events: Array<string | { status: number; message: string | undefined; headers: LocalReplyHeaders | undefined }> = [];
  let settle: () => void = () => {};
  const settled = new Promise<void>((r) => (settle = r));
  const map = new SimpleHeaderMap([['host', 'example.com'], ...headers]);
  const h: StreamFilterHandler = {
    protocol,
    requestHeaders: map,
    downstreamAddress: '127.0.0.1',
    route: undefined,
    clusterName: 'c',
    upstreamHost: undefined,
    variable: (name) => (name === `${protocol}_request_uri` ? target : name === 'x-mosn-method' ? method : undefined),
    continue: () => {
      events.push('continue');
      settle();
    },
    sendLocalReply: (status, message, replyHeaders) => {
      events.push({ status, message, headers: replyHeaders });
      settle();
    },    mirror: () => 0,
    setVariable: () => {},
    sendResponseData: () => {},
    sendResponseTrailers: () => {},
    holdUpstream: () => {},
  };
  return { h, map, events, settled };
}

describe('jwt_authn filter', () => {
  it('lets a request whose rule requires nothing (or that no rule matches) go on at once, with one filter object for all', async () => {
    const { f, stats } = factory({ rules: [{ match: prefix('/public'), requires: { kind: 'none' } }, { match: prefix('/api'), requires: { kind: 'provider', provider: 'p' } }] });
    const filter = f.createFilter(f.config);
    expect(f.createFilter(f.config)).toBe(filter);
    for (const target of ['/public/x', '/other']) {
      const r = request(target, []);
      expect(filter.onRequestHeaders!(r.h, r.map, true)).toBe('continue');
      expect(r.events).toEqual([]);
    }
    expect(stats.snapshot()).toEqual({ 'listener.l.jwt_authn.allowed': 2 });
  });

  it('pauses a request that needs a token, then resumes it with the token removed', async () => {
    const { f, stats } = factory();
    const token = await testToken(key, { iss: 'me' });
    const r = request('/api?x=1', [['authorization', `Bearer ${token}`]]);
    expect(f.createFilter(f.config).onRequestHeaders!(r.h, r.map, true)).toBe('stop');
    await r.settled;
    expect(r.events).toEqual(['continue']);
    expect(r.map.has('authorization')).toBe(false);
    expect(stats.snapshot()).toEqual({ 'listener.l.jwt_authn.allowed': 1 });
  });

  it("refuses a bad or missing token with 401, Envoy's reason and a www-authenticate challenge", async () => {
    const { f, stats } = factory();
    const bad = request('/api/items?page=2', [['authorization', `Bearer ${await testToken(key, { iss: 'someone else' })}`]]);
    expect(f.createFilter(f.config).onRequestHeaders!(bad.h, bad.map, true)).toBe('stop');
    await bad.settled;
    expect(bad.events).toEqual([
      { status: 401, message: 'Jwt issuer is not configured', headers: { 'www-authenticate': 'Bearer realm="http://example.com/api/items", error="invalid_token"' } },
    ]);
    const missing = request('/api', [['x-forwarded-proto', 'https']]);
    f.createFilter(f.config).onRequestHeaders!(missing.h, missing.map, true);
    await missing.settled;
    expect(missing.events).toEqual([{ status: 401, message: 'Jwt is missing', headers: { 'www-authenticate': 'Bearer realm="https://example.com/api"' } }]);
    expect(stats.snapshot()).toEqual({ 'listener.l.jwt_authn.denied': 2 });
  });

  it('strip_failure_response: a bare 401', async () => {
    const { f } = factory({ stripFailureResponse: true });
    const r = request('/api', []);
    f.createFilter(f.config).onRequestHeaders!(r.h, r.map, true);
    await r.settled;
    expect(r.events).toEqual([{ status: 401, message: undefined, headers: undefined }]);
  });

  it('lets RPC requests and (with bypass_cors_preflight) CORS preflights through untouched', () => {
    const { f, stats } = factory({ bypassCorsPreflight: true });
    const filter = f.createFilter(f.config);
    const rpc = request('/api', [], 'bolt');
    expect(filter.onRequestHeaders!(rpc.h, rpc.map, true)).toBe('continue');
    const preflight = request('/api', [['origin', 'https://app'], ['access-control-request-method', 'POST']], 'Http2', 'OPTIONS');
    expect(filter.onRequestHeaders!(preflight.h, preflight.map, true)).toBe('continue');
    const options = request('/api', [['origin', 'https://app']], 'Http2', 'OPTIONS');
    expect(filter.onRequestHeaders!(options.h, options.map, true)).toBe('stop');
    expect(stats.snapshot()).toEqual({ 'listener.l.jwt_authn.allowed': 1, 'listener.l.jwt_authn.cors_preflight_bypassed': 1 });
  });
});
