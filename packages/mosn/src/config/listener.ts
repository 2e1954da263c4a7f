import { DEFAULT_BUFFER_LIMIT, DEFAULT_IDLE_TIMEOUT_MS, formatAddress, parseAddress, type Address } from '@mosn/proxy';
import type { FilterReadContext } from '../extensions.js';
import type { ConfigReader } from './config-reader.js';
import { NOT_USED_BY_MOSN, readFilterChains } from './filter-chain.js';
import { readStreamFilters } from '../stream-filters/read.js';
import { readAccessLogs } from './access-logs.js';
import type { TlsReadOptions } from './tls-context.js';
import type { ListenerSpec, ListenerTlsSpec } from './types.js';

/**
 * One listener of `servers[0].listeners[]`: `network` (tcp, unix), `address`, `name` (its address when absent,
 * as MOSN), buffer limit and idle timeout, its filter chain, and the stream and listener filters, refused but
 * for MOSN's retired ones; its TLS (certificate files read with `tls`) and `inspector`; its `access_logs`. `ctx` has the config's
 * clusters and routers (read before listeners).
 */
export function readListener(l: ConfigReader, ctx: Omit<FilterReadContext, 'listenerName'>, tls: TlsReadOptions): ListenerSpec | undefined {
  const networkText = l.str('network');
  const network = (networkText || 'tcp').toLowerCase();
  if (network === 'udp') l.problems.error(l.at('network'), 'UDP listeners are not supported by mosn-ts yet; supported: tcp, unix');
  else if (network !== 'tcp' && network !== 'unix') l.problems.error(l.at('network'), `unknown network "${networkText}"; known: tcp, unix`);
  const text = l.str('address', { required: true });
  let address: Address | undefined;
  if (text !== undefined) {
    address = network === 'unix' ? { path: text.replace(/^unix:/, '') } : parseAddress(text);
    if (!address) l.problems.error(l.at('address'), `expected "ip:port" (or a socket path with "network": "unix"), got "${text}"`);
  }
  // MOSN names a listener without a name after its address.
  const name = l.str('name') || (address ? formatAddress(address) : (text ?? ''));
  const bindPort = l.bool('bind_port') ?? true;
  if (bindPort === false) l.problems.error(l.at('bind_port'), 'listeners that do not bind (original-destination virtual listeners) are not supported by mosn-ts yet');
  const bufferLimit = l.num('per_connection_buffer_limit_bytes', { min: 0 }) ?? DEFAULT_BUFFER_LIMIT;
  const idleTimeoutMs = l.duration('connection_idle_timeout', { numberUnit: 'ns' }) ?? DEFAULT_IDLE_TIMEOUT_MS;
  const chain = readFilterChains(l, { ...ctx, listenerName: name }, tls);
  const inspector = l.bool('inspector') ?? false;
  if (inspector && chain.tls.length === 0) {
    l.problems.warn(l.at('inspector'), 'does nothing without TLS: it tells TLS from plaintext, and this listener has no tls_context with "status": true');
  }
  const streamFilters = readStreamFilters(l, ctx.extensions);
  if (streamFilters.length > 0 && !chain.filters.some((f) => f.type === 'proxy')) {
    l.problems.warn(l.at('stream_filters'), 'run only on requests of a "proxy" filter, and this listener has none; ignored');
  }
  readListenerFilters(l);
  const accessLogs = readAccessLogs(l);
  // (a filter with errors is not in chain.filters: no warning then, the errors say enough)
  if (accessLogs.length > 0 && chain.filters.length > 0 && !chain.filters.some((f) => f.type === 'proxy' || f.type === 'tcp_proxy')) {
    l.problems.warn(l.at('access_logs'), 'are written by a "proxy" or "tcp_proxy" filter, and this listener has neither; ignored');
  }
  l.refuse(
    ['use_original_dst'],
    'original-destination listeners are not supported by mosn-ts: "redirect" needs the SO_ORIGINAL_DST socket option and "tproxy" needs IP_TRANSPARENT, neither of which Node can use without native code. An ORIGINAL_DST cluster reads the connection\'s local address without it (see docs/original-dst.md)',
  );
  l.ignore(['log_path', 'log_level'], NOT_USED_BY_MOSN);
  l.ignore(['type', 'reuseport', 'default_read_buffer_size', 'handoff_restoreddestination_connections', 'addr', 'bind_to_port']);
  l.finish();
  if (!address) return undefined;
  const tlsSpec: ListenerTlsSpec | undefined = chain.tls.length > 0 ? { contexts: chain.tls, inspector } : undefined;
  return { name, source: l.raw, address, bufferLimit, idleTimeoutMs, filters: chain.filters, streamFilters, ...(accessLogs.length > 0 ? { accessLogs } : {}), ...(tlsSpec ? { tls: tlsSpec } : {}) };
}

/** `listener_filters`: none supported yet. */
function readListenerFilters(l: ConfigReader): void {
  for (const lf of l.objects('listener_filters')) {
    const type = lf.str('type', { required: true, nonEmpty: true });
    if (type !== undefined) lf.problems.error(lf.at('type'), `listener filter "${type}" is not supported by mosn-ts yet`);
    lf.inert(['config']);
    lf.finish();
  }
}
