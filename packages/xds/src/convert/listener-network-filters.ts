import type { AnyMessage, Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { convertHttpConnectionManager, HCM_TYPE, type ListenerRoute } from './hcm.js';
import { objects, str, typedConfigName } from './fields.js';
import { convertMosnFilter, isMosnFilter } from './mosn-filters.js';
import { convertTcpProxy, TCP_PROXY_TYPE } from './tcp-proxy.js';

const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);
const TCP_PROXY_NAMES = new Set(['envoy.filters.network.tcp_proxy', 'envoy.tcp_proxy']);

/** Istio's telemetry network filters: they only observe (a warning). */
const ISTIO_TELEMETRY = new Set(['istio.metadata_exchange', 'istio.stats', 'envoy.filters.network.metadata_exchange']);

/** A filter chain's network filters as MOSN's: one `proxy` or `tcp_proxy`, the route and idle timeout an HCM gives. */
export interface ConvertedNetworkFilters {
  readonly filters: MosnJson[];
  readonly routes: ListenerRoute[];
  readonly connectionIdleTimeout?: string;
}

/**
 * `filters[]` of a filter chain: the HTTP connection manager (→ `proxy`) or the TCP proxy (→ `tcp_proxy`),
 * which end the chain in both Envoy and mosn-ts. Any other network filter is an error (MOSN's converter also
 * takes only these two), but for Istio's telemetry filters (a warning). Undefined after an error.
 */
export function convertNetworkFilters(filters: unknown, ctx: ConvertContext, inlineName: (routeConfiguration: Message) => string): ConvertedNetworkFilters | undefined {
  const errorsBefore = ctx.problems.errors.length;
  const out: MosnJson[] = [];
  const routes: ListenerRoute[] = [];
  let connectionIdleTimeout: string | undefined;
  let terminal: string | undefined;
  objects(filters).forEach((f, i) => {
    const at = ctx.at(`[${i}]`);
    const name = str(f.name);
    const message = typedConfigName(f.typed_config);
    const label = `"${name}"${message !== undefined && message !== name ? ` (${message})` : ''}`;
    if (terminal !== undefined) {
      at.error(`${label} after ${terminal}, which ends the chain: Envoy refuses this too`);
      return;
    }
    if (f.config_type === 'config_discovery') {
      at.at('config_discovery').error(`${label}: network filter configs by discovery (ECDS) are not supported by mosn-ts`);
      return;
    }
    const isHcm = message === HCM_TYPE || (message === undefined && HCM_NAMES.has(name));
    const isTcp = message === TCP_PROXY_TYPE || (message === undefined && TCP_PROXY_NAMES.has(name));
    if (isHcm || isTcp) {
      terminal = `"${name}"`;
      const unpacked = at.at('typed_config').unpack(f.typed_config as AnyMessage | undefined);
      if (!unpacked) return;
      if (isHcm) {
        const hcm = convertHttpConnectionManager(unpacked.value, at.at('typed_config'), inlineName);
        if (hcm) {
          out.push(hcm.filter);
          routes.push(hcm.route);
          connectionIdleTimeout = hcm.connectionIdleTimeout;
        }
      } else {
        const tcp = convertTcpProxy(unpacked.value, at.at('typed_config'));
        if (tcp) out.push(tcp);
      }
      return;
    }
    if (isMosnFilter(name, f.typed_config)) {
      terminal = `"${name}"`;
      const mosn = convertMosnFilter(name, f.typed_config as AnyMessage | undefined, at);
      if (mosn) {
        out.push(mosn.filter);
        if (mosn.route) routes.push(mosn.route);
      }
      return;
    }
    if (ISTIO_TELEMETRY.has(name)) at.warn(`network filter ${label} (Istio telemetry) is not supported by mosn-ts; not applied`);
    else at.error(`network filter ${label} is not supported by mosn-ts; supported: envoy.filters.network.http_connection_manager, envoy.filters.network.tcp_proxy, and MOSN's proxy as a TypedStruct`);
  });
  if (terminal === undefined && ctx.problems.errors.length === errorsBefore) {
    ctx.error('no envoy.filters.network.http_connection_manager or envoy.filters.network.tcp_proxy: mosn-ts has nothing to serve this chain with');
  }
  if (ctx.problems.errors.length > errorsBefore) return undefined;
  return { filters: out, routes, ...(connectionIdleTimeout !== undefined ? { connectionIdleTimeout } : {}) };
}
