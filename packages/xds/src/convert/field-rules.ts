import { messageType, type Message } from '../proto.js';
import type { ConvertContext } from './context.js';
import { isSet } from './fields.js';

/**
 * The safety net of every converter: nothing of an Envoy message is dropped silently. Each field of a message a
 * converter takes has a rule: `converted` (the converter reads it, and reports itself what it cannot do), `noop`
 * (it has no effect in mosn-ts, or mosn-ts already does what it asks: documented, nothing reported), or a warning
 * or an error reported when the field is set. A field without a rule gets `otherwise`.
 */
export type FieldRule = 'converted' | 'noop' | { readonly warn: string } | { readonly error: string };
export type FieldRules = Readonly<Record<string, FieldRule>>;

/** What a field mosn-ts does not take is, where ignoring it only loses an optional feature. */
export const NOT_SUPPORTED: FieldRule = { warn: 'not supported by mosn-ts; ignored' };

/** The fields of a decoded message that are set (`isSet` with the field's reflection; oneof names, which TO_OBJECT adds, left out). */
export function setFields(msg: Message, typeName: string): string[] {
  const type = messageType(typeName);
  return Object.keys(msg).filter((k) => {
    const field = type.fields[k];
    return field !== undefined && isSet(msg[k], field);
  });
}

/**
 * Report every set field of `msg` by its rule: warnings and errors at the field's path. A field without a rule
 * gets `otherwise`; by default an error, the converter not knowing what ignoring it means (the listener
 * converter's tables cover the protos, as a test checks, so that only a field added to them later meets it).
 */
export function checkFields(msg: Message, typeName: string, rules: FieldRules, ctx: ConvertContext, otherwise?: FieldRule): void {
  for (const key of setFields(msg, typeName)) {
    const rule = rules[key] ?? otherwise ?? { error: `not supported by mosn-ts (${typeName}.${key} is unknown to its converter)` };
    if (rule === 'converted' || rule === 'noop') continue;
    if ('error' in rule) ctx.at(key).error(rule.error);
    else ctx.at(key).warn(rule.warn);
  }
}

/**
 * `checkFields` for a converter that lists the fields it reads (`handled`) instead of a rule per field: every
 * other set field is warned about (`not supported by mosn-ts; ignored`), also a field added to the protos later.
 */
export function warnUnhandled(msg: Message, typeName: string, handled: Iterable<string>, ctx: ConvertContext): void {
  const rules: Record<string, FieldRule> = {};
  for (const k of handled) rules[k] = 'converted';
  checkFields(msg, typeName, rules, ctx, NOT_SUPPORTED);
}
