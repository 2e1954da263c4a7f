import { ProxyFilterFactory, type ProtocolEntry } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';
import { isWildcardProtocol, resolveProtocol, servedProtocols } from '../config/protocols.js';
import type { NetworkFilterExtension } from '../extensions.js';

/** The `proxy` filter's config value. */
export interface ProxyFilterSpec {
  /** The protocols the listener accepts (registry entries, shared: not frozen with the config). */
  readonly downstream: readonly ProtocolEntry[];
  /** Detect the protocol by first bytes (`Auto` or a list), even when one protocol is a candidate. */
  readonly detect: boolean;
  /** `router_config_name`: a router of the config. */
  readonly routerName: string;
  /** The protocol HTTP requests go upstream in (a registry name: `Http1` or `Http2`). */
  readonly httpUpstream: string;
  readonly goAway: boolean;
  readonly maxHeaderSize?: number;
  readonly requestHeadersTimeoutMs?: number;
  readonly maxFrameSize?: number;
}

/**
 * `proxy`: `downstream_protocol` (one name, `Auto`, a comma list such as `bolt,boltv2`, or MOSN's older
 * `X` with `extend_config.sub_protocol`), `upstream_protocol` (for HTTP; RPC requests always go upstream
 * in their own protocol), `router_config_name`, and `extend_config`: `sub_protocol`,
 * `http1.max_header_size`, `http1.request_headers_timeout`, `max_frame_size`, `bolt.enable_bolt_goaway`.
 */
export const proxyFilter: NetworkFilterExtension<ProxyFilterSpec> = {
  read(c, ctx) {
    const served = servedProtocols(ctx.extensions);
    const resolve = (r: ConfigReader, key: string, names: string[]): ProtocolEntry[] => {
      const out: ProtocolEntry[] = [];
      for (const n of names) {
        const e = resolveProtocol(r, key, n, ctx.extensions, served);
        if (e && !out.includes(e)) out.push(e);
      }
      return out;
    };
    const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

    const ext = c.obj('extend_config');
    const downText = c.str('downstream_protocol') ?? 'Auto';
    const upText = c.str('upstream_protocol') ?? '';
    const subText = ext?.str('sub_protocol');

    let downstream: ProtocolEntry[];
    let detect: boolean;
    if (downText.toLowerCase() === 'x') {
      // MOSN's older form: the RPC protocols are named in extend_config.sub_protocol.
      if (subText === undefined || subText === '') {
        c.problems.error(c.at('extend_config.sub_protocol'), 'is required with downstream_protocol "X": expected an RPC protocol name such as "bolt"');
        downstream = [];
      } else downstream = resolve(ext!, 'sub_protocol', list(subText));
      detect = downstream.length > 1;
    } else if (isWildcardProtocol(downText)) {
      downstream = [...served];
      detect = true;
    } else {
      const names = list(downText);
      downstream = resolve(c, 'downstream_protocol', names);
      detect = names.length > 1;
    }

    // HTTP requests go upstream in upstream_protocol (default: HTTP/1); RPC requests in their own protocol.
    let httpUpstream = 'Http1';
    if (!isWildcardProtocol(upText)) {
      const [up] = resolve(c, 'upstream_protocol', [upText]);
      if (up?.kind === 'http1' || up?.kind === 'http2') httpUpstream = up.name;
      else if (up && !downstream.every((d) => d === up)) {
        c.problems.error(c.at('upstream_protocol'), `"${upText}" cannot carry ${downstream.map((d) => d.name).join(', ')}: mosn-ts does not translate between protocols; use the downstream protocol or "Auto"`);
      }
    }

    const routerName = c.str('router_config_name', { required: true });
    const router = routerName === undefined ? undefined : ctx.routers.get(routerName);
    if (routerName !== undefined && !router) {
      const names = [...ctx.routers.keys()];
      c.problems.error(c.at('router_config_name'), `router "${routerName}" is not defined in routers[]; defined: ${names.join(', ') || '(none)'}`);
    }

    let maxHeaderSize: number | undefined;
    let requestHeadersTimeoutMs: number | undefined;
    let maxFrameSize: number | undefined;
    let goAway = false;
    if (ext) {
      const h1 = ext.obj('http1');
      if (h1) {
        maxHeaderSize = h1.num('max_header_size', { min: 1024, max: 1024 * 1024 });
        requestHeadersTimeoutMs = h1.duration('request_headers_timeout');
        h1.finish();
      }
      maxFrameSize = ext.num('max_frame_size', { min: 1024 });
      const bolt = ext.obj('bolt');
      if (bolt) {
        goAway = bolt.bool('enable_bolt_goaway') ?? false;
        bolt.finish();
      }
      ext.finish();
    }
    c.refuse(['fallback_for_unknown_protocol'], 'is not supported by mosn-ts yet (unknown protocols are closed, not passed to a TCP fallback)');
    c.ignore(['name', 'router_handler_name', 'validate_clusters', 'concurrency_num']);
    c.finish();
    if (!router || downstream.length === 0) return undefined;
    return {
      downstream,
      detect,
      routerName: router.name,
      httpUpstream,
      goAway,
      ...(maxHeaderSize !== undefined ? { maxHeaderSize } : {}),
      ...(requestHeadersTimeoutMs !== undefined ? { requestHeadersTimeoutMs } : {}),
      ...(maxFrameSize !== undefined ? { maxFrameSize } : {}),
    };
  },

  build(spec, ctx) {
    const { routerName, httpUpstream, ...config } = spec;
    return new ProxyFilterFactory(config, {
      clusters: ctx.clusters,
      router: ctx.routers.handle(routerName),
      upstreamProtocol: httpUpstream,
      stats: ctx.stats,
      statPrefix: `listener.${ctx.listenerName}.`,
      streamFilters: ctx.streamFilters,
      accessLogs: ctx.accessLogs,
      tracer: ctx.tracer?.listener(ctx.listenerName),
    });
  },

  references(spec) {
    return { routers: [spec.routerName] };
  },
};
