import { isIP } from 'node:net';
import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import type { ListenerRoute } from './hcm.js';
import { convertFilterChains } from './listener-chains.js';
import { boolValue, numberValue, obj, objects, str, typedConfigName } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';

export type { ListenerRoute } from './hcm.js';

export const LISTENER_MESSAGE = 'envoy.config.listener.v3.Listener';

/**
 * A converted Listener: one entry of MOSN's `servers[0].listeners[]`, and the route tables its `proxy` filter
 * names (`router_config_name`): RDS names to subscribe to, and inline RouteConfigurations for the caller to
 * convert into routers named `name`.
 */
export interface ConvertedListener {
  readonly listener: MosnJson;
  readonly routes: ListenerRoute[];
}

const NOT_BOUND = 'a listener that does not bind receives only connections handed over by a listener with use_original_dst, which mosn-ts refuses';

/** What becomes of each Listener field (docs/xds-listeners.md). */
export const LISTENER_RULES: FieldRules = {
  name: 'converted',
  address: 'converted',
  filter_chains: 'converted',
  default_filter_chain: 'converted',
  use_original_dst: 'converted',
  per_connection_buffer_limit_bytes: 'converted',
  deprecated_v1: 'converted',
  bind_to_port: 'converted',
  listener_filters: 'converted',
  transparent: 'converted',
  metadata: 'noop',
  traffic_direction: 'noop',
  reuse_port: 'noop',
  enable_reuse_port: 'noop',
  ignore_global_conn_limit: 'noop',
  bypass_overload_manager: 'noop',
  additional_addresses: { error: 'listening on more than one address is not supported by mosn-ts; connections to the others would be refused' },
  stat_prefix: { warn: 'mosn-ts names a listener\'s stats listener.<name>.; ignored' },
  filter_chain_matcher: { error: 'the matcher API for choosing filter chains is not supported by mosn-ts' },
  drain_type: { warn: 'mosn-ts drains a listener only when it is removed or replaced; ignored' },
  listener_filters_timeout: { warn: 'mosn-ts waits for the first bytes without a listener filter timeout (the connection idle timeout applies); ignored' },
  continue_on_listener_filters_timeout: { warn: 'mosn-ts has no listener filter timeout; ignored' },
  freebind: { warn: 'IP_FREEBIND is not supported by mosn-ts (Node cannot set it); ignored' },
  socket_options: { warn: 'socket options are not supported by mosn-ts (Node cannot set them); ignored' },
  tcp_fast_open_queue_length: { warn: 'TCP Fast Open is not supported by mosn-ts; ignored' },
  udp_listener_config: { error: 'UDP listeners are not supported by mosn-ts' },
  api_listener: { error: 'an API listener is not a data-plane listener: mosn-ts has none' },
  internal_listener: { error: 'internal listeners are not supported by mosn-ts' },
  connection_balance_config: { warn: 'mosn-ts accepts on one thread; ignored' },
  access_log: { warn: "Envoy's access logs are not converted (mosn-ts writes MOSN's access_logs: docs/access-log.md); ignored" },
  tcp_backlog_size: { warn: 'mosn-ts uses Node\'s listen backlog; ignored' },
  max_connections_to_accept_per_socket_event: { warn: 'mosn-ts accepts as Node does; ignored' },
  enable_mptcp: { warn: 'MPTCP is not supported by mosn-ts; it listens on plain TCP' },
};

const TLS_INSPECTOR = ['envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', 'envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector'];
const HTTP_INSPECTOR = ['envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', 'envoy.filters.listener.http_inspector', 'envoy.listener.http_inspector'];
const LISTENER_FILTER_ERRORS: ReadonlyArray<readonly [names: readonly string[], why: string]> = [
  [['envoy.extensions.filters.listener.original_dst.v3.OriginalDst', 'envoy.filters.listener.original_dst', 'envoy.listener.original_dst'],
    'original-destination listeners are not supported by mosn-ts (Node cannot read SO_ORIGINAL_DST); see docs/original-dst.md'],
  [['envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol', 'envoy.filters.listener.proxy_protocol', 'envoy.listener.proxy_protocol'],
    'PROXY protocol is not supported by mosn-ts; its header would reach the filters as data'],
  [['envoy.extensions.filters.listener.original_src.v3.OriginalSrc', 'envoy.filters.listener.original_src', 'envoy.listener.original_src'],
    'connecting upstream from the client\'s address is not supported by mosn-ts'],
];

/** The name an inline RouteConfiguration's router gets: its own, or `<listener>-inline-<n>` (n from 0, per listener). */
export function inlineRouteName(listenerName: string, routeConfiguration: Message, n: number): string {
  return str(routeConfiguration.name) || `${listenerName}-inline-${n}`;
}

/**
 * An Envoy Listener (decoded) → MOSN's listener JSON: `name`, `address` (`network: "unix"` for a pipe),
 * `per_connection_buffer_limit_bytes`, `connection_idle_timeout` (the HCM's idle timeout), `inspector`, and one
 * filter chain (see convertFilterChains). Undefined after an error (the response is NACKed), and for a listener
 * with `bind_to_port: false`, which is left out with a warning: it could receive connections only from a
 * `use_original_dst` listener, which is refused.
 */
