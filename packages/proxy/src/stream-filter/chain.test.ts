import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap, type Connection } from '@mosn/stream';
import type { Route } from '../router/router.js';
import { Stats } from '../stats/stats.js';
import type { MirrorOptions, StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterPhase } from './api.js';
import { StreamFilterChainFactory, type StreamFilterOwner } from './chain.js';

/** A request as the chain sees it, recording what the chain told it. */
class RecordingOwner implements StreamFilterOwner {
  readonly protocol = 'Http1';
  readonly requestHeaders = new SimpleHeaderMap([['x-user', 'alice']]);
  readonly connection = { remoteAddress: '10.0.0.7' } as Connection;
  route: Route | undefined;
  readonly clusterName = 'c1';
  readonly upstreamHost = undefined;
  events: string[] = [];
  variable(name: string): string | undefined {
    return name === 'x-mosn-path' ? '/p' : undefined;
  }
  filtersContinued(phase: StreamFilterPhase): void {
    this.events.push(`continued ${phase}`);
  }
  filterReply(status: number, message: string | undefined): void {
    this.events.push(`reply ${status} ${message ?? ''}`);
  }
  filterFailed(message: string): void {
    this.events.push(`failed ${message}`);
  }
  mirror(cluster: string, options: MirrorOptions): number {
    this.events.push(`mirror ${cluster} ${options.copies}`);
    return options.copies;
  }
}

function factory(name: string, make: (config: unknown) => StreamFilter, phase: StreamFilterPhase = 'after_route', config: unknown = {}): StreamFilterFactory {
  return { name, phase, config, createFilter: make };
}

function chainOf(...factories: StreamFilterFactory[]) {
  const stats = new Stats();
  const owner = new RecordingOwner();
  const chain = StreamFilterChainFactory.of(factories, stats, 'listener.l.')!.create(owner);
  return { chain, owner, stats };
}

