import { isValidId } from './ids.js';

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

const isHexByte = (s: string, at: number) => isHexDigit(s.charCodeAt(at)) && isHexDigit(s.charCodeAt(at + 1));
const isHexDigit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/**
 * Parse a `traceparent` value, or undefined when it is not valid: `version-traceid-parentid-flags`, lowercase hex,
 * version `ff` forbidden, version `00` exactly 55 characters, a later version at least that and a `-` after them
 * (its extra fields are ignored, as the specification asks), ids not all zeros.
 */
export function parseTraceparent(value: string): TraceParent | undefined {
  const v = value.trim();
  if (v.length < 55 || !isHexByte(v, 0) || v.startsWith('ff')) return undefined;
  if (v.startsWith('00') ? v.length !== 55 : v.length > 55 && v[55] !== '-') return undefined;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-' || !isHexByte(v, 53)) return undefined;
  const traceId = v.slice(3, 35);
  const parentId = v.slice(36, 52);
  if (!isValidId(traceId, 32) || !isValidId(parentId, 16)) return undefined;
  return { traceId, parentId, sampled: (parseInt(v.slice(53, 55), 16) & 1) === 1 };
}

/** A version-00 `traceparent`: this span as the parent of the next hop, with mosn's sampling decision. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
