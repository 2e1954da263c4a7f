import { messageType, type Message } from '../proto.js';
import type { ConvertContext } from './context.js';
import { isSet } from './fields.js';

/**
 * The safety net of every converter (listener, route, cluster): nothing of an Envoy message is dropped silently.
 * Each field of a message a converter takes has a rule: `converted` (the converter reads it, and reports itself
 * what it cannot do), `noop` (it has no effect in mosn-ts, or mosn-ts already does what it asks: documented,
 * nothing reported), or a warning or an error reported when the field is set (`isSet`, with the field's reflection).
 */
export type FieldRule = 'converted' | 'noop' | { readonly warn: string } | { readonly error: string };
export type FieldRules = Readonly<Record<string, FieldRule>>;

/** The rule of a field mosn-ts does not take where ignoring it loses only an optional feature, without a reason of its own. */
export const NOT_SUPPORTED: FieldRule = { warn: 'not supported by mosn-ts; ignored' };

/** The fields of a decoded message that are set (`isSet` with the field's reflection), in the proto's order. */
export function setFields(msg: Message, typeName: string): string[] {
  return messageType(typeName).fieldsArray.filter((f) => isSet(msg[f.name], f)).map((f) => f.name);
}

/**
 * Report every set field of `msg` by its rule: warnings and errors at the field's path. A field without a rule
 * (none, as long as the rules cover the protos: field-rules.test.ts checks every table) is an error: the
 * converter does not know what ignoring it means.
 */
export function checkFields(msg: Message, typeName: string, rules: FieldRules, ctx: ConvertContext): void {
  for (const key of setFields(msg, typeName)) {
    const rule = rules[key] ?? { error: `not supported by mosn-ts (${typeName}.${key} is unknown to its converter)` };
    if (rule === 'converted' || rule === 'noop') continue;
    if ('error' in rule) ctx.at(key).error(rule.error);
    else ctx.at(key).warn(rule.warn);
  }
}
