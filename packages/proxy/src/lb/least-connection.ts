import type { LoadBalancerFactory } from './load-balancer.js';
import { leastLoaded } from './least-request.js';

/**
 * `LB_LEAST_CONNECTION`: fewest open upstream connections (`Host.activeConnections`), sampled and weighted as
 * `LB_LEAST_REQUEST` is; `active_request_bias` is the connection bias too, as in MOSN.
 */
export const leastConnection: LoadBalancerFactory = leastLoaded((h) => h.activeConnections);
