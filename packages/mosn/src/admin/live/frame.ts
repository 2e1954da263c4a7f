import { MOSN_STATES } from '../states.js';
import type { AdminSource } from '../types.js';
import { RateMeter, clusterConnectFailures, listenerRateStats, type ListenerRateStats } from './rates.js';
import type { ClusterFrame, ClusterSummary, HostFrame, HostSummary, LiveFrame, Rates } from './types.js';

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

  #cluster(c: ClusterSummary, now: number): ClusterFrame {
    const errors = c.failed + this.#source.live.stat(clusterConnectFailures(c.name));
    return {
      name: c.name,
      healthCheck: c.healthCheck,
      outlierDetection: c.outlierDetection,
      hostCount: c.hostCount,
      healthyCount: c.healthyCount,
      hosts: c.hosts.map((h) => this.#host(c.name, h, now)),
      rates: this.#meter.rates(`cluster ${c.name}`, c.requests, errors, now),
    };
  }

  #host(cluster: string, h: HostSummary, now: number): HostFrame {
    const { requests, failed, ...shown } = h;
    return { ...shown, rates: this.#meter.rates(`host ${cluster} ${h.address}`, requests, failed, now) };
  }
}
