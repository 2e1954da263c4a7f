import { METHOD_NOT_ALLOWED, json, mosnError, text } from './reply.js';
import type { AdminRequest, AdminSource, LogControl, Reply } from './types.js';

/** MOSN's level names, as `update_loglevel` takes them (upper case only, as MOSN's `levelMap`). */
export const MOSN_LEVELS: readonly string[] = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'];

/** `GET /api/v1/get_loglevel`: `{"<log path>": "<LEVEL>"}` for each logger (mosn-ts has one, the default logger). */
export function getLogLevel(req: AdminRequest, source: AdminSource): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const logs = source.logs;
  return json(200, logs ? { [logs.path]: logs.level() } : {});
}

/** The logger written to `path`, if mosn has one there. */
function loggerAt(source: AdminSource, path: string): LogControl | undefined {
  return source.logs && source.logs.path === path ? source.logs : undefined;
}

/**
 * `POST /api/v1/update_loglevel` with MOSN's body `{"log_path": "<default_log_path>", "log_level": "DEBUG"}`: 200
 * `update logger success`; an unknown path or level, or a body that is not JSON: 400 `update logger failed`.
 */
export async function updateLogLevel(req: AdminRequest, source: AdminSource): Promise<Reply> {
  if (req.method !== 'POST') return METHOD_NOT_ALLOWED;
  const body = await req.body();
  let data: { log_path?: unknown; log_level?: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') data = parsed as typeof data;
  } catch {
    // not JSON: refused below
  }
  const level = data?.log_level;
  const logger = typeof data?.log_path === 'string' ? loggerAt(source, data.log_path) : undefined;
  if (!logger || typeof level !== 'string' || !MOSN_LEVELS.includes(level)) return mosnError(400, 'update logger failed');
  logger.setLevel(level);
  return text(200, 'update logger success\n');
}

/**
 * `POST /api/v1/enable_log` and `/api/v1/disable_log`, the body a logger's path (`default_log_path`): that logger
 * writes again at its level, or writes nothing at all. 400 `enable logger failed` (`disable ...`) for another path.
 */
export function toggleLog(on: boolean) {
  const verb = on ? 'enable' : 'disable';
  return async (req: AdminRequest, source: AdminSource): Promise<Reply> => {
    if (req.method !== 'POST') return METHOD_NOT_ALLOWED;
    const logger = loggerAt(source, await req.body());
    if (!logger) return mosnError(400, `${verb} logger failed`);
    logger.setEnabled(on);
    return text(200, `${verb} logger success\n`);
  };
}
