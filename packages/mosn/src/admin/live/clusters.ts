import { hostHealthState, type Cluster } from '@mosn/proxy';
import { failedTries } from './rates.js';
import type { ClusterSummary } from './types.js';

/** The most hosts of one cluster a frame lists (an ORIGINAL_DST or registry cluster may have thousands). */
export const MAX_HOSTS_SHOWN = 200;

/** A running cluster as the live page shows it: its first MAX_HOSTS_SHOWN hosts with health and load, counts of all. */
export function clusterSummary(c: Cluster): ClusterSummary {
  const all = c.hosts;
  let healthyCount = 0;
  for (const h of all) if (h.healthy) healthyCount++;
  return {
    name: c.name,
    healthCheck: c.healthChecker !== undefined,
    outlierDetection: c.outlierDetector !== undefined,
    hostCount: all.length,
    healthyCount,
    hosts: all.slice(0, MAX_HOSTS_SHOWN).map((h) => {
      const { activeHealthy, ejected } = hostHealthState(h);
      return { address: h.addressText, healthy: h.healthy, activeHealthy, ejected, activeRequests: h.activeRequests, connections: h.activeConnections, requests: h.figures.total, failed: failedTries(h.figures) };
    }),
    requests: c.figures.total,
    failed: failedTries(c.figures),
  };
}
