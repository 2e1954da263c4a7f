import pino from 'pino';
import type { Logger } from '@mosn/proxy';
import type { LogControl } from './admin/types.js';

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
  /** The same logger for the admin API (`get_loglevel`, `update_loglevel`, `enable_log`, `disable_log`). */
  control: LogControl;
}

/** pino's level names to MOSN's. */
const MOSN_NAMES: Record<string, string> = { fatal: 'FATAL', error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG', trace: 'TRACE' };

/**
 * A pino logger writing to `stdout`, `stderr` or a file, at a MOSN level name. With workers, every process of the
 * group writes the same file (appending whole lines) and its lines carry `worker`: 0 for the primary, 1 to N.
 */
export function createLogger(path: string, level: string, worker?: number): RuntimeLogger {
  const dest =
    path === 'stdout' || path === ''
      ? pino.destination({ dest: 1, sync: true })
      : path === 'stderr'
        ? pino.destination({ dest: 2, sync: true })
        : pino.destination({ dest: path, mkdir: true, sync: false });
  // the level, and whether the logger is on (`disable_log` makes it silent; the level is kept for `enable_log`)
  let current: pino.Level = LEVELS[level.toUpperCase()] ?? 'info';
  let on = true;
  const logger = pino({ level: current, base: worker === undefined ? { pid: process.pid } : { pid: process.pid, worker } }, dest);
  const toFile = !(path === 'stdout' || path === '' || path === 'stderr');
  // child loggers made before a change follow it: they take the level from the parent's prototype
  const setLevel = (l: string) => {
    current = LEVELS[l.toUpperCase()] ?? 'info';
    logger.level = on ? current : 'silent';
  };
  return {
    logger,
    reopen: () => {
      if (toFile) dest.reopen();
    },
    setLevel,
    control: {
      path: path === '' ? 'stdout' : path,
      level: () => MOSN_NAMES[current] ?? 'INFO',
      setLevel,
      enabled: () => on,
      setEnabled: (enable: boolean) => {
        on = enable;
        logger.level = on ? current : 'silent';
      },
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
