import pino from 'pino';
import type { Logger } from '@mosn/proxy';

/** MOSN's level names to pino's. */
const LEVELS: Record<string, pino.Level> = {
  FATAL: 'fatal',
  ERROR: 'error',
  WARN: 'warn',
  WARNING: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  TRACE: 'trace',
};

export interface RuntimeLogger {
  logger: Logger & pino.Logger;
  flush(): void;
  /** Reopen the log file (SIGUSR1, after a log rotation moved it); nothing for stdout/stderr. */
  reopen(): void;
  /** Change the level (a MOSN level name), as a reloaded config's `default_log_level` asks. */
  setLevel(level: string): void;
}

/** A pino logger writing to `stdout`, `stderr` or a file, at a MOSN level name. */
export function createLogger(path: string, level: string): RuntimeLogger {
  const dest =
    path === 'stdout' || path === ''
      ? pino.destination({ dest: 1, sync: true })
      : path === 'stderr'
        ? pino.destination({ dest: 2, sync: true })
        : pino.destination({ dest: path, mkdir: true, sync: false });
  const logger = pino({ level: LEVELS[level.toUpperCase()] ?? 'info', base: { pid: process.pid } }, dest);
  const toFile = !(path === 'stdout' || path === '' || path === 'stderr');
  return {
    logger,
    reopen: () => {
      if (toFile) dest.reopen();
    },
    setLevel: (l: string) => {
      logger.level = LEVELS[l.toUpperCase()] ?? 'info';
    },
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // nothing buffered, or the destination is gone: nothing to do
      }
    },
  };
}
