import protobuf from 'protobufjs';
import type { Message } from '../proto.js';

/**
 * Readers of decoded messages (`TO_OBJECT`'s shape: plain objects, no defaults filled in, 64-bit integers and
 * enums as strings, oneofs named), shared by every converter. Each reads a value that may be absent or of another
 * shape and gives the proto3 default instead, so a converter never checks types itself.
 */

/** A sub-message (or a map), or `{}`. */
export function obj(v: unknown): Message {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Message) : {};
}

/** A repeated message field. */
export function objects(v: unknown): Message[] {
  return Array.isArray(v) ? v.filter((x): x is Message => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
}

/** A repeated string field. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A string field (or an enum's name), or "": proto3 does not tell an unset string from an empty one. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Whether a map field has entries (an empty map decodes as `{}`, or is absent). */
export function hasEntries(v: unknown): boolean {
  return Object.keys(obj(v)).length > 0;
}

/** A `google.protobuf.BoolValue` when present: its value (one holding false decodes as `{}`). */
export function boolValue(v: unknown): boolean | undefined {
  return v !== null && typeof v === 'object' ? (v as Message).value === true : undefined;
}

/**
 * A numeric wrapper when present (`UInt32Value`, `DoubleValue`, `UInt64Value` whose value decodes as a string,
 * `type.v3.Percent`): its value (one holding 0 decodes as `{}`).
 */
export function numberValue(v: unknown): number | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const value = (v as Message).value;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return 0;
}

const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS = new Set(['Bool', 'UInt32', 'Int32', 'UInt64', 'Int64', 'String', 'Double', 'Float', 'Bytes'].map((n) => `.google.protobuf.${n}Value`));

/**
 * Whether a decoded field is set, as proto3 means it: a list when not empty, a scalar when not its default (0,
 * false, "", empty bytes), a message when present (an empty Duration is 0s). TO_OBJECT leaves unset fields out,
 * but an object a test encodes with protobufjs may carry defaults. Given the field (reflection), also: a map when
 * it has entries, an enum when not its zero value, a 64-bit integer when not "0", and a wrapper
 * (`BoolValue`, `UInt32Value`, …) when its value is set (a control plane sends `{ value: false }` to mean "off").
 */
export function isSet(value: unknown, field?: protobuf.Field): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length > 0;
  if (field === undefined) return true;
  if (field.map) return hasEntries(value);
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return resolved.values[String(value)] !== 0;
  if (resolved instanceof protobuf.Type) {
    return WRAPPERS.has(resolved.fullName) ? isSet(obj(value).value, resolved.fields.value) : true;
  }
  return !(value === '0' && LONGS.has(field.type));
}

/**
 * The message name of an extension's `typed_config`: its type URL's, or for a `TypedStruct` (udpa or xds) the
 * type URL inside it. Undefined without a typed_config.
 */
export function typedConfigName(any: unknown): string | undefined {
  const a = obj(any);
  const url = str(a.type_url);
  if (url === '') return undefined;
  const name = url.slice(url.lastIndexOf('/') + 1);
  if ((name === 'udpa.type.v1.TypedStruct' || name === 'xds.type.v3.TypedStruct') && a.value instanceof Uint8Array) {
    const inner = typedStructUrl(a.value);
    if (inner !== undefined) return inner.slice(inner.lastIndexOf('/') + 1);
  }
  return name;
}

/** Field 1 (`type_url`) of an encoded TypedStruct. */
function typedStructUrl(bytes: Uint8Array): string | undefined {
  try {
    const r = protobuf.Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === 2) return r.string();
      r.skipType(tag & 7);
    }
  } catch {
    // not a TypedStruct after all: the outer name is used
  }
  return undefined;
}
