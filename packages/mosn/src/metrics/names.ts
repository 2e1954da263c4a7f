/**
 * From the runtime's flat stat names (`listener.<name>.downstream_rq_total`) to Prometheus series: a metric name
 * and labels. The mapping, documented in docs/operations.md ("Metrics"):
 * - `listener.<name>.<stat>` → labels `{listener="<name>"}`; `cluster.<name>.<stat>` → `{cluster="<name>"}`
 *   (the cluster's subsystems keep their part: `cluster.c.health_check.success` → `mosn_cluster_health_check_success`).
 * - Where MOSN (pkg/metrics/downstream.go, upstream.go) has the same metric, its name: `downstream_request_total`,
 *   `upstream_connection_con_fail`, ... (MOSN's type prefix and key, flattened as its sink does, no `mosn_` prefix),
 *   so dashboards built for MOSN keep working.
 * - The per-method families of `dubbo_stream` and `grpc_metric` (`listener.<name>.dubbo.<service>.<method>.<stat>`)
 *   as MOSN's: `mosn_request_total{listener, service, method}`, `grpc_request_total{listener, service="/<s>/<m>"}`.
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
  /** A part of a histogram (`name` is the histogram's): one bucket (its upper bound), or its sum or count. */
  readonly histogram?: { readonly part: 'bucket'; readonly le: string } | { readonly part: 'sum' | 'count' };
}

/** mosn-ts stat → MOSN's metric (type prefix + key), for the listener scope. */
const MOSN_DOWNSTREAM: Readonly<Record<string, string>> = {
  downstream_cx_total: 'downstream_connection_total',
  downstream_cx_destroy: 'downstream_connection_destroy',
  downstream_cx_active: 'downstream_connection_active',
  downstream_cx_tx_bytes_buffered: 'downstream_bytes_write_buffered',
  downstream_cx_rx_bytes_buffered: 'downstream_bytes_read_buffered',
  downstream_rq_total: 'downstream_request_total',
  downstream_rq_reset: 'downstream_request_reset',
};

/** mosn-ts stat → MOSN's metric, for the cluster scope. */
const MOSN_UPSTREAM: Readonly<Record<string, string>> = {
  upstream_cx_connect_failed: 'upstream_connection_con_fail',
  upstream_rq_pending_overflow: 'upstream_request_pending_overflow',
  upstream_rq_total: 'upstream_request_total',
  upstream_rq_active: 'upstream_request_active',
  upstream_rq_timeout: 'upstream_request_timeout',
};

/** A host's stat under its cluster: `cluster.<cluster>.host.<address>.<upstream stat>`. */
const HOST_STAT = /^(.+)\.host\.(.+?)\.(upstream_rq_[a-z0-9_]+(?:\.bucket\.[a-z0-9_]+|\.sum|\.count)?)$/;

/** A histogram's part: `<metric>.bucket.<le>` (`2_5`, `inf`), `<metric>.sum`, `<metric>.count`. */
const HISTOGRAM_PART = /^(.+)\.(?:bucket\.([a-z0-9_]+)|(sum|count))$/;

/** A series of `metric` (a histogram's parts named by the histogram) with these labels. */
function seriesOf(scope: string, metric: string, labels: Record<string, string>, value: number): Series {
  const h = HISTOGRAM_PART.exec(metric);
  const base = h ? h[1]! : metric;
  const mosn = (scope === 'listener' ? MOSN_DOWNSTREAM : MOSN_UPSTREAM)[base];
  const last = base.slice(base.lastIndexOf('.') + 1);
  const keys = mosn ? [last, mosn.slice(mosn.indexOf('_') + 1)] : [last];
  const name = mosn ?? flattenName(`mosn_${scope}_${base}`);
  if (!h) return { name, labels, keys, value };
  const histogram = h[2] !== undefined ? { part: 'bucket' as const, le: h[2] === 'inf' ? '+Inf' : h[2].replace('_', '.') } : { part: h[3] as 'sum' | 'count' };
  return { name, labels, keys, value, histogram };
}

