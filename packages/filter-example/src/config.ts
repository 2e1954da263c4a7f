import type { ConfigReader } from 'mosn';

/**
 * The config of `require_header`, as its reader returns it: a plain value, checked once when mosn reads the
 * config (a listener's `config`, or a route's `per_filter_config.require_header`, which replaces it).
 */
export interface RequireHeaderConfig {
  /** Off for this listener or route: every request passes untouched. */
  readonly disabled: boolean;
  /** The request header that must be present (HTTP header, or the RPC frame's header: Bolt's `service`, ...). */
  readonly header: string;
  /** The values let through; empty: any value. */
  readonly values: readonly string[];
  /** The answer to a request without the header or with another value (HTTP status; RPC: the protocol's error). */
  readonly status: number;
  /** A response header that carries the request's value back to the client (unset: responses are not touched). */
  readonly responseHeader?: string;
}

export const DEFAULT_STATUS = 403;

/**
 * Read `{ "header", "values", "status", "response_header", "disabled" }`. Each problem goes to the reader with its
 * JSON path (mosn prints `servers[0].listeners[0].stream_filters[0].config.status: ...`); `undefined` when the
 * config cannot be used (an error was reported).
 */
export function readRequireHeaderConfig(c: ConfigReader): RequireHeaderConfig | undefined {
  const disabled = c.bool('disabled') ?? false;
  const header = c.str('header', { required: !disabled, nonEmpty: true });
  const values = c.strings('values');
  const status = c.num('status', { integer: true, min: 400, max: 599 }) ?? DEFAULT_STATUS;
  const responseHeader = c.str('response_header', { nonEmpty: true });
  c.finish();
  if (disabled) return { disabled, header: header ?? '', values, status };
  if (header === undefined) return undefined;
  return { disabled, header, values, status, ...(responseHeader !== undefined ? { responseHeader } : {}) };
}
