import {
  Cluster,
  HealthChecker,
  StreamFilterChainFactory,
  LruSessionCache,
  OriginalDstSource,
  OutlierDetector,
  RouterConfig,
  StrictDnsSource,
  compileAccessLogFormat,
  originalDstLb,
  roundRobin,
  type AccessLog,
  type AccessLogSink,
  type Address,
  type Logger,
  type NetworkFilterFactory,
  type Stats,
  type Tracer,
} from '@mosn/proxy';
import type { ClusterSpec, ListenerSpec, RouterSpec } from '../config/types.js';
import { codecFor, type Extensions, type FilterBuildContext } from '../extensions.js';
import { clientTls } from './tls.js';

/** What building live objects from config values needs: the runtime's extensions, stats and logger. */
export interface BuildDeps {
  readonly ext: Extensions;
  readonly stats: Stats;
  readonly logger: Logger;
  /** The sink of an access log path (the runtime's writers, one per path). */
  readonly accessLogSink?: (path: string) => AccessLogSink;
  /** The runtime's tracing, when the config has it: every listener's `proxy` filter records spans with it. */
  readonly tracer?: Tracer | undefined;
}

/**
 * A Cluster from its config value, with its host source (DNS, original destination), outlier detector and health
 * checker attached but not started (`startCluster`).
 */
export function buildCluster(spec: ClusterSpec, deps: BuildDeps): Cluster {
  const { ext, stats, logger } = deps;
  const lb = spec.lbType === 'LB_ORIGINAL_DST' ? originalDstLb : (ext.loadBalancers.get(spec.lbType) ?? roundRobin);
  // TLS sessions are kept per cluster (keyed by host), so a reconnect resumes instead of a full handshake
  const config = spec.tls ? { ...spec.config, tls: clientTls(spec.tls, new LruSessionCache()) } : spec.config;
  const cluster = new Cluster(config, lb, ext.pools, logger, { timeRequests: stats.timing });
  if (spec.dns) cluster.setHostSource(new StrictDnsSource(cluster, [...spec.dns.hosts], spec.dns.settings, { stats }));
  if (spec.originalDst) cluster.setHostSource(new OriginalDstSource(cluster, spec.originalDst, { stats }));
  if (spec.outlierDetection) cluster.outlierDetector = new OutlierDetector(cluster, spec.outlierDetection, { stats });
  if (spec.healthCheck) cluster.healthChecker = new HealthChecker(cluster, spec.healthCheck, { codecFor: (p) => codecFor(ext, p), stats });
  return cluster;
}

/**
 * Start what a new cluster runs on its own: its host source first (the first DNS answer is awaited, so requests
 * find hosts), then the outlier detector (a passing active check is what un-ejects a host), then health checks.
 */
export async function startCluster(cluster: Cluster, listenerAddresses: () => readonly Address[]): Promise<void> {
  await cluster.hostSource?.start({ listenerAddresses });
  cluster.outlierDetector?.start();
  cluster.healthChecker?.start();
}

export function buildRouter(spec: RouterSpec): RouterConfig {
  return new RouterConfig(spec.name, spec.virtualHosts, {
    ...(spec.requestHeaders ? { requestHeaders: spec.requestHeaders } : {}),
    ...(spec.responseHeaders ? { responseHeaders: spec.responseHeaders } : {}),
  });
}

/**
 * The network filter factories of a listener, from its filters' config values, over the live clusters and routers;
 * its stream filter factories are made here too, once per listener config, for its `proxy` filter.
 */
export function buildFilterChain(
  spec: ListenerSpec,
  ctx: Omit<FilterBuildContext, 'listenerName' | 'streamFilters' | 'accessLogs'>,
  accessLogSink?: (path: string) => AccessLogSink,
): NetworkFilterFactory[] {
  const streamFilters = buildStreamFilters(spec, ctx);
  const accessLogs = accessLogSink ? buildAccessLogs(spec, accessLogSink) : undefined;
  return spec.filters.map((f) => {
    const extension = ctx.extensions.networkFilters.get(f.type);
    if (!extension) throw new Error(`network filter "${f.type}" is not registered (the config reader accepted it: a bug)`);
    return extension.build(f.config, { ...ctx, listenerName: spec.name, streamFilters, accessLogs });
  });
}

/** A listener's access logs, each format compiled once (undefined when it has none: its requests record nothing). */
function buildAccessLogs(spec: ListenerSpec, sink: (path: string) => AccessLogSink): AccessLog[] | undefined {
  const specs = spec.accessLogs ?? [];
  if (specs.length === 0) return undefined;
  return specs.map((a) => ({ format: compileAccessLogFormat(a.format), sink: sink(a.path) }));
}

/** A listener's stream filter factories (undefined when it has none: its requests then make no filter chain). */
function buildStreamFilters(spec: ListenerSpec, ctx: Omit<FilterBuildContext, 'listenerName' | 'streamFilters' | 'accessLogs'>): StreamFilterChainFactory | undefined {
  const statPrefix = `listener.${spec.name}.`;
  const buildContext = { listenerName: spec.name, stats: ctx.stats, logger: ctx.logger, statPrefix };
  const factories = (spec.streamFilters ?? []).map((f) => {
    const extension = ctx.extensions.streamFilters.get(f.type);
    if (!extension) throw new Error(`stream filter "${f.type}" is not registered (the config reader accepted it: a bug)`);
    return extension.build(f.config, buildContext);
  });
  return StreamFilterChainFactory.of(factories, ctx.stats, statPrefix);
}
