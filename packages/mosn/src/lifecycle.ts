import { rmSync } from 'node:fs';
import { MosnError } from '@mosn/proxy';
import { MAX_WORKERS, autoWorkers } from './config/read-config.js';
import type { RuntimeLogger } from './logger.js';
import { readPid, upgradeStatusPath } from './pid-file.js';
import { UPGRADE_WORKERS_ENV, handOffsSettled } from './upgrade/index.js';

// What every way of running mosn (one process, the primary of workers, a worker) does at its start and its end.

/** Log and print why the start failed: a known failure (a port in use, ...) as its code and message; anything else (a bug) whole. */
export function reportStartFailure(e: unknown, logger: RuntimeLogger['logger']): void {
  if (e instanceof MosnError) logger.fatal({ code: e.code }, `start failed: ${e.message}`);
  else logger.fatal({ err: e }, 'start failed');
  process.stderr.write(`mosn: ${e instanceof MosnError ? `${e.code}: ` : ''}${(e as Error).message}\n`);
}

/** After a graceful stop: connections given to a hot upgrade's successor arrive, and the pid file goes if it is still ours. */
export async function finishStop(pidFile: string | undefined): Promise<void> {
  await handOffsSettled();
  // after a hot upgrade the file holds the new process's pid: it stays
  if (pidFile && readPid(pidFile) === process.pid) {
    rmSync(pidFile, { force: true });
    rmSync(upgradeStatusPath(pidFile), { force: true });
  }
}

/**
 * A hot upgrade keeps the worker count (the old process says it in the environment): a new process whose config
 * asks for another count refuses to start (logged), and the old one keeps serving. True when the counts agree.
 */
export function sameWorkerCount(workers: number, logger: RuntimeLogger['logger']): boolean {
  const old = Number(process.env[UPGRADE_WORKERS_ENV] ?? workers);
  delete process.env[UPGRADE_WORKERS_ENV];
  if (old === workers) return true;
  logger.fatal({ code: 'MOSN_ERR_UPGRADE', old, new: workers }, `start failed: a hot upgrade cannot change the worker count (${old} to ${workers}); restart mosn instead`);
  return false;
}

/** The worker count a config asks for (`servers[0].processor`), read before the whole config is (the logger needs it). */
export function workersOf(raw: unknown): number {
  const server = (raw as { servers?: Array<{ processor?: unknown }> } | null)?.servers?.[0];
  const n = server?.processor === 'auto' ? autoWorkers() : server?.processor;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 && n <= MAX_WORKERS ? n : 1;
}
