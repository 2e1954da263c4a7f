import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { defaultExtensions } from '../extensions.js';
import { readPerFilterConfig, readStreamFilters } from './read.js';

const ext = defaultExtensions();

describe('readStreamFilters', () => {
  it('reads each entry with its type\'s reader, in order', () => {
    const { result, errors } = readSection(
      { stream_filters: [{ type: 'ip_access', config: { ips: [{ action: 'deny', addrs: ['10.0.0.1'] }] } }, { type: 'payload_limit', config: { max_entity_size: 5 } }] },
      'l',
      (r) => readStreamFilters(r, ext),
    );
    expect(errors).toEqual([]);
    expect(result.map((s) => s.type)).toEqual(['ip_access', 'payload_limit']);
  });

  it('refuses an unknown type listing the known ones, and Go plugins; a retired type is a no-op', () => {
    const { result, errors, warnings } = readSection(
      { stream_filters: [{ type: 'proxywasm' }, { type: 'healthcheck', config: {} }, { type: 'fault', go_plugin_config: { so_path: 'x.so' } }] },
      'l',
      (r) => readStreamFilters(r, ext),
    );
    expect(errors).toEqual([
      `l.stream_filters[0].type: stream filter "proxywasm" is not supported by mosn-ts; supported: ${ext.streamFilters.names().join(', ')}`,
      'l.stream_filters[2].go_plugin_config: Go plugins (.so) cannot be loaded by mosn-ts; a filter of your own is an npm package: list it in the top-level "third_part_stream_filter": { "filters": [{ "type": "npm", "path": "<package or file>" }] } and give its type name here (docs/filters.md)',
    ]);
    expect(warnings).toEqual(['l.stream_filters[1].type: "healthcheck" is a stream filter MOSN retired; mosn-ts treats it as a no-op']);
    expect(result).toEqual([]);
  });
});

describe('readPerFilterConfig', () => {
  it("reads a route's entries with the filters' readers; unknown and before-route filters are ignored with a warning", () => {
    const { result, errors, warnings } = readSection(
      { per_filter_config: { fault: { abort: { status: 500, percentage: 100 } }, ip_access: {}, proxywasm: {} } },
      'r',
      (r) => readPerFilterConfig(r, ext),
    );
    expect(errors).toEqual([]);
    expect(result).toEqual({ fault: { headers: [], abort: { status: 500, percent: 100 } } });
    expect(warnings).toEqual([
      'r.per_filter_config.ip_access: "ip_access" reads no per-route config (as in MOSN); ignored',
      `r.per_filter_config.proxywasm: no stream filter "proxywasm" in mosn-ts (supported: ${ext.streamFilters.names().join(', ')}); ignored`,
    ]);
  });

  it("reports a bad entry with its path", () => {
    const { errors } = readSection({ per_filter_config: { payload_limit: { max_entity_size: 'big' } } }, 'r', (r) => readPerFilterConfig(r, ext));
    expect(errors).toEqual(['r.per_filter_config.payload_limit.max_entity_size: expected a number, got string "big"']);
  });
});
