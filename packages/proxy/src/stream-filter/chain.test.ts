import { describe, expect, it } from 'vitest';
import { SimpleHeaderMap, type Connection, type HeaderMap } from '@mosn/stream';
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

/** An HTTP request: it also takes response body and trailers a filter sends later, and holds its upstream. */
class HttpRecordingOwner extends RecordingOwner {
  /** The upstream's readDisable level (what holdUpstream did to it). */
  upstreamHeld = 0;
  filteredResponseData(data: Buffer, endStream: boolean): void {
    this.events.push(`data ${data.toString()}${endStream ? ' end' : ''}`);
  }
  filteredResponseTrailers(trailers: HeaderMap): void {
    this.events.push(`trailers ${trailers.get('x-t')}`);
  }
  holdUpstream(hold: boolean): void {
    this.upstreamHeld += hold ? 1 : -1;
    this.events.push(`hold ${hold}`);
  }
}

function chainOf(...factories: StreamFilterFactory[]) {
  return chainWith(new RecordingOwner(), ...factories);
}

function chainWith<O extends RecordingOwner>(owner: O, ...factories: StreamFilterFactory[]) {
  const stats = new Stats();
  const chain = StreamFilterChainFactory.of(factories, stats, 'listener.l.')!.create(owner);
  return { chain, owner, stats };
}

/** A response filter that takes every chunk and the trailers, and sends them on when told (as a compressor does). */
class TakingFilter implements StreamFilter {
  h: StreamFilterHandler | undefined;
  taken: Array<[Buffer, boolean]> = [];
  trailers: HeaderMap | undefined;
  onResponseData(h: StreamFilterHandler, data: Buffer, endStream: boolean): 'stop' {
    this.h = h;
    this.taken.push([data, endStream]);
    return 'stop';
  }
  onResponseTrailers(h: StreamFilterHandler, trailers: HeaderMap): 'stop' {
    this.h = h;
    this.trailers = trailers;
    return 'stop';
  }
  /** Send what it took, each chunk in brackets. */
  flush(): void {
    for (const [data, end] of this.taken.splice(0)) this.h!.sendResponseData(this, Buffer.from(`[${data}]`), end);
    if (this.trailers) this.h!.sendResponseTrailers(this, this.trailers);
  }
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

  it('a filter that takes response chunks (stop) sends them on later, through the filters after it only', () => {
    const taking = new TakingFilter();
    const seen: string[] = [];
    const { chain, owner } = chainWith(
      new HttpRecordingOwner(),
      factory('before', () => ({ onResponseData: (_h, data) => (seen.push(`before ${data}`), Buffer.from(data.toString().toUpperCase())) })),
      factory('taking', () => taking),
      factory('after', () => ({ onResponseData: (_h, data) => (seen.push(`after ${data}`), undefined) })),
    );
    chain.runRequestHeaders('after_route', true);
    expect(chain.runResponseData(Buffer.from('a'), false)).toBeUndefined();
    expect(chain.runResponseData(Buffer.from('b'), true)).toBeUndefined();
    expect(owner.events).toEqual([]);
    taking.flush();
    expect(seen).toEqual(['before a', 'before b', 'after [A]', 'after [B]']);
    expect(owner.events).toEqual(['data [A]', 'data [B] end']);
  });

  it('trailers a filter kept follow the body it held', () => {
    const taking = new TakingFilter();
    const { chain, owner } = chainWith(new HttpRecordingOwner(), factory('taking', () => taking));
    chain.runRequestHeaders('after_route', true);
    chain.runResponseData(Buffer.from('a'), false);
    expect(chain.runResponseTrailers(new SimpleHeaderMap([['x-t', '1']]))).toBe(false);
    expect(owner.events).toEqual([]);
    taking.flush();
    expect(owner.events).toEqual(['data [a]', 'trailers 1']);
  });

