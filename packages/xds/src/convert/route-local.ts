import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { obj, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';

/** Envoy's default `max_direct_response_body_size_bytes`. */
export const ENVOY_MAX_DIRECT_BODY = 4096;

/** What becomes of each field of a `RedirectAction` (a test checks them against the protos). */
export const REDIRECT_RULES: FieldRules = {
  https_redirect: 'converted',
  scheme_redirect: 'converted',
  host_redirect: 'converted',
  port_redirect: 'converted',
  path_redirect: 'converted',
  prefix_rewrite: 'converted',
  regex_rewrite: 'converted',
  response_code: 'converted',
  strip_query: 'converted',
};

/** What becomes of each field of a `DirectResponseAction` (a test checks them against the protos). */
export const DIRECT_RESPONSE_RULES: FieldRules = {
  status: 'converted',
  body: 'converted',
};

/** What becomes of each field of a direct response's body (`DataSource`) (a test checks them against the protos). */
export const BODY_RULES: FieldRules = {
  filename: 'converted',
  inline_bytes: 'converted',
  inline_string: 'converted',
  environment_variable: 'converted',
  watched_directory: 'converted',
};

const REDIRECT_CODES: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };

/**
 * A `RedirectAction` → MOSN's `redirect`: `response_code`, `scheme_redirect` (`https_redirect` is `https`),
 * `host_redirect`, `path_redirect`. MOSN keeps the request's query and port rules as Envoy does by default.
 */
export function convertRedirect(rd: Message, ctx: ConvertContext): MosnJson | undefined {
  checkFields(rd, 'envoy.config.route.v3.RedirectAction', REDIRECT_RULES, ctx);
  let ok = true;
  const out: MosnJson = { response_code: REDIRECT_CODES[str(rd.response_code) || 'MOVED_PERMANENTLY'] ?? 301 };
  if (rd.https_redirect === true) out.scheme_redirect = 'https';
  else if (str(rd.scheme_redirect) !== '') out.scheme_redirect = str(rd.scheme_redirect).toLowerCase();
  if (str(rd.host_redirect) !== '') out.host_redirect = rd.host_redirect;
  if (typeof rd.port_redirect === 'number' && rd.port_redirect !== 0) {
    ctx.at('port_redirect').error('redirecting to another port is not supported by mosn-ts');
    ok = false;
  }
  if (typeof rd.path_redirect === 'string' && rd.path_redirect !== '') {
    if (rd.path_redirect.includes('?')) {
      ctx.at('path_redirect').error('a path redirect with a query is not supported: mosn-ts keeps the request\'s query');
      ok = false;
    } else out.path_redirect = rd.path_redirect;
  }
  for (const field of ['prefix_rewrite', 'regex_rewrite'] as const) {
    if (rd[field] !== undefined && rd[field] !== '') {
      ctx.at(field).error('a redirect that rewrites part of the path is not supported by mosn-ts (path_redirect replaces the whole path)');
      ok = false;
    }
  }
  if (rd.strip_query === true) {
    ctx.at('strip_query').error('not supported: mosn-ts keeps the request\'s query in a redirect');
    ok = false;
  }
  return ok ? out : undefined;
}

/**
 * A `DirectResponseAction` → MOSN's `direct_response`: `status` and `body` (inline text or UTF-8 bytes, at most
 * `maxBody` bytes, as Envoy checks).
 */
export function convertDirectResponse(dr: Message, ctx: ConvertContext, maxBody: number): MosnJson | undefined {
  checkFields(dr, 'envoy.config.route.v3.DirectResponseAction', DIRECT_RESPONSE_RULES, ctx);
  const status = typeof dr.status === 'number' ? dr.status : 0;
  if (status < 200 || status > 599) {
    ctx.at('status').error(`expected a status from 200 to 599, got ${status}`);
    return undefined;
  }
  const out: MosnJson = { status };
  if (dr.body === undefined) return out;
  const body = obj(dr.body);
  const at = ctx.at('body');
  checkFields(body, 'envoy.config.core.v3.DataSource', BODY_RULES, at);
  let text: string | undefined;
  if (typeof body.inline_string === 'string') text = body.inline_string;
  else if (body.inline_bytes instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body.inline_bytes);
    } catch {
      at.at('inline_bytes').error('a body that is not UTF-8 text is not supported (MOSN\'s body is a string)');
      return undefined;
    }
  } else {
    at.error(`a body from ${typeof body.specifier === 'string' ? body.specifier : 'this source'} is not supported by mosn-ts (inline_string or inline_bytes)`);
    return undefined;
  }
  const size = Buffer.byteLength(text);
  if (size > maxBody) {
    at.error(`the body is ${size} bytes, more than max_direct_response_body_size_bytes (${maxBody}) (Envoy refuses it)`);
    return undefined;
  }
  if (text !== '') out.body = text;
  return out;
}
