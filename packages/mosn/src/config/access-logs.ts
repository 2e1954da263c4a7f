import { AccessLogFormatError, compileAccessLogFormat } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';
import type { AccessLogSpec } from './types.js';

/**
 * A listener's `access_logs[]`: `log_path` (a file, or `stdout` / `stderr`) and `log_format` (MOSN's `%variable%`
 * format; empty or absent: MOSN's default). The format is compiled here once, so a mistake is reported with its
 * path; variables mosn-ts does not know are warned about (they print `-`, as in MOSN).
 */
export function readAccessLogs(l: ConfigReader): AccessLogSpec[] {
  const out: AccessLogSpec[] = [];
  for (const a of l.objects('access_logs')) {
    const path = a.str('log_path', { required: true, nonEmpty: true });
    const format = a.str('log_format') ?? '';
    try {
      const compiled = compileAccessLogFormat(format);
      if (compiled.unknown.length > 0) {
        a.problems.warn(a.at('log_format'), `variables mosn-ts does not know print "-": ${compiled.unknown.map((n) => `%${n}%`).join(', ')} (docs/access-log.md lists the known ones)`);
      }
    } catch (e) {
      if (!(e instanceof AccessLogFormatError)) throw e;
      a.problems.error(a.at('log_format'), e.message);
      continue;
    }
    a.finish();
    if (path !== undefined) out.push({ path, format });
  }
  return out;
}
