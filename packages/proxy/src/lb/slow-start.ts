/** MOSN's default `slow_start.aggression`: the weight grows linearly over the window. */
export const DEFAULT_SLOW_START_AGGRESSION = 1;
/** MOSN's default `slow_start.min_weight_percent`, a fraction of the weight (10%) despite the name. */
export const DEFAULT_SLOW_START_MIN_WEIGHT = 0.1;

/**
 * A cluster's `slow_start` (MOSN's `duration` mode, Envoy's `slow_start_config`): for `windowMs` after a host is
 * added to the cluster, or becomes healthy again, the weighted balancers give it part of its weight.
 */
export interface SlowStartConfig {
  /** `slow_start_duration`; 0 turns slow start off. */
  windowMs: number;
  /** `aggression`: the share of the window gone is raised to 1 / aggression (above 1: faster at first). */
  aggression: number;
  /** `min_weight_percent`: the least fraction of its weight a host gets (0 < f <= 1). */
  minWeight: number;
}

/**
 * The fraction of its weight a host gets at `now`, as MOSN computes it: 1 outside the window (and for hosts of
 * the initial config, which never started slowly); else `(max(1 s, elapsed) / window) ^ (1 / aggression)`, at
 * least `minWeight`.
 */
export function slowStartFactor(config: SlowStartConfig, since: number | undefined, now: number): number {
  if (since === undefined || config.windowMs <= 0) return 1;
  const elapsed = now - since;
  if (elapsed >= config.windowMs) return 1;
  let f = Math.max(1000, elapsed) / config.windowMs;
  if (f >= 1) return 1;
  if (config.aggression !== 1) f = f ** (1 / config.aggression);
  return f < config.minWeight ? config.minWeight : f;
}

