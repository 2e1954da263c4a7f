import {
  DEFAULT_SLOW_START_AGGRESSION,
  DEFAULT_SLOW_START_MIN_WEIGHT,
  FALLBACK_POLICIES,
  type LbConfig,
  type Metadata,
  type SlowStartConfig,
  type SubsetConfig,
} from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/**
 * A metadata object in MOSN's format, `{"filter_metadata": {"mosn.lb": {"key": "value"}}}` (host `metadata`,
 * route `metadata_match`): the string pairs under `mosn.lb`. Undefined when absent or empty.
 */
export function readMetadata(parent: ConfigReader, key: string): Metadata | undefined {
  const m = parent.obj(key);
  if (!m) return undefined;
  const fm = m.obj('filter_metadata');
  const lb = fm?.obj('mosn.lb');
  const out: Record<string, string> = {};
  if (lb) {
    for (const k of Object.keys(lb.raw)) {
      const v = lb.value(k);
      if (typeof v === 'string') out[k] = v;
      else {
        const hint = typeof v === 'number' || typeof v === 'boolean' ? `; write "${v}"` : '';
        lb.problems.error(lb.at(k), `expected a string, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v} (MOSN silently drops values that are not strings${hint})`);
      }
    }
    lb.finish();
  }
  fm?.finish();
  m.finish();
  return Object.keys(out).length > 0 ? out : undefined;
}

/** MOSN's `fall_back_policy` numbers (a uint8 in MOSN's config: names are not accepted there either). */
const FALLBACK_NUMBERS = FALLBACK_POLICIES.map((p, i) => `${i} (${p})`).join(', ');

/** `lb_subset_config`: `fall_back_policy` (0, 1, 2), `default_subset` (a string map), `subset_selectors` (key lists). */
export function readLbSubsetConfig(c: ConfigReader): SubsetConfig | undefined {
  const l = c.obj('lb_subset_config');
  if (!l) return undefined;
  let fallbackPolicy: SubsetConfig['fallbackPolicy'] = 'NO_FALLBACK';
  const fb = l.value('fall_back_policy');
  if (typeof fb === 'number' && Number.isInteger(fb) && fb >= 0 && fb < FALLBACK_POLICIES.length) fallbackPolicy = FALLBACK_POLICIES[fb]!;
  else if (fb !== undefined && fb !== null) {
    const named = typeof fb === 'string' ? FALLBACK_POLICIES.indexOf(fb.toUpperCase() as SubsetConfig['fallbackPolicy']) : -1;
    const hint = named >= 0 ? `; MOSN reads a number: write ${named} for ${FALLBACK_POLICIES[named]}` : '';
    l.problems.error(l.at('fall_back_policy'), `expected one of ${FALLBACK_NUMBERS}, got ${JSON.stringify(fb)}${hint}`);
  }
  const defaultSubset: Record<string, string> = {};
  const ds = l.obj('default_subset');
  if (ds) {
    for (const k of Object.keys(ds.raw)) {
      const v = ds.value(k);
      if (typeof v === 'string') defaultSubset[k] = v;
      else ds.problems.error(ds.at(k), `expected a string, got ${v === null ? 'null' : typeof v}`);
    }
    ds.finish();
  }
  const selectors: string[][] = [];
  for (const e of l.arr('subset_selectors')) {
    if (!Array.isArray(e.value)) {
      l.problems.error(e.path, 'expected a list of metadata keys, such as ["version"]');
      continue;
    }
    const keys: string[] = [];
    e.value.forEach((k, i) => {
      if (typeof k === 'string' && k !== '') keys.push(k);
      else l.problems.error(`${e.path}[${i}]`, 'expected a metadata key (a non-empty string)');
    });
    if (keys.length === 0) l.problems.warn(e.path, 'an empty selector makes no subset; ignored, as in MOSN');
    else selectors.push(keys);
  }
  l.finish();
  if (selectors.length === 0) {
    l.problems.warn(l.at('subset_selectors'), 'no subset selectors: subset load balancing is off, as in MOSN (metadata_match has no effect)');
    return undefined;
  }
  if (fallbackPolicy !== 'DEFAULT_SUBSET' && Object.keys(defaultSubset).length > 0) {
    l.problems.warn(l.at('default_subset'), `used only with fall_back_policy 2 (DEFAULT_SUBSET); this cluster's is ${FALLBACK_POLICIES.indexOf(fallbackPolicy)} (${fallbackPolicy})`);
  }
  return { fallbackPolicy, defaultSubset, selectors };
}

