import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap } from '@mosn/stream';
import { Stats } from '../../stats/stats.js';
import type { StreamFilterHandler } from '../api.js';
import { flowControlFilterFactory, type FlowControlConfig } from './flow-control.js';
import { normalizedPath } from './normalized-path.js';

/** A handler for one request of `protocol` with request target `target` (HTTP) or `service` (RPC); it records replies. */
function request(o: { protocol?: string; target?: string; service?: string }) {
  const replies: string[] = [];
  const target = o.target ?? '/';
  const q = target.indexOf('?');
  const vars: Record<string, string> = {
    'x-mosn-path': q < 0 ? target : target.slice(0, q),
    'x-mosn-querystring': q < 0 ? '' : target.slice(q + 1),
    Http1_request_uri: target,
    Http2_request_uri: target,
  };
  const headers = new SimpleHeaderMap(o.service === undefined ? [] : [['service', o.service]]);
  const protocol = o.protocol ?? 'Http1';
  const h: StreamFilterHandler = {
    protocol,
    requestHeaders: headers,
    downstreamAddress: '127.0.0.1',
    route: undefined,
    clusterName: 'c',
    upstreamHost: undefined,
    variable: (name) => (protocol.startsWith('Http') ? vars[name] : undefined),
    setVariable: () => {},
    continue: () => {},
    sendLocalReply: (status, message) => void replies.push(`${status} ${message}`),
    mirror: () => 0,
    sendResponseData: () => {},
    sendResponseTrailers: () => {},
    holdUpstream: () => {},
  };
  return { h, headers, replies };
}

function limiter(config: Partial<FlowControlConfig>) {
  const stats = new Stats();
  const f = flowControlFilterFactory(
    { enabled: true, keyType: 'PATH', action: { status: 509, body: 'current request is limited' }, rules: [], ...config },
    { stats, statPrefix: 'listener.l.', now: () => 1000 },
  );
  /** One request through a new filter: its status and what it answered. */
  const send = (o: Parameters<typeof request>[0]) => {
    const r = request(o);
    const status = f.createFilter(f.config).onRequestHeaders?.(r.h, r.headers, true) ?? 'continue';
    return status === 'continue' ? 'continue' : r.replies.join();
  };
  return { f, stats, send };
}

describe('flowControlFilter', () => {
  it('answers requests over the threshold with the action and counts pass and block per listener', () => {
    const { stats, send } = limiter({ action: { status: 500, body: 'blocked' }, rules: [{ resource: '/test', threshold: 2, statIntervalMs: 1000 }] });
    expect([1, 2, 3, 4].map(() => send({ target: '/test' }))).toEqual(['continue', 'continue', '500 blocked', '500 blocked']);
    // another path is not limited, and not counted
    expect(send({ target: '/other' })).toBe('continue');
    expect(stats.snapshot()).toEqual({ 'listener.l.flow_control_pass': 2, 'listener.l.flow_control_block': 2 });
  });

  it('keys HTTP by the normalized path (PATH): spelling a path another way is the same resource', () => {
    const { send } = limiter({ rules: [{ resource: '/test', threshold: 1, statIntervalMs: 1000 }] });
    expect(send({ target: '/test?a=1' })).toBe('continue');
    for (const target of ['/test', '//test', '/%74est', '/x/../test', '/./test?b=2']) {
      expect(send({ target }), target).toBe('509 current request is limited');
    }
    expect(send({ target: '/test/' })).toBe('continue');
  });

  it('keys HTTP by the query string (ARG) or the request target as sent (URI); HTTP/2 as HTTP/1', () => {
    const arg = limiter({ keyType: 'ARG', rules: [{ resource: 'id=7', threshold: 1, statIntervalMs: 1000 }] });
    expect([arg.send({ target: '/a?id=7' }), arg.send({ target: '/b?id=7', protocol: 'Http2' }), arg.send({ target: '/b' })]).toEqual([
      'continue',
      '509 current request is limited',
      'continue',
    ]);
    const uri = limiter({ keyType: 'URI', rules: [{ resource: '/a?id=7', threshold: 1, statIntervalMs: 1000 }] });
    expect([uri.send({ target: '/a?id=7' }), uri.send({ target: '/a?id=7' }), uri.send({ target: '/a?id=8' })]).toEqual(['continue', '509 current request is limited', 'continue']);
  });

  it("keys an RPC request by its service header, whatever the key type; one without it passes", () => {
    const { send } = limiter({ keyType: 'ARG', rules: [{ resource: 'com.alipay.test.TestService:1.0', threshold: 1, statIntervalMs: 1000 }] });
    expect(send({ protocol: 'bolt', service: 'com.alipay.test.TestService:1.0' })).toBe('continue');
    expect(send({ protocol: 'bolt', service: 'com.alipay.test.TestService:1.0' })).toBe('509 current request is limited');
    expect(send({ protocol: 'bolt', service: 'com.alipay.test.OtherService:1.0' })).toBe('continue');
    expect(send({ protocol: 'dubbo' })).toBe('continue');
  });

  it('does nothing with global_switch false, or without rules: one filter with no methods', () => {
    const off = limiter({ enabled: false, rules: [{ resource: '/test', threshold: 0, statIntervalMs: 1000 }] });
    expect(off.f.createFilter(off.f.config)).toEqual({});
    expect(off.send({ target: '/test' })).toBe('continue');
    const none = limiter({ rules: [] });
    expect(none.f.createFilter(none.f.config).onRequestHeaders).toBeUndefined();
  });

  it('answers with no body when the action body is empty', () => {
    const { send } = limiter({ action: { status: 429, body: '' }, rules: [{ resource: '/', threshold: 0, statIntervalMs: 1000 }] });
    expect(send({ target: '/' })).toBe('429 undefined');
  });
});

describe('normalizedPath', () => {
  it("decodes, collapses slashes and resolves dot segments as fasthttp's URI().Path()", () => {
    const cases: Array<[string, string]> = [
      ['/test', '/test'],
      ['/test/', '/test/'],
      ['', '/'],
      ['test', '/test'],
      ['//a///b', '/a/b'],
      ['/a/./b', '/a/b'],
      ['/a/b/../c', '/a/c'],
      ['/../../a', '/a'],
      ['/a/b/..', '/a/'],
      ['/a/.', '/a/'],
      ['/%74est', '/test'],
      ['/a%2Fb', '/a/b'],
      ['/a%2e%2E/b', '/a../b'],
      ['/%2e%2e/b', '/b'],
      ['/a+b%20c', '/a+b c'],
      ['/%zz%4', '/%zz%4'],
      ['/caf%C3%A9', '/café'],
    ];
    for (const [raw, want] of cases) expect(normalizedPath(raw), raw).toBe(want);
  });
});
