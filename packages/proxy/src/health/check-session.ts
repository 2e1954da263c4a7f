/**
 * One kind of active health check against one host. The checker runs one check at a time per host, bounds
 * each by the `timeout` of `health_check` (aborting `signal`), and counts the results against the thresholds.
 */
export interface CheckSession {
  /**
   * Check once: true when the host answered as healthy, false otherwise (never rejects on a network
   * error). When `signal` aborts, give up: close what the check opened.
   */
  check(signal: AbortSignal): Promise<boolean>;
  /** Free what the session keeps between checks (an open connection). */
  close(): void;
}

/**
 * Settle a check: `start` gets `done` (which settles the promise once) and returns the cleanup to run on
 * abort. An already-aborted signal settles false at once.
 */
export function runCheck(signal: AbortSignal, start: (done: (ok: boolean) => void) => () => void): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(false);
    };
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const cleanup = start(done);
    if (!settled) signal.addEventListener('abort', onAbort, { once: true });
  });
}
