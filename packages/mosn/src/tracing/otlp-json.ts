import type { RequestSpan } from '@mosn/proxy';

/**
 * OTLP/JSON (OpenTelemetry's protocol, protobuf's JSON mapping as OTLP/HTTP specifies it): an
 * `ExportTraceServiceRequest` for one batch of spans, written as text directly (ids as hex, 64-bit integers and
 * times as decimal strings, enums as numbers), with the resource and scope written once per exporter. This runs once
 * per span, on the event loop: attribute keys are quoted once, plain string values without a JSON.stringify call.
 */

/** OTLP's SpanKind: SPAN_KIND_SERVER. */
const KIND_SERVER = 2;
/** OTLP's StatusCode: STATUS_CODE_ERROR. */
const STATUS_ERROR = 2;

/** Characters a JSON string cannot hold as they are (and surrogates, left to JSON.stringify). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `{"key":"<key>","value":` per attribute key; the keys are RequestSpan's fixed names (bounded all the same). */
const keyPrefixes = new Map<string, string>();
function keyPrefix(key: string): string {
  let p = keyPrefixes.get(key);
  if (p === undefined) {
    p = `{"key":${quote(key)},"value":`;
    if (keyPrefixes.size < 256) keyPrefixes.set(key, p);
  }
  return p;
}

/** `{"key":...,"value":{...}}` for a string or an integer attribute. */
function attribute(key: string, value: string | number): string {
  const v = typeof value === 'number' ? `{"intValue":"${Math.trunc(value)}"}` : `{"stringValue":${quote(value)}}`;
  return `${keyPrefix(key)}${v}}`;
}

/** The attributes of the span being written (module state: no closure per span; encoding is synchronous). */
let attrs = '';
function addAttribute(key: string, value: string | number): void {
  attrs += (attrs === '' ? '' : ',') + attribute(key, value);
}

/** The part of every request before the spans: the resource (`service.name` and more) and the instrumentation scope. */
export function requestPrefix(resource: Readonly<Record<string, string>>, scope: { name: string; version: string }): string {
  const list = Object.entries(resource).map(([k, v]) => attribute(k, v));
  return `{"resourceSpans":[{"resource":{"attributes":[${list.join(',')}]},"scopeSpans":[{"scope":{"name":${quote(scope.name)},"version":${quote(scope.version)}},"spans":[`;
}

const REQUEST_SUFFIX = ']}]}]}';

/**
 * Nanoseconds since the epoch, as decimal text, of `ms` (whole milliseconds) plus `extraNs` (whole nanoseconds):
 * without BigInt or float precision loss (2^53 ns is only 104 days).
 */
function epochNanos(ms: number, extraNs: number): string {
  const total = ms + Math.floor(extraNs / 1e6);
  return `${total}${String(extraNs % 1e6).padStart(6, '0')}`;
}

/** One span's JSON. Times: the start in epoch ms (whole), the duration in fractional ms, both to nanoseconds. */
export function spanJson(span: RequestSpan): string {
  attrs = '';
  span.forEachAttribute(addAttribute);
  let out = `{"traceId":"${span.traceId}","spanId":"${span.spanId}"`;
  if (span.parentSpanId !== '') out += `,"parentSpanId":"${span.parentSpanId}"`;
  const start = span.startTimeMs;
  out += `,"name":${quote(span.name)},"kind":${KIND_SERVER},"startTimeUnixNano":"${epochNanos(start, 0)}","endTimeUnixNano":"${epochNanos(start, Math.max(0, Math.round(span.durationMs * 1e6)))}","attributes":[${attrs}]`;
  attrs = '';
  if (span.isError) out += `,"status":{"code":${STATUS_ERROR}${span.flag !== undefined ? `,"message":${quote(span.flag)}` : ''}}`;
  return out + '}';
}

/** A whole ExportTraceServiceRequest: `prefix` (requestPrefix) and the spans. */
export function exportRequest(prefix: string, spans: readonly RequestSpan[]): string {
  let out = prefix;
  for (let i = 0; i < spans.length; i++) out += (i === 0 ? '' : ',') + spanJson(spans[i]!);
  return out + REQUEST_SUFFIX;
}
