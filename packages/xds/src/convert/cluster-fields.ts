import type { Message } from '../proto.js';
import type { ConvertContext } from './context.js';

/** Small readers of decoded messages (`decodeMessage`'s shape), shared by the cluster and endpoint converters. */

export function obj(v: unknown): Message {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Message) : {};
}

export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function objects(v: unknown): Message[] {
  return Array.isArray(v) ? v.filter((x): x is Message => x !== null && typeof x === 'object') : [];
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A wrapper (`UInt32Value`, `UInt64Value` as a string, `DoubleValue`, `Percent`) → a number. */
export function wrappedNumber(v: unknown): number | undefined {
  const value = obj(v).value;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return isSet(v) && typeof v === 'object' ? 0 : undefined; // a wrapper holding the default (0) decodes as {}
}

/** A `BoolValue` → its value (a set wrapper without a value is false). */
export function wrappedBool(v: unknown): boolean | undefined {
  if (!isSet(v) || typeof v !== 'object') return undefined;
  return obj(v).value === true;
}

/** `core.v3.RuntimeDouble` (`{ default_value, runtime_key }`): the default; a runtime key is warned about. */
export function runtimeDouble(v: unknown, ctx: ConvertContext): number | undefined {
  if (!isSet(v)) return undefined;
  const r = obj(v);
  if (typeof r.runtime_key === 'string' && r.runtime_key !== '') ctx.warn(`runtime key ${JSON.stringify(r.runtime_key)} ignored (mosn-ts has no runtime): default_value is used`);
  return typeof r.default_value === 'number' ? r.default_value : 0;
}

/**
 * Every field of `m` that is set and not in `handled` is reported: a warning (`not supported by mosn-ts;
 * ignored`), so that nothing is dropped silently, also fields added to the protos later.
 */
export function warnUnhandled(m: Message, handled: ReadonlySet<string>, ctx: ConvertContext): void {
  for (const [k, v] of Object.entries(m)) {
    if (handled.has(k) || !isSet(v)) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (v === false) continue;
    ctx.at(k).warn('not supported by mosn-ts; ignored');
  }
}