  it('holdUpstream nests: the upstream is held once, let go at the last resume, at the upstream end and at the request end', () => {
    let h: StreamFilterHandler | undefined;
    const grab = (): StreamFilter => ({ onResponseHeaders: (handler) => void (h = handler) });
    const run = () => {
      const r = chainWith(new HttpRecordingOwner(), factory('a', grab));
      r.chain.runRequestHeaders('after_route', true);
      r.chain.runResponseHeaders(new SimpleHeaderMap(), 200, false);
      return r;
    };
    const { owner } = run();
    h!.holdUpstream(true);
    h!.holdUpstream(true);
    h!.holdUpstream(false);
    expect(owner.upstreamHeld).toBe(1);
    h!.holdUpstream(false);
    h!.holdUpstream(false); // one resume too many does nothing
    expect(owner.events).toEqual(['hold true', 'hold false']);
    // the upstream's last chunk lets go: nothing is left to hold, and a later hold is ignored
    const ended = run();
    h!.holdUpstream(true);
    expect(ended.chain.runResponseData(Buffer.from('x'), true)?.toString()).toBe('x');
    h!.holdUpstream(true);
    expect([ended.owner.upstreamHeld, ended.owner.events]).toEqual([0, ['hold true', 'hold false']]);
    // so does the request's end (a client that went away)
    const destroyed = run();
    h!.holdUpstream(true);
    destroyed.chain.destroy();
    expect(destroyed.owner.upstreamHeld).toBe(0);
  });

  it('an owner that cannot take a body later (RPC: the frame is whole) sends the frame as it is: stop is ignored', () => {
    const taking = new TakingFilter();
    const { chain, owner } = chainOf(factory('taking', () => taking));
    chain.runRequestHeaders('after_route', true);
    expect(chain.runResponseData(Buffer.from('frame'), true)?.toString()).toBe('frame');
    taking.flush();
    expect(owner.events).toEqual([]);
  });

  it('response data sent as a filter not of this request fails it (the response would never end)', () => {
    const { chain, owner, stats } = chainWith(new HttpRecordingOwner(), factory('a', () => ({})));
    chain.runRequestHeaders('after_route', true);
    chain.sendResponseData({}, Buffer.from('x'), true);
    expect(owner.events).toEqual(['failed a stream filter sent response data as a filter that is not one of this request']);
    expect(stats.get('listener.l.stream_filter_error')).toBe(1);
  });

  it('a later send that throws in the proxy fails that request instead of the process', () => {
    const taking = new TakingFilter();
    const owner = new HttpRecordingOwner();
    owner.filteredResponseData = () => {
      throw new Error('proxy bug');
    };
    const { chain } = chainWith(owner, factory('taking', () => taking));
    chain.runRequestHeaders('after_route', true);
    chain.runResponseData(Buffer.from('a'), true);
    expect(() => taking.flush()).not.toThrow();
    expect(owner.events).toEqual(["failed sending a stream filter's response data failed: proxy bug"]);
  });

  it('calls onDestroy once per filter made', () => {
    let destroyed = 0;
    const { chain } = chainOf(factory('a', () => ({ onDestroy: () => destroyed++ })), factory('b', () => ({ onDestroy: () => destroyed++ })));
    chain.runRequestHeaders('after_route', true);
    chain.destroy();
    chain.destroy();
    expect(destroyed).toBe(2);
  });

  it('a before_route filter sets the routing host and path: the chain holds them, variable() reads them', () => {
    const seen: Array<string | undefined> = [];
    const { chain } = chainOf(
      factory('set', () => ({ onRequestHeaders: (h) => (h.setVariable('x-mosn-host', 'org.demo.Greeter'), 'continue') }), 'before_route'),
      factory('read', () => ({ onRequestHeaders: (h) => (seen.push(h.variable('x-mosn-host'), h.variable('x-mosn-path')), 'continue') }), 'before_route'),
    );
    expect(chain.routing).toBeUndefined();
    expect(chain.runRequestHeaders('before_route', true)).toBe(true);
    // the path was not set: the request's own (the owner's) is read, and routing keeps no path
    expect([seen, chain.routing]).toEqual([['org.demo.Greeter', '/p'], { host: 'org.demo.Greeter' }]);
  });

  it('setVariable after the route, or of another variable, throws: that request fails', () => {
    const late = chainOf(factory('late', () => ({ onRequestHeaders: (h) => (h.setVariable('x-mosn-path', '/x'), 'continue') })));
    expect(late.chain.runRequestHeaders('after_route', true)).toBe(false);
    expect(late.owner.events).toEqual(['failed stream filter "late" threw: setVariable: x-mosn-path is set before the route is matched (by a before_route filter)']);
    const other = chainOf(factory('other', () => ({ onRequestHeaders: (h) => (h.setVariable('upstream_cluster' as 'x-mosn-host', 'c'), 'continue') }), 'before_route'));
    expect(other.chain.runRequestHeaders('before_route', true)).toBe(false);
    expect(other.owner.events[0]).toContain('"upstream_cluster" cannot be set');
    expect([late.chain.routing, other.chain.routing]).toEqual([undefined, undefined]);
  });
});
