/**
 * From the runtime's flat stat names (`listener.<name>.downstream_rq_total`) to Prometheus series: a metric name
 * and labels. The mapping, documented in docs/operations.md ("Metrics"):
 * - `listener.<name>.<stat>` → labels `{listener="<name>"}`; `cluster.<name>.<stat>` → `{cluster="<name>"}`
 *   (the cluster's subsystems keep their part: `cluster.c.health_check.success` → `mosn_cluster_health_check_success`).
 * - Where MOSN (pkg/metrics/downstream.go, upstream.go) has the same metric, its name: `downstream_request_total`,
 *   `upstream_connection_con_fail`, ... (MOSN's type prefix and key, flattened as its sink does, no `mosn_` prefix),
 *   so dashboards built for MOSN keep working.
 * - Else `mosn_<scope>_<stat>` with dots as underscores (`config.apply_total` → `mosn_config_apply_total`).
 * Listener and cluster names may hold dots, so the name is everything between the scope and the stat's last part;
 * subsystems of a cluster are recognised by name (`CLUSTER_SUBSYSTEMS`).
 */

/** One Prometheus series. `key`: the name stats_matcher's `exclusion_keys` matches (MOSN's key, or the stat's last part). */
export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly keys: readonly string[];
  readonly value: number;
}

/** mosn-ts stat → MOSN's metric (type prefix + key), for the listener scope. */
const MOSN_DOWNSTREAM: Readonly<Record<string, string>> = {
  downstream_cx_total: 'downstream_connection_total',
  downstream_rq_total: 'downstream_request_total',
  downstream_rq_reset: 'downstream_request_reset',
};

/** mosn-ts stat → MOSN's metric, for the cluster scope. */
const MOSN_UPSTREAM: Readonly<Record<string, string>> = {
  upstream_cx_connect_failed: 'upstream_connection_con_fail',
  upstream_rq_pending_overflow: 'upstream_request_pending_overflow',
};

/** Parts of a cluster's stats that name a subsystem (`cluster.<name>.<subsystem>.<stat>`). */
const CLUSTER_SUBSYSTEMS = ['health_check', 'outlier_detection', 'dns', 'original_dst'];

const INVALID = /[^a-zA-Z0-9_:]/g;

/** MOSN's flattenKey: every character Prometheus does not allow in a name becomes `_`. */
export function flattenName(name: string): string {
  return name.replace(INVALID, '_');
}

/** The series for one stat. */
export function toSeries(stat: string, value: number): Series {
  const dot = stat.indexOf('.');
  const scope = dot < 0 ? '' : stat.slice(0, dot);
  if (scope === 'listener' || scope === 'cluster') {
    const rest = stat.slice(dot + 1);
    let cut = rest.lastIndexOf('.');
    if (scope === 'cluster') {
      for (const sub of CLUSTER_SUBSYSTEMS) {
        const at = rest.lastIndexOf(`.${sub}.`);
        if (at >= 0) {
          cut = at;
          break;
        }
      }
    }
    if (cut > 0) {
      const owner = rest.slice(0, cut);
      const metric = rest.slice(cut + 1);
      const mosn = (scope === 'listener' ? MOSN_DOWNSTREAM : MOSN_UPSTREAM)[metric];
      const last = metric.slice(metric.lastIndexOf('.') + 1);
      const keys = mosn ? [last, mosn.slice(mosn.indexOf('_') + 1)] : [last];
      return { name: mosn ?? flattenName(`mosn_${scope}_${metric}`), labels: { [scope]: owner }, keys, value };
    }
  }
  return { name: flattenName(`mosn_${stat}`), labels: {}, keys: [stat.slice(stat.lastIndexOf('.') + 1)], value };
}
