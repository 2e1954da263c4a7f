import type { LoadBalancerFactory } from './load-balancer.js';
import { random, roundRobin } from './round-robin.js';
import { leastConnection } from './least-connection.js';
import { leastRequest } from './least-request.js';
import { maglev } from './maglev.js';
import { peakEwma } from './peak-ewma.js';
import { requestRoundRobin } from './request-round-robin.js';
import { weightedRoundRobin } from './weighted-round-robin.js';

export { leastConnection } from './least-connection.js';
export { leastLoaded, leastRequest } from './least-request.js';
export { MAGLEV_TABLE_SIZE, hashString, maglev, maglevTable } from './maglev.js';
export { HealthView, candidatesWithPanic } from './panic.js';
export { peakEwma } from './peak-ewma.js';
export { DEFAULT_SLOW_START_AGGRESSION, DEFAULT_SLOW_START_MIN_WEIGHT, slowStartFactor, type SlowStartConfig } from './slow-start.js';
export { FALLBACK_POLICIES, hostMatches, metadataMatch, subsetLoadBalancer, type FallbackPolicy, type Metadata, type MetadataMatch, type SubsetConfig } from './subset.js';
export { requestRoundRobin } from './request-round-robin.js';
export {
  DEFAULT_ACTIVE_REQUEST_BIAS,
  DEFAULT_CHOICE_COUNT,
  DEFAULT_PANIC_THRESHOLD,
  readSettings,
  type LbSettings,
  type RetryLbContext,
} from './settings.js';
export { weightedRoundRobin } from './weighted-round-robin.js';
export { random, roundRobin } from './round-robin.js';

/** Every `lb_type` of MOSN but `LB_ORIGINAL_DST` (a cluster type's balancer), by its MOSN name. */
export const LOAD_BALANCERS: Readonly<Record<string, LoadBalancerFactory>> = {
  LB_ROUNDROBIN: roundRobin,
  LB_RANDOM: random,
  LB_WEIGHTED_ROUNDROBIN: weightedRoundRobin,
  LB_LEAST_REQUEST: leastRequest,
  LB_LEAST_CONNECTION: leastConnection,
  LB_MAGLEV: maglev,
  LB_REQUEST_ROUNDROBIN: requestRoundRobin,
  LB_PEAK_EWMA: peakEwma,
};
