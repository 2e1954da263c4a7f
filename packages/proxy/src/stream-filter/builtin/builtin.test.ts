import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap } from '@mosn/stream';
import type { StreamFilter, StreamFilterHandler } from '../api.js';
import { Stats } from '../../stats/stats.js';
import { MAX_METHOD_NAME_LENGTH, MAX_METHOD_STATS } from '../../stats/counters.js';
import { dubboStreamFilterFactory } from './dubbo-stream.js';
import { grpcMetricFilterFactory, grpcMethodOf, isGrpcRequest } from './grpc-metric.js';
import { faultFilterFactory } from './fault.js';
import { ipAccessFilterFactory } from './ip-access.js';
import { payloadLimitFilterFactory } from './payload-limit.js';
import { mirrorFilterFactory } from './mirror.js';
import type { Route } from '../../router/router.js';

/** A handler that records what a filter did with its request. */
function handler(o: { peer?: string; cluster?: string; route?: Route; protocol?: string; path?: string } = {}) {
  const events: string[] = [];
  const h: StreamFilterHandler = {
    protocol: o.protocol ?? 'Http1',
    requestHeaders: new SimpleHeaderMap(),
    downstreamAddress: o.peer ?? '127.0.0.1',
    route: o.route,
    clusterName: o.cluster ?? 'c',
    upstreamHost: undefined,
    variable: (name) => (name === 'x-mosn-path' ? o.path : undefined),
    setVariable: (name, value) => events.push(`set ${name}=${value}`),
    continue: () => events.push('continue'),
    sendLocalReply: (status) => events.push(`reply ${status}`),
    mirror: (cluster, m) => events.push(`mirror ${cluster} ${JSON.stringify(m)}`),
    sendResponseData: () => events.push('response data'),
    sendResponseTrailers: () => events.push('response trailers'),
    holdUpstream: (hold) => events.push(`hold ${hold}`),
  };
  return { h, events };
}

const headers = (entries: Array<[string, string]> = []) => new SimpleHeaderMap(entries);

describe('fault', () => {
  it('aborts when the draw is under the percentage, and not otherwise', () => {
    const draws = [0.299, 0.3];
    const f = faultFilterFactory({ headers: [], abort: { status: 503, percent: 30 } }, () => draws.shift()!);
    const a = handler();
    expect(f.createFilter(f.config).onRequestHeaders!(a.h, headers(), true)).toBe('stop');
    const b = handler();
    expect(f.createFilter(f.config).onRequestHeaders!(b.h, headers(), true)).toBe('continue');
    expect([a.events, b.events]).toEqual([['reply 503'], []]);
  });

  it('delays, then continues (or aborts with its own draw); onDestroy clears the timer', async () => {
    const f = faultFilterFactory({ headers: [], delay: { delayMs: 10, percent: 100 } }, () => 0);
    const { h, events } = handler();
    expect(f.createFilter(f.config).onRequestHeaders!(h, headers(), true)).toBe('stop');
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual(['continue']);
    const cancelled = handler();
    const filter = f.createFilter(f.config);
    filter.onRequestHeaders!(cancelled.h, headers(), true);
    filter.onDestroy!();
    await new Promise((r) => setTimeout(r, 30));
    expect(cancelled.events).toEqual([]);
  });

  it('leaves requests of another cluster, or without the headers, alone', () => {
    const f = faultFilterFactory({ headers: [{ name: 'x-id', value: '^7', regex: /^7/ }], upstreamCluster: 'c', abort: { status: 500, percent: 100 } }, () => 0);
    const run = (cluster: string, id?: string) => {
      const { h, events } = handler({ cluster });
      f.createFilter(f.config).onRequestHeaders!(h, headers(id === undefined ? [] : [['x-id', id]]), true);
      return events;
    };
    expect([run('c', '71'), run('c', '17'), run('c'), run('d', '71')]).toEqual([['reply 500'], [], [], []]);
  });
});

