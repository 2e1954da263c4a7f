/**
 * A route's `retry_policy`. MOSN's `retry_on` is a bool (true: retry resets, per-try timeouts and 5xx or
 * the listed `status_codes`); Envoy-style condition strings are accepted too.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (connect failures aside: see `MAX_CONNECT_ATTEMPTS`). */
  numRetries: number;
  /** Per-try timeout in ms; 0: none. */
  tryTimeoutMs: number;
  /** Retry when the upstream reset the stream or timed out before response headers. */
  onReset: boolean;
  /** Which response statuses are retried; undefined: none. */
  retryStatus: ((status: number) => boolean) | undefined;
}

/** Envoy's `retry_on` conditions that mosn-ts understands. */
export const RETRY_CONDITIONS = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes'] as const;

/** A policy from MOSN's bool or an Envoy condition list; undefined when nothing but connect failures is retried. */
export function retryPolicy(retryOn: boolean | string[], numRetries: number, tryTimeoutMs: number, statusCodes: number[]): RetryPolicy {
  const codes = statusCodes.length > 0 ? new Set(statusCodes) : undefined;
  let onReset = false;
  const tests: Array<(s: number) => boolean> = [];
  if (retryOn === true) {
    onReset = true;
    // MOSN: the listed codes, or any 5xx when none is listed
    tests.push(codes ? (s) => codes.has(s) : (s) => s >= 500);
  } else if (Array.isArray(retryOn)) {
    for (const c of retryOn) {
      if (c === '5xx') tests.push((s) => s >= 500);
      else if (c === 'gateway-error') tests.push((s) => s >= 502 && s <= 504);
      else if (c === 'retriable-status-codes' && codes) tests.push((s) => codes.has(s));
      if (c === '5xx' || c === 'gateway-error' || c === 'reset') onReset = true;
    }
  }
  const retryStatus = tests.length === 0 ? undefined : tests.length === 1 ? tests[0] : (s: number) => tests.some((t) => t(s));
  return { numRetries, tryTimeoutMs, onReset, retryStatus };
}

/** `x-mosn-global-timeout` / `x-mosn-try-timeout`: a number of ms, or undefined. */
export function timeoutHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

export const GLOBAL_TIMEOUT_HEADER = 'x-mosn-global-timeout';
export const TRY_TIMEOUT_HEADER = 'x-mosn-try-timeout';
