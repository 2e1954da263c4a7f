import { afterEach, describe, expect, it } from 'vitest';
import { readTracing } from './tracing-section.js';
import { readSection } from './testing.js';

const read = (tracing: unknown) => readSection({ tracing }, '', readTracing);
const otel = (config: Record<string, unknown>) => read({ enable: true, driver: 'otel', config });

describe('readTracing', () => {
  afterEach(() => {
    delete process.env['COMP_NAME'];
  });

  it("reads MOSN's otel driver: endpoint host:port as OTLP/HTTP, service_name, config_map; mosn-ts's defaults for the rest", () => {
    const { result, errors, warnings } = otel({ service_name: 'sample_sidecar', report_method: 'http', endpoint: '127.0.0.1:4318', config_map: { 'deployment.environment': 'test' } });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(result).toEqual({
      url: 'http://127.0.0.1:4318/v1/traces',
      serviceName: 'sample_sidecar',
      resourceAttributes: { 'deployment.environment': 'test' },
      headers: {},
      sampleRate: 1,
      batchSize: 512,
      batchIntervalMs: 5000,
      maxQueueSize: 2048,
      timeoutMs: 10_000,
    });
  });

  it('takes a URL (its path, or /v1/traces), sampling, batching, timeout and headers; the driver name in any case', () => {
    const { result, errors } = read({
      enable: true,
      driver: 'OTEL',
      config: { endpoint: 'https://collector.example:4318', sample_rate: 0.25, batch_size: 10, batch_interval: '200ms', max_queue_size: 100, timeout: '2s', headers: { authorization: 'Bearer x' } },
    });
    expect(errors).toEqual([]);
    expect(result).toMatchObject({ url: 'https://collector.example:4318/v1/traces', sampleRate: 0.25, batchSize: 10, batchIntervalMs: 200, maxQueueSize: 100, timeoutMs: 2000, headers: { authorization: 'Bearer x' } });
    expect(otel({ endpoint: 'http://[::1]:9/custom/path' }).result?.url).toBe('http://[::1]:9/custom/path');
  });

  it("names the service as MOSN does without service_name: COMP_NAME's sidecar, else default_sidecar", () => {
    expect(otel({ endpoint: '127.0.0.1:4318' }).result?.serviceName).toBe('default_sidecar');
    process.env['COMP_NAME'] = 'shop';
    expect(otel({ endpoint: '127.0.0.1:4318' }).result?.serviceName).toBe('shop_sidecar');
  });

  it('is off without enable, and warns when a driver is named but enable is not true', () => {
    expect(read({ enable: false, driver: 'otel', config: { nonsense: 1 } })).toEqual({
      result: undefined,
      errors: [],
      warnings: ['tracing.enable: is not true: tracing is off'],
    });
    expect(read({})).toEqual({ result: undefined, errors: [], warnings: [] });
  });

  it("warns about MOSN's other drivers and about report methods other than http (tracing off); refuses unknown drivers", () => {
    expect(read({ enable: true, driver: 'SOFATracer' })).toEqual({
      result: undefined,
      errors: [],
      warnings: ['tracing.driver: MOSN\'s driver "SOFATracer" is not supported by mosn-ts: tracing is off (mosn-ts runs "otel": OpenTelemetry over OTLP/HTTP)'],
    });
    expect(read({ enable: true, driver: 'Zipkin', config: { service_name: 'MOSN', reporter: 'http' } }).warnings).toHaveLength(1);
    expect(otel({ report_method: 'grpc', endpoint: '127.0.0.1:4317' })).toEqual({
      result: undefined,
      errors: [],
      warnings: ['tracing.config.report_method: "grpc" is not supported by mosn-ts: tracing is off (use "http", a collector\'s OTLP/HTTP port, 4318)'],
    });
    expect(read({ enable: true, driver: 'otle', config: {} }).errors).toEqual(['tracing.driver: unknown tracing driver "otle": mosn-ts runs "otel" (MOSN also has SOFATracer, Zipkin, SkyWalking, jaeger, PluginDriver)']);
    expect(read({ enable: true, tracer: 'SOFATracer', driver: '' }).warnings).toEqual([
      "tracing.tracer: MOSN's retired key (MOSN reads `driver`); ignored",
      'tracing.driver: no driver: tracing is off (mosn-ts runs "otel")',
    ]);
  });

  it('refuses what cannot run, each at its path', () => {
    const { result, errors } = otel({
      endpoint: 'ftp://x',
      sample_rate: 1.5,
      batch_size: 0,
      batch_interval: '0s',
      timeout: 'soon',
      config_map: { a: 1 },
      report_method: 'kafka',
    });
    expect(result).toBeUndefined();
    expect(errors).toEqual([
      'tracing.config.report_method: "kafka" is not one of: http, grpc, console',
      'tracing.config.config_map.a: expected a string, got number 1',
      'tracing.config.sample_rate: expected a number from 0 to 1, got 1.5',
      'tracing.config.batch_size: expected a number from 1 to ∞, got 0',
      'tracing.config.batch_interval: expected a duration above zero',
      'tracing.config.timeout: expected a duration such as "10s", "500ms" or "1m30s", got string "soon"',
      'tracing.config.endpoint: expected "host:port" or an http(s) URL, got "ftp://x"',
    ]);
    expect(otel({}).errors).toEqual(['tracing.config.endpoint: is required: the collector\'s OTLP/HTTP address, "127.0.0.1:4318" or a URL such as "http://127.0.0.1:4318/v1/traces"']);
    expect(otel({ endpoint: '127.0.0.1:4318/v1/traces' }).errors).toEqual(['tracing.config.endpoint: expected "host:port" or an http(s) URL, got "127.0.0.1:4318/v1/traces"']);
    expect(otel({ endpoint: 'x:1', batch_size: 600 }).errors).toEqual([]);
    expect(otel({ endpoint: 'x:1', batch_size: 600, max_queue_size: 500 }).errors).toEqual(['tracing.config.batch_size: 600 is more than max_queue_size (500): a batch is taken from the queue']);
    expect(read({ enable: true, driver: 'otel' }).errors).toEqual(['tracing.config: is required: expected an object']);
    const bad = otel({ endpoint: 'x:1', headers: { 'bad name': 'v', 'x-ok': 'line\nbreak' } }).errors;
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatch(/^tracing\.config\.headers\.bad name: not a valid HTTP header: /);
    expect(bad[1]).toMatch(/^tracing\.config\.headers\.x-ok: not a valid HTTP header: /);
  });
});
