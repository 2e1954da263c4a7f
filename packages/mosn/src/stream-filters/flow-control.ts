import { DEFAULT_STAT_INTERVAL_MS, FLOW_CONTROL_DEFAULT_ACTION, flowControlFilterFactory, type FlowControlConfig, type FlowLimitKeyType, type FlowRule } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';
import type { StreamFilterExtension } from './types.js';

const KEY_TYPES: readonly FlowLimitKeyType[] = ['PATH', 'ARG', 'URI'];

/**
 * `flowControlFilter` (MOSN's flowcontrol.Config): `global_switch` (false when absent: the filter does nothing),
 * `limit_key_type` (PATH, ARG or URI; default PATH), `action` (`status`, default 509; `body`, default "current
 * request is limited"), and `rules[]` of sentinel-golang 1.x flow rules: `resource`, `threshold`,
 * `statIntervalInMs`, with only sentinel's default modes (Direct, Reject, CurrentResource). The other modes and
 * nacos data sources are refused; keys that change nothing here or in MOSN are read quietly or with a warning.
 */
export const flowControlFilter: StreamFilterExtension<FlowControlConfig> = {
  // MOSN's filter reads no per-route config
  perRoute: false,
  read(c) {
    const enabled = c.bool('global_switch') ?? false;
    if (!enabled) c.problems.warn(c.at('global_switch'), 'is false (the default when absent): the filter lets every request through, as in MOSN');
    if (c.bool('monitor')) c.problems.warn(c.at('monitor'), "has no effect (MOSN's filter does not read it either): requests over a threshold are still blocked");
    c.str('app_name');
    c.str('direction');
    if (c.str('log_path')) {
      c.problems.warn(c.at('log_path'), "ignored: mosn-ts writes no sentinel logs; the listener's flow_control_pass and flow_control_block counters count the decisions");
    }
    if (c.str('callback_name')) {
      c.problems.warn(c.at('callback_name'), 'ignored: mosn-ts has no registry of flow control callbacks; the default ones are used (as MOSN does for a name it does not know)');
    }
    const keyType = (c.str('limit_key_type', { oneOf: KEY_TYPES })?.toUpperCase() ?? 'PATH') as FlowLimitKeyType;
    const action = readAction(c);
    const rules: FlowRule[] = [];
    for (const r of c.objects('rules')) {
      const rule = readRule(r);
      if (rule) rules.push(rule);
    }
    readDataSources(c);
    c.finish();
    return { enabled, keyType, action, rules };
  },
  build: (config, ctx) => flowControlFilterFactory(config, { stats: ctx.stats, statPrefix: ctx.statPrefix }),
};

/** `action`: MOSN starts from its defaults and lets the config override each key. */
function readAction(c: ConfigReader): FlowControlConfig['action'] {
  const a = c.obj('action');
  if (!a) return FLOW_CONTROL_DEFAULT_ACTION;
  const status = a.num('status', { min: 200, max: 599 }) ?? FLOW_CONTROL_DEFAULT_ACTION.status;
  const body = a.str('body') ?? FLOW_CONTROL_DEFAULT_ACTION.body;
  a.finish();
  return { status, body };
}

/**
 * One sentinel-golang 1.x flow rule (flow.Rule). sentinel skips an invalid rule with a log line; mosn-ts reports it
 * with its path. Keys of older sentinel versions (the MOSN sample's `limitApp`, `grade`, `strategy`) are read by
 * neither MOSN nor mosn-ts: warned about when they ask for something else than what happens.
 */
function readRule(r: ConfigReader): FlowRule | undefined {
  const resource = r.str('resource', { required: true, nonEmpty: true });
  const threshold = r.num('threshold', { required: true, min: 0, integer: false });
  const statIntervalInMs = r.num('statIntervalInMs', { min: 0, max: 0xffffffff }) ?? 0;
  refuseMode(r, 'tokenCalculateStrategy', ['Direct', 'WarmUp', 'MemoryAdaptive']);
  refuseMode(r, 'controlBehavior', ['Reject', 'Throttling']);
  refuseMode(r, 'relationStrategy', ['CurrentResource', 'AssociatedResource']);
  // meaningful only with the modes refused above
  r.inert(['id', 'refResource', 'maxQueueingTimeMs', 'warmUpPeriodSec', 'warmUpColdFactor', 'lowMemUsageThreshold', 'highMemUsageThreshold', 'memLowWaterMarkBytes', 'memHighWaterMarkBytes']);
  readLegacyKeys(r);
  r.finish();
  if (resource === undefined || threshold === undefined) return undefined;
  return { resource, threshold, statIntervalMs: statIntervalInMs === 0 ? DEFAULT_STAT_INTERVAL_MS : statIntervalInMs };
}

/** A sentinel mode number: 0 (sentinel's default) is what mosn-ts does; the others are refused by name. */
function refuseMode(r: ConfigReader, key: string, modes: readonly string[]): void {
  const mode = r.num(key, { min: 0, max: modes.length - 1 });
  if (mode === undefined || mode === 0) return;
  r.problems.error(r.at(key), `${modes[mode]} (${mode}) is not supported by mosn-ts: only ${modes[0]} (0), sentinel's default`);
}

/** `limitApp`, `grade`, `strategy`, `count`: keys of sentinel before 1.0 (and of Java's Sentinel). */
function readLegacyKeys(r: ConfigReader): void {
  const ignored = "ignored: MOSN's sentinel-golang 1.x does not read it";
  const limitApp = r.str('limitApp');
  if (limitApp && limitApp !== 'default') r.problems.warn(r.at('limitApp'), `${ignored}; the rule applies to every caller`);
  const grade = r.num('grade');
  if (grade !== undefined && grade !== 1) r.problems.warn(r.at('grade'), `${ignored}; the threshold counts requests per window (grade 1, QPS)`);
  const strategy = r.num('strategy');
  if (strategy !== undefined && strategy !== 0) r.problems.warn(r.at('strategy'), `${ignored} (its name is relationStrategy)`);
  if (r.has('count')) {
    r.value('count');
    r.problems.warn(r.at('count'), `${ignored} (its name is threshold)`);
  }
}

/** `dynamic_data_resources`: rules from nacos are refused (they would not be loaded); MOSN skips other types. */
function readDataSources(c: ConfigReader): void {
  for (const d of c.objects('dynamic_data_resources')) {
    const type = d.str('resource_type', { required: true });
    d.inert(['config']);
    d.finish();
    if (type === undefined) continue;
    if (type === 'nacos') d.problems.error(d.at('resource_type'), 'flow rules from nacos are not supported by mosn-ts: list them in rules');
    else d.problems.warn(d.at('resource_type'), `ignored: MOSN knows no data source "${type}" either (it knows nacos)`);
  }
}
