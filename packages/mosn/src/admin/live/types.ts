// The live admin page's contracts: what the feed reads of the running mosn, and the frame it sends each second.

/** A running listener as the page shows it. */
export interface ListenerSummary {
  readonly name: string;
  /** `ip:port` as bound (the real port when the config said 0), or the unix socket path. */
  readonly address: string;
  /** What its filter chain serves: the proxy's downstream protocols (`Http1`, `auto: Http1, Http2, bolt`), or `TCP`. */
  readonly protocol: string;
  /** Downstream connections open now. */
  readonly connections: number;
}

/** A host of a running cluster as the page shows it (with workers: summed over them). */
export interface HostSummary {
  /** `ip:port` */
  readonly address: string;
  /** The load balancers may choose it: healthy by the active checks and not ejected. */
  readonly healthy: boolean;
  /** The active health checks' verdict (true when the cluster has none). */
  readonly activeHealthy: boolean;
  /** Ejected by the outlier detector now. */
  readonly ejected: boolean;
  readonly activeRequests: number;
  readonly connections: number;
  /** Upstream requests so far, and the failed tries among them (5xx answers, timeouts). */
  readonly requests: number;
  readonly failed: number;
}

/** A running cluster as the page shows it: its first MAX_HOSTS_SHOWN hosts, counts of all. */
export interface ClusterSummary {
  readonly name: string;
  readonly healthCheck: boolean;
  readonly outlierDetection: boolean;
  readonly hostCount: number;
  readonly healthyCount: number;
  readonly hosts: readonly HostSummary[];
  /** Upstream requests so far, and the failed tries among them. */
  readonly requests: number;
  readonly failed: number;
}

/** What the live feed reads of the running mosn, on each frame (nothing is kept between frames but counter values). */
export interface LiveSource {
  /** The listeners serving now, in config order. */
  listeners(): readonly ListenerSummary[];
  /** The clusters now, with their hosts, health and load. */
  clusters(): readonly ClusterSummary[];
  /** One stat by its full name (`listener.l1.downstream_rq_total`); 0 when it was never counted. */
  stat(name: string): number;
}

/** One host in a frame. */
export interface HostFrame {
  readonly address: string;
  /** The load balancers may choose it: healthy by the active checks and not ejected. */
  readonly healthy: boolean;
  /** The active health checks' verdict (true when the cluster has none). */
  readonly activeHealthy: boolean;
  /** Ejected by the outlier detector now. */
  readonly ejected: boolean;
  readonly activeRequests: number;
  readonly connections: number;
  readonly rates: Rates;
}

/** Requests and errors per second since the previous frame; null in the first frame (no previous sample yet). */
export interface Rates {
  readonly requests: number | null;
  readonly errors: number | null;
}

export interface ListenerFrame extends ListenerSummary {
  readonly rates: Rates;
}

export interface ClusterFrame {
  readonly name: string;
  readonly healthCheck: boolean;
  readonly outlierDetection: boolean;
  /** Hosts in all, and how many of them are healthy (listed or not). */
  readonly hostCount: number;
  readonly healthyCount: number;
  /** The first MAX_HOSTS_SHOWN hosts, in the cluster's order. */
  readonly hosts: readonly HostFrame[];
  readonly rates: Rates;
}

/** What the feed sends each second, as one Server-Sent Event `data:` line of JSON. */
export interface LiveFrame {
  /** When it was taken (ms since the epoch). */
  readonly time: number;
  /** The running config's version (1 at start, one more per applied change). */
  readonly version: number;
  /** MOSN's name of the stage (`Running`, `GracefulStopping`, ...). */
  readonly state: string;
  readonly pid: number;
  readonly listeners: readonly ListenerFrame[];
  readonly clusters: readonly ClusterFrame[];
}
