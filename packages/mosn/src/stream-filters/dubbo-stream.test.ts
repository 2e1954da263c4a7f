import { describe, expect, it } from 'vitest';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { dubboStreamFilter } from './dubbo-stream.js';
import { grpcMetricFilter } from './grpc-metric.js';

function read(extension: typeof dubboStreamFilter | typeof grpcMetricFilter, config: Record<string, unknown>) {
  const problems = new ConfigProblems();
  const result = extension.read(new ConfigReader(config, 'f.config', problems));
  return { result, errors: problems.errors.map((e) => `${e.path}: ${e.message}`), warnings: problems.warnings.map((w) => `${w.path}: ${w.message}`) };
}

describe('dubbo_stream config', () => {
  it('takes no key but subset, which is read and warned about (no pod labels here)', () => {
    expect(read(dubboStreamFilter, {})).toEqual({ result: {}, errors: [], warnings: [] });
    expect(read(dubboStreamFilter, { subset: 'group' })).toEqual({
      result: { subset: 'group' },
      errors: [],
      warnings: ['f.config.subset: mosn-ts has no Istio pod labels: no pod label is added to the requests or, as `subset`, to the stats'],
    });
    expect(read(dubboStreamFilter, { subset: 7 }).errors).toEqual(['f.config.subset: expected a string, got number 7']);
  });
});

describe('grpc_metric config', () => {
  it('takes no key (MOSN reads none)', () => {
    expect(read(grpcMetricFilter, {})).toEqual({ result: {}, errors: [], warnings: [] });
    expect(read(grpcMetricFilter, { service: 'x' }).warnings).toEqual(['f.config.service: unknown key; ignored']);
  });
});
