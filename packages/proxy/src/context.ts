import type { AccessLog } from './access-log/request-log.js';
import type { RouterHandle } from './router/router.js';
import type { Stats } from './stats/stats.js';
import type { ListenerTracer } from './tracing/tracer.js';
import type { StreamFilterChainFactory } from './stream-filter/chain.js';
import type { ClusterManager } from './upstream/cluster.js';

/** What every request of one proxy filter shares. */
export interface ProxyContext {
  readonly clusters: ClusterManager;
  /** The listener's router: a request reads `current` once (a reload replaces it between requests). */
  readonly router: RouterHandle;
  readonly upstreamProtocol: string;
  readonly stats: Stats;
  /** Stats prefix of the listener (`listener.<name>.`). */
  readonly statPrefix: string;
  /** The listener's stream filters; undefined when it has none (its requests make no chain). */
  readonly streamFilters?: StreamFilterChainFactory | undefined;
  /** The listener's access logs; undefined when it has none (its requests record nothing). */
  readonly accessLogs?: readonly AccessLog[] | undefined;
  /** The runtime's tracing, for this listener; undefined when mosn does not trace (its requests record nothing). */
  readonly tracer?: ListenerTracer | undefined;
}
