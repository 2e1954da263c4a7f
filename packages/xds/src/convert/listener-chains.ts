import { BlockList, isIP } from 'node:net';
import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import type { ListenerRoute } from './hcm.js';
import { numberValue, obj, objects, str, strings } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';
import { convertNetworkFilters } from './listener-network-filters.js';
import { convertTransportSocket } from './listener-tls.js';

/** What the listener tells the chain converter: where it listens and which listener filters Envoy runs. */
export interface ChainEnv {
  /** The TCP port listened on (undefined for a pipe). */
  readonly port?: number;
  /** The IP listened on, undefined for a wildcard (0.0.0.0, ::) or a pipe. */
  readonly ip?: string;
  readonly pipe: boolean;
  /** tls_inspector: Envoy knows SNI, ALPN and TLS-or-not before choosing a chain. */
  readonly tlsInspector: boolean;
  /** http_inspector: Envoy knows HTTP/1 or h2c (application protocols) of plaintext connections. */
  readonly httpInspector: boolean;
  readonly inlineName: (routeConfiguration: Message) => string;
}

/** A listener's filter chains as MOSN's one chain, its `inspector`, and what the HCM gives the listener. */
export interface ConvertedChains {
  readonly chain: MosnJson;
  readonly inspector: boolean;
  readonly connectionIdleTimeout?: string;
  readonly routes: ListenerRoute[];
}

const BY_CLIENT = { error: 'choosing a filter chain by the client\'s address is not supported by mosn-ts; ignoring it would serve clients Envoy refuses or sends to another chain' } as const;

/** What becomes of each FilterChain field (docs/xds-listeners.md). */
export const FILTER_CHAIN_RULES: FieldRules = {
  filter_chain_match: 'converted',
  filters: 'converted',
  transport_socket: 'converted',
  use_proxy_proto: { error: 'PROXY protocol is not supported by mosn-ts; its header would reach the filters as data' },
  metadata: 'noop',
  name: 'noop',
  transport_socket_connect_timeout: { warn: 'a TLS handshake timeout is not supported by mosn-ts; the connection idle timeout applies' },
  on_demand_configuration: { warn: 'mosn-ts builds every filter chain at once; ignored' },
};

/** What becomes of each FilterChainMatch field (docs/xds-listeners.md). */
export const FILTER_CHAIN_MATCH_RULES: FieldRules = {
  destination_port: 'converted',
  prefix_ranges: 'converted',
  server_names: 'converted',
  transport_protocol: 'converted',
  application_protocols: 'converted',
  address_suffix: { warn: 'Envoy does not implement it either; ignored' },
  suffix_len: { warn: 'Envoy does not implement it either; ignored' },
  direct_source_prefix_ranges: BY_CLIENT,
  source_type: BY_CLIENT,
  source_prefix_ranges: BY_CLIENT,
  source_ports: BY_CLIENT,
};

/** One filter chain, converted, with what its match says. */
interface Chain {
  readonly ctx: ConvertContext;
  readonly filters: MosnJson[];
  readonly routes: ListenerRoute[];
  readonly connectionIdleTimeout?: string;
  readonly tls?: MosnJson;
  readonly serverNames: string[];
  readonly transportProtocol: string;
}

/**
 * `filter_chains` and `default_filter_chain` → MOSN's one filter chain (mosn-ts chooses no chain per connection).
 * A chain whose match can never hold on this listener (another destination port or IP; SNI, ALPN or TLS
 * without the listener filter that detects it) is left out, with a warning. The chains left must have the same
 * network filters: then they differ at most in TLS, and become one chain whose `tls_context_set` has a context
 * per server name (SNI picks it, as Envoy's `server_names` picks a chain); chains with and without TLS give
 * `inspector: true`. Anything else (different filters, different TLS settings beyond the certificate, selection
 * by client address) is an error. Undefined after an error.
 */
