import { ProxyFilterFactory, type ConfigReader, type ProtocolEntry } from '@mosn/proxy';
import type { Extensions, NetworkFilterExtension } from '../extensions.js';

/** Protocols a listener can serve today, by protocol kind. */
const SERVED_KINDS = new Set(['http1', 'http2', 'xprotocol']);

/** Protocols MOSN has that mosn-ts does not serve yet: named as such, not as unknown. */
const MOSN_PROTOCOLS_NOT_YET = ['dubbothrift', 'tars', 'Http3', 'grpc'];

/** `Auto`, `X` and an empty name all mean "decided per connection / by the downstream". */
export function isWildcardProtocol(name: string): boolean {
  const n = name.toLowerCase();
  return n === '' || n === 'auto' || n === 'x';
}

/** The protocols mosn-ts serves downstream and upstream (registered, with an upstream pool). */
export function servedProtocols(ext: Extensions): ProtocolEntry[] {
  return ext.protocols.entries().filter((e) => SERVED_KINDS.has(e.kind) && ext.pools.has(e.name.toLowerCase()));
}

/** The served protocol called `name` (case-insensitive); a problem at `r.at(key)` when there is none. */
export function resolveProtocol(r: ConfigReader, key: string, name: string, ext: Extensions, served = servedProtocols(ext)): ProtocolEntry | undefined {
  const known = ['Auto', ...served.map((e) => e.name)].join(', ');
  const e = ext.protocols.get(name);
  const later = MOSN_PROTOCOLS_NOT_YET.some((m) => m.toLowerCase() === name.toLowerCase());
  if (!e && later) r.problems.error(r.at(key), `protocol "${name}" is not supported by mosn-ts yet; supported: ${known}`);
  else if (!e) r.problems.error(r.at(key), `unknown protocol "${name}"; known: ${known}`);
  else if (!served.includes(e)) r.problems.error(r.at(key), `protocol "${name}" is not supported by mosn-ts yet; supported: ${known}`);
  else return e;
  return undefined;
}

/**
 * `proxy`: `downstream_protocol` (one name, `Auto`, a comma list such as `bolt,boltv2`, or MOSN's older
 * `X` with `extend_config.sub_protocol`), `upstream_protocol` (for HTTP; RPC requests always go upstream
 * in their own protocol), `router_config_name`, and `extend_config`: `sub_protocol`,
 * `http1.max_header_size`, `http1.request_headers_timeout`, `max_frame_size`, `bolt.enable_bolt_goaway`.
 */
export const proxyFilter: NetworkFilterExtension = {
  create(c, ctx) {
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
      const names = ctx.routers.names();
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

    const statPrefix = `listener.${ctx.listenerName}.`;
    return new ProxyFilterFactory(
      {
        downstream,
        detect,
        goAway,
        ...(maxHeaderSize !== undefined ? { maxHeaderSize } : {}),
        ...(requestHeadersTimeoutMs !== undefined ? { requestHeadersTimeoutMs } : {}),
        ...(maxFrameSize !== undefined ? { maxFrameSize } : {}),
      },
      { clusters: ctx.clusters, router, upstreamProtocol: httpUpstream, stats: ctx.stats, statPrefix },
    );
  },
};
