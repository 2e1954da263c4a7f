import type { Logger } from '@mosn/proxy';
import type { ApplyResult } from './mosn.js';

export interface SignalHandlers {
  logger: Logger;
  /** SIGHUP: re-read the config file and apply it (the apply logs what changed, or why nothing did). */
  reload: () => Promise<ApplyResult>;
  /** SIGUSR1: reopen the log file. */
  reopenLogs: () => void;
  /** SIGTERM, SIGINT: graceful stop. */
  stop: () => Promise<void>;
  /** SIGUSR2: hot upgrade; true once a new process serves (this one then stops gracefully). Absent: not possible. */
  upgrade?: () => Promise<boolean>;
}

/**
 * Give the signals MOSN's meanings instead of Node's defaults (SIGHUP and SIGUSR2 would end the process with no log
 * line; SIGUSR1 would open Node's inspector to any local user). Resolves once a SIGTERM or SIGINT stop is done.
 */
export function handleSignals(h: SignalHandlers): Promise<void> {
  const log = h.logger.child({ component: 'signal' });
  return new Promise((resolve) => {
    let stopping = false;
    let upgrading = false;
    const stop = (signal: NodeJS.Signals, why = 'signal received: graceful stop') => {
      if (stopping) {
        log.warn({ signal }, 'already stopping gracefully; waiting for connections to drain');
        return;
      }
      stopping = true;
      log.info({ signal }, why);
      void h.stop().then(resolve, (e: unknown) => {
        log.error({ err: e }, 'graceful stop failed');
        resolve();
      });
    };
    // (Node passes the signal's number as a second argument: not a message)
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    watchPackageManager(log, () => stop('SIGTERM'));
    process.on('SIGHUP', () => {
      log.info({ signal: 'SIGHUP' }, 'signal received: reloading the config file');
      h.reload().then(
        (r) => {
          if (!r.ok) log.error({ signal: 'SIGHUP', errors: r.problems.length, version: r.version }, 'reload refused: the config file has errors (logged above); the running config is unchanged');
        },
        (e: unknown) => log.error({ err: e, signal: 'SIGHUP' }, `reload failed: ${(e as Error).message}`),
      );
    });
    process.on('SIGUSR1', () => {
      h.reopenLogs();
      log.info({ signal: 'SIGUSR1' }, 'signal received: log file reopened');
    });
    process.on('SIGUSR2', () => {
      const upgrade = h.upgrade;
      if (!upgrade) return log.warn({ signal: 'SIGUSR2' }, 'signal received: hot upgrade needs mosn started from a config file (mosn start -c); ignored');
      if (stopping || upgrading) return log.warn({ signal: 'SIGUSR2' }, `signal received: hot upgrade ignored (${stopping ? 'stopping' : 'an upgrade is under way'})`);
      upgrading = true;
      log.info({ signal: 'SIGUSR2' }, 'signal received: hot upgrade');
      upgrade().then(
        (served) => {
          upgrading = false;
          if (served) stop('SIGUSR2', 'hot upgrade: graceful stop of the old process');
        },
        (e: unknown) => {
          upgrading = false;
          log.error({ err: e, signal: 'SIGUSR2' }, 'hot upgrade failed; this process keeps serving');
        },
      );
    });
  });
}

/** How often a mosn started by a package-manager script checks that the package manager is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * `pnpm start` (and npm) do not pass a SIGTERM sent to them on to the script they run: the package manager exits and
 * mosn would run on orphaned, holding its ports. Started by such a script (npm_lifecycle_event is set), mosn notices
 * that its parent went away and stops gracefully, as if it had the SIGTERM itself.
 */
function watchPackageManager(log: Logger, stop: () => void): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    log.info({ parent }, `the package manager that started mosn (pid ${parent}) is gone: graceful stop`);
    stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}
