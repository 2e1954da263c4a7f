import { emitLatency, LatencyCounts } from './latency.js';

/**
 * What a host (and, summed, its cluster) counts of the requests sent to it: plain numbers bumped by the request paths
 * through `Host` (no stat name per request), read into the stats at each snapshot (`emitUpstreamFigures`). They live
 * as long as their host or cluster: a removed host's series go with it, a rebuilt cluster starts from zero.
 */
export class UpstreamFigures {
  /** Requests sent (each try). */
  total = 0;
  /** Answers by status class: index 1 to 5 (1xx ... 5xx; RPC statuses are mapped to HTTP's). */
  readonly byClass = [0, 0, 0, 0, 0, 0];
  /** Tries that timed out (per-try timeout, route timeout, RPC timeout). */
  timeouts = 0;
  /** Time from sending to the end of each try (answered or failed), when requests are timed. */
  latency: LatencyCounts | undefined;

  responded(status: number): void {
    const c = (status / 100) | 0;
    if (c >= 1 && c <= 5) this.byClass[c]!++;
  }

  ended(ms: number): void {
    (this.latency ??= new LatencyCounts()).observe(ms);
  }
}

/** The stats of one host or cluster under `prefix` (`cluster.<c>.` or `cluster.<c>.host.<ip:port>.`). */
export function emitUpstreamFigures(emit: (name: string, value: number) => void, prefix: string, f: UpstreamFigures, active: number): void {
  emit(`${prefix}upstream_rq_total`, f.total);
  emit(`${prefix}upstream_rq_active`, active);
  for (let c = 1; c <= 5; c++) if (f.byClass[c]! > 0) emit(`${prefix}upstream_rq_${c}xx`, f.byClass[c]!);
  if (f.timeouts > 0) emit(`${prefix}upstream_rq_timeout`, f.timeouts);
  if (f.latency) emitLatency(emit, `${prefix}upstream_rq_time`, f.latency);
}
