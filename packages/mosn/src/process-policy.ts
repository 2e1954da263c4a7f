import type { EventEmitter } from 'node:events';
import type { Stats } from '@mosn/proxy';
import type { RuntimeLogger } from './logger.js';

export interface ProcessPolicyOptions {
  logger: RuntimeLogger['logger'];
  stats: Stats;
  /** Graceful stop (drain up to graceful_timeout). */
  stop: () => Promise<void>;
  /** End the process with a code (the CLI's `process.exit`, after flushing the log). */
  exit: (code: number) => void;
  /** The process to watch (the real one; a test gives an EventEmitter). */
  process?: EventEmitter;
}

/**
 * What mosn does with an error nothing caught (docs/design.md, "Crash safety"). Timer, deadline, health-check and
 * filter callbacks catch their own errors, log them with their context and keep serving; what still reaches the
 * process is a bug in an unknown place:
 * - an uncaught exception may have left any state half-changed: logged (fatal, with its stack), counted
 *   (`process.uncaught_exception`), then mosn drains (no new connections, requests in flight finish up to
 *   `graceful_timeout`) and exits 1, for its supervisor to start a fresh one;
 * - an unhandled promise rejection changed no state on its way (the code that would have handled it just did
 *   not run): logged, counted (`process.unhandled_rejection`), and mosn keeps serving.
 */
export function handleProcessErrors(o: ProcessPolicyOptions): void {
  const proc = o.process ?? process;
  const log = o.logger;
  let stopping = false;
  proc.on('uncaughtException', (err: unknown, origin: unknown) => {
    o.stats.inc('process.uncaught_exception');
    log.fatal({ err, origin }, 'uncaught exception: mosn state is unknown; draining, then exiting 1 for the supervisor to restart it');
    if (stopping) return;
    stopping = true;
    o.stop().then(
      () => o.exit(1),
      (e: unknown) => {
        log.fatal({ err: e }, 'graceful stop after an uncaught exception failed');
        o.exit(1);
      },
    );
  });
  proc.on('unhandledRejection', (reason: unknown) => {
    o.stats.inc('process.unhandled_rejection');
    log.error({ err: reason }, 'unhandled promise rejection (a bug); mosn keeps serving');
  });
}
