/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header, read and written. `tracestate`
 * is never read: mosn adds no entry of its own and forwards the client's as it came.
 */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** What a valid `traceparent` says: the trace, the caller's span (our parent), and the caller's sampling decision. */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly sampled: boolean;
}

/** Version 00 exactly; any other version: its first four fields, then a `-` or the end. */
const VERSION_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const LATER_VERSION = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);
const HEX_DIGIT: Record<string, number> = Object.fromEntries([...'0123456789abcdef'].map((c, i) => [c, i]));

/**
 * Parse a `traceparent` value, or undefined when it is not valid: `version-traceid-parentid-flags`, lowercase hex,
 * version `ff` forbidden, version `00` exactly 55 characters, a later version at least that and a `-` after them
 * (its extra fields are ignored, as the specification asks), ids not all zeros.
 */
export function parseTraceparent(value: string): TraceParent | undefined {
  const v = value.trim();
  if (!(v.startsWith('00') ? VERSION_00.test(v) : LATER_VERSION.test(v) && !v.startsWith('ff'))) return undefined;
  const traceId = v.slice(3, 35);
  const parentId = v.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return { traceId, parentId, sampled: (HEX_DIGIT[v[54]!]! & 1) === 1 };
}

/** A version-00 `traceparent`: this span as the parent of the next hop, with mosn's sampling decision. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
