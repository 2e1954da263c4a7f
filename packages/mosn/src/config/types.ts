import type {
  Address,
  ClusterConfig,
  HeaderEditConfig,
  HealthCheckConfig,
  HostConfig,
  OriginalDstConfig,
  OutlierDetectionConfig,
  StrictDnsConfig,
  VirtualHost,
} from '@mosn/proxy';

/**
 * The config values of mosn-ts: what the readers (one per config section, in this folder) make of MOSN's JSON,
 * and what `apply` (../runtime) turns into running listeners, routers and clusters. They are plain data: no
 * socket, timer or pool. Each section keeps `source`, the MOSN JSON it was read from: the running config is
 * dumped from it, and two versions of a section are the same when their sources are equal.
 */

/** A whole config, as read from one file (or assembled by a dynamic source), frozen. */
export interface MosnConfig {
  readonly logPath: string;
  readonly logLevel: string;
  readonly gracefulTimeoutMs: number;
  readonly admin: Address | undefined;
  /** In the order of `cluster_manager.clusters`. */
  readonly clusters: readonly ClusterSpec[];
  /** In the order of `servers[0].routers`. */
  readonly routers: readonly RouterSpec[];
  /** In the order of `servers[0].listeners`. */
  readonly listeners: readonly ListenerSpec[];
  /** The whole MOSN JSON document this config was read from. */
  readonly source: unknown;
}

/** One cluster of `cluster_manager.clusters[]`. */
export interface ClusterSpec {
  readonly name: string;
  /** The cluster's MOSN JSON. */
  readonly source: unknown;
  /** What the Cluster is built with. `hosts` is empty for STRICT_DNS and ORIGINAL_DST clusters. */
  readonly config: ClusterConfig;
  /** `lb_type`, upper case, as resolved (LB_ORIGINAL_DST for ORIGINAL_DST clusters). */
  readonly lbType: string;
  /** STRICT_DNS: the names to resolve and how. */
  readonly dns?: { readonly hosts: readonly HostConfig[]; readonly settings: StrictDnsConfig };
  /** ORIGINAL_DST (or LB_ORIGINAL_DST): how destinations are found. */
  readonly originalDst?: OriginalDstConfig;
  readonly healthCheck?: HealthCheckConfig;
  readonly outlierDetection?: OutlierDetectionConfig;
}

/** One router of `servers[0].routers[]`. */
export interface RouterSpec {
  readonly name: string;
  readonly source: unknown;
  readonly virtualHosts: readonly VirtualHost[];
  readonly requestHeaders?: HeaderEditConfig;
  readonly responseHeaders?: HeaderEditConfig;
}

/** One listener of `servers[0].listeners[]`. */
export interface ListenerSpec {
  readonly name: string;
  readonly source: unknown;
  readonly address: Address;
  readonly bufferLimit: number;
  readonly idleTimeoutMs: number;
  /** The network filters of its filter chain, in order (the last is `proxy` or `tcp_proxy`). */
  readonly filters: readonly NetworkFilterSpec[];
}

/** One network filter of a listener: its type and the config value its extension read. */
export interface NetworkFilterSpec {
  readonly type: string;
  readonly config: unknown;
}
