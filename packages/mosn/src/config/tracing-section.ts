import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { ConfigReader } from './config-reader.js';

/**
 * The `tracing` section as mosn-ts runs it (docs/operations.md, "Tracing"): OpenTelemetry spans, exported to an
 * OTLP/HTTP collector as JSON. MOSN's driver `otel` (pkg/trace/otel) with its config keys, and mosn-ts's keys for
 * sampling and batching (OpenTelemetry's BatchSpanProcessor's defaults).
 */
export interface TracingConfig {
  /** Where spans are POSTed: the collector's OTLP/HTTP traces URL (`http://127.0.0.1:4318/v1/traces`). */
  readonly url: string;
  /** The resource's `service.name`. */
  readonly serviceName: string;
  /** More resource attributes (MOSN's `config_map`). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** HTTP headers sent with every export (a collector's API key). */
  readonly headers: Readonly<Record<string, string>>;
  /** The share of traces starting at mosn that are recorded, 0 to 1. */
  readonly sampleRate: number;
  /** Spans per export request at most; a full batch is sent at once. */
  readonly batchSize: number;
  /** The longest a span waits in the queue before its batch is sent. */
  readonly batchIntervalMs: number;
  /** Spans waiting at most; more are dropped (and counted) while the collector is slow or away. */
  readonly maxQueueSize: number;
  /** How long one export request may take. */
  readonly timeoutMs: number;
}

export const DEFAULT_TRACING = {
  sampleRate: 1,
  batchSize: 512,
  batchIntervalMs: 5000,
  maxQueueSize: 2048,
  timeoutMs: 10_000,
} as const;

/** MOSN's drivers (pkg/trace): `otel` is the one mosn-ts runs; the others are warned about, tracing stays off. */
const OTEL = 'otel';
const OTHER_MOSN_DRIVERS = ['SOFATracer', 'Zipkin', 'SkyWalking', 'jaeger', 'PluginDriver'];
/** The OTLP/HTTP path a collector serves traces on, added to an endpoint given as `host:port` (as MOSN's exporter does). */
const TRACES_PATH = '/v1/traces';

/** `tracing`: enable, driver, config; undefined when tracing is off (absent, disabled, or a driver mosn-ts does not run). */
export function readTracing(root: ConfigReader): TracingConfig | undefined {
  const t = root.obj('tracing');
  if (!t) return undefined;
  const enable = t.bool('enable') ?? false;
  const driver = t.str('driver');
  t.ignore(['tracer'], "MOSN's retired key (MOSN reads `driver`); ignored");
  if (!enable) {
    if (driver) root.problems.warn(t.at('enable'), 'is not true: tracing is off');
    t.inert(['config']);
    t.finish();
    return undefined;
  }
  let config: TracingConfig | undefined;
  if (!driver) {
    root.problems.warn(t.at('driver'), 'no driver: tracing is off (mosn-ts runs "otel")');
    t.inert(['config']);
  } else if (driver.toLowerCase() === OTEL) {
    config = readOtel(t.obj('config', { required: true }));
  } else if (OTHER_MOSN_DRIVERS.some((d) => d.toLowerCase() === driver.toLowerCase())) {
    root.problems.warn(t.at('driver'), `MOSN's driver "${driver}" is not supported by mosn-ts: tracing is off (mosn-ts runs "otel": OpenTelemetry over OTLP/HTTP)`);
    t.inert(['config']);
  } else {
    root.problems.error(t.at('driver'), `unknown tracing driver "${driver}": mosn-ts runs "otel" (MOSN also has ${OTHER_MOSN_DRIVERS.join(', ')})`);
    t.inert(['config']);
  }
  t.finish();
  return config;
}

/** The `otel` driver's `config`. */
function readOtel(c: ConfigReader | undefined): TracingConfig | undefined {
  if (!c) return undefined;
  const problems = c.problems;
  const method = c.str('report_method', { oneOf: ['http', 'grpc', 'console'] })?.toLowerCase() ?? 'http';
  const endpoint = c.str('endpoint');
  const serviceName = c.str('service_name') || defaultServiceName();
  const resourceAttributes = stringMap(c.obj('config_map'));
  const headers = httpHeaders(c.obj('headers'));
  const sampleRate = c.num('sample_rate', { min: 0, max: 1, integer: false }) ?? DEFAULT_TRACING.sampleRate;
  const batchSize = c.num('batch_size', { min: 1 }) ?? DEFAULT_TRACING.batchSize;
  const maxQueueSize = c.num('max_queue_size', { min: 1 }) ?? DEFAULT_TRACING.maxQueueSize;
  const batchIntervalMs = positive(c, 'batch_interval') ?? DEFAULT_TRACING.batchIntervalMs;
  const timeoutMs = positive(c, 'timeout') ?? DEFAULT_TRACING.timeoutMs;
  c.finish();
  if (batchSize > maxQueueSize) problems.error(c.at('batch_size'), `${batchSize} is more than max_queue_size (${maxQueueSize}): a batch is taken from the queue`);
  if (method !== 'http') {
    problems.warn(c.at('report_method'), `"${method}" is not supported by mosn-ts: tracing is off (use "http", a collector's OTLP/HTTP port, 4318)`);
    return undefined;
  }
  if (endpoint === undefined || endpoint === '') {
    problems.error(c.at('endpoint'), 'is required: the collector\'s OTLP/HTTP address, "127.0.0.1:4318" or a URL such as "http://127.0.0.1:4318/v1/traces"');
    return undefined;
  }
  const url = tracesUrl(endpoint);
  if (url === undefined) {
    problems.error(c.at('endpoint'), `expected "host:port" or an http(s) URL, got "${endpoint}"`);
    return undefined;
  }
  return { url, serviceName, resourceAttributes, headers, sampleRate, batchSize, batchIntervalMs, maxQueueSize, timeoutMs };
}

/**
 * MOSN's rule: `service_name`, else the `COMP_NAME` environment variable with `_sidecar`, else `default_sidecar`.
 */
function defaultServiceName(): string {
  const app = process.env['COMP_NAME'];
  return app ? `${app}_sidecar` : 'default_sidecar';
}

/** `host:port` (MOSN's form: plain HTTP, `/v1/traces`) or an http(s) URL (`/v1/traces` when it has no path). */
function tracesUrl(endpoint: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  let url: URL;
  try {
    url = new URL(withScheme ? endpoint : `http://${endpoint}`);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.search !== '' || url.hash !== '') return undefined;
  if (!withScheme && url.pathname !== '/') return undefined;
  if (url.pathname === '/') url.pathname = TRACES_PATH;
  return url.href;
}

/** A duration above zero (milliseconds), or undefined when absent (an error when it is zero). */
function positive(c: ConfigReader, key: string): number | undefined {
  const ms = c.duration(key, { numberUnit: 'ns' });
  if (ms === 0) {
    c.problems.error(c.at(key), 'expected a duration above zero');
    return undefined;
  }
  return ms;
}

/** `headers`: string values that are valid in an HTTP header (Node would refuse the request otherwise). */
function httpHeaders(m: ConfigReader | undefined): Record<string, string> {
  const out = stringMap(m);
  for (const [name, value] of Object.entries(out)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (e) {
      m!.problems.error(m!.at(name), `not a valid HTTP header: ${(e as Error).message}`);
      delete out[name];
    }
  }
  return out;
}

/** An object of string values (`config_map`, `headers`); each other value is an error at its key. */
function stringMap(m: ConfigReader | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const key of Object.keys(m.raw)) {
    const v = m.str(key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
