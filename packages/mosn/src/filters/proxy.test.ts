import { describe, expect, it } from 'vitest';
import { ProxyFilterFactory, RouterConfig } from '@mosn/proxy';
import { proxyFilter } from './proxy.js';
import { buildContext, readFilter, testExtensions } from './testing.js';

const p = (name: string) => testExtensions.protocols.get(name)!;
const read = (config: Record<string, unknown>) => readFilter(proxyFilter, config, { routers: ['r'] });

describe('proxy filter: read', () => {
  it('reads one protocol, with the defaults', () => {
    expect(read({ downstream_protocol: 'Http1', router_config_name: 'r' })).toEqual({
      value: { downstream: [p('Http1')], detect: false, routerName: 'r', httpUpstream: 'Http1', goAway: false },
      errors: [],
      warnings: [],
    });
  });

  it('detects among every served protocol with Auto, and among a list; X names them in sub_protocol', () => {
    expect(read({ router_config_name: 'r' }).value).toMatchObject({ downstream: [p('Http2'), p('Http1'), p('bolt'), p('boltv2'), p('dubbo')], detect: true });
    expect(read({ downstream_protocol: 'bolt, boltv2, bolt', router_config_name: 'r' }).value).toMatchObject({ downstream: [p('bolt'), p('boltv2')], detect: true });
    expect(read({ downstream_protocol: 'X', extend_config: { sub_protocol: 'dubbo' }, router_config_name: 'r' }).value).toMatchObject({ downstream: [p('dubbo')], detect: false });
  });

  it('reads upstream_protocol for HTTP, and extend_config', () => {
    const { value, errors } = read({
      downstream_protocol: 'Auto',
      upstream_protocol: 'http2',
      router_config_name: 'r',
      extend_config: { http1: { max_header_size: 16384, request_headers_timeout: '10s' }, max_frame_size: 65536, bolt: { enable_bolt_goaway: true } },
    });
    expect(errors).toEqual([]);
    expect(value).toMatchObject({ httpUpstream: 'Http2', goAway: true, maxHeaderSize: 16384, requestHeadersTimeoutMs: 10_000, maxFrameSize: 65536 });
  });

  it('reports what it cannot serve, and reads no value', () => {
    expect(read({ downstream_protocol: 'Http1', router_config_name: 'nope' })).toEqual({
      value: undefined,
      errors: ['f.config.router_config_name: router "nope" is not defined in routers[]; defined: r'],
      warnings: [],
    });
    expect(read({ downstream_protocol: 'X', router_config_name: 'r' }).errors).toEqual(['f.config.extend_config.sub_protocol: is required with downstream_protocol "X": expected an RPC protocol name such as "bolt"']);
    expect(read({ downstream_protocol: 'Http1', upstream_protocol: 'bolt', router_config_name: 'r' }).errors).toEqual([
      'f.config.upstream_protocol: "bolt" cannot carry Http1: mosn-ts does not translate between protocols; use the downstream protocol or "Auto"',
    ]);
    expect(read({ router_config_name: 'r', fallback_for_unknown_protocol: true }).errors).toEqual([
      'f.config.fallback_for_unknown_protocol: is not supported by mosn-ts yet (unknown protocols are closed, not passed to a TCP fallback)',
    ]);
    expect(readFilter(proxyFilter, { router_config_name: 'r' }).errors).toEqual(['f.config.router_config_name: router "r" is not defined in routers[]; defined: (none)']);
  });
});

describe('proxy filter: build and references', () => {
  it("makes the listener's factory over the router's handle, which follows router changes", () => {
    const spec = read({ downstream_protocol: 'bolt', upstream_protocol: 'Http2', router_config_name: 'r', extend_config: { max_frame_size: 4096 } }).value!;
    const ctx = buildContext();
    const factory = proxyFilter.build(spec, ctx) as ProxyFilterFactory;
    expect(factory).toBeInstanceOf(ProxyFilterFactory);
    expect(factory.config).toEqual({ downstream: [p('bolt')], detect: false, goAway: false, maxFrameSize: 4096 });
    expect(factory.context).toMatchObject({ clusters: ctx.clusters, upstreamProtocol: 'Http2', stats: ctx.stats, statPrefix: 'listener.l.' });
    expect(factory.context.router).toBe(ctx.routers.handle('r'));
    const router = new RouterConfig('r', []);
    ctx.routers.set(router);
    expect(factory.context.router.current).toBe(router);
  });

  it('names the router it uses', () => {
    expect(proxyFilter.references!(read({ router_config_name: 'r' }).value!)).toEqual({ routers: ['r'] });
  });
});