/** Balancers whose hosts' weights `slow_start` ramps up (MOSN's EDF balancers). */
const SLOW_START_LB_TYPES = ['LB_WEIGHTED_ROUNDROBIN', 'LB_LEAST_REQUEST', 'LB_LEAST_CONNECTION', 'LB_PEAK_EWMA'];

/** `slow_start`: `mode` ("duration"; empty: off), `slow_start_duration`, `aggression` (1), `min_weight_percent` (0.1). */
export function readSlowStart(c: ConfigReader, lbType: string): SlowStartConfig | undefined {
  const s = c.obj('slow_start');
  if (!s) return undefined;
  const mode = s.str('mode') ?? '';
  const windowMs = s.duration('slow_start_duration', { numberUnit: 'ns' });
  let aggression = s.num('aggression', { integer: false }) ?? 0;
  let minWeight = s.num('min_weight_percent', { integer: false }) ?? 0;
  s.finish();
  if (mode === '') {
    if (Object.keys(s.raw).length > 0) s.problems.warn(s.at('mode'), 'slow start is off without a mode, as in MOSN; set "mode": "duration"');
    return undefined;
  }
  if (mode !== 'duration') {
    s.problems.error(s.at('mode'), `unknown slow start mode "${mode}"; known: duration (MOSN logs a warning and turns slow start off)`);
    return undefined;
  }
  if (aggression < 0) s.problems.warn(s.at('aggression'), `${aggression} is not above 0; used as ${DEFAULT_SLOW_START_AGGRESSION}, as MOSN does`);
  if (aggression <= 0) aggression = DEFAULT_SLOW_START_AGGRESSION;
  if (minWeight < 0) s.problems.warn(s.at('min_weight_percent'), `${minWeight} is not above 0; used as ${DEFAULT_SLOW_START_MIN_WEIGHT}, as MOSN does`);
  if (minWeight <= 0) minWeight = DEFAULT_SLOW_START_MIN_WEIGHT;
  if (minWeight > 1) {
    s.problems.error(s.at('min_weight_percent'), `expected a fraction of the weight above 0 and at most 1 (MOSN reads 0.1 as 10%), got ${minWeight}`);
    return undefined;
  }
  if (!windowMs) {
    s.problems.warn(s.at('slow_start_duration'), 'slow start has no effect without a slow_start_duration, as in MOSN');
    return undefined;
  }
  if (!SLOW_START_LB_TYPES.includes(lbType)) {
    c.problems.warn(c.at('slow_start'), `has no effect with lb_type ${lbType}: MOSN ramps weights up only in ${SLOW_START_LB_TYPES.join(', ')}`);
  }
  return { windowMs, aggression, minWeight };
}

/** `lbconfig`: `choice_count` (least request/connection), `active_request_bias`, `healthy_panic_threshold`. */
export function readLbConfig(c: ConfigReader): LbConfig {
  const l = c.obj('lbconfig');
  if (!l) return {};
  const choiceCount = l.num('choice_count', { min: 1, max: 100 });
  const activeRequestBias = l.num('active_request_bias', { min: 0, max: 10, integer: false });
  const healthyPanicThreshold = l.num('healthy_panic_threshold', { min: 0, max: 100, integer: false });
  l.finish();
  return {
    ...(choiceCount !== undefined ? { choiceCount } : {}),
    ...(activeRequestBias !== undefined ? { activeRequestBias } : {}),
    ...(healthyPanicThreshold !== undefined ? { healthyPanicThreshold } : {}),
  };
}
