import { CLUSTER, DUBBO_METHOD, LISTENER, TCP, downstreamRqStatus, methodScope, type ClusterStat, type ListenerStat, type MethodStat, type TcpStat } from './names.js';
import type { Counter, Stats } from './stats.js';
import { StatsLatency } from './latency.js';

/** One held Counter per name: resolved once, bumped without building or looking up a name. */
export type Counters<N extends string> = { readonly [K in N]: Counter };

function resolve<N extends string>(stats: Stats, prefix: string, names: readonly N[]): Counters<N> {
  const out = {} as Record<N, Counter>;
  for (const name of names) out[name] = stats.counter(prefix + name);
  return out;
}

const plain = <N extends string>(names: Readonly<Record<string, string>>): N[] => Object.keys(names).filter((n) => !n.includes('<')) as N[];
const LISTENER_NAMES = plain<ListenerStat>(LISTENER);
const CLUSTER_NAMES = plain<ClusterStat>(CLUSTER);
const TCP_NAMES = plain<TcpStat>(TCP);
const METHOD_NAMES = plain<MethodStat>(DUBBO_METHOD);

/** `downstream_rq_<status>` counters of one listener, resolved on first use of each status. */
export class StatusCounters {
  #stats: Stats;
  #prefix: string;
  #byStatus = new Map<string, Counter>();
  constructor(stats: Stats, prefix: string) {
    this.#stats = stats;
    this.#prefix = prefix;
  }
  get(status: string): Counter {
    let c = this.#byStatus.get(status);
    if (c === undefined) this.#byStatus.set(status, (c = this.#stats.counter(this.#prefix + downstreamRqStatus(status))));
    return c;
  }
}

/**
 * A listener's request counters (names.ts LISTENER_STATS), resolved once per proxy filter and shared by HTTP and
 * RPC; `rqTime` (`downstream_rq_time`) only when the stats time requests (a metrics sink).
 */
export type ListenerCounters = Counters<ListenerStat> & { readonly rqStatus: StatusCounters; readonly rqTime: StatsLatency | undefined };

/** `prefix` is the listener's (`listener.<name>.`). */
export function listenerCounters(stats: Stats, prefix: string): ListenerCounters {
  const rqTime = stats.timing ? new StatsLatency(stats, `${prefix}downstream_rq_time`) : undefined;
  return Object.assign(resolve(stats, prefix, LISTENER_NAMES), { rqStatus: new StatusCounters(stats, prefix), rqTime });
}

/** A cluster's request counters (names.ts CLUSTER_STATS), resolved once per cluster (Cluster.counters). */
export type ClusterCounters = Counters<ClusterStat>;

export function clusterCounters(stats: Stats, clusterName: string): ClusterCounters {
  return resolve(stats, `cluster.${clusterName}.`, CLUSTER_NAMES);
}

/** A tcp_proxy filter's counters (names.ts TCP_STATS), resolved once per filter. */
export type TcpCounters = Counters<TcpStat>;

export function tcpCounters(stats: Stats, statPrefix: string): TcpCounters {
  return resolve(stats, `tcp.${statPrefix}.`, TCP_NAMES);
}

/** The most service/method pairs one listener counts per family (`dubbo`, `grpc`): each pair is three stats. */
export const MAX_METHOD_STATS = 1024;
/** The longest service or method name (in characters) that gets stats of its own. */
export const MAX_METHOD_NAME_LENGTH = 256;

/** One service/method pair's counters (names.ts DUBBO_METHOD_STATS, GRPC_METHOD_STATS). */
export type MethodCounters = Counters<MethodStat>;

/**
 * A listener's per-method counters of one family (`listener.<name>.<kind>.<service>.<method>.<stat>`), resolved on
 * the first request of each pair and held. The names come from the wire, so the family is bounded: once `max` pairs
 * have counters (or for a name longer than MAX_METHOD_NAME_LENGTH), a new pair gets none and each of its requests
 * is counted in `overflow` instead; nothing more is kept for it.
 */
export class MethodCountersCache {
  readonly #stats: Stats;
  readonly #prefix: string;
  readonly #kind: 'dubbo' | 'grpc';
  readonly #overflow: Counter;
  readonly #max: number;
  readonly #byService = new Map<string, Map<string, MethodCounters>>();
  #size = 0;

  /** `prefix` is the listener's (`listener.<name>.`); `overflow` counts the requests of pairs over the bound. */
  constructor(stats: Stats, prefix: string, kind: 'dubbo' | 'grpc', overflow: Counter, max = MAX_METHOD_STATS) {
    this.#stats = stats;
    this.#prefix = prefix;
    this.#kind = kind;
    this.#overflow = overflow;
    this.#max = max;
  }

  /** Service/method pairs with counters. */
  get size(): number {
    return this.#size;
  }

  /** A request that names no pair (a gRPC path that is not `/<service>/<method>`): counted in `overflow`. */
  overflow(): undefined {
    this.#overflow.inc();
    return undefined;
  }

  /** The pair's counters, or undefined (the request counted in `overflow`) when the pair is over the bound. */
  get(service: string, method: string): MethodCounters | undefined {
    let methods = this.#byService.get(service);
    const held = methods?.get(method);
    if (held !== undefined) return held;
    if (this.#size >= this.#max || service.length > MAX_METHOD_NAME_LENGTH || method.length > MAX_METHOD_NAME_LENGTH) return this.overflow();
    if (methods === undefined) this.#byService.set(service, (methods = new Map()));
    const counters = resolve(this.#stats, this.#prefix + methodScope(this.#kind, service, method), METHOD_NAMES);
    methods.set(method, counters);
    this.#size++;
    return counters;
  }
}
