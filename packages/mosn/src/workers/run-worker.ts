import { shareKey } from '@mosn/proxy';
import { checkConfig, configDir, printProblems } from '../config/check.js';
import { logSettings } from '../config/read-config.js';
import { reportStartFailure } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { Mosn } from '../mosn.js';
import { handleProcessErrors } from '../process-policy.js';
import type { XdsFlags } from '../xds/flags.js';
import type { PrimaryLink } from './worker-link.js';
import { handleWorkerSignals } from './worker-signals.js';

/** A worker of `--workers N` (started by its primary): one whole mosn on the config the primary gives it. */
export async function runWorker(link: PrimaryLink, file: string, logLevel: string | undefined, xdsFlags: XdsFlags): Promise<number> {
  const { config: raw, layers } = await link.config();
  const settings = logSettings(raw);
  const { logger, flush, reopen, setLevel, control } = createLogger(settings.logPath, logLevel ?? settings.logLevel, link.id);
  const { config, problems, extensions } = await checkConfig(raw, file, xdsFlags);
  if (!config) {
    printProblems(file, problems);
    flush();
    return 1;
  }
  const setLogLevel = logLevel === undefined ? setLevel : undefined;
  const mosn = new Mosn({ config: raw, logger, extensions, read: { config, problems }, baseDir: configDir(file), xdsFlags, logs: control, worker: link.id, ...(setLogLevel ? { setLogLevel } : {}) });
  const { stop, stopped } = handleWorkerSignals(logger, () => mosn.stop());
  handleProcessErrors({
    logger,
    stats: mosn.stats,
    stop: () => mosn.stop(),
    exit: (code) => {
      flush();
      process.exit(code);
    },
  });
  try {
    await mosn.start();
    if (Object.keys(layers).length > 0) await mosn.apply(raw, 'primary', new Map(Object.entries(layers)));
  } catch (e) {
    reportStartFailure(e, logger);
    flush();
    return 1;
  }
  link.serve(
    {
      apply: (next, l, origin) => mosn.apply(next, origin, new Map(Object.entries(l))),
      applyLayer: (source, layer, origin) => mosn.applyLayer(source, layer, origin),
      stop,
      reopenLogs: () => {
        reopen();
        mosn.reopenAccessLogs();
      },
      logs: control,
      stats: () => mosn.stats.snapshot(),
      state: () => ({ config: mosn.config.source, version: mosn.version }),
      keys: () => mosn.config.listeners.flatMap((l) => shareKey(l.address) ?? []),
      live: () => mosn.liveSummary(),
    },
    logger,
    () => void stop(),
  );
  link.ready();
  await stopped;
  flush();
  return 0;
}
