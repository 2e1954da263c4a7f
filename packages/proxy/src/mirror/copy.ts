import { Deadline, Deadlines } from '../common/deadlines.js';
import type { ListenerCounters } from '../stats/counters.js';
import type { Cluster, Host } from '../upstream/cluster.js';

/** Every mirror copy's timeout, one timer per distinct value (see deadlines.ts). */
const deadlines = new Deadlines();

/** A copy's timeout when its route has none: a copy is never left waiting for ever. */
export const DEFAULT_MIRROR_TIMEOUT_MS = 60_000;

/**
 * What every mirror copy (HTTP or RPC) does around its own protocol: it holds one unit of its cluster's
 * `max_requests` and one active request of its host while it runs, times out after its route's timeout, and ends
 * exactly once, counted as completed, failed or dropped.
 */
export abstract class MirrorCopy extends Deadline {
  readonly host: Host;
  readonly #cluster: Cluster;
  readonly #counters: ListenerCounters;
  #startedAt: number;
  #ended = false;

  /** After `tryAcquire` on the cluster's requests succeeded. */
  constructor(cluster: Cluster, host: Host, counters: ListenerCounters, timeoutMs: number) {
    super();
    this.#cluster = cluster;
    this.host = host;
    this.#counters = counters;
    this.#startedAt = host.requestStarted();
    counters.mirror_rq_total.inc();
    deadlines.add(this, timeoutMs > 0 ? timeoutMs : DEFAULT_MIRROR_TIMEOUT_MS);
  }

  get ended(): boolean {
    return this.#ended;
  }

  onDeadline(): void {
    if (this.#ended) return;
    this.end('failed');
    this.abort();
  }

  /** Stop this copy's upstream request (its deadline passed, or it was dropped). */
  protected abstract abort(): void;

  /** The copy is over: counted once, its host and cluster units given back. False when it already was. */
  end(how: 'completed' | 'failed' | 'dropped'): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.cancelDeadline();
    this.host.requestEnded(this.#startedAt);
    this.#cluster.resources.requests.release();
    const c = this.#counters;
    (how === 'completed' ? c.mirror_rq_completed : how === 'failed' ? c.mirror_rq_failed : c.mirror_rq_dropped).inc();
    return true;
  }

  /** Give the copy up (counted as dropped), so as not to hold the request it copies. */
  drop(): void {
    if (this.end('dropped')) this.abort();
  }
}
