import type { Message } from '../proto.js';

/**
 * A `google.protobuf.Struct` as decoded (protobufjs's own definition: `{ fields: { k: { stringValue, kind } } }`)
 * → the plain JSON object it stands for.
 */
export function structToJson(struct: unknown): Record<string, unknown> {
  const fields = struct !== null && typeof struct === 'object' ? (struct as Message)['fields'] : undefined;
  const out: Record<string, unknown> = {};
  if (fields === null || typeof fields !== 'object') return out;
  for (const [k, v] of Object.entries(fields)) out[k] = valueToJson(v);
  return out;
}

/** A `google.protobuf.Value` → JSON (null, number, string, bool, object, array). */
export function valueToJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return null;
  const v = value as Message;
  if ('stringValue' in v) return v['stringValue'];
  if ('numberValue' in v) return v['numberValue'];
  if ('boolValue' in v) return v['boolValue'];
  if ('structValue' in v) return structToJson(v['structValue']);
  if ('listValue' in v) {
    const list = (v['listValue'] as Message | undefined)?.['values'];
    return Array.isArray(list) ? list.map(valueToJson) : [];
  }
  return null;
}
