import { describe, expect, it } from 'vitest';
import { DEFAULT_BUFFER_LIMIT, DEFAULT_IDLE_TIMEOUT_MS } from '@mosn/proxy';
import { defaultExtensions } from '../extensions.js';
import { readListener } from './listener.js';
import { clusterSpecs, readSection } from './testing.js';

const ext = defaultExtensions();
const clusters = clusterSpecs(ext, [{ name: 'c', hosts: [] }]);
const L = 'servers[0].listeners[0]';
const tcp = { filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { cluster: 'c' } }] }] };
const read = (l: Record<string, unknown>) => readSection(l, L, (r) => readListener(r, { extensions: ext, clusters, routers: new Map() }, { baseDir: '/nowhere' }));

describe('readListener', () => {
  it('reads address, name, limits and the filters, and keeps the source', () => {
    const source = { name: 'in', address: '127.0.0.1:2045', per_connection_buffer_limit_bytes: 4096, connection_idle_timeout: '30s', ...tcp };
    const { result, errors, warnings } = read(source);
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      name: 'in',
      source,
      address: { host: '127.0.0.1', port: 2045 },
      bufferLimit: 4096,
      idleTimeoutMs: 30_000,
      filters: [{ type: 'tcp_proxy', config: { cluster: 'c', routes: [], maxConnectAttempts: 1, idleTimeoutMs: expect.any(Number), statPrefix: 'in' } }],
      streamFilters: [],
    });
    expect(result?.source).toBe(source);
  });

  it('is named after its address without a name (as MOSN), has default limits, and reads unix sockets', () => {
    const { result } = read({ address: '0.0.0.0:80', ...tcp });
    expect(result).toMatchObject({ name: '0.0.0.0:80', bufferLimit: DEFAULT_BUFFER_LIMIT, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS });
    // the filters read with the listener's name
    expect(result?.filters[0]?.config).toMatchObject({ statPrefix: '0.0.0.0:80' });
    expect(read({ network: 'unix', address: 'unix:/tmp/m.sock', ...tcp }).result?.address).toEqual({ path: '/tmp/m.sock' });
  });

  it('refuses what it cannot serve, with the paths', () => {
    const { result, errors } = read({ network: 'udp', address: 'here', bind_port: false, use_original_dst: 'redirect', stream_filters: [{ type: 'proxywasm' }], listener_filters: [{ type: 'original_dst' }] });
    expect(result).toBeUndefined();
    expect(errors).toEqual([
      `${L}.network: UDP listeners are not supported by mosn-ts yet; supported: tcp, unix`,
      `${L}.address: expected "ip:port" (or a socket path with "network": "unix"), got "here"`,
      `${L}.bind_port: listeners that do not bind (original-destination virtual listeners) are not supported by mosn-ts yet`,
      `${L}.filter_chains: is required: expected one filter chain with at least one filter`,
      `${L}.stream_filters[0].type: stream filter "proxywasm" is not supported by mosn-ts; supported: ${ext.streamFilters.names().join(', ')}`,
      `${L}.listener_filters[0].type: listener filter "original_dst" is not supported by mosn-ts yet`,
      expect.stringMatching(/^servers\[0\]\.listeners\[0\]\.use_original_dst: original-destination listeners are not supported by mosn-ts: /),
    ]);
  });

  it("treats MOSN's retired stream filters as no-ops, and warns about keys MOSN does not use", () => {
    const { errors, warnings } = read({ address: '127.0.0.1:1', stream_filters: [{ type: 'healthcheck', config: {} }], log_level: 'DEBUG', access_logs: [{ log_path: '/tmp/a' }], ...tcp });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      `${L}.stream_filters[0].type: "healthcheck" is a stream filter MOSN retired; mosn-ts treats it as a no-op`,
      `${L}.log_level: MOSN does not use this key either; ignored`,
    ]);
  });

  it('reads access_logs: the path, the format compiled (errors and unknown variables with their paths)', () => {
    const ok = read({ address: '127.0.0.1:1', access_logs: [{ log_path: '/tmp/a' }, { log_path: 'stdout', log_format: '%start_time% %request_header_x-id%' }], ...tcp });
    expect(ok.errors).toEqual([]);
    expect(ok.warnings).toEqual([]);
    expect(ok.result?.accessLogs).toEqual([{ path: '/tmp/a', format: '' }, { path: 'stdout', format: '%start_time% %request_header_x-id%' }]);
    const bad = read({ address: '127.0.0.1:1', access_logs: [{ log_format: '%a' }, { log_path: 'x', log_format: '%%' }, { log_path: 'y', log_format: '%nope% %trace_id%' }], ...tcp });
    expect(bad.errors).toEqual([
      `${L}.access_logs[0].log_path: is required: expected a string`,
      `${L}.access_logs[0].log_format: unclosed variable at offset 0`,
      `${L}.access_logs[1].log_format: empty variable "%%" at offset 0`,
    ]);
    expect(bad.warnings).toEqual([expect.stringContaining(`${L}.access_logs[2].log_format: variables mosn-ts does not know print "-": %nope%`)]);
  });
});
