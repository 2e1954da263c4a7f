import type { Host } from '../upstream/cluster.js';
import { DEFAULT_PANIC_THRESHOLD } from './settings.js';

/**
 * The hosts to choose from, by Envoy's panic rule: the healthy ones, unless fewer than `thresholdPercent` percent
 * of the hosts are healthy; then all of them (panic mode: spreading load over every host beats crushing the few
 * left). A threshold of 0 turns panic mode off, so with no healthy host the list is empty.
 */
export function candidatesWithPanic(hosts: readonly Host[], thresholdPercent = DEFAULT_PANIC_THRESHOLD): readonly Host[] {
  let healthy = 0;
  for (const h of hosts) if (h.healthy) healthy++;
  if (healthy === hosts.length || healthy * 100 < thresholdPercent * hosts.length) return hosts;
  return hosts.filter((h) => h.healthy);
}

/**
 * The candidates of a cluster's fixed host array, recomputed only when a health flag changed (a cheap scan of
 * booleans per pick, no allocation); `version` counts those changes.
 */
export class HealthView {
  readonly hosts: readonly Host[];
  readonly #threshold: number;
  readonly #flags: boolean[];
  #candidates: readonly Host[];
  version = 0;

  constructor(hosts: readonly Host[], thresholdPercent = DEFAULT_PANIC_THRESHOLD) {
    this.hosts = hosts;
    this.#threshold = thresholdPercent;
    this.#flags = hosts.map((h) => h.healthy);
    this.#candidates = candidatesWithPanic(hosts, thresholdPercent);
  }

  /** The hosts to choose from now: the same array until some host's health changes. */
  current(): readonly Host[] {
    const hosts = this.hosts;
    let changed = false;
    for (let i = 0; i < hosts.length; i++) {
      const healthy = hosts[i]!.healthy;
      if (healthy !== this.#flags[i]) {
        this.#flags[i] = healthy;
        changed = true;
      }
    }
    if (changed) {
      this.#candidates = candidatesWithPanic(hosts, this.#threshold);
      this.version++;
    }
    return this.#candidates;
  }

  /** A value built from the candidates (a schedule, a table), built again only after they change. */
  memo<S>(build: (candidates: readonly Host[]) => S): () => S {
    let version = -1;
    let state!: S;
    return () => {
      const c = this.current();
      if (version !== this.version) {
        version = this.version;
        state = build(c);
      }
      return state;
    };
  }

  /**
   * The first candidate at or after position `from` of the full host list, wrapping around (MOSN's walk to the
   * next host on a retry). `candidates` must be `current()`'s answer and not empty.
   */
  nextCandidate(candidates: readonly Host[], from: number): Host {
    const hosts = this.hosts;
    const all = candidates.length === hosts.length;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[(from + i) % hosts.length]!;
      if (all || h.healthy) return h;
    }
    return candidates[0]!;
  }
}