describe('payload_limit', () => {
  it('answers at a content-length over the limit, or once the body seen goes over it', () => {
    const f = payloadLimitFilterFactory({ maxEntitySize: 10, status: 413 });
    const a = handler();
    expect(f.createFilter(f.config).onRequestHeaders!(a.h, headers([['content-length', '11']]), false)).toBe('stop');
    const b = handler();
    const filter = f.createFilter(f.config);
    expect(filter.onRequestHeaders!(b.h, headers(), false)).toBe('continue');
    filter.onRequestData!(b.h, Buffer.alloc(6), false);
    expect(b.events).toEqual([]);
    filter.onRequestData!(b.h, Buffer.alloc(6), true);
    expect([a.events, b.events]).toEqual([['reply 413'], ['reply 413']]);
  });
});

describe('ip_access', () => {
  const decide = (config: Parameters<typeof ipAccessFilterFactory>[0], peer: string, hdrs: Array<[string, string]> = []) => {
    const f = ipAccessFilterFactory(config);
    const { h, events } = handler({ peer });
    f.createFilter(f.config).onRequestHeaders!(h, headers(hdrs), true);
    return events.length === 0 ? 'allow' : events[0];
  };

  it('the first rule that holds the address decides; default_action otherwise', () => {
    const config = { rules: [{ action: 'allow' as const, addrs: ['10.1.0.0/16'] }, { action: 'deny' as const, addrs: ['10.0.0.0/8', 'fd00::/8'] }], defaultAllow: true };
    expect(decide(config, '10.1.2.3')).toBe('allow');
    expect(decide(config, '10.2.2.3')).toBe('reply 403');
    expect(decide(config, 'fd00::1')).toBe('reply 403');
    expect(decide(config, '192.0.2.1')).toBe('allow');
    expect(decide({ ...config, defaultAllow: false }, '192.0.2.1')).toBe('reply 403');
  });

  it('matches an IPv4-mapped peer as IPv4, and reads the first X-Forwarded-For address', () => {
    const config = { rules: [{ action: 'deny' as const, addrs: ['127.0.0.1'] }], defaultAllow: true, header: 'x-forwarded-for' };
    expect(decide(config, '::ffff:127.0.0.1')).toBe('reply 403');
    expect(decide(config, '10.0.0.1', [['x-forwarded-for', '127.0.0.1, 10.0.0.1']])).toBe('reply 403');
    expect(decide(config, '127.0.0.1', [['x-forwarded-for', '10.0.0.1']])).toBe('allow');
    // an address that cannot be read is decided by default_action, as in MOSN
    expect(decide(config, '127.0.0.1', [['x-forwarded-for', 'unknown']])).toBe('allow');
  });
});

describe('mirror', () => {
  const route = (percent: number): Route => ({ match: { headers: [] }, action: { kind: 'cluster', cluster: 'app', timeoutMs: 0 }, mirror: { cluster: 'shadow', percent } });

  it("copies the requests the route's percent draws, with the filter's amplification", () => {
    const draws = [0.299, 0.3];
    const f = mirrorFilterFactory({ amplification: 3, broadcast: false }, () => draws.shift()!);
    const a = handler({ route: route(30) });
    const b = handler({ route: route(30) });
    expect(f.createFilter(f.config).onRequestHeaders!(a.h, headers(), true)).toBe('continue');
    expect(f.createFilter(f.config).onRequestHeaders!(b.h, headers(), true)).toBe('continue');
    expect([a.events, b.events]).toEqual([['mirror shadow {"copies":3}'], []]);
  });

  it('does nothing without a policy on the route, or with percent 0', () => {
    const f = mirrorFilterFactory({ amplification: 1, broadcast: false }, () => 0);
    const none = handler();
    const zero = handler({ route: route(0) });
    f.createFilter(f.config).onRequestHeaders!(none.h, headers(), true);
    f.createFilter(f.config).onRequestHeaders!(zero.h, headers(), true);
    expect([none.events, zero.events]).toEqual([[], []]);
  });

  it('broadcast: every healthy host, and the copies replace the request (answered 200)', () => {
    const f = mirrorFilterFactory({ amplification: 5, broadcast: true }, () => 0.99);
    const { h, events } = handler({ route: route(100) });
    f.createFilter(f.config).onRequestHeaders!(h, headers(), true);
    expect(events).toEqual(['mirror shadow {"copies":0,"everyHealthyHost":true,"answer":200}']);
  });
});

