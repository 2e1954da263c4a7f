import { describe, expect, it } from 'vitest';
import { readLbConfig, readLbSubsetConfig, readMetadata, readSlowStart } from './lb.js';
import { readSection } from './testing.js';

const C = 'cluster_manager.clusters[0]';
const meta = (pairs: Record<string, unknown>) => ({ filter_metadata: { 'mosn.lb': pairs } });

describe('readMetadata', () => {
  it('reads the string pairs under filter_metadata."mosn.lb"; absent or empty is undefined', () => {
    expect(readSection({ metadata: meta({ version: 'v1', zone: 'a' }) }, 'h', (r) => readMetadata(r, 'metadata')).result).toEqual({ version: 'v1', zone: 'a' });
    expect(readSection({}, 'h', (r) => readMetadata(r, 'metadata')).result).toBeUndefined();
    expect(readSection({ metadata: meta({}) }, 'h', (r) => readMetadata(r, 'metadata')).result).toBeUndefined();
  });

  it('refuses values that are not strings (MOSN drops them silently), with what to write', () => {
    const { result, errors } = readSection({ metadata: meta({ version: 1, ok: 'x', list: [] }) }, 'h', (r) => readMetadata(r, 'metadata'));
    expect(result).toEqual({ ok: 'x' });
    expect(errors).toEqual([
      'h.metadata.filter_metadata.mosn.lb.version: expected a string, got number (MOSN silently drops values that are not strings; write "1")',
      'h.metadata.filter_metadata.mosn.lb.list: expected a string, got an array (MOSN silently drops values that are not strings)',
    ]);
  });
});

describe('readLbSubsetConfig', () => {
  const read = (l: unknown) => readSection({ lb_subset_config: l }, C, readLbSubsetConfig);

  it("reads MOSN's fall_back_policy number, default_subset and selectors", () => {
    const { result, errors, warnings } = read({ fall_back_policy: 2, default_subset: { version: '1' }, subset_selectors: [['version'], ['zone', 'version']] });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({ fallbackPolicy: 'DEFAULT_SUBSET', defaultSubset: { version: '1' }, selectors: [['version'], ['zone', 'version']] });
  });

  it('is off without selectors (a warning), and warns about a default_subset the policy does not use', () => {
    expect(read({ fall_back_policy: 1 })).toEqual({
      result: undefined,
      errors: [],
      warnings: [`${C}.lb_subset_config.subset_selectors: no subset selectors: subset load balancing is off, as in MOSN (metadata_match has no effect)`],
    });
    expect(read({ fall_back_policy: 1, default_subset: { v: '1' }, subset_selectors: [['v'], []] }).warnings).toEqual([
      `${C}.lb_subset_config.subset_selectors[1]: an empty selector makes no subset; ignored, as in MOSN`,
      `${C}.lb_subset_config.default_subset: used only with fall_back_policy 2 (DEFAULT_SUBSET); this cluster's is 1 (ANY_ENDPOINT)`,
    ]);
  });

  it('refuses a policy name with the number to write', () => {
    expect(read({ fall_back_policy: 'default_subset', subset_selectors: [['v']] }).errors).toEqual([
      `${C}.lb_subset_config.fall_back_policy: expected one of 0 (NO_FALLBACK), 1 (ANY_ENDPOINT), 2 (DEFAULT_SUBSET), got "default_subset"; MOSN reads a number: write 2 for DEFAULT_SUBSET`,
    ]);
  });
});

describe('readSlowStart', () => {
  const read = (s: unknown, lbType = 'LB_WEIGHTED_ROUNDROBIN') => readSection({ slow_start: s }, C, (c) => readSlowStart(c, lbType));

  it('reads a duration window with MOSN defaults for aggression and min weight', () => {
    expect(read({ mode: 'duration', slow_start_duration: '30s' }).result).toEqual({ windowMs: 30_000, aggression: 1, minWeight: 0.1 });
    expect(read({ mode: 'duration', slow_start_duration: '1m', aggression: 2, min_weight_percent: 0.5 }).result).toEqual({ windowMs: 60_000, aggression: 2, minWeight: 0.5 });
  });

  it('is off, with a warning, without a mode or a window, and says when the balancer ignores it', () => {
    expect(read({ slow_start_duration: '30s' })).toMatchObject({ result: undefined, warnings: [`${C}.slow_start.mode: slow start is off without a mode, as in MOSN; set "mode": "duration"`] });
    expect(read({ mode: 'duration' })).toMatchObject({ result: undefined, warnings: [`${C}.slow_start.slow_start_duration: slow start has no effect without a slow_start_duration, as in MOSN`] });
    expect(read({ mode: 'duration', slow_start_duration: '1s' }, 'LB_RANDOM').warnings).toEqual([
      `${C}.slow_start: has no effect with lb_type LB_RANDOM: MOSN ramps weights up only in LB_WEIGHTED_ROUNDROBIN, LB_LEAST_REQUEST, LB_LEAST_CONNECTION, LB_PEAK_EWMA`,
    ]);
  });

  it('refuses an unknown mode and a min_weight_percent above 1', () => {
    expect(read({ mode: 'linear', slow_start_duration: '1s' }).errors).toEqual([`${C}.slow_start.mode: unknown slow start mode "linear"; known: duration (MOSN logs a warning and turns slow start off)`]);
    expect(read({ mode: 'duration', slow_start_duration: '1s', min_weight_percent: 10 }).errors).toEqual([
      `${C}.slow_start.min_weight_percent: expected a fraction of the weight above 0 and at most 1 (MOSN reads 0.1 as 10%), got 10`,
    ]);
  });
});

describe('readLbConfig', () => {
  it('reads what is set, and checks ranges', () => {
    expect(readSection({ lbconfig: { choice_count: 4, active_request_bias: 0.5, healthy_panic_threshold: 60 } }, C, readLbConfig).result).toEqual({
      choiceCount: 4,
      activeRequestBias: 0.5,
      healthyPanicThreshold: 60,
    });
    expect(readSection({}, C, readLbConfig).result).toEqual({});
    expect(readSection({ lbconfig: { choice_count: 0 } }, C, readLbConfig).errors).toEqual([`${C}.lbconfig.choice_count: expected a number from 1 to 100, got 0`]);
  });
});
