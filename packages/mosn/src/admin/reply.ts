import type { Reply } from './types.js';

// Answers as MOSN's admin API writes them.

export function json(status: number, value: unknown, indent: string | number = 2): Reply {
  return { status, body: JSON.stringify(value, null, indent) + '\n', contentType: 'application/json' };
}

export function text(status: number, body: string): Reply {
  return { status, body, contentType: 'text/plain; charset=utf-8' };
}

/** MOSN's error body (`errMsgFmt` in pkg/admin/server/apis.go), byte for byte. */
export function mosnError(status: number, message: string): Reply {
  return { status, body: `{\n\t"error": "${message}"\n}\n`, contentType: 'application/json' };
}

/** MOSN answers a wrong method with 405 and no body. */
export const METHOD_NOT_ALLOWED: Reply = { status: 405, body: '', contentType: 'text/plain; charset=utf-8' };

/** MOSN's answer to a query with more than one parameter (config_dump, stats). */
export const ONE_PARAMETER_ONLY: Reply = text(400, 'only support one parameter');

/** The distinct parameter names of a query (`?a&a=1&b` has two), as Go's `len(r.Form)` counts them. */
export function parameterCount(query: URLSearchParams): number {
  return new Set(query.keys()).size;
}
