import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { boolValue, obj, objects, str, strings } from './fields.js';

/** The header names one level (route configuration, virtual host, route) adds or removes, per direction. */
export interface TouchedHeaders {
  readonly request: ReadonlySet<string>;
  readonly response: ReadonlySet<string>;
}

export const HEADER_CHANGE_FIELDS = ['request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove'];

/**
 * The four header-change fields of a route configuration, virtual host or route → the same MOSN keys in `out`
 * (`[{ header: { key, value }, append }]` and name lists). Envoy and mosn-ts apply the levels in the same order
 * (route, virtual host, route configuration; the last wins); within a level Envoy removes before it adds, MOSN
 * adds before it removes, so a name both added and removed at one level is only added (the first add replacing).
 */
export function convertHeaderChanges(m: Message, ctx: ConvertContext, out: MosnJson): TouchedHeaders {
  return {
    request: convertLevel(m, 'request', ctx, out),
    response: convertLevel(m, 'response', ctx, out),
  };
}

function convertLevel(m: Message, direction: 'request' | 'response', ctx: ConvertContext, out: MosnJson): Set<string> {
  const addKey = `${direction}_headers_to_add`;
  const removeKey = `${direction}_headers_to_remove`;
  const touched = new Set<string>();
  const removes: string[] = [];
  strings(m[removeKey]).forEach((name, i) => {
    if (modifiable(name, ctx.at(`${removeKey}[${i}]`))) {
      removes.push(name);
      touched.add(name.toLowerCase());
    }
  });
  const adds: MosnJson[] = [];
  const replaced = new Set<string>();
  objects(m[addKey]).forEach((o, i) => {
    const add = convertHeaderValueOption(o, direction, ctx.at(`${addKey}[${i}]`));
    if (!add) return;
    const lower = add.name.toLowerCase();
    touched.add(lower);
    let append = add.append;
    // Envoy removed it first: the first add of a removed name replaces (MOSN removes after adding)
    if (removes.some((r) => r.toLowerCase() === lower) && !replaced.has(lower)) {
      replaced.add(lower);
      append = false;
    }
    adds.push({ header: { key: add.name, value: add.value }, append });
  });
  const kept = removes.filter((r) => !replaced.has(r.toLowerCase()));
  if (adds.length > 0) out[addKey] = adds;
  if (kept.length > 0) out[removeKey] = kept;
  return touched;
}

/** Envoy refuses a configuration that changes a pseudo-header or `host`. */
function modifiable(name: string, ctx: ConvertContext): boolean {
  if (name === '') ctx.error('a header name is required');
  else if (name.startsWith(':') || name.toLowerCase() === 'host') ctx.error(`${name}: pseudo-headers and host cannot be added or removed (Envoy refuses it)`);
  else return true;
  return false;
}

/** One `HeaderValueOption` → name, value (a MOSN variable as `%name%`) and MOSN's `append`; undefined when Envoy would not add it. */
function convertHeaderValueOption(o: Message, direction: 'request' | 'response', ctx: ConvertContext): { name: string; value: string; append: boolean } | undefined {
  const h = obj(o.header);
  const name = str(h.key);
  if (!modifiable(name, ctx.at('header.key'))) return undefined;
  let text = str(h.value);
  if (text === '' && h.raw_value instanceof Uint8Array) text = Buffer.from(h.raw_value).toString('utf8');
  const value = headerValue(text, ctx.at('header.value'));
  if (value === undefined) return undefined;
  // Envoy leaves out a header whose value is empty unless keep_empty_value
  if (value === '' && o.keep_empty_value !== true) return undefined;
  let append: boolean;
  const action = str(o.append_action) || 'APPEND_IF_EXISTS_OR_ADD';
  if (o.append !== undefined) {
    if (o.append_action !== undefined) ctx.error('append and append_action are both set (Envoy refuses it)');
    append = boolValue(o.append) ?? true;
  } else if (action === 'APPEND_IF_EXISTS_OR_ADD') append = true;
  else if (action === 'OVERWRITE_IF_EXISTS_OR_ADD') append = false;
  else {
    ctx.at('append_action').error(`${action} is not supported by mosn-ts (it appends or overwrites, and always adds)`);
    return undefined;
  }
  if (append && direction === 'response' && name.toLowerCase() === 'set-cookie') {
    ctx.error('appending a Set-Cookie header is not supported: mosn-ts joins it to an existing one with a comma, which breaks both cookies');
    return undefined;
  }
  return { name, value, append };
}

/** Envoy's command operators that are a MOSN variable when they are the whole value. */
const OPERATORS: Record<string, string> = {
  DOWNSTREAM_REMOTE_ADDRESS: 'downstream_remote_address',
  DOWNSTREAM_LOCAL_ADDRESS: 'downstream_local_address',
  UPSTREAM_HOST: 'upstream_host',
  UPSTREAM_CLUSTER: 'upstream_cluster',
};

/** `%REQ(...)%` of a pseudo-header → the MOSN variable that reads it. */
const PSEUDO_VARIABLES: Record<string, string> = { ':authority': 'x-mosn-host', ':path': 'Http1_request_uri', ':method': 'x-mosn-method' };

/**
 * An Envoy header value (a format string: `%%` is `%`, `%OPERATOR%` is replaced) → MOSN's value, in which a
 * whole `%name%` is a variable and every other text is sent as it is. Undefined, with an error, when MOSN cannot
 * send what Envoy would (an operator MOSN has no variable for, or one inside other text).
 */
export function headerValue(text: string, ctx: ConvertContext): string | undefined {
  if (!text.includes('%')) return text;
  const whole = /^%([A-Z_]+)(?:\(([^)]*)\))?%$/.exec(text);
  if (whole) {
    const [, op, arg] = whole;
    if (op === 'REQ' && arg !== undefined && !arg.includes('?')) {
      const lower = arg.toLowerCase();
      const variable = lower.startsWith(':') ? PSEUDO_VARIABLES[lower] : `request_header_${lower}`;
      if (variable) return `%${variable}%`;
    } else if (arg === undefined && OPERATORS[op!]) return `%${OPERATORS[op!]}%`;
  }
  // only literal text (with %% for %) is left
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '%') literal += text[i];
    else if (text[i + 1] === '%') {
      literal += '%';
      i++;
    } else {
      ctx.error(`${JSON.stringify(text)}: Envoy's format operators are not supported by mosn-ts here (a whole value may be %DOWNSTREAM_REMOTE_ADDRESS%, %DOWNSTREAM_LOCAL_ADDRESS%, %UPSTREAM_HOST%, %UPSTREAM_CLUSTER% or %REQ(name)%)`);
      return undefined;
    }
  }
  if (/^%.+%$/.test(literal)) {
    ctx.error(`${JSON.stringify(text)}: the text ${literal} would be read by MOSN as a variable`);
    return undefined;
  }
  return literal;
}
