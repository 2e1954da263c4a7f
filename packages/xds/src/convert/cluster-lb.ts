import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { durationString } from './context.js';
import { isSet, numberValue, obj, objects, str, strings } from './fields.js';
import { checkFields, NOT_SUPPORTED, type FieldRules } from './field-rules.js';
import { structStrings } from './struct.js';

/** Envoy's `lb_policy` → MOSN's `lb_type`. ROUND_ROBIN is weighted in Envoy: MOSN's weighted round robin. */
const LB_TYPES: Readonly<Record<string, string>> = {
  ROUND_ROBIN: 'LB_WEIGHTED_ROUNDROBIN',
  LEAST_REQUEST: 'LB_LEAST_REQUEST',
  RANDOM: 'LB_RANDOM',
  MAGLEV: 'LB_MAGLEV',
};

/** `load_balancing_policy` extensions by type URL → MOSN's `lb_type` (`CLUSTER_PROVIDED`: ORIGINAL_DST's own). */
const POLICY_EXTENSIONS: Readonly<Record<string, string>> = {
  'envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin': 'LB_WEIGHTED_ROUNDROBIN',
  'envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest': 'LB_LEAST_REQUEST',
  'envoy.extensions.load_balancing_policies.random.v3.Random': 'LB_RANDOM',
  'envoy.extensions.load_balancing_policies.maglev.v3.Maglev': 'LB_MAGLEV',
  'envoy.extensions.load_balancing_policies.cluster_provided.v3.ClusterProvided': 'CLUSTER_PROVIDED',
};

/** The `lb_config` oneof member each policy reads. */
const POLICY_CONFIG: Readonly<Record<string, string>> = {
  ROUND_ROBIN: 'round_robin_lb_config',
  LEAST_REQUEST: 'least_request_lb_config',
  MAGLEV: 'maglev_lb_config',
  RING_HASH: 'ring_hash_lb_config',
};

/** What becomes of each field of a `RoundRobinLbConfig` (a test checks them against the protos). */
export const ROUND_ROBIN_RULES: FieldRules = {
  slow_start_config: 'converted',
};

/** What becomes of each field of a `LeastRequestLbConfig` (a test checks them against the protos). */
export const LEAST_REQUEST_RULES: FieldRules = {
  choice_count: 'converted',
  active_request_bias: 'converted',
  slow_start_config: 'converted',
};

/** What becomes of each field of a `MaglevLbConfig` (a test checks them against the protos). */
export const MAGLEV_RULES: FieldRules = {
  table_size: 'converted',
};

/** What becomes of each field of a `RingHashLbConfig` (a test checks them against the protos). */
export const RING_HASH_RULES: FieldRules = {
  minimum_ring_size: NOT_SUPPORTED, // RING_HASH itself is an error
  hash_function: NOT_SUPPORTED,
  maximum_ring_size: NOT_SUPPORTED,
};

/** The message type and rules of each `lb_config` member a policy reads. */
const LB_CONFIGS: Readonly<Record<string, readonly [string, FieldRules]>> = {
  round_robin_lb_config: ['envoy.config.cluster.v3.Cluster.RoundRobinLbConfig', ROUND_ROBIN_RULES],
  least_request_lb_config: ['envoy.config.cluster.v3.Cluster.LeastRequestLbConfig', LEAST_REQUEST_RULES],
  maglev_lb_config: ['envoy.config.cluster.v3.Cluster.MaglevLbConfig', MAGLEV_RULES],
  ring_hash_lb_config: ['envoy.config.cluster.v3.Cluster.RingHashLbConfig', RING_HASH_RULES],
};

/** Envoy's subset fallback policies, in the order of MOSN's numbers (0, 1, 2). */
const SUBSET_FALLBACK = ['NO_FALLBACK', 'ANY_ENDPOINT', 'DEFAULT_SUBSET'];

/**
 * `lb_policy` (or `load_balancing_policy`), its `*_lb_config`, `common_lb_config` and `lb_subset_config` →
 * `lb_type`, `lbconfig`, `slow_start`, `lb_subset_config` on `out`. ORIGINAL_DST clusters take MOSN's
 * LB_ORIGINAL_DST (`original_dst_lb_config` is converted by the caller).
 */