export function convertListener(l: Message, ctx: ConvertContext): ConvertedListener | undefined {
  const errorsBefore = ctx.problems.errors.length;
  const bind = boolValue(l.bind_to_port);
  const bindV1 = obj(l.deprecated_v1).bind_to_port;
  if (bind === false || (bind === undefined && bindV1 !== undefined && boolValue(bindV1) !== true)) {
    ctx.at(bind === false ? 'bind_to_port' : 'deprecated_v1.bind_to_port').warn(`false: left out (${NOT_BOUND})`);
    return undefined;
  }
  checkFields(l, LISTENER_MESSAGE, LISTENER_RULES, ctx);
  if (boolValue(l.use_original_dst) === true) {
    ctx.at('use_original_dst').error('original-destination listeners are not supported by mosn-ts (Node cannot read SO_ORIGINAL_DST); see docs/original-dst.md');
  }
  if (boolValue(l.transparent) === true) {
    ctx.at('transparent').error('transparent (IP_TRANSPARENT) listeners are not supported by mosn-ts (Node cannot set it)');
  }
  const address = convertAddress(l.address, ctx.at('address'));
  const inspectors = convertListenerFilters(l.listener_filters, ctx.at('listener_filters'));
  const name = str(l.name) || address?.text || '';

  const inline = new Map<string, { name: string; content: string }>();
  const inlineName = (rc: Message): string => {
    const content = JSON.stringify(rc);
    const known = [...inline.values()].find((r) => r.content === content);
    if (known) return known.name;
    const routeName = inlineRouteName(name, rc, inline.size);
    if (inline.has(routeName)) ctx.error(`two different inline route configurations are named "${routeName}"`);
    inline.set(routeName, { name: routeName, content });
    return routeName;
  };
  const chains = address
    ? convertFilterChains(l, ctx, { ...address.env, ...inspectors, inlineName })
    : undefined;
  if (!address || !chains || ctx.problems.errors.length > errorsBefore) return undefined;

  const listener: MosnJson = { name, address: address.text };
  if (address.env.pipe) listener.network = 'unix';
  const buffer = numberValue(l.per_connection_buffer_limit_bytes);
  if (buffer !== undefined) listener.per_connection_buffer_limit_bytes = buffer;
  if (chains.connectionIdleTimeout !== undefined) listener.connection_idle_timeout = chains.connectionIdleTimeout;
  if (chains.inspector) listener.inspector = true;
  listener.filter_chains = [chains.chain];
  return { listener, routes: chains.routes };
}

interface ConvertedAddress {
  readonly text: string;
  readonly env: { readonly port?: number; readonly ip?: string; readonly pipe: boolean };
}

/** `socket_address` (an IP and `port_value`) → `ip:port` / `[ipv6]:port`; `pipe` → its path (network unix). */
function convertAddress(a: unknown, ctx: ConvertContext): ConvertedAddress | undefined {
  if (a === undefined) {
    ctx.error('is required');
    return undefined;
  }
  const address = obj(a);
  if (address.address === 'pipe') {
    const pipe = obj(address.pipe);
    const path = str(pipe.path);
    if (path === '') ctx.at('pipe.path').error('is required');
    else if (path.startsWith('@')) ctx.at('pipe.path').error('abstract unix sockets are not supported by mosn-ts');
    if (Number(pipe.mode ?? 0) !== 0) ctx.at('pipe.mode').warn('mosn-ts does not set a unix socket\'s file mode; ignored');
    return path === '' || path.startsWith('@') ? undefined : { text: path, env: { pipe: true } };
  }
  if (address.address !== 'socket_address') {
    ctx.error(`${String(address.address ?? 'an empty address')} is not supported by mosn-ts: a listener needs a socket_address or a pipe`);
    return undefined;
  }
  const s = obj(address.socket_address);
  const at = ctx.at('socket_address');
  const ip = str(s.address);
  const errorsBefore = ctx.problems.errors.length;
  if (str(s.protocol) === 'UDP') at.at('protocol').error('UDP listeners are not supported by mosn-ts');
  if (isIP(ip) === 0) at.at('address').error(`expected an IP address, got "${ip}" (Envoy listens on IP addresses only)`);
  if (s.port_specifier === 'named_port') at.at('named_port').error('named ports are not supported: give port_value');
  if (str(s.resolver_name) !== '') at.at('resolver_name').error('custom address resolvers are not supported by mosn-ts');
  if (ctx.problems.errors.length > errorsBefore) return undefined;
  const port = Number(s.port_value ?? 0);
  const wildcard = ip === '0.0.0.0' || /^[0:]+$/.test(ip);
  return { text: isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`, env: { port, pipe: false, ...(wildcard ? {} : { ip }) } };
}

/**
 * `listener_filters`: tls_inspector and http_inspector give MOSN's chain choice what it needs (their effect is
 * in the chain conversion: SNI certificates, `inspector`); original_dst, proxy_protocol, original_src and any
 * other are errors.
 */
function convertListenerFilters(filters: unknown, ctx: ConvertContext): { tlsInspector: boolean; httpInspector: boolean } {
  let tlsInspector = false;
  let httpInspector = false;
  objects(filters).forEach((f, i) => {
    const at = ctx.at(`[${i}]`);
    const name = str(f.name);
    const message = typedConfigName(f.typed_config);
    const is = (names: readonly string[]) => (message !== undefined ? names.includes(message) : names.includes(name));
    const label = `"${name}"${message !== undefined && message !== name ? ` (${message})` : ''}`;
    if (f.config_type === 'config_discovery') {
      at.at('config_discovery').error(`${label}: listener filter configs by discovery (ECDS) are not supported by mosn-ts`);
    } else if (is(TLS_INSPECTOR) || is(HTTP_INSPECTOR)) {
      if (is(TLS_INSPECTOR)) tlsInspector = true;
      else httpInspector = true;
      if (f.filter_disabled !== undefined) at.at('filter_disabled').warn('mosn-ts looks at every connection; ignored');
    } else {
      const refused = LISTENER_FILTER_ERRORS.find(([names]) => is(names));
      at.error(`listener filter ${label} is not supported by mosn-ts${refused ? `: ${refused[1]}` : ''}`);
    }
  });
  return { tlsInspector, httpInspector };
}
