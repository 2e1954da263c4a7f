import { describe, expect, it } from 'vitest';
import { getLogLevel, toggleLog, updateLogLevel } from './log-level.js';
import type { AdminRequest, AdminSource, LogControl } from './types.js';

function control(path: string): LogControl & { state: { level: string; on: boolean } } {
  const state = { level: 'INFO', on: true };
  return {
    state,
    path,
    level: () => state.level,
    setLevel: (l) => (state.level = l),
    enabled: () => state.on,
    setEnabled: (on) => (state.on = on),
  };
}

const source = (logs?: LogControl): AdminSource => ({ config: () => ({}), statuses: () => ({}), stats: () => ({}), stage: () => 'running', version: () => 1, live: { listeners: () => [], clusters: () => [], stat: () => 0 }, logs });
const req = (method: string, body = ''): AdminRequest => ({ method, query: new URLSearchParams(), body: () => Promise.resolve(body) });
const FAILED = (verb: string) => `{\n\t"error": "${verb} logger failed"\n}\n`;

describe('log levels through the admin API', () => {
  it('get_loglevel: {path: level} of the default logger; none when mosn was given a logger it cannot change', () => {
    expect(JSON.parse(getLogLevel(req('GET'), source(control('/var/log/mosn/default.log'))).body)).toEqual({ '/var/log/mosn/default.log': 'INFO' });
    expect(JSON.parse(getLogLevel(req('GET'), source()).body)).toEqual({});
    expect(getLogLevel(req('POST'), source()).status).toBe(405);
  });

  it('update_loglevel: MOSN`s body sets the level; a wrong path, level (MOSN`s names, upper case) or body is 400', async () => {
    const logs = control('stderr');
    const s = source(logs);
    expect(await updateLogLevel(req('POST', '{"log_path": "stderr", "log_level": "DEBUG"}'), s)).toMatchObject({ status: 200, body: 'update logger success\n' });
    expect(logs.state.level).toBe('DEBUG');
    for (const body of ['{"log_path": "stdout", "log_level": "ERROR"}', '{"log_path": "stderr", "log_level": "debug"}', '{"log_path": "stderr", "log_level": "WARNING"}', '{"log_path": "stderr"}', 'stderr DEBUG', '', 'null']) {
      expect(await updateLogLevel(req('POST', body), s), body).toMatchObject({ status: 400, body: FAILED('update') });
    }
    expect(logs.state.level).toBe('DEBUG');
    expect(await updateLogLevel(req('POST', '{"log_path": "stderr", "log_level": "ERROR"}'), source())).toMatchObject({ status: 400 });
    expect((await updateLogLevel(req('GET'), s)).status).toBe(405);
  });

  it('disable_log and enable_log: the body names the logger by its path', async () => {
    const logs = control('stdout');
    const s = source(logs);
    expect(await toggleLog(false)(req('POST', 'stdout'), s)).toMatchObject({ status: 200, body: 'disable logger success\n' });
    expect(logs.state.on).toBe(false);
    expect(await toggleLog(true)(req('POST', 'stdout'), s)).toMatchObject({ status: 200, body: 'enable logger success\n' });
    expect(logs.state.on).toBe(true);
    expect(await toggleLog(false)(req('POST', '/tmp/other.log'), s)).toMatchObject({ status: 400, body: FAILED('disable') });
    expect(await toggleLog(true)(req('POST', ''), s)).toMatchObject({ status: 400, body: FAILED('enable') });
    expect(logs.state.on).toBe(true);
    expect((await toggleLog(true)(req('GET'), s)).status).toBe(405);
  });
});