export function convertLb(c: Message, ctx: ConvertContext, originalDst: boolean, out: MosnJson): void {
  const policy = str(c.lb_policy) || 'ROUND_ROBIN';
  const lbconfig: MosnJson = {};
  let lbType: string | undefined;
  if (policy === 'LOAD_BALANCING_POLICY_CONFIG') lbType = policyExtension(obj(c.load_balancing_policy), ctx.at('load_balancing_policy'));
  else {
    if (isSet(c.load_balancing_policy)) ctx.at('load_balancing_policy').warn('ignored: lb_policy is not LOAD_BALANCING_POLICY_CONFIG');
    if (policy === 'CLUSTER_PROVIDED') lbType = 'CLUSTER_PROVIDED';
    else if (policy === 'RING_HASH') ctx.at('lb_policy').error('RING_HASH is not supported by mosn-ts: it has no ring hash balancer (MAGLEV is its consistent-hash balancer)');
    else if (LB_TYPES[policy] !== undefined) lbType = LB_TYPES[policy];
    else ctx.at('lb_policy').error(`lb_policy ${policy} is not supported by mosn-ts`);
  }
  if (originalDst) {
    if (lbType !== undefined && lbType !== 'CLUSTER_PROVIDED') ctx.at('lb_policy').error('an ORIGINAL_DST cluster takes lb_policy CLUSTER_PROVIDED only (Envoy refuses any other)');
    out.lb_type = 'LB_ORIGINAL_DST';
  } else if (lbType === 'CLUSTER_PROVIDED') {
    ctx.at('lb_policy').error('CLUSTER_PROVIDED is for ORIGINAL_DST clusters only in mosn-ts');
  } else if (lbType !== undefined) out.lb_type = lbType;

  const configField = str(c.lb_config) || undefined;
  if (configField !== undefined && configField !== 'original_dst_lb_config' && configField !== POLICY_CONFIG[policy]) {
    ctx.at(configField).warn(`ignored: lb_policy is ${policy}`);
  }
  if (configField === 'original_dst_lb_config' && !originalDst) ctx.at(configField).warn('ignored: used by ORIGINAL_DST clusters only');
  if (configField !== undefined && configField === POLICY_CONFIG[policy]) {
    const lc = obj(c[configField]);
    const at = ctx.at(configField);
    if (policy === 'LEAST_REQUEST') {
      const choice = numberValue(lc.choice_count);
      if (choice !== undefined) lbconfig.choice_count = choice;
      const bias = runtimeDouble(lc.active_request_bias, at.at('active_request_bias'));
      if (bias !== undefined) lbconfig.active_request_bias = bias;
    }
    if (policy === 'MAGLEV' && isSet(lc.table_size)) at.at('table_size').warn('not supported: MOSN\'s Maglev table has 65537 entries');
    if (isSet(lc.slow_start_config)) out.slow_start = slowStart(obj(lc.slow_start_config), at.at('slow_start_config'));
    const [type, rules] = LB_CONFIGS[configField]!;
    checkFields(lc, type, rules, at);
  }
  convertCommonLbConfig(obj(c.common_lb_config), ctx.at('common_lb_config'), lbconfig);
  if (Object.keys(lbconfig).length > 0) out.lbconfig = lbconfig;
  if (isSet(c.lb_subset_config)) {
    const subset = convertSubset(obj(c.lb_subset_config), ctx.at('lb_subset_config'));
    if (subset) out.lb_subset_config = subset;
  }
}

/** `load_balancing_policy.policies`: the first one mosn-ts has, as Envoy takes the first it supports. */
function policyExtension(p: Message, ctx: ConvertContext): string | undefined {
  const names: string[] = [];
  for (const [i, policy] of objects(p.policies).entries()) {
    const ext = obj(policy.typed_extension_config);
    const any = obj(ext.typed_config);
    const typeUrl = str(any.type_url);
    const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const lbType = POLICY_EXTENSIONS[type];
    if (lbType !== undefined) {
      const value = any.value;
      if (value instanceof Uint8Array && value.length > 0) ctx.at(`policies[${i}]`).warn(`the settings of ${type} are not read by mosn-ts; its defaults are used`);
      return lbType;
    }
    names.push(type || String(ext.name ?? ''));
  }
  ctx.error(`no load balancing policy mosn-ts supports (${names.join(', ') || 'none given'}); supported: ${Object.keys(POLICY_EXTENSIONS).join(', ')}`);
  return undefined;
}

