import { http1ParserCheck, http2SessionHandleCheck, libuvHandleCheck, type InternalCheck, type InternalCheckResult, type Logger, type Stats } from '@mosn/proxy';

/**
 * The Node internals mosn relies on, each with its package's start-up check (issue 17): the libuv stream handles
 * connections are driven through (@mosn/net), Node's llhttp binding (@mosn/stream, HTTP/1) and the HTTP/2
 * session's native handle (@mosn/stream). A check that fails has already switched its package to the fallback.
 */
export const INTERNAL_CHECKS: readonly InternalCheck[] = [libuvHandleCheck, http1ParserCheck, http2SessionHandleCheck];

export type CheckOutcome = InternalCheckResult & { readonly name: string };

/** The default checks run once per process (several mosn instances in one process share the outcome). */
let once: Promise<readonly CheckOutcome[]> | undefined;

/** Run the checks, one after another (a few milliseconds each); a check that throws counts as failed. */
export async function runInternalChecks(checks: readonly InternalCheck[] = INTERNAL_CHECKS): Promise<readonly CheckOutcome[]> {
  if (checks === INTERNAL_CHECKS && once) return once;
  const run = (async () => {
    const out: CheckOutcome[] = [];
    for (const c of checks) {
      try {
        out.push({ name: c.name, ...(await c.run()) });
      } catch (e) {
        out.push({ name: c.name, internal: c.name, status: 'failed', problem: `the check threw: ${(e as Error).message}`, instead: 'unknown' });
      }
    }
    return out;
  })();
  if (checks === INTERNAL_CHECKS) once = run;
  return run;
}

/**
 * Tell a mosn instance what the checks found: one `warn` line per failed internal (the internal, the Node
 * version, the problem and what mosn uses instead), counted in `process.self_test_failed.<check>`; then one
 * `info` line with every check's status.
 */
export function reportInternalChecks(outcomes: readonly CheckOutcome[], log: Logger, stats: Stats): void {
  const node = process.version;
  for (const o of outcomes) {
    if (o.status !== 'failed') continue;
    stats.inc(`process.self_test_failed.${o.name}`);
    log.warn(
      { check: o.name, internal: o.internal, node, problem: o.problem, instead: o.instead },
      `self-test: ${o.internal} does not work as expected on Node ${node}; mosn uses ${o.instead} instead`,
    );
  }
  const status = Object.fromEntries(outcomes.map((o) => [o.name, o.status === 'off' ? `off (${o.instead})` : o.status]));
  log.info({ node, checks: status }, 'self-test of Node internals done');
}
