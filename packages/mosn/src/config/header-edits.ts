import { KNOWN_VARIABLES, variableGetter, type HeaderEditConfig } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/** The four header-change keys of a route action, a virtual host or a router. */
export function readHeaderChanges(r: ConfigReader): { requestHeaders?: HeaderEditConfig; responseHeaders?: HeaderEditConfig } {
  const requestHeaders = readHeaderEdits(r, 'request_headers_to_add', 'request_headers_to_remove');
  const responseHeaders = readHeaderEdits(r, 'response_headers_to_add', 'response_headers_to_remove');
  return { ...(requestHeaders ? { requestHeaders } : {}), ...(responseHeaders ? { responseHeaders } : {}) };
}

/** `[{ "header": { "key", "value" }, "append": true }]` (append defaults to true, as in MOSN) and a name list. */
function readHeaderEdits(r: ConfigReader, addKey: string, removeKey: string): HeaderEditConfig | undefined {
  const add: HeaderEditConfig['add'] = [];
  for (const o of r.objects(addKey)) {
    const h = o.obj('header', { required: true });
    const name = h?.str('key', { required: true, nonEmpty: true });
    const value = h?.str('value') ?? '';
    h?.finish();
    const append = o.bool('append') ?? true;
    o.finish();
    if (/^%.+%$/.test(value) && !variableGetter(value.slice(1, -1))) {
      o.problems.warn(o.at('header.value'), `unknown variable ${value}; sent as text, as MOSN does; known: ${KNOWN_VARIABLES.join(', ')}`);
    }
    if (name !== undefined) add.push({ name, value, append });
  }
  const remove = r.strings(removeKey);
  return add.length > 0 || remove.length > 0 ? { add, remove } : undefined;
}
