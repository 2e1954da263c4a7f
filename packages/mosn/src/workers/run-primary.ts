import { listeningSocket } from '@mosn/proxy';
import type { ConfigProblems } from '../config/config-reader.js';
import type { MosnConfig } from '../config/types.js';
import { finishStop, reportStartFailure, sameWorkerCount } from '../lifecycle.js';
import type { RuntimeLogger } from '../logger.js';
import { writePidFile, writeUpgradeStatus } from '../pid-file.js';
import { handleProcessErrors } from '../process-policy.js';
import { handleSignals } from '../signals.js';
import { UPGRADE_TIMEOUT_MS, UPGRADE_WORKERS_ENV, announceReady, inheritSockets, startSuccessor } from '../upgrade/index.js';
import { Primary } from './primary.js';

/** What the CLI read and checked before it knew it runs a primary. */
export interface PrimaryStart {
  workers: number;
  file: string;
  raw: unknown;
  config: MosnConfig;
  problems: ConfigProblems;
  runtimeLogger: RuntimeLogger;
}

/** `mosn start` with workers: this process is their primary (workers/primary.ts); it runs no traffic itself. */
export async function runPrimary(o: PrimaryStart): Promise<number> {
  const { logger, flush, reopen, control } = o.runtimeLogger;
  for (const w of o.problems.warnings) logger.warn({ path: w.path }, `config: ${w.path}: ${w.message}`);
  // started by a hot upgrade: the old primary's sockets (its listeners', its admin API's) go on
  const inherited = inheritSockets();
  const primary = new Primary({ workers: o.workers, file: o.file, raw: o.raw, config: o.config, logger, logs: control, reopenLog: reopen, predecessor: inherited });
  handleProcessErrors({
    logger,
    stats: primary.stats,
    stop: () => primary.stop(),
    exit: (code) => {
      flush();
      process.exit(code);
    },
  });
  let pidFile: string | undefined;
  const stopped = handleSignals({
    logger,
    reload: () => primary.reload('SIGHUP'),
    reopenLogs: () => primary.reopenLogs(),
    stop: () => primary.stop(),
    upgrade: async () => {
      const socketOf = (key: string) => primary.sockets.peek(key) ?? listeningSocket(key);
      const served = await startSuccessor(logger, UPGRADE_TIMEOUT_MS, socketOf, { [UPGRADE_WORKERS_ENV]: String(o.workers) });
      if (pidFile) writeUpgradeStatus(pidFile, served, logger);
      return served;
    },
  });
  if (inherited && !sameWorkerCount(o.workers, logger)) {
    flush();
    return 1;
  }
  try {
    await primary.start();
  } catch (e) {
    reportStartFailure(e, logger);
    flush();
    return 1;
  }
  pidFile = writePidFile(o.raw, logger);
  if (inherited) {
    primary.stopInheriting();
    announceReady();
  }
  await stopped;
  await finishStop(pidFile);
  flush();
  return 0;
}
