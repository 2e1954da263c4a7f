import type { Message } from '../proto.js';
import type { ConvertContext } from './context.js';

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function obj(v: unknown): Message {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Message) : {};
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
