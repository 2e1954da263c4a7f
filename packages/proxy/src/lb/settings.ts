import { MosnError } from '@mosn/stream';
import type { Host } from '../upstream/cluster.js';
import type { LbConfig, LbContext } from './load-balancer.js';
import { slowStartFactor } from './slow-start.js';

/** `LbConfig` and the settings of this folder's balancers that `LbConfig` does not carry yet. */
export interface LbSettings extends LbConfig {
  /** Envoy's healthy panic threshold, in percent of hosts (default 50; 0 turns panic mode off). */
  healthyPanicThreshold?: number;
  /** Randomness in [0, 1): `Math.random` unless a test passes a seeded one. */
  random?: () => number;
}

/** `LbContext` and what a retry knows: the host the previous attempt of this request went to. */
export interface RetryLbContext extends LbContext {
  previousHost?: Host | undefined;
}

/** Envoy's default healthy panic threshold, in percent. */
export const DEFAULT_PANIC_THRESHOLD = 50;
/** Hosts sampled per pick by the least-loaded balancers (power of two choices). */
export const DEFAULT_CHOICE_COUNT = 2;
/** How strongly active requests lower a host's effective weight. */
export const DEFAULT_ACTIVE_REQUEST_BIAS = 1;

export interface Settings {
  choiceCount: number;
  activeRequestBias: number;
  panicThreshold: number;
  random: () => number;
  /** Whether `slow_start` is on: the weighted balancers then always schedule by weight, as in MOSN and Envoy. */
  slowStart: boolean;
  /** A host's weight now: `hostWeight`, scaled down while the host is in its slow-start window. */
  weight: (h: Host) => number;
}

/** The settings with their defaults; an out-of-range value is a config error (the config reader should catch it first). */
export function readSettings(config: LbSettings = {}): Settings {
  const s: Settings = {
    choiceCount: config.choiceCount ?? DEFAULT_CHOICE_COUNT,
    activeRequestBias: config.activeRequestBias ?? DEFAULT_ACTIVE_REQUEST_BIAS,
    panicThreshold: config.healthyPanicThreshold ?? DEFAULT_PANIC_THRESHOLD,
    random: config.random ?? Math.random,
    slowStart: false,
    weight: hostWeight,
  };
  const slowStart = config.slowStart;
  if (slowStart && slowStart.windowMs > 0) {
    if (!(slowStart.aggression > 0 && slowStart.aggression < Infinity)) invalid('slow_start.aggression', slowStart.aggression, 'a finite number above 0', '');
    if (!(slowStart.minWeight > 0 && slowStart.minWeight <= 1)) invalid('slow_start.min_weight_percent', slowStart.minWeight, 'a fraction above 0 and at most 1', '');
    const now = config.now ?? (() => performance.now());
    s.slowStart = true;
    s.weight = (h) => {
      const w = hostWeight(h);
      return h.slowStartSince === undefined ? w : w * slowStartFactor(slowStart, h.slowStartSince, now());
    };
  }
  if (!Number.isInteger(s.choiceCount) || s.choiceCount < 1) invalid('choice_count', s.choiceCount, 'an integer of 1 or more');
  if (!(s.activeRequestBias >= 0 && s.activeRequestBias < Infinity)) invalid('active_request_bias', s.activeRequestBias, 'a finite number of 0 or more');
  if (!(s.panicThreshold >= 0 && s.panicThreshold <= 100)) invalid('healthy_panic_threshold', s.panicThreshold, 'a percentage from 0 to 100');
  return s;
}

function invalid(key: string, value: number, expected: string, prefix = 'lbconfig.'): never {
  throw new MosnError('MOSN_ERR_CONFIG', `${prefix}${key} is ${value}, expected ${expected}`);
}

/** A host's weight clamped to MOSN's 1..128, as MOSN's weighted balancers read it. */
export function hostWeight(h: Host): number {
  return Math.min(128, Math.max(1, h.weight));
}

/** Whether every host has the same weight (then the weighted balancers take their cheaper unweighted path). */
export function weightsEqual(hosts: readonly Host[]): boolean {
  for (const h of hosts) if (hostWeight(h) !== hostWeight(hosts[0]!)) return false;
  return true;
}
