import type { Message } from '../proto.js';
import type { ConvertContext } from './context.js';
import { obj } from './fields.js';

/**
 * A `google.protobuf.Struct` as decoded (protobufjs's own definition: `{ fields: { k: { stringValue, kind } } }`)
 * → the plain JSON object it stands for.
 */
export function structToJson(struct: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj(obj(struct).fields))) out[k] = valueToJson(v);
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

/**
 * A Struct of labels (an endpoint's `filter_metadata["envoy.lb"]`, a subset LB's `default_subset`) → MOSN's string
 * labels. MOSN's labels are strings: a string is kept, a number or a bool is written as text (`2`, `true`), the
 * same way for hosts and for what selects them. A null, list or object value is an error: leaving that label out
 * would move the host into or out of subsets, i.e. change where traffic goes. Undefined when there is no label.
 */
export function structStrings(struct: unknown, ctx: ConvertContext): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(structToJson(struct))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[k] = String(value);
    else ctx.at(k).error('a label must be a string, number or bool: MOSN\'s host labels are strings');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
