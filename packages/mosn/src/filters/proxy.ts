import { ProxyFilterFactory, type ProtocolEntry } from '@mosn/proxy';
import type { NetworkFilterExtension } from '../extensions.js';

/** Protocols a listener can serve today, by protocol kind. */
const SERVED_KINDS = new Set(['http1']);

/**
 * `proxy`: `downstream_protocol` (one name, `Auto`, or a comma list), `upstream_protocol`,
 * `router_config_name`, `extend_config`.
 */
export const proxyFilter: NetworkFilterExtension = {
  create(c, ctx) {
    const protocols = ctx.extensions.protocols;
    const served = protocols.entries().filter((e) => SERVED_KINDS.has(e.kind) && ctx.extensions.pools.has(e.name.toLowerCase()));
    const known = ['Auto', ...served.map((e) => e.name)].join(', ');

    const readProtocols = (key: string, allowList: boolean): ProtocolEntry[] => {
      const text = c.str(key);
      if (text === undefined || text === '' || text.toLowerCase() === 'auto') return [...served];
      const names = allowList ? text.split(',').map((s) => s.trim()) : [text];
      const out: ProtocolEntry[] = [];
      for (const n of names) {
        const e = protocols.get(n);
        if (!e) c.problems.error(c.at(key), `unknown protocol "${n}"; known: ${known}`);
        else if (!served.includes(e)) c.problems.error(c.at(key), `protocol "${n}" is not supported by mosn-ts yet; supported: ${known}`);
        else out.push(e);
      }
      return out;
    };

    const downstream = readProtocols('downstream_protocol', true);
    const downText = (c.value('downstream_protocol') as string | undefined) ?? '';
    const detect = downText === '' || downText.toLowerCase() === 'auto' || downText.includes(',');
    const upstreamList = readProtocols('upstream_protocol', false);
    // MOSN: an empty upstream_protocol means "the same as downstream"; with Auto that is each request's own.
    const upstream = c.has('upstream_protocol') && upstreamList.length === 1 ? upstreamList[0]! : downstream[0];

    const routerName = c.str('router_config_name', { required: true });
    const router = routerName === undefined ? undefined : ctx.routers.get(routerName);
    if (routerName !== undefined && !router) {
      const names = ctx.routers.names();
      c.problems.error(c.at('router_config_name'), `router "${routerName}" is not defined in routers[]; defined: ${names.join(', ') || '(none)'}`);
    }

    let maxHeaderSize: number | undefined;
    const ext = c.obj('extend_config');
    if (ext) {
      const h1 = ext.obj('http1') ?? ext.obj('Http1');
      if (h1) {
        maxHeaderSize = h1.num('max_header_size', { min: 1024, max: 1024 * 1024 });
        h1.finish();
      }
      ext.ignore(['sub_protocol']);
      ext.finish();
    }
    c.ignore(['name', 'router_handler_name', 'validate_clusters']);
    c.finish();
    if (!router || upstream === undefined || downstream.length === 0) return undefined;

    const statPrefix = `listener.${ctx.listenerName}.`;
    return new ProxyFilterFactory(
      { downstream, detect, ...(maxHeaderSize !== undefined ? { maxHeaderSize } : {}) },
      { clusters: ctx.clusters, router, upstreamProtocol: upstream.name, stats: ctx.stats, statPrefix },
    );
  },
};
