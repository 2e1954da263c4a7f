import { hostHealthState, type Cluster, type Host } from '@mosn/proxy';
import { MOSN_STATES } from '../states.js';
import type { AdminSource } from '../types.js';
import { RateMeter, clusterConnectFailures, failedTries, listenerRateStats, type ListenerRateStats } from './rates.js';
import type { ClusterFrame, HostFrame, LiveFrame, Rates } from './types.js';

/** The most hosts of one cluster a frame lists (an ORIGINAL_DST or registry cluster may have thousands). */
export const MAX_HOSTS_SHOWN = 200;

/**
 * Takes the live page's frames: the running mosn's listeners, clusters and hosts as they are now, with request and
 * error rates from the counters' growth since the previous frame (a listener's stats by name; a cluster's and a
 * host's request figures, which they keep themselves). Holds only the last counter values and the listeners' stat
 * names; made when the first page opens and dropped when the last one closes.
 */
export class LiveFrames {
  readonly #source: AdminSource;
  readonly #meter = new RateMeter();
  /** Stat names per listener (a name's stats never change). */
  readonly #names = new Map<string, ListenerRateStats>();

  constructor(source: AdminSource) {
    this.#source = source;
  }

  /** The frame now (`now` in ms since the epoch). */
  next(now = Date.now()): LiveFrame {
    const s = this.#source;
    const listeners = s.live.listeners().map((l) => ({ ...l, rates: this.#listenerRates(l.name, now) }));
    const clusters: ClusterFrame[] = [];
    for (const c of s.live.clusters()) clusters.push(this.#cluster(c, now));
    clusters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#meter.endRound();
    for (const name of this.#names.keys()) if (!this.#meter.has(`listener ${name}`)) this.#names.delete(name);
    return { time: now, version: s.version(), state: MOSN_STATES[s.stage()].name, pid: process.pid, listeners, clusters };
  }

  #listenerRates(name: string, now: number): Rates {
    let names = this.#names.get(name);
    if (names === undefined) this.#names.set(name, (names = listenerRateStats(name)));
    const live = this.#source.live;
    let errors = 0;
    for (const n of names.errors) errors += live.stat(n);
    return this.#meter.rates(`listener ${name}`, live.stat(names.requests), errors, now);
  }

  #cluster(c: Cluster, now: number): ClusterFrame {
    const all = c.hosts;
    let healthyCount = 0;
    for (const h of all) if (h.healthy) healthyCount++;
    const errors = failedTries(c.figures) + this.#source.live.stat(clusterConnectFailures(c.name));
    return {
      name: c.name,
      healthCheck: c.healthChecker !== undefined,
      outlierDetection: c.outlierDetector !== undefined,
      hostCount: all.length,
      healthyCount,
      hosts: all.slice(0, MAX_HOSTS_SHOWN).map((h) => this.#host(c, h, now)),
      rates: this.#meter.rates(`cluster ${c.name}`, c.figures.total, errors, now),
    };
  }

  #host(c: Cluster, h: Host, now: number): HostFrame {
    const { activeHealthy, ejected } = hostHealthState(h);
    return {
      address: h.addressText,
      healthy: h.healthy,
      activeHealthy,
      ejected,
      activeRequests: h.activeRequests,
      connections: h.activeConnections,
      rates: this.#meter.rates(`host ${c.name} ${h.addressText}`, h.figures.total, failedTries(h.figures), now),
    };
  }
}