describe('StreamFilterChain', () => {
  it('is not made for a listener without filters', () => {
    expect(StreamFilterChainFactory.of([], new Stats(), 'listener.l.')).toBeUndefined();
  });

  it('runs the filters of each phase in order, and each sees the request', () => {
    const seen: string[] = [];
    const record = (tag: string): StreamFilter => ({
      onRequestHeaders(h, headers) {
        seen.push(`${tag} ${h.protocol} ${headers.get('x-user')} ${h.downstreamAddress} ${h.clusterName} ${h.variable('x-mosn-path')}`);
        return 'continue';
      },
    });
    const { chain } = chainOf(factory('a', () => record('a')), factory('b', () => record('b'), 'before_route'), factory('c', () => record('c')));
    expect(chain.runRequestHeaders('before_route', true)).toBe(true);
    expect(seen).toEqual(['b Http1 alice 10.0.0.7 c1 /p']);
    expect(chain.runRequestHeaders('after_route', true)).toBe(true);
    expect(seen).toEqual(['b Http1 alice 10.0.0.7 c1 /p', 'a Http1 alice 10.0.0.7 c1 /p', 'c Http1 alice 10.0.0.7 c1 /p']);
  });

  it('stops at a local reply: later filters are not called, and the reply is counted', () => {
    let later = 0;
    const { chain, owner, stats } = chainOf(
      factory('deny', () => ({ onRequestHeaders: (h) => (h.sendLocalReply(403, 'no'), 'stop') })),
      factory('later', () => ({ onRequestHeaders: () => (later++, 'continue') })),
    );
    expect(chain.runRequestHeaders('after_route', true)).toBe(false);
    expect(owner.events).toEqual(['reply 403 no']);
    expect(later).toBe(0);
    expect(stats.get('listener.l.stream_filter_local_reply')).toBe(1);
    // a reply ends the request's filters: nothing more runs, nothing more is answered
    expect(chain.runRequestData(Buffer.from('x'), true)).toBe(false);
    expect(chain.paused).toBe(false);
  });

  it('a throwing filter fails that request (counted), and a throw in onDestroy is swallowed', () => {
    const { chain, owner, stats } = chainOf(
      factory('boom', () => ({
        onRequestHeaders: () => {
          throw new Error('bad filter');
        },
        onDestroy: () => {
          throw new Error('bad cleanup');
        },
      })),
    );
    expect(chain.runRequestHeaders('after_route', true)).toBe(false);
    expect(owner.events).toEqual(['failed stream filter "boom" threw: bad filter']);
    expect(stats.get('listener.l.stream_filter_error')).toBe(1);
    expect(() => chain.destroy()).not.toThrow();
  });

  it('a factory that throws fails the request the same way', () => {
    const { chain, owner } = chainOf(
      factory('broken', () => {
        throw new Error('cannot make');
      }),
    );
    expect(chain.runRequestHeaders('after_route', true)).toBe(false);
    expect(owner.events).toEqual(['failed stream filter "broken" threw: cannot make']);
  });

  it('pauses at a stop and resumes with the next filter on continue()', () => {
    let handler: StreamFilterHandler | undefined;
    let after = 0;
    const { chain, owner } = chainOf(
      factory('pause', () => ({ onRequestHeaders: (h) => ((handler = h), 'stop') })),
      factory('after', () => ({ onRequestHeaders: () => (after++, 'continue') })),
    );
    expect(chain.runRequestHeaders('after_route', true)).toBe(false);
    expect(chain.paused).toBe(true);
    expect(after).toBe(0);
    handler!.continue();
    expect(chain.paused).toBe(false);
    expect(after).toBe(1);
    expect(owner.events).toEqual(['continued after_route']);
    // a second continue does nothing
    handler!.continue();
    expect(owner.events).toEqual(['continued after_route']);
  });

  it('a continue() inside onRequestHeaders before its stop goes on at once', () => {
    const { chain, owner } = chainOf(factory('sync', () => ({ onRequestHeaders: (h) => (h.continue(), 'stop') })));
    expect(chain.runRequestHeaders('after_route', true)).toBe(true);
    expect(owner.events).toEqual([]);
  });

  it('a request cancelled while paused: onDestroy clears the timer, and a late continue() does nothing', async () => {
    let timer: NodeJS.Timeout | undefined;
    let fired = false;
    const { chain, owner } = chainOf(
      factory('delay', () => ({
        onRequestHeaders(h) {
          timer = setTimeout(() => ((fired = true), h.continue()), 20);
          return 'stop';
        },
        onDestroy() {
          clearTimeout(timer);
          timer = undefined;
        },
      })),
    );
    expect(chain.runRequestHeaders('after_route', true)).toBe(false);
    chain.destroy();
    expect(timer).toBeUndefined();
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toBe(false);
    expect(owner.events).toEqual([]);
  });

  it('uses the route\'s per_filter_config for after_route filters, the listener\'s otherwise', () => {
    const configs: unknown[] = [];
    const make = (c: unknown): StreamFilter => (configs.push(c), {});
    const { chain, owner } = chainOf(factory('fault', make, 'after_route', 'listener'), factory('ip_access', make, 'before_route', 'listener'));
    owner.route = { match: { headers: [] }, action: { kind: 'direct', status: 200, body: undefined }, perFilterConfig: { fault: 'route', ip_access: 'route' } } as Route;
    chain.runRequestHeaders('before_route', true);
    chain.runRequestHeaders('after_route', true);
    expect(configs).toEqual(['listener', 'route']);
  });

  it('runs the response phase first to last; a filter may replace a body chunk', () => {
    const { chain } = chainOf(
      factory('a', () => ({
        onResponseHeaders: (_h, headers, status) => headers.set('x-a', String(status)),
        onResponseData: (_h, data) => Buffer.from(data.toString().toUpperCase()),
      })),
      factory('b', () => ({ onResponseData: (_h, data) => Buffer.concat([data, Buffer.from('!')]) })),
    );
    chain.runRequestHeaders('after_route', true);
    const headers = new SimpleHeaderMap();
    expect(chain.runResponseHeaders(headers, 201, false)).toBe(true);
    expect(headers.get('x-a')).toBe('201');
    expect(chain.runResponseData(Buffer.from('ok'), true)?.toString()).toBe('OK!');
  });

  it('calls onDestroy once per filter made', () => {
    let destroyed = 0;
    const { chain } = chainOf(factory('a', () => ({ onDestroy: () => destroyed++ })), factory('b', () => ({ onDestroy: () => destroyed++ })));
    chain.runRequestHeaders('after_route', true);
    chain.destroy();
    chain.destroy();
    expect(destroyed).toBe(2);
  });
});
