import protobuf from 'protobufjs';
import { messageType, type Message } from '../proto.js';
import type { ConvertContext } from './context.js';

/**
 * What a converter does with one field of an Envoy message: `converted` (the converter reads it), `noop` (it has
 * no effect in mosn-ts, or mosn-ts already does what it asks: documented, nothing reported), or a warning or an
 * error reported when the field is set. Every field of a message a converter takes has a rule, so nothing is
 * dropped silently (a test checks the rules against the protos).
 */
export type FieldRule = 'converted' | 'noop' | { readonly warn: string } | { readonly error: string };
export type FieldRules = Readonly<Record<string, FieldRule>>;

const WRAPPERS = new Set(['BoolValue', 'UInt32Value', 'Int32Value', 'UInt64Value', 'Int64Value', 'StringValue', 'DoubleValue', 'FloatValue', 'BytesValue'].map((n) => `google.protobuf.${n}`));

/** Whether a scalar (or a wrapper's value) differs from its proto3 default. */
function isNonDefault(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '' || value === '0') return false;
  if (value instanceof Uint8Array) return value.length > 0;
  return true;
}

/**
 * Whether a decoded field is set: a message is set when present (an empty Duration means 0s), a wrapper when its
 * value is not the default, a list when not empty, an enum when not its zero value, a scalar when not 0, false
 * or "". (Go control planes never send proto3 defaults; protobufjs sends what an object holds, so tests may.)
 */
export function isSet(type: protobuf.Type, name: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  const field = type.fields[name];
  const resolved = field?.resolvedType;
  if (resolved instanceof protobuf.Enum) return value !== 0 && resolved.values[String(value)] !== 0;
  if (resolved instanceof protobuf.Type) {
    if (WRAPPERS.has(resolved.fullName.replace(/^\./, ''))) return isNonDefault((value as { value?: unknown }).value);
    return true;
  }
  if (field?.map) return Object.keys(value as object).length > 0;
  return isNonDefault(value);
}

/** The fields of a decoded message that are set (oneof names, which TO_OBJECT adds, left out). */
export function setFields(msg: Message, typeName: string): string[] {
  const type = messageType(typeName);
  return Object.keys(msg).filter((k) => type.fields[k] !== undefined && isSet(type, k, msg[k]));
}

/**
 * Report every set field of `msg` by its rule: warnings and errors at the field's path. A field without a rule
 * (none, as long as the rules cover the protos) is an error: the converter does not know what ignoring it means.
 */
export function checkFields(msg: Message, typeName: string, rules: FieldRules, ctx: ConvertContext): void {
  for (const key of setFields(msg, typeName)) {
    const rule = rules[key];
    if (rule === 'converted' || rule === 'noop') continue;
    if (rule === undefined) ctx.at(key).error(`not supported by mosn-ts (${typeName}.${key} is unknown to its converter)`);
    else if ('error' in rule) ctx.at(key).error(rule.error);
    else ctx.at(key).warn(rule.warn);
  }
}

/** A decoded sub-message, or `{}`. */
export function obj(v: unknown): Message {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Message) : {};
}

/** A decoded repeated message field. */
export function objects(v: unknown): Message[] {
  return Array.isArray(v) ? v.filter((x): x is Message => x !== null && typeof x === 'object') : [];
}

/** A decoded repeated string field. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A decoded string field, or "". */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
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
