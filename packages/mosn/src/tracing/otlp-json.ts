import type { RequestSpan } from '@mosn/proxy';

/**
 * OTLP/JSON (OpenTelemetry's protocol, protobuf's JSON mapping as OTLP/HTTP specifies it): an
 * `ExportTraceServiceRequest` for one batch of spans, written as text directly (ids as hex, 64-bit integers and
 * times as decimal strings, enums as numbers), with the resource and scope written once per exporter.
 */

/** OTLP's SpanKind: SPAN_KIND_SERVER. */
const KIND_SERVER = 2;
/** OTLP's StatusCode: STATUS_CODE_ERROR. */
const STATUS_ERROR = 2;

/** `{"key":...,"value":{...}}` for a string or an integer attribute. */
function attribute(key: string, value: string | number): string {
  const v = typeof value === 'number' ? `{"intValue":"${Math.trunc(value)}"}` : `{"stringValue":${JSON.stringify(value)}}`;
  return `{"key":${JSON.stringify(key)},"value":${v}}`;
}

/** The part of every request before the spans: the resource (`service.name` and more) and the instrumentation scope. */
export function requestPrefix(resource: Readonly<Record<string, string>>, scope: { name: string; version: string }): string {
  const attrs = Object.entries(resource).map(([k, v]) => attribute(k, v));
  return `{"resourceSpans":[{"resource":{"attributes":[${attrs.join(',')}]},"scopeSpans":[{"scope":{"name":${JSON.stringify(scope.name)},"version":${JSON.stringify(scope.version)}},"spans":[`;
}

const REQUEST_SUFFIX = ']}]}]}';

/** One span's JSON. Times: the start in epoch ms (whole), the duration in fractional ms, both to nanoseconds. */
export function spanJson(span: RequestSpan): string {
  const startNs = BigInt(span.startTimeMs) * 1_000_000n;
  const endNs = startNs + BigInt(Math.max(0, Math.round(span.durationMs * 1e6)));
  const attrs: string[] = [];
  span.forEachAttribute((k, v) => attrs.push(attribute(k, v)));
  let out = `{"traceId":"${span.traceId}","spanId":"${span.spanId}"`;
  if (span.parentSpanId !== '') out += `,"parentSpanId":"${span.parentSpanId}"`;
  out += `,"name":${JSON.stringify(span.name)},"kind":${KIND_SERVER},"startTimeUnixNano":"${startNs}","endTimeUnixNano":"${endNs}","attributes":[${attrs.join(',')}]`;
  if (span.isError) out += `,"status":{"code":${STATUS_ERROR}${span.flag !== undefined ? `,"message":${JSON.stringify(span.flag)}` : ''}}`;
  return out + '}';
}

/** A whole ExportTraceServiceRequest: `prefix` (requestPrefix) and the spans. */
export function exportRequest(prefix: string, spans: readonly RequestSpan[]): string {
  let out = prefix;
  for (let i = 0; i < spans.length; i++) out += (i === 0 ? '' : ',') + spanJson(spans[i]!);
  return out + REQUEST_SUFFIX;
}
