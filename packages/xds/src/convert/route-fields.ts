import { messageType, type Message } from '../proto.js';
import type { ConvertContext } from './context.js';

/** Small readers of decoded messages, shared by the route converter's files. */

export function obj(v: unknown): Message {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Message) : {};
}

export function objects(v: unknown): Message[] {
  return Array.isArray(v) ? v.filter((x): x is Message => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A set field: present and, for a repeated field, not empty. */
export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

/** A `google.protobuf.BoolValue` when present: its value (a decoded `{}` is false). */
export function boolValue(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  return obj(v).value === true;
}

/** A `google.protobuf.UInt32Value` when present: its value (a decoded `{}` is 0). */
export function uintValue(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = obj(v).value;
  return typeof n === 'number' ? n : Number(n ?? 0);
}

/** An empty map field decodes as `{}`: a map with entries. */
export function hasEntries(v: unknown): boolean {
  return Object.keys(obj(v)).length > 0;
}

const oneofNames = new Map<string, Set<string>>();

/** The virtual oneof fields (`path_specifier`, `action`) that `TO_OBJECT` adds to a message of this type. */
function oneofs(typeName: string): Set<string> {
  let names = oneofNames.get(typeName);
  if (!names) {
    names = new Set(messageType(typeName).oneofsArray.map((o) => o.name));
    oneofNames.set(typeName, names);
  }
  return names;
}

/**
 * The safety net: every field of `m` that the converter did not look at (`seen`) is warned about, so a field
 * added to Envoy's API later is never dropped silently.
 */
export function warnRest(m: Message, typeName: string, seen: readonly string[], ctx: ConvertContext): void {
  const skip = oneofs(typeName);
  for (const k of Object.keys(m)) {
    if (skip.has(k) || seen.includes(k) || !isSet(m[k])) continue;
    ctx.at(k).warn('not supported by mosn-ts; ignored');
  }
}
