import type { Message } from '../proto.js';
import type { ConvertContext } from './context.js';
import { obj } from './fields.js';

/**
 * A `google.protobuf.Struct` of labels (an endpoint's `filter_metadata["envoy.lb"]`, a subset LB's
 * `default_subset`) → MOSN's string labels. MOSN's labels are strings: a string is kept, a number or a bool is
 * written as text (`2`, `true`), the same way for hosts and for what selects them. A null, list or object value
 * is an error: leaving that label out would move the host into or out of subsets, i.e. change where traffic goes.
 * Undefined when there is no label.
 */
export function structStrings(struct: unknown, ctx: ConvertContext): Record<string, string> | undefined {
  const fields = obj(obj(struct).fields);
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(fields)) {
    const text = valueText(obj(raw));
    if (text === undefined) ctx.at(k).error('a label must be a string, number or bool: MOSN\'s host labels are strings');
    else out[k] = text;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A `google.protobuf.Value` (protobufjs's own definition names its fields in camelCase) as text. */
function valueText(v: Message): string | undefined {
  const s = v.stringValue ?? v.string_value;
  if (typeof s === 'string') return s;
  const n = v.numberValue ?? v.number_value;
  if (typeof n === 'number') return String(n);
  const b = v.boolValue ?? v.bool_value;
  if (typeof b === 'boolean') return String(b);
  return undefined;
}
