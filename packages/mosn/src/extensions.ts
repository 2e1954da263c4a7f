import {
  ProtocolRegistry,
  Registry,
  http1PoolFactory,
  http2PoolFactory,
  rpcPoolFactory,
  LOAD_BALANCERS,
  type ClusterManager,
  type LoadBalancerFactory,
  type Logger,
  type NetworkFilterFactory,
  type PoolFactory,
  type RouterManager,
  type Stats,
  type StreamFilterChainFactory,
  type XProtocolCodec,
  type AccessLog,
  type Tracer,
} from '@mosn/proxy';
import { boltCodec, boltv2Codec } from '@mosn/protocol-bolt';
import { dubboCodec } from '@mosn/protocol-dubbo';
import { proxyFilter } from './filters/proxy.js';
import { tcpProxyFilter } from './filters/tcp-proxy.js';
import { faultInjectFilter } from './filters/fault-inject.js';
import {
  dubboStreamFilter,
  faultFilter,
  flowControlFilter,
  grpcMetricFilter,
  gzipFilter,
  ipAccessFilter,
  jwtAuthnFilter,
  mirrorFilter,
  payloadLimitFilter,
  type StreamFilterExtension,
} from './stream-filters/index.js';
import type { ConfigReader } from './config/config-reader.js';
import type { ClusterSpec, RouterSpec } from './config/types.js';

/** What a network filter's config reader may look at: the rest of the config, already read. */
export interface FilterReadContext {
  readonly extensions: Extensions;
  /** The config's clusters by name (read before listeners). */
  readonly clusters: ReadonlyMap<string, ClusterSpec>;
  /** The config's routers by name (read before listeners). */
  readonly routers: ReadonlyMap<string, RouterSpec>;
  readonly listenerName: string;
  /** With xDS, clusters may arrive after the filters naming them (see `ClusterRefs`). */
  readonly dynamicClusters?: boolean;
}

/** What building a filter of a running listener may use: the live clusters, routers and stats. */
export interface FilterBuildContext {
  readonly clusters: ClusterManager;
  readonly routers: RouterManager;
  readonly extensions: Extensions;
  readonly stats: Stats;
  readonly listenerName: string;
  readonly logger: Logger;
  /** The listener's stream filters (undefined: none), made once per listener config: the `proxy` filter runs them. */
  readonly streamFilters?: StreamFilterChainFactory | undefined;
  /** The listener's access logs (undefined: none), made once per listener config: `proxy` and `tcp_proxy` write them. */
  readonly accessLogs?: readonly AccessLog[] | undefined;
  /** The runtime's tracing (undefined: mosn does not trace): the `proxy` filter records its requests' spans. */
  readonly tracer?: Tracer | undefined;
}

/**
 * A network filter type (`filter_chains[].filters[].type`), in two steps as every config section: `read` checks the
 * filter's `config` (problems go to the reader, with their JSON paths) and returns a plain config value (no live
 * object); `build` makes the per-listener factory from that value when the listener is applied. Live objects
 * (clusters, routers) are looked up by name through the managers, so a filter is not rebuilt when they change.
 */
export interface NetworkFilterExtension<C = unknown> {
  read(config: ConfigReader, ctx: FilterReadContext): C | undefined;
  build(config: C, ctx: FilterBuildContext): NetworkFilterFactory;
  /** The clusters and routers a config value names (a change that removes one of them is refused). */
  references?(config: C): { clusters?: readonly string[]; routers?: readonly string[] };
}

/** The extension registries of one runtime instance. */
export interface Extensions {
  readonly protocols: ProtocolRegistry;
  readonly networkFilters: Registry<NetworkFilterExtension<any>>;
  /** Stream filter types (`listeners[].stream_filters[].type`). */
  readonly streamFilters: Registry<StreamFilterExtension<any>>;
  readonly loadBalancers: Registry<LoadBalancerFactory>;
  readonly clusterTypes: Registry<true>;
  /** Upstream connection pools by protocol name (lowercase). */
  readonly pools: Map<string, PoolFactory>;
  /** Stream filter types MOSN retired: accepted as no-ops with a warning. */
  readonly retiredStreamFilters: ReadonlySet<string>;
}

/** The RPC codec of a protocol name (case-insensitive): what checks a cluster's hosts by heartbeat (`health_check`). */
export function codecFor(ext: Extensions, protocol: string): XProtocolCodec | undefined {
  const e = ext.protocols.get(protocol);
  return e?.kind === 'xprotocol' ? e.codec : undefined;
}

/**
 * The one place where every extension is registered. Nothing registers itself by being imported.
 */
export function defaultExtensions(): Extensions {
  const protocols = ProtocolRegistry.withHttp();
  protocols.registerCodec(boltCodec);
  protocols.registerCodec(boltv2Codec);
  protocols.registerCodec(dubboCodec);

  // each filter type has its own config value type
  const networkFilters = new Registry<NetworkFilterExtension<any>>('network filter');
  networkFilters.register('proxy', proxyFilter);
  networkFilters.register('tcp_proxy', tcpProxyFilter);
  networkFilters.register('fault_inject', faultInjectFilter);

  const streamFilters = new Registry<StreamFilterExtension<any>>('stream filter');
  streamFilters.register('fault', faultFilter);
  streamFilters.register('payload_limit', payloadLimitFilter);
  streamFilters.register('ip_access', ipAccessFilter);
  streamFilters.register('mirror', mirrorFilter);
  streamFilters.register('flowControlFilter', flowControlFilter);
  streamFilters.register('gzip', gzipFilter);
  streamFilters.register('dubbo_stream', dubboStreamFilter);
  streamFilters.register('grpc_metric', grpcMetricFilter);
  streamFilters.register('jwt_authn', jwtAuthnFilter);

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
    streamFilters,
    loadBalancers,
    clusterTypes,
    pools,
    retiredStreamFilters: new Set(['healthcheck']),
  };
}