describe('dubbo_stream', () => {
  const dubboHeaders = (service?: string, method?: string) =>
    headers([...(service === undefined ? [] : [['service', service] as [string, string]]), ...(method === undefined ? [] : [['method', method] as [string, string]])]);

  it('routes a Dubbo request on its service name and "/", and counts it per service and method', () => {
    const stats = new Stats();
    const f = dubboStreamFilterFactory({}, stats, 'listener.l.');
    const ok = handler({ protocol: 'dubbo' });
    const okFilter = f.createFilter(f.config);
    expect(okFilter.onRequestHeaders!(ok.h, dubboHeaders('org.demo.Greeter', 'hello'), true)).toBe('continue');
    okFilter.onResponseHeaders!(ok.h, headers(), 200, false);
    const failed = handler({ protocol: 'dubbo' });
    const failFilter = f.createFilter(f.config);
    failFilter.onRequestHeaders!(failed.h, dubboHeaders('org.demo.Greeter', 'hello'), true);
    failFilter.onResponseHeaders!(failed.h, headers(), 500, false);
    // answered by mosn itself (no response phase): counted as a request only
    f.createFilter(f.config).onRequestHeaders!(handler({ protocol: 'dubbo' }).h, dubboHeaders('org.demo.Greeter', 'bye'), true);
    expect(ok.events).toEqual(['set x-mosn-host=org.demo.Greeter', 'set x-mosn-path=/']);
    expect(stats.snapshot()).toEqual({
      'listener.l.dubbo.org.demo.Greeter.bye.request_total': 1,
      'listener.l.dubbo.org.demo.Greeter.hello.request_total': 2,
      'listener.l.dubbo.org.demo.Greeter.hello.response_fail_total': 1,
      'listener.l.dubbo.org.demo.Greeter.hello.response_succ_total': 1,
    });
  });

  it('leaves other protocols, and a Dubbo request without a readable service, alone', () => {
    const stats = new Stats();
    const f = dubboStreamFilterFactory({ subset: 'group' }, stats, 'listener.l.');
    const http = handler({ protocol: 'Http1' });
    const filter = f.createFilter(f.config);
    expect(filter.onRequestHeaders!(http.h, dubboHeaders('org.demo.Greeter', 'hello'), true)).toBe('continue');
    filter.onResponseHeaders!(http.h, headers(), 200, true);
    const unreadable = handler({ protocol: 'dubbo' });
    expect(f.createFilter(f.config).onRequestHeaders!(unreadable.h, dubboHeaders(), true)).toBe('continue');
    expect([http.events, unreadable.events, stats.snapshot()]).toEqual([[], [], {}]);
  });

  it(`counts at most ${MAX_METHOD_STATS} service/method pairs per listener; the requests of the others are counted as overflow`, () => {
    const stats = new Stats();
    const f = dubboStreamFilterFactory({}, stats, 'listener.l.');
    const call = (method: string) => f.createFilter(f.config).onRequestHeaders!(handler({ protocol: 'dubbo' }).h, dubboHeaders('S', method), true);
    for (let i = 0; i < MAX_METHOD_STATS + 10; i++) call(`m${i}`);
    call('m0');
    call('x'.repeat(MAX_METHOD_NAME_LENGTH + 1));
    const snapshot = stats.snapshot();
    expect(Object.keys(snapshot).filter((k) => k.endsWith('.request_total')).length).toBe(MAX_METHOD_STATS);
    expect([snapshot['listener.l.dubbo.S.m0.request_total'], snapshot[`listener.l.dubbo.S.m${MAX_METHOD_STATS}.request_total`], snapshot['listener.l.dubbo_stats_overflow']]).toEqual([2, undefined, 11]);
  });
});

