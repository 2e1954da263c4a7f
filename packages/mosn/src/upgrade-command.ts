import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MosnError } from '@mosn/proxy';
import { loadConfigFile } from './config/load.js';
import { pidFilePath, readPid, runningPid, upgradeStatusPath } from './pid-file.js';
import { UPGRADE_TIMEOUT_MS } from './upgrade/index.js';

const POLL_MS = 200;

/**
 * `mosn upgrade -c <config>`: hot upgrade of the mosn running on that config, found by its `pid` file. Sends it
 * SIGUSR2, then waits (printing a progress line) until the pid file names a new process; exit 0 then. Exit 1 when the
 * old process records a failed upgrade beside its pid file, or no new process took over within the upgrade timeout
 * (the old one's log says why; it keeps serving).
 */
export async function upgradeCommand(file: string): Promise<number> {
  const raw = loadConfigFile(file);
  const pid = runningPid(raw, file, 'MOSN_ERR_UPGRADE', `${file} has no "pid" file, so the running mosn cannot be found: add "pid" to the config, or send SIGUSR2 to the mosn process yourself (kill -USR2 <pid>)`);
  const path = pidFilePath(raw)!;
  const status = upgradeStatusPath(path);
  rmSync(status, { force: true });
  try {
    process.kill(pid, 'SIGUSR2');
  } catch (e) {
    throw new MosnError('MOSN_ERR_UPGRADE', `cannot signal mosn (pid ${pid}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; is mosn running on ${file}?`, { cause: e });
  }
  const started = performance.now();
  process.stdout.write(`sent SIGUSR2 to mosn (pid ${pid}); waiting for the new process\n`);
  while (performance.now() - started < UPGRADE_TIMEOUT_MS + 5000) {
    await sleep(POLL_MS);
    const now = readPid(path);
    if (now !== undefined && now !== pid && alive(now)) {
      process.stdout.write(`upgraded: mosn pid ${now} serves; pid ${pid} drains and exits\n`);
      return 0;
    }
    if (!alive(pid) || readStatus(status) === 'failed') break;
  }
  process.stderr.write(`mosn: MOSN_ERR_UPGRADE: no new mosn took over from pid ${pid} (${alive(pid) ? 'it keeps serving' : 'it is gone'}); its log says why\n`);
  return 1;
}

function readStatus(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
