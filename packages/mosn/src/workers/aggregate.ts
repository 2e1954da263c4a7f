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
