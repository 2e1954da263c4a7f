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
}

/**
 * Give the signals MOSN's meanings instead of Node's defaults (SIGHUP and SIGUSR2 would end the process with no log
 * line; SIGUSR1 would open Node's inspector to any local user). Resolves once a SIGTERM or SIGINT stop is done.
 */
export function handleSignals(h: SignalHandlers): Promise<void> {
  const log = h.logger.child({ component: 'signal' });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'already stopping gracefully; waiting for connections to drain');
        return;
      }
      stopping = true;
      log.info({ signal }, 'signal received: graceful stop');
      void h.stop().then(resolve, (e: unknown) => {
        log.error({ err: e }, 'graceful stop failed');
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
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
      log.warn({ signal: 'SIGUSR2' }, 'signal received: hot upgrade is not supported by mosn-ts yet; ignored (mosn keeps running)');
    });
  });
}
