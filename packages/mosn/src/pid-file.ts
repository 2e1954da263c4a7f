import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MosnError, type Logger } from '@mosn/proxy';

/** MOSN's top-level `pid` of a raw config: the file mosn writes its process id to, or undefined. */
export function pidFilePath(raw: unknown): string | undefined {
  const path = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).pid : undefined;
  return typeof path === 'string' && path !== '' ? path : undefined;
}

/** Write this process's id to the config's `pid` file (`mosn reload` and `mosn upgrade` read it); its path, or undefined. */
export function writePidFile(raw: unknown, logger: Logger): string | undefined {
  const path = pidFilePath(raw);
  if (path === undefined) return undefined;
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(path, `${process.pid}\n`);
    return path;
  } catch (e) {
    logger.error({ err: e, pid: path }, `cannot write the pid file ${path}; mosn runs on, but \`mosn reload\` cannot find it`);
    return undefined;
  }
}

/** The process id in a pid file, or undefined when it cannot be read or holds none. */
export function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid of the mosn running on config `file` (from its `pid` file), or a MosnError with `code` saying why not;
 * `noPidFile` is that error's message when the config names no pid file.
 */
export function runningPid(raw: unknown, file: string, code: string, noPidFile: string): number {
  const path = pidFilePath(raw);
  if (path === undefined) throw new MosnError(code, noPidFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MosnError(code, `cannot read the pid file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; is mosn running on ${file}?`, { cause: e });
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new MosnError(code, `the pid file ${path} holds no process id`);
  return pid;
}

/** Beside the pid file: how the last hot upgrade of this mosn went (`served <new pid>` or `failed`), for `mosn upgrade`. */
export function upgradeStatusPath(pidFile: string): string {
  return `${pidFile}.upgrade`;
}

/** Record the outcome of a hot upgrade beside the pid file (a failure to write is logged: the upgrade itself stands). */
export function writeUpgradeStatus(pidFile: string, served: boolean, logger: Logger): void {
  try {
    writeFileSync(upgradeStatusPath(pidFile), served ? 'served\n' : 'failed\n');
  } catch (e) {
    logger.warn({ err: e }, `cannot write ${upgradeStatusPath(pidFile)}; \`mosn upgrade\` will wait for its timeout`);
  }
}
