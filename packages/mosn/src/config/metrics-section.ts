import type { ConfigReader } from './config-reader.js';

/** MOSN's `metrics.stats_matcher`: which metrics no sink shows (MOSN's pkg/metrics/matcher.go). */
export interface StatsMatcher {
  /** No metric at all. */
  readonly rejectAll: boolean;
  /** A metric carrying any of these label keys (`listener`, `cluster`) is left out. */
  readonly exclusionLabels: readonly string[];
  /** A metric whose key (MOSN's `request_total`, or mosn-ts's stat name `downstream_rq_total`) is listed is left out. */
  readonly exclusionKeys: readonly string[];
}

/** The Prometheus sink: where it listens and the path it answers on. */
export interface PrometheusSinkConfig {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
}

/** The `metrics` section as mosn-ts runs it (docs/operations.md, "Metrics"). */
export interface MetricsConfig {
  /** At most one Prometheus sink (MOSN accepts several; a second one is refused). */
  readonly prometheus: PrometheusSinkConfig | undefined;
  readonly matcher: StatsMatcher;
}

const DEFAULT_ENDPOINT = '/metrics';
/** mosn-ts binds the sink to loopback unless `config.address` says otherwise (MOSN binds 0.0.0.0). */
const DEFAULT_HOST = '127.0.0.1';

/** `metrics`: sinks (prometheus only), stats_matcher, shm_zone and flush_mosn; undefined without `metrics`. */
export function readMetrics(root: ConfigReader): MetricsConfig | undefined {
  const m = root.obj('metrics');
  if (!m) return undefined;
  let prometheus: PrometheusSinkConfig | undefined;
  for (const sink of m.objects('sinks')) {
    const type = sink.str('type', { required: true });
    if (type === 'prometheus') {
      const c = sink.obj('config', { required: true });
      if (c) {
        const read = readPrometheus(c);
        if (read && prometheus) root.problems.error(sink.at('type'), 'a second prometheus sink: mosn-ts serves one; merge them');
        else if (read) prometheus = read;
      }
    } else if (type === 'console') {
      sink.ignore(['config'], 'the console sink (metrics printed to the log) is not supported by mosn-ts; ignored');
    } else if (type !== undefined) {
      root.problems.error(sink.at('type'), `unknown metrics sink type "${type}": mosn-ts has "prometheus"`);
      sink.inert(['config']);
    }
    sink.finish();
  }
  const matcher = readMatcher(m.obj('stats_matcher'));
  // MOSN keeps its metrics in shared memory for hot upgrade (`shm_zone`) and can flush its own process metrics
  // (`flush_mosn`), and creates metrics lazily (`lazy_flush`); mosn-ts keeps them in the process and has nothing to flush: accepted, no effect.
  m.str('shm_zone');
  m.inert(['shm_size']);
  m.bool('flush_mosn');
  m.bool('lazy_flush');
  m.ignore(['sample', 'ewma'], 'mosn-ts has no latency histograms yet; ignored');
  m.finish();
  return { prometheus, matcher };
}

function readPrometheus(c: ConfigReader): PrometheusSinkConfig | undefined {
  const push = c.has('export_url') && c.value('export_url') !== '';
  c.refuse(['export_url'], 'push mode (PushGateway) is not supported (MOSN does not support it either)');
  const port = c.num('port', { required: true, min: 1, max: 65535, integer: true });
  const endpoint = c.str('endpoint') || DEFAULT_ENDPOINT;
  if (!endpoint.startsWith('/')) c.problems.error(c.at('endpoint'), `expected a path starting with "/", got "${endpoint}"`);
  const host = c.str('address', { nonEmpty: true }) ?? DEFAULT_HOST;
  // Process and runtime collectors: mosn-ts exports none yet, so turning them off changes nothing.
  c.bool('disable_collect_process');
  c.bool('disable_collect_go');
  c.ignore(['percentiles'], 'mosn-ts has no latency histograms yet; ignored');
  c.finish();
  return push || port === undefined || !endpoint.startsWith('/') ? undefined : { host, port, endpoint };
}

function readMatcher(s: ConfigReader | undefined): StatsMatcher {
  const matcher = {
    rejectAll: s?.bool('reject_all') ?? false,
    exclusionLabels: s?.strings('exclusion_labels') ?? [],
    exclusionKeys: s?.strings('exclusion_keys') ?? [],
  };
  s?.finish();
  return matcher;
}
