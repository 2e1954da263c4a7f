import { isIP } from 'node:net';
import { DEFAULT_TCP_IDLE_TIMEOUT_MS, TcpProxyFilterFactory, type Cidr, type ConfigReader, type TcpRouteConfig } from '@mosn/proxy';
import type { NetworkFilterExtension } from '../extensions.js';

function cidrs(r: ConfigReader, key: string): Cidr[] {
  const out: Cidr[] = [];
  for (const a of r.objects(key)) {
    const address = a.str('address', { required: true });
    const family = address === undefined ? 0 : isIP(address);
    const length = a.num('length', { min: 0, max: family === 6 ? 128 : 32 }) ?? (family === 6 ? 128 : 32);
    if (address !== undefined && family === 0) a.problems.error(a.at('address'), `expected an IP address, got "${address}"`);
    else if (address !== undefined) out.push({ address, length });
    a.finish();
  }
  return out;
}

/**
 * `tcp_proxy`: `cluster`, `routes[]` (`cluster`, `source_addrs`, `destination_addrs` as
 * `{address, length}` CIDRs), `max_connect_attempts` (default 1), `idle_timeout` (default 1h; a number is
 * nanoseconds, as in MOSN), `stat_prefix`.
 */
export const tcpProxyFilter: NetworkFilterExtension = {
  create(c, ctx) {
    const checkCluster = (name: string | undefined, key: string, r: ConfigReader): void => {
      if (name !== undefined && !ctx.clusters.get(name)) {
        r.problems.error(r.at(key), `cluster "${name}" is not defined in cluster_manager.clusters; defined: ${ctx.clusters.names().join(', ') || '(none)'}`);
      }
    };
    const cluster = c.str('cluster');
    checkCluster(cluster, 'cluster', c);
    const routes: TcpRouteConfig[] = [];
    for (const r of c.objects('routes')) {
      const name = r.str('cluster', { required: true });
      checkCluster(name, 'cluster', r);
      // MOSN's route struct has no JSON tags: its keys are SourceAddrs/DestinationAddrs; accept both spellings.
      const route = {
        cluster: name ?? '',
        sourceAddrs: [...cidrs(r, 'source_addrs'), ...cidrs(r, 'SourceAddrs')],
        destinationAddrs: [...cidrs(r, 'destination_addrs'), ...cidrs(r, 'DestinationAddrs')],
      };
      r.refuse(['source_port', 'destination_port', 'SourcePort', 'DestinationPort'], 'is not supported by mosn-ts yet (the route would match every port)');
      r.finish();
      if (name !== undefined) routes.push(route);
    }
    if (cluster === undefined && routes.length === 0) c.problems.error(c.path, 'expected "cluster" or at least one of "routes"');
    const maxConnectAttempts = c.num('max_connect_attempts', { min: 1, max: 100 }) ?? 1;
    const idleTimeoutMs = c.duration('idle_timeout', { numberUnit: 'ns' }) ?? DEFAULT_TCP_IDLE_TIMEOUT_MS;
    const statPrefix = c.str('stat_prefix') ?? ctx.listenerName;
    c.finish();
    return new TcpProxyFilterFactory(
      { ...(cluster !== undefined ? { cluster } : {}), routes, maxConnectAttempts, idleTimeoutMs, statPrefix },
      ctx.clusters,
      ctx.stats,
    );
  },
};
