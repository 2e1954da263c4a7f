import {
  ProtocolRegistry,
  Registry,
  http1PoolFactory,
  http2PoolFactory,
  rpcPoolFactory,
  LOAD_BALANCERS,
  type ClusterManager,
  type ConfigReader,
  type LoadBalancerFactory,
  type Logger,
  type NetworkFilterFactory,
  type PoolFactory,
  type RouterManager,
  type Stats,
} from '@mosn/proxy';
import { boltCodec, boltv2Codec } from '@mosn/protocol-bolt';
import { dubboCodec } from '@mosn/protocol-dubbo';
import { proxyFilter } from './filters/proxy.js';
import { tcpProxyFilter } from './filters/tcp-proxy.js';

/** What a network filter's config reader may look at while it checks and builds. */
export interface FilterBuildContext {
  readonly clusters: ClusterManager;
  readonly routers: RouterManager;
  readonly extensions: Extensions;
  readonly stats: Stats;
  readonly listenerName: string;
  readonly logger: Logger;
}

/**
 * A network filter type (`filter_chains[].filters[].type`). `create` reads and checks the filter's
 * `config` (problems go to the reader, with their JSON paths) and returns the per-listener factory.
 */
export interface NetworkFilterExtension {
  create(config: ConfigReader, ctx: FilterBuildContext): NetworkFilterFactory | undefined;
}

/** The extension registries of one runtime instance. */
export interface Extensions {
  readonly protocols: ProtocolRegistry;
  readonly networkFilters: Registry<NetworkFilterExtension>;
  readonly loadBalancers: Registry<LoadBalancerFactory>;
  readonly clusterTypes: Registry<true>;
  /** Upstream connection pools by protocol name (lowercase). */
  readonly pools: Map<string, PoolFactory>;
  /** Stream filter types MOSN retired: accepted as no-ops with a warning. */
  readonly retiredStreamFilters: ReadonlySet<string>;
}

/**
 * The one place where every extension is registered. Nothing registers itself by being imported.
 */
export function defaultExtensions(): Extensions {
  const protocols = ProtocolRegistry.withHttp();
  protocols.registerCodec(boltCodec);
  protocols.registerCodec(boltv2Codec);
  protocols.registerCodec(dubboCodec);

  const networkFilters = new Registry<NetworkFilterExtension>('network filter');
  networkFilters.register('proxy', proxyFilter);
  networkFilters.register('tcp_proxy', tcpProxyFilter);

  const loadBalancers = new Registry<LoadBalancerFactory>('load balancer');
  for (const [name, factory] of Object.entries(LOAD_BALANCERS)) loadBalancers.register(name, factory);

  const clusterTypes = new Registry<true>('cluster type');
  clusterTypes.register('SIMPLE', true);
  clusterTypes.register('STRICT_DNS', true);
  clusterTypes.register('ORIGINAL_DST', true);

  const pools = new Map<string, PoolFactory>([
    ['http1', http1PoolFactory],
    ['http2', http2PoolFactory],
  ]);
  for (const e of protocols.entries()) if (e.kind === 'xprotocol') pools.set(e.name.toLowerCase(), rpcPoolFactory(e.codec));

  return {
    protocols,
    networkFilters,
    loadBalancers,
    clusterTypes,
    pools,
    retiredStreamFilters: new Set(['healthcheck']),
  };
}
