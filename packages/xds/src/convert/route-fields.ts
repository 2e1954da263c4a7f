import { messageType, type Message } from '../proto.js';
import type { ConvertContext } from './context.js';

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

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
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
