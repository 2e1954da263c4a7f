import type { Logger } from '@mosn/proxy';

/**
 * A worker's signals. SIGTERM and SIGINT stop it gracefully (a Ctrl-C reaches every process of the group; a
 * SIGTERM sent to one worker alone makes the primary start it again: a way to recycle one). SIGHUP, SIGUSR1 and
 * SIGUSR2 are the primary's to handle for the whole group: logged and ignored. `stop` is idempotent (the primary's
 * `stop` call and a signal may both come); `stopped` resolves once the graceful stop is done.
 */
export function handleWorkerSignals(logger: Logger, drain: () => Promise<void>): { stop: () => Promise<void>; stopped: Promise<void> } {
  const log = logger.child({ component: 'signal' });
  let done!: () => void;
  const stopped = new Promise<void>((r) => (done = r));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= drain().then(done, (e: unknown) => {
      log.error({ err: e }, 'graceful stop failed');
      done();
    }));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info({ signal }, 'signal received: graceful stop of this worker');
      void stop();
    });
  }
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => log.warn({ signal, primaryPid: process.ppid }, `signal received by a worker: ignored (send it to the primary, pid ${process.ppid})`));
  }
  return { stop, stopped };
}
