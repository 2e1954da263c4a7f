import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { flowControlFilter } from './flow-control.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => flowControlFilter.read(r));

describe('flowControlFilter reader', () => {
  it("reads MOSN's sample (flowcontrol-sample/server_config.json): sentinel's old rule keys with their default values are quiet", () => {
    const { result, errors, warnings } = read({
      app_name: 'sample',
      log_path: '/tmp/sentinel',
      global_switch: true,
      monitor: false,
      limit_key_type: 'PATH',
      action: { status: 500, body: 'blocked' },
      rules: [{ resource: '/test', limitApp: '', grade: 1, threshold: 1, strategy: 0 }],
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual(["f.config.log_path: ignored: mosn-ts writes no sentinel logs; the listener's flow_control_pass and flow_control_block counters count the decisions"]);
    expect(result).toEqual({ enabled: true, keyType: 'PATH', action: { status: 500, body: 'blocked' }, rules: [{ resource: '/test', threshold: 1, statIntervalMs: 1000 }] });
  });

  it("takes MOSN's defaults: switched off, PATH, 509 \"current request is limited\"; action keys one by one", () => {
    const off = read({});
    expect(off.result).toEqual({ enabled: false, keyType: 'PATH', action: { status: 509, body: 'current request is limited' }, rules: [] });
    expect(off.warnings).toEqual(['f.config.global_switch: is false (the default when absent): the filter lets every request through, as in MOSN']);
    expect(read({ global_switch: true, action: { status: 429 } }).result?.action).toEqual({ status: 429, body: 'current request is limited' });
    expect(read({ global_switch: true, limit_key_type: 'URI', action: { body: '' } }).result).toMatchObject({ keyType: 'URI', action: { status: 509, body: '' } });
  });

  it("reads sentinel-golang 1.x rule keys: statIntervalInMs, fractional thresholds, the default modes (0), and inert ones", () => {
    const { result, errors, warnings } = read({
      global_switch: true,
      limit_key_type: 'ARG',
      rules: [
        { id: 'a', resource: 'q=1', threshold: 2.5, statIntervalInMs: 5000, tokenCalculateStrategy: 0, controlBehavior: 0, relationStrategy: 0, maxQueueingTimeMs: 0, refResource: '' },
        { resource: 'q=2', threshold: 0 },
      ],
    });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result?.rules).toEqual([
      { resource: 'q=1', threshold: 2.5, statIntervalMs: 5000 },
      { resource: 'q=2', threshold: 0, statIntervalMs: 1000 },
    ]);
  });

  it('refuses the sentinel modes it does not implement, HEADER keys, nacos, and bad rules, each with its path', () => {
    const { errors } = read({
      global_switch: true,
      limit_key_type: 'HEADER',
      action: { status: 99 },
      rules: [
        { resource: '/a', threshold: 1, tokenCalculateStrategy: 1, controlBehavior: 1, relationStrategy: 1, refResource: '/b' },
        { resource: '/c', threshold: 1, tokenCalculateStrategy: 2 },
        { resource: '', threshold: -1 },
        { resource: '/d', count: 10 },
        { resource: '/e', threshold: 1, controlBehavior: 7 },
      ],
      dynamic_data_resources: [{ resource_type: 'nacos', config: { DataID: 'x' } }],
    });
    expect(errors).toEqual([
      'f.config.limit_key_type: "HEADER" is not one of: PATH, ARG, URI',
      'f.config.action.status: expected a number from 200 to 599, got 99',
      "f.config.rules[0].tokenCalculateStrategy: WarmUp (1) is not supported by mosn-ts: only Direct (0), sentinel's default",
      "f.config.rules[0].controlBehavior: Throttling (1) is not supported by mosn-ts: only Reject (0), sentinel's default",
      "f.config.rules[0].relationStrategy: AssociatedResource (1) is not supported by mosn-ts: only CurrentResource (0), sentinel's default",
      "f.config.rules[1].tokenCalculateStrategy: MemoryAdaptive (2) is not supported by mosn-ts: only Direct (0), sentinel's default",
      'f.config.rules[2].resource: expected a non-empty string',
      'f.config.rules[2].threshold: expected a number from 0 to ∞, got -1',
      'f.config.rules[3].threshold: is required: expected a number',
      'f.config.rules[4].controlBehavior: expected a number from 0 to 1, got 7',
      'f.config.dynamic_data_resources[0].resource_type: flow rules from nacos are not supported by mosn-ts: list them in rules',
    ]);
  });

  it('warns about keys that change nothing, here as in MOSN', () => {
    const { errors, warnings } = read({
      global_switch: true,
      monitor: true,
      callback_name: 'mine',
      direction: 'outbound',
      rules: [{ resource: '/a', threshold: 1, limitApp: 'app-b', grade: 0, strategy: 1, count: 3 }],
      dynamic_data_resources: [{ resource_type: 'apollo', config: {} }],
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      "f.config.monitor: has no effect (MOSN's filter does not read it either): requests over a threshold are still blocked",
      'f.config.callback_name: ignored: mosn-ts has no registry of flow control callbacks; the default ones are used (as MOSN does for a name it does not know)',
      "f.config.rules[0].limitApp: ignored: MOSN's sentinel-golang 1.x does not read it; the rule applies to every caller",
      "f.config.rules[0].grade: ignored: MOSN's sentinel-golang 1.x does not read it; the threshold counts requests per window (grade 1, QPS)",
      "f.config.rules[0].strategy: ignored: MOSN's sentinel-golang 1.x does not read it (its name is relationStrategy)",
      "f.config.rules[0].count: ignored: MOSN's sentinel-golang 1.x does not read it (its name is threshold)",
      'f.config.dynamic_data_resources[0].resource_type: ignored: MOSN knows no data source "apollo" either (it knows nacos)',
    ]);
  });
});
