import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap } from '@mosn/stream';
import type { StreamFilterHandler } from '../api.js';
import { faultFilterFactory } from './fault.js';
import { ipAccessFilterFactory } from './ip-access.js';
import { payloadLimitFilterFactory } from './payload-limit.js';
import { mirrorFilterFactory } from './mirror.js';
import type { Route } from '../../router/router.js';

/** A handler that records what a filter did with its request. */
function handler(o: { peer?: string; cluster?: string; route?: Route } = {}) {
  const events: string[] = [];
  const h: StreamFilterHandler = {
    protocol: 'Http1',
    requestHeaders: new SimpleHeaderMap(),
    downstreamAddress: o.peer ?? '127.0.0.1',
    route: o.route,
    clusterName: o.cluster ?? 'c',
    upstreamHost: undefined,
    variable: () => undefined,
    continue: () => events.push('continue'),
    sendLocalReply: (status) => events.push(`reply ${status}`),
    mirror: (cluster, m) => events.push(`mirror ${cluster} ${JSON.stringify(m)}`),
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