/** `SlowStartConfig` → MOSN's `slow_start` (mode "duration"). */
function slowStart(s: Message, ctx: ConvertContext): MosnJson {
  const out: MosnJson = { mode: 'duration' };
  const window = durationString(s.slow_start_window);
  if (window !== undefined) out.slow_start_duration = window;
  const aggression = runtimeDouble(s.aggression, ctx.at('aggression'));
  if (aggression !== undefined) out.aggression = aggression;
  const min = numberValue(s.min_weight_percent);
  if (min !== undefined) out.min_weight_percent = min / 100;
  return out;
}

/** What becomes of each field of a `CommonLbConfig` (a test checks them against the protos). */
export const COMMON_LB_RULES: FieldRules = {
  healthy_panic_threshold: 'converted',
  zone_aware_lb_config: { warn: 'zone-aware routing is not supported by mosn-ts; hosts of every zone are used' },
  locality_weighted_lb_config: 'noop', // the endpoint converter weighs hosts by their locality's weight whenever one is given
  update_merge_window: NOT_SUPPORTED,
  ignore_new_hosts_until_first_hc: NOT_SUPPORTED,
  close_connections_on_host_set_change: NOT_SUPPORTED,
  consistent_hashing_lb_config: NOT_SUPPORTED,
  override_host_status: NOT_SUPPORTED,
};

function convertCommonLbConfig(cl: Message, ctx: ConvertContext, lbconfig: MosnJson): void {
  const panic = numberValue(cl.healthy_panic_threshold);
  if (panic !== undefined) lbconfig.healthy_panic_threshold = panic;
  checkFields(cl, 'envoy.config.cluster.v3.Cluster.CommonLbConfig', COMMON_LB_RULES, ctx);
}

/** `lb_subset_config` → MOSN's (`fall_back_policy` as a number, `default_subset`, `subset_selectors`). */
function convertSubset(s: Message, ctx: ConvertContext): MosnJson | undefined {
  const fallback = str(s.fallback_policy) || 'NO_FALLBACK';
  const out: MosnJson = { fall_back_policy: Math.max(0, SUBSET_FALLBACK.indexOf(fallback)) };
  const defaults = structStrings(s.default_subset, ctx.at('default_subset'));
  if (defaults) out.default_subset = defaults;
  const selectors: string[][] = [];
  for (const [i, sel] of objects(s.subset_selectors).entries()) {
    const at = ctx.at(`subset_selectors[${i}]`);
    const policy = str(sel.fallback_policy) || 'NOT_DEFINED';
    if (policy !== 'NOT_DEFINED') at.at('fallback_policy').error(`a selector's own fallback policy (${policy}) is not supported by mosn-ts: requests would fall back elsewhere`);
    if (sel.single_host_per_subset === true) at.at('single_host_per_subset').warn('not supported by mosn-ts; ignored (an optimisation in Envoy)');
    if (strings(sel.fallback_keys_subset).length > 0 && policy === 'NOT_DEFINED') at.at('fallback_keys_subset').warn('ignored without fallback_policy KEYS_SUBSET');
    selectors.push(strings(sel.keys));
  }
  if (selectors.every((keys) => keys.length === 0)) {
    ctx.at('subset_selectors').warn('no subset selector with keys: subset load balancing is off, as in Envoy');
    return undefined;
  }
  out.subset_selectors = selectors.filter((keys) => keys.length > 0);
  if (s.locality_weight_aware === true || s.scale_locality_weight === true) ctx.warn('locality-aware subsets are not supported by mosn-ts: a subset\'s hosts keep their own weights');
  if (s.panic_mode_any === true) ctx.at('panic_mode_any').warn('not supported by mosn-ts: in panic mode a subset uses its own hosts');
  if (s.list_as_any === true) ctx.at('list_as_any').warn('not supported by mosn-ts: a list in metadata_match is not matched as "any of"');
  if (s.metadata_fallback_policy === 'FALLBACK_LIST') ctx.at('metadata_fallback_policy').warn('FALLBACK_LIST is not supported by mosn-ts');
  return out;
}

/** `core.v3.RuntimeDouble` (`{ default_value, runtime_key }`): the default; a runtime key is warned about. */
function runtimeDouble(v: unknown, ctx: ConvertContext): number | undefined {
  if (!isSet(v)) return undefined;
  const r = obj(v);
  if (str(r.runtime_key) !== '') ctx.warn(`runtime key ${JSON.stringify(r.runtime_key)} ignored (mosn-ts has no runtime): default_value is used`);
  return typeof r.default_value === 'number' ? r.default_value : 0;
}
