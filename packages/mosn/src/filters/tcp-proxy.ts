import { isIP } from 'node:net';
import { DEFAULT_TCP_IDLE_TIMEOUT_MS, TcpProxyFilterFactory, type Cidr, type TcpProxyConfig, type TcpRouteConfig } from '@mosn/proxy';
import { checkClusterDefined } from '../config/cluster.js';
import type { ConfigReader } from '../config/config-reader.js';
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
 * nanoseconds, as in MOSN), `stat_prefix`. Its config value is @mosn/proxy's TcpProxyConfig.
 */
export const tcpProxyFilter: NetworkFilterExtension<TcpProxyConfig> = {
  read(c, ctx) {
    const cluster = c.str('cluster');
    if (cluster !== undefined) checkClusterDefined(c, 'cluster', cluster, ctx);
    const routes: TcpRouteConfig[] = [];
    for (const r of c.objects('routes')) {
      const name = r.str('cluster', { required: true });
      if (name !== undefined) checkClusterDefined(r, 'cluster', name, ctx);
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
    return { ...(cluster !== undefined ? { cluster } : {}), routes, maxConnectAttempts, idleTimeoutMs, statPrefix };
  },

  build(config, ctx) {
    return new TcpProxyFilterFactory(config, ctx.clusters, ctx.stats, ctx.accessLogs);
  },

  references(config) {
    const names = [...(config.cluster !== undefined ? [config.cluster] : []), ...config.routes.map((r) => r.cluster)];
    return { clusters: [...new Set(names)] };
  },
};
