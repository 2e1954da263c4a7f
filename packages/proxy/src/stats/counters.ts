import { CLUSTER, LISTENER, TCP, downstreamRqStatus, type ClusterStat, type ListenerStat, type TcpStat } from './names.js';
import type { Counter, Stats } from './stats.js';

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

/** A listener's request counters (names.ts LISTENER_STATS), resolved once per proxy filter and shared by HTTP and RPC. */
export type ListenerCounters = Counters<ListenerStat> & { readonly rqStatus: StatusCounters };

/** `prefix` is the listener's (`listener.<name>.`). */
export function listenerCounters(stats: Stats, prefix: string): ListenerCounters {
  return Object.assign(resolve(stats, prefix, LISTENER_NAMES), { rqStatus: new StatusCounters(stats, prefix) });
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