export function convertFilterChains(l: Message, ctx: ConvertContext, env: ChainEnv): ConvertedChains | undefined {
  const errorsBefore = ctx.problems.errors.length;
  const chains: Chain[] = [];
  objects(l.filter_chains).forEach((fc, i) => {
    const chain = convertChain(fc, ctx.at(`filter_chains[${i}]`), env, false);
    if (chain) chains.push(chain);
  });
  if (l.default_filter_chain !== undefined) {
    const chain = convertChain(obj(l.default_filter_chain), ctx.at('default_filter_chain'), env, true);
    if (chain) chains.push(chain);
  }
  if (ctx.problems.errors.length > errorsBefore) return undefined;
  if (objects(l.filter_chains).length === 0 && l.default_filter_chain === undefined) {
    ctx.at('filter_chains').error('no filter chain: Envoy would close every connection; mosn-ts needs one to serve');
    return undefined;
  }
  if (chains.length === 0) {
    ctx.at('filter_chains').error('no filter chain can match a connection to this listener (see the warnings)');
    return undefined;
  }
  const first = chains[0]!;
  const key = (c: Chain) => JSON.stringify([c.filters, c.connectionIdleTimeout]);
  const other = chains.find((c) => key(c) !== key(first));
  if (other) {
    ctx.at('filter_chains').error(
      `${first.ctx.path} and ${other.ctx.path} have different filters: choosing a filter chain per connection is not supported by mosn-ts yet (only chains with the same filters, differing in their TLS certificate by server_names, become one)`,
    );
    return undefined;
  }
  const tlsChains = chains.filter((c) => c.tls !== undefined);
  const plainChains = chains.filter((c) => c.tls === undefined);
  const tls = tlsContexts(tlsChains, ctx);
  if (tlsChains.length > 0) {
    for (const c of plainChains) {
      if (c.serverNames.length > 0 || c.transportProtocol === 'tls') {
        c.ctx.at('filter_chain_match').error('passes TLS through (selected by SNI or transport_protocol "tls", no TLS context) while another chain terminates TLS: mosn-ts would terminate it');
      }
    }
  } else {
    for (const c of plainChains) {
      if (c.serverNames.length > 0) c.ctx.at('filter_chain_match.server_names').warn('ignored: mosn-ts does not choose a chain by SNI; connections with other names are served too');
    }
  }
  if (tls === undefined || ctx.problems.errors.length > errorsBefore) return undefined;
  const chain: MosnJson = { ...tls, filters: first.filters };
  const routes = [...new Map(first.routes.map((r) => [`${r.kind}:${r.name}`, r])).values()];
  return {
    chain,
    inspector: tlsChains.length > 0 && plainChains.length > 0,
    ...(first.connectionIdleTimeout !== undefined ? { connectionIdleTimeout: first.connectionIdleTimeout } : {}),
    routes,
  };
}

/** One chain: its filters and TLS converted; undefined when its match never holds here (a warning) or after an error. */
function convertChain(fc: Message, ctx: ConvertContext, env: ChainEnv, isDefault: boolean): Chain | undefined {
  const errorsBefore = ctx.problems.errors.length;
  const match = obj(fc.filter_chain_match);
  const hasMatch = fc.filter_chain_match !== undefined && !isDefault;
  // a chain that can never be chosen changes nothing: only that is said of it
  const never = hasMatch ? neverMatches(match, env) : undefined;
  if (never !== undefined) {
    ctx.at('filter_chain_match').warn(`this chain never matches: ${never}; left out`);
    return undefined;
  }
  checkFields(fc, 'envoy.config.listener.v3.FilterChain', FILTER_CHAIN_RULES, ctx);
  if (isDefault && fc.filter_chain_match !== undefined) {
    ctx.at('filter_chain_match').warn('ignored on the default filter chain, which takes the connections no other chain matches');
  } else if (hasMatch) {
    checkMatch(match, ctx.at('filter_chain_match'), env);
  }
  const filters = convertNetworkFilters(fc.filters, ctx.at('filters'), env.inlineName);
  const socket = convertTransportSocket(fc.transport_socket, ctx.at('transport_socket'));
  if (!filters || !socket.ok || ctx.problems.errors.length > errorsBefore) return undefined;
  return {
    ctx,
    filters: filters.filters,
    routes: filters.routes,
    ...(filters.connectionIdleTimeout !== undefined ? { connectionIdleTimeout: filters.connectionIdleTimeout } : {}),
    ...(socket.tls ? { tls: socket.tls } : {}),
    serverNames: isDefault ? [] : strings(match.server_names),
    transportProtocol: isDefault ? '' : str(match.transport_protocol),
  };
}

/** Why a match can never hold on this listener (another port or address; what no listener filter detects), or undefined. */
function neverMatches(m: Message, env: ChainEnv): string | undefined {
  const port = numberValue(m.destination_port);
  if (port !== undefined && port !== 0) {
    if (env.pipe) return `destination_port ${port} on a pipe listener`;
    if (env.port !== 0 && port !== env.port) return `destination_port ${port}, but the listener is on port ${env.port}`;
  }
  const ranges = objects(m.prefix_ranges);
  if (ranges.length > 0) {
    if (env.pipe) return 'prefix_ranges on a pipe listener';
    const all = ranges.some((r) => (numberValue(r.prefix_len) ?? 0) === 0);
    if (env.ip !== undefined && !all && !ranges.some((r) => contains(r, env.ip!))) return `no prefix_ranges entry holds the listener's address ${env.ip}`;
  }
  if (str(m.transport_protocol) === 'tls' && !env.tlsInspector) return 'transport_protocol "tls" without the tls_inspector listener filter (every connection is "raw_buffer")';
  if (strings(m.server_names).length > 0 && !env.tlsInspector) return 'server_names without the tls_inspector listener filter (no connection has a server name when the chain is chosen)';
  if (strings(m.application_protocols).length > 0 && !env.tlsInspector && !env.httpInspector) return 'application_protocols without the tls_inspector or http_inspector listener filter';
  return undefined;
}