/** Parts of a cluster's stats that name a subsystem (`cluster.<name>.<subsystem>.<stat>`). */
const CLUSTER_SUBSYSTEMS = ['health_check', 'outlier_detection', 'dns', 'original_dst'];

const INVALID = /[^a-zA-Z0-9_:]/g;

/** MOSN's flattenKey: every character Prometheus does not allow in a name becomes `_`. */
export function flattenName(name: string): string {
  return name.replace(INVALID, '_');
}

/** A listener's per-method families (`dubbo_stream`, `grpc_metric`) and MOSN's metrics type of each. */
const METHOD_FAMILIES: Readonly<Record<string, string>> = { dubbo: 'mosn', grpc: 'grpc' };
const METHOD_STATS = new Set(['request_total', 'response_succ_total', 'response_fail_total']);

/** One stat of a per-method family: `listener.<listener>.<kind>.<service>.<method>.<stat>`. */
export interface MethodStatName {
  readonly listener: string;
  readonly kind: string;
  readonly service: string;
  readonly method: string;
  readonly stat: string;
}

/**
 * The parts of a per-method family stat, or undefined for any other stat. A method name has no dot (a Java or
 * protobuf method name); a service name may (`org.demo.Greeter`), and so may a listener name: the family is the
 * first `.dubbo.` or `.grpc.` after `listener.`.
 */
export function methodStatName(name: string): MethodStatName | undefined {
  if (!name.startsWith('listener.')) return undefined;
  const last = name.lastIndexOf('.');
  const stat = name.slice(last + 1);
  if (!METHOD_STATS.has(stat)) return undefined;
  const before = name.lastIndexOf('.', last - 1);
  const rest = name.slice('listener.'.length, before);
  let at = -1;
  let kind = '';
  for (const k of Object.keys(METHOD_FAMILIES)) {
    const i = rest.indexOf(`.${k}.`);
    if (i > 0 && (at < 0 || i < at)) [at, kind] = [i, k];
  }
  if (at < 0) return undefined;
  return { listener: rest.slice(0, at), kind, service: rest.slice(at + kind.length + 2), method: name.slice(before + 1, last), stat };
}

/**
 * A per-method family's series, as MOSN names it: `dubbo_stream`'s `mosn_<stat>{listener, service, method}`,
 * `grpc_metric`'s `grpc_<stat>{service="/<service>/<method>"}` (MOSN's full method) with the listener added.
 */
function methodSeries(m: MethodStatName, value: number): Series {
  const name = `${METHOD_FAMILIES[m.kind]!}_${m.stat}`;
  const labels = m.kind === 'grpc' ? { listener: m.listener, service: `/${m.service}/${m.method}` } : { listener: m.listener, service: m.service, method: m.method };
  return { name, labels, keys: [m.stat], value };
}

/** The series for one stat. */
export function toSeries(stat: string, value: number): Series {
  const family = methodStatName(stat);
  if (family !== undefined) return methodSeries(family, value);
  const dot = stat.indexOf('.');
  const scope = dot < 0 ? '' : stat.slice(0, dot);
  if (scope === 'cluster') {
    const host = HOST_STAT.exec(stat.slice(dot + 1));
    if (host) return seriesOf(scope, host[3]!, { cluster: host[1]!, host: host[2]! }, value);
  }
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
    // a histogram's part (`upstream_rq_time.bucket.2_5`) belongs to the metric before it
    const part = /\.(?:bucket\.[a-z0-9_]+|sum|count)$/.exec(rest);
    if (part && cut > 0) cut = rest.lastIndexOf('.', part.index - 1);
    if (cut > 0) return seriesOf(scope, rest.slice(cut + 1), { [scope]: rest.slice(0, cut) }, value);
  }
  return { name: flattenName(`mosn_${stat}`), labels: {}, keys: [stat.slice(stat.lastIndexOf('.') + 1)], value };
}
