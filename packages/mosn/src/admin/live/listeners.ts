import { formatAddress, type Listener } from '@mosn/proxy';
import type { ListenerSpec } from '../../config/types.js';
import type { ProxyFilterSpec } from '../../filters/proxy.js';
import type { ListenerSummary } from './types.js';

/** A running listener as the live page shows it: its config's name, the bound address, what it serves, its connections. */
export function listenerSummary(spec: ListenerSpec, listener: Listener): ListenerSummary {
  return { name: spec.name, address: formatAddress(listener.address), protocol: servedProtocol(spec), connections: listener.connections.size };
}

/**
 * What a listener serves, from the last network filter of its chain: the `proxy` filter's downstream protocols
 * (`Http1`; `auto: Http1, Http2, bolt` when detected by first bytes), `TCP` for `tcp_proxy`, else the filter's type.
 */
export function servedProtocol(spec: ListenerSpec): string {
  const last = spec.filters[spec.filters.length - 1];
  if (!last) return '';
  if (last.type === 'tcp_proxy') return 'TCP';
  if (last.type !== 'proxy') return last.type;
  const proxy = last.config as ProxyFilterSpec;
  const names = proxy.downstream.map((p) => p.name).join(', ');
  return proxy.detect ? `auto: ${names}` : names;
}