/** The match's fields on a chain that can match: what mosn-ts cannot do with them. */
function checkMatch(m: Message, ctx: ConvertContext, env: ChainEnv): void {
  checkFields(m, 'envoy.config.listener.v3.FilterChainMatch', FILTER_CHAIN_MATCH_RULES, ctx);
  const port = numberValue(m.destination_port);
  if (port !== undefined && port !== 0 && env.port === 0) ctx.at('destination_port').error('cannot be checked on a listener on port 0 (a port picked at bind)');
  const ranges = objects(m.prefix_ranges);
  if (ranges.length > 0 && env.ip === undefined && !ranges.some((r) => (numberValue(r.prefix_len) ?? 0) === 0)) {
    ctx.at('prefix_ranges').error('choosing a filter chain by the local address on a listener bound to a wildcard address is not supported by mosn-ts; ignoring it would serve connections to addresses Envoy refuses');
  }
  const transport = str(m.transport_protocol);
  if (transport !== '' && transport !== 'tls' && transport !== 'raw_buffer') {
    ctx.at('transport_protocol').error(`"${transport}" is not supported by mosn-ts: it tells TLS ("tls") from plaintext ("raw_buffer") only`);
  }
  if (strings(m.application_protocols).length > 0) {
    ctx.at('application_protocols').warn('ignored: mosn-ts does not choose a chain by application protocol; connections with other protocols are served too');
  }
}

function contains(range: Message, ip: string): boolean {
  const prefix = str(range.address_prefix);
  const family = isIP(prefix) === 6 ? 'ipv6' : 'ipv4';
  if (isIP(prefix) === 0 || (isIP(ip) === 6 ? 'ipv6' : 'ipv4') !== family) return false;
  const list = new BlockList();
  try {
    list.addSubnet(prefix, numberValue(range.prefix_len) ?? 0, family);
  } catch {
    return false;
  }
  return list.check(ip, family);
}

/**
 * The TLS chains' contexts as MOSN's `tls_context` (one) or `tls_context_set` (several): a context per server
 * name (exact names first, then wildcards, longest first, so that MOSN's first-match-in-order lookup picks
 * what Envoy's most-specific-match does), then one per chain without server_names (the default for other and
 * no SNI). They may differ only in the certificate. `{}` without TLS; undefined after an error.
 */
function tlsContexts(chains: readonly Chain[], ctx: ConvertContext): MosnJson | undefined {
  if (chains.length === 0) return {};
  const settings = (t: MosnJson) => {
    const { cert_chain: _c, private_key: _k, ...rest } = t;
    return JSON.stringify(rest);
  };
  const first = chains[0]!;
  const differing = chains.find((c) => settings(c.tls!) !== settings(first.tls!));
  if (differing) {
    ctx.at('filter_chains').error(
      `${first.ctx.path} and ${differing.ctx.path} differ in TLS settings beyond the certificate: mosn-ts picks a certificate by SNI in its own order (docs/tls.md), so a client could get the other chain's client authentication, versions or ciphers`,
    );
    return undefined;
  }
  const named: Array<{ name: string; tls: MosnJson }> = [];
  const defaults: MosnJson[] = [];
  for (const c of chains) {
    if (c.serverNames.length === 0) defaults.push(c.tls!);
    for (const name of c.serverNames) named.push({ name: name.toLowerCase(), tls: { ...c.tls!, server_name: name.toLowerCase() } });
  }
  const specificity = (n: string) => (n.startsWith('*') ? n.length : Number.MAX_SAFE_INTEGER);
  named.sort((a, b) => specificity(b.name) - specificity(a.name));
  if (named.length > 0 && defaults.length === 0) {
    ctx.at('filter_chains').warn('no chain without server_names: Envoy refuses a connection whose SNI matches none, mosn-ts serves it with the first certificate');
  }
  const seen = new Set<string>();
  const contexts = [...named.map((n) => n.tls), ...defaults].filter((t) => {
    const k = JSON.stringify(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return contexts.length === 1 ? { tls_context: contexts[0] } : { tls_context_set: contexts };
}