describe('grpc_metric', () => {
  const grpcHeaders = (contentType = 'application/grpc') => headers([['content-type', contentType]]);
  const GRPC = { protocol: 'Http2', path: '/e2e.Echo/Unary' };
  const KEY = 'listener.l.grpc.e2e.Echo.Unary.';

  it('tells gRPC requests and method paths', () => {
    expect(['application/grpc', 'application/grpc+proto', 'application/grpc;charset=utf-8', 'application/grpcx', 'application/json'].map((t) => isGrpcRequest('Http2', t))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect([isGrpcRequest('Http1', 'application/grpc'), isGrpcRequest('Http2', undefined)]).toEqual([false, false]);
    expect(['/pkg.Svc/Method', '/Svc/M', '/', '//M', '/Svc/', '/a/b/c', 'Svc/M'].map(grpcMethodOf)).toEqual([['pkg.Svc', 'Method'], ['Svc', 'M'], undefined, undefined, undefined, undefined, undefined]);
  });

  it('counts a call once its status is known: in the trailers, or in headers that end the answer', () => {
    const stats = new Stats();
    const f = grpcMetricFilterFactory({}, stats, 'listener.l.');
    const run = (steps: (filter: StreamFilter, h: StreamFilterHandler) => void) => {
      const { h } = handler(GRPC);
      const filter = f.createFilter(f.config);
      expect(filter.onRequestHeaders!(h, grpcHeaders(), false)).toBe('continue');
      steps(filter, h);
      filter.onDestroy!();
    };
    // headers, data, trailers with OK
    run((filter, h) => {
      filter.onResponseHeaders!(h, headers([[':status', '200']]), 200, false);
      filter.onResponseData!(h, Buffer.alloc(7), false);
      filter.onResponseTrailers!(h, headers([['grpc-status', '0']]));
    });
    // trailers-only: INVALID_ARGUMENT
    run((filter, h) => filter.onResponseHeaders!(h, headers([['grpc-status', '3']]), 200, true));
    // headers, then trailers with NOT_FOUND
    run((filter, h) => {
      filter.onResponseHeaders!(h, headers(), 200, false);
      filter.onResponseTrailers!(h, headers([['grpc-status', '5']]));
    });
    expect(stats.snapshot()).toEqual({ [`${KEY}request_total`]: 3, [`${KEY}response_fail_total`]: 2, [`${KEY}response_succ_total`]: 1 });
  });

  it('an answer without a status, or one that broke off, is a failure; one that never started is not counted', () => {
    const stats = new Stats();
    const f = grpcMetricFilterFactory({}, stats, 'listener.l.');
    const start = () => {
      const { h } = handler(GRPC);
      const filter = f.createFilter(f.config);
      filter.onRequestHeaders!(h, grpcHeaders('application/grpc+proto'), false);
      return { h, filter };
    };
    const noTrailers = start();
    noTrailers.filter.onResponseHeaders!(noTrailers.h, headers(), 200, false);
    noTrailers.filter.onResponseData!(noTrailers.h, Buffer.alloc(1), true);
    noTrailers.filter.onDestroy!();
    const http503 = start();
    http503.filter.onResponseHeaders!(http503.h, headers(), 503, true);
    const broken = start();
    broken.filter.onResponseHeaders!(broken.h, headers(), 200, false);
    broken.filter.onDestroy!();
    start().filter.onDestroy!();
    expect(stats.snapshot()).toEqual({ [`${KEY}request_total`]: 3, [`${KEY}response_fail_total`]: 3 });
  });

  it('leaves requests that are not gRPC calls alone; a path that names no method is counted as overflow', () => {
    const stats = new Stats();
    const f = grpcMetricFilterFactory({}, stats, 'listener.l.');
    const run = (o: { protocol: string; path: string }, contentType: string) => {
      const { h } = handler(o);
      const filter = f.createFilter(f.config);
      filter.onRequestHeaders!(h, grpcHeaders(contentType), true);
      filter.onResponseHeaders!(h, headers([['grpc-status', '0']]), 200, true);
    };
    run({ protocol: 'Http1', path: '/e2e.Echo/Unary' }, 'application/grpc');
    run({ protocol: 'Http2', path: '/e2e.Echo/Unary' }, 'application/json');
    run({ protocol: 'Http2', path: '/not/a/method' }, 'application/grpc');
    expect(stats.snapshot()).toEqual({ 'listener.l.grpc_stats_overflow': 1 });
  });
});
