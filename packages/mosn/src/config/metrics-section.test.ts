import { describe, expect, it } from 'vitest';
import { readMetrics } from './metrics-section.js';
import { readSection } from './testing.js';

const NO_MATCHER = { rejectAll: false, exclusionLabels: [], exclusionKeys: [] };

describe('readMetrics', () => {
  it('reads a prometheus sink (endpoint /metrics, address 127.0.0.1 by default); undefined without metrics', () => {
    const { result, errors, warnings } = readSection({ metrics: { sinks: [{ type: 'prometheus', config: { port: 34902 } }], shm_zone: 'mosn_shm', shm_size: '32m', flush_mosn: true } }, '', readMetrics);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(result).toEqual({ prometheus: { host: '127.0.0.1', port: 34902, endpoint: '/metrics' }, matcher: NO_MATCHER });
    expect(readSection({}, '', readMetrics).result).toBeUndefined();
  });

  it('reads endpoint, address and stats_matcher', () => {
    const { result, errors } = readSection(
      {
        metrics: {
          sinks: [{ type: 'prometheus', config: { port: 9100, endpoint: '/stats/prom', address: '0.0.0.0', disable_collect_go: true, disable_collect_process: true } }],
          stats_matcher: { reject_all: false, exclusion_labels: ['cluster'], exclusion_keys: ['request_total'] },
        },
      },
      '',
      readMetrics,
    );
    expect(errors).toEqual([]);
    expect(result).toEqual({ prometheus: { host: '0.0.0.0', port: 9100, endpoint: '/stats/prom' }, matcher: { rejectAll: false, exclusionLabels: ['cluster'], exclusionKeys: ['request_total'] } });
  });

  it('refuses a missing port, a relative endpoint, push mode, an unknown sink type and a second prometheus sink', () => {
    const { errors } = readSection(
      {
        metrics: {
          sinks: [
            { type: 'prometheus', config: {} },
            { type: 'prometheus', config: { port: 1, endpoint: 'metrics' } },
            { type: 'prometheus', config: { port: 2, export_url: 'http://gw:9091' } },
            { type: 'statsd', config: {} },
            { type: 'prometheus', config: { port: 3 } },
            { type: 'prometheus', config: { port: 4 } },
          ],
        },
      },
      '',
      readMetrics,
    );
    expect(errors).toEqual([
      'metrics.sinks[0].config.port: is required: expected a number',
      'metrics.sinks[1].config.endpoint: expected a path starting with "/", got "metrics"',
      'metrics.sinks[2].config.export_url: push mode (PushGateway) is not supported (MOSN does not support it either)',
      'metrics.sinks[3].type: unknown metrics sink type "statsd": mosn-ts has "prometheus"',
      'metrics.sinks[5].type: a second prometheus sink: mosn-ts serves one; merge them',
    ]);
  });

  it('warns about the console sink, percentiles and unknown keys', () => {
    const { result, errors, warnings } = readSection(
      { metrics: { sinks: [{ type: 'console', config: { x: 1 } }, { type: 'prometheus', config: { port: 34902, percentiles: [50, 99] } }], extra: 1 } },
      '',
      readMetrics,
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'metrics.sinks[0].config: the console sink (metrics printed to the log) is not supported by mosn-ts; ignored',
      'metrics.sinks[1].config.percentiles: mosn-ts has no latency histograms yet; ignored',
      'metrics.extra: unknown key; ignored',
    ]);
    expect(result?.prometheus?.port).toBe(34902);
  });
});
