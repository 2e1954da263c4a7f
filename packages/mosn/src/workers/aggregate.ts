import type { ClusterSummary, HostSummary, ListenerSummary } from '../admin/live/types.js';

/**
 * Stats that each worker holds as its own view of one shared thing, not as its share of the load: summing them
 * would count the same hosts (or the same config) once per worker. They are shown as the highest worker's value.
 */
const VIEW = /(^config\.version$|\.health_check\.healthy$|\.outlier_detection\.ejections_active$)/;

/** Whether the stat `name` is one worker's view of shared state (not summed over the workers). */
export function isViewStat(name: string): boolean {
  return VIEW.test(name);
}

/**
 * The stats of a mosn with workers, as one process would have them (Envoy sums its worker threads' stats the same
 * way): counters summed over the workers, and so are the gauges of load (`downstream_cx_active`, `upstream_rq_active`,
 * ...); view gauges (`isViewStat`) the highest. `own` are the primary's (`workers.*`, `xds.*`, `registry.*`).
 */
export function sumStats(workers: readonly Readonly<Record<string, number>>[], own: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const snapshot of workers) {
    for (const [name, value] of Object.entries(snapshot)) {
      const have = out[name];
      out[name] = have === undefined ? value : isViewStat(name) ? Math.max(have, value) : have + value;
    }
  }
  for (const [name, value] of Object.entries(own)) out[name] = (out[name] ?? 0) + value;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** What the live admin page shows of one worker, or of the group. */
export interface LiveSummary {
  readonly listeners: readonly ListenerSummary[];
  readonly clusters: readonly ClusterSummary[];
}

/**
 * The workers' live summaries as one mosn's: a listener's connections, a cluster's and a host's requests, failures,
 * active requests and connections summed; a host is healthy (and healthy by the active checks) when it is in every
 * worker, ejected when it is in any; a cluster's host count is the highest worker's, its healthy count the lowest.
 * Listeners, clusters and hosts in the order the first worker that has them gives.
 */
export function mergeLive(workers: readonly LiveSummary[]): LiveSummary {
  const listeners = new Map<string, ListenerSummary>();
  const clusters = new Map<string, { c: ClusterSummary; hosts: Map<string, HostSummary> }>();
  for (const w of workers) {
    for (const l of w.listeners) {
      const have = listeners.get(l.name);
      listeners.set(l.name, have ? { ...have, connections: have.connections + l.connections } : l);
    }
    for (const c of w.clusters) {
      const have = clusters.get(c.name);
      if (!have) {
        clusters.set(c.name, { c, hosts: new Map(c.hosts.map((h) => [h.address, h])) });
        continue;
      }
      have.c = {
        ...have.c,
        healthCheck: have.c.healthCheck || c.healthCheck,
        outlierDetection: have.c.outlierDetection || c.outlierDetection,
        hostCount: Math.max(have.c.hostCount, c.hostCount),
        healthyCount: Math.min(have.c.healthyCount, c.healthyCount),
        requests: have.c.requests + c.requests,
        failed: have.c.failed + c.failed,
      };
      for (const h of c.hosts) {
        const other = have.hosts.get(h.address);
        have.hosts.set(
          h.address,
          other
            ? {
                address: h.address,
                healthy: other.healthy && h.healthy,
                activeHealthy: other.activeHealthy && h.activeHealthy,
                ejected: other.ejected || h.ejected,
                activeRequests: other.activeRequests + h.activeRequests,
                connections: other.connections + h.connections,
                requests: other.requests + h.requests,
                failed: other.failed + h.failed,
              }
            : h,
        );
      }
    }
  }
  return { listeners: [...listeners.values()], clusters: [...clusters.values()].map(({ c, hosts }) => ({ ...c, hosts: [...hosts.values()] })) };
}
