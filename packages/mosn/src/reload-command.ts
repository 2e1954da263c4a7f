import http from 'node:http';
import { MosnError } from '@mosn/proxy';
import { loadConfigFile } from './config/load.js';
import { runningPid } from './pid-file.js';

/**
 * `mosn reload -c <config>`: ask the mosn running on that config to re-read it. Through its admin API
 * (`POST /api/v1/reload`, which answers with the outcome) when the config has one, else by SIGHUP to the pid
 * written in the config's `pid` file. Exit code 0 when the new config was applied.
 */
export async function reloadCommand(file: string): Promise<number> {
  const raw = loadConfigFile(file) as Record<string, unknown> | null;
  const admin = adminAddress(raw);
  if (admin) {
    const answer = await post(admin.host, admin.port, '/api/v1/reload');
    process.stdout.write(`${answer.body.trimEnd()}\n`);
    return answer.status === 200 ? 0 : 1;
  }
  const pid = runningPid(raw, file, 'MOSN_ERR_RELOAD', `${file} has neither an admin address nor a "pid" file: send SIGHUP to the mosn process yourself (kill -HUP <pid>)`);
  try {
    process.kill(pid, 'SIGHUP');
  } catch (e) {
    throw new MosnError('MOSN_ERR_RELOAD', `cannot signal mosn (pid ${pid}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  process.stdout.write(`sent SIGHUP to mosn (pid ${pid}); its log says what changed\n`);
  return 0;
}

function adminAddress(raw: Record<string, unknown> | null): { host: string; port: number } | undefined {
  const get = (o: unknown, k: string): unknown => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined);
  const sa = get(get(get(raw, 'admin'), 'address'), 'socket_address');
  const host = get(sa, 'address');
  const port = get(sa, 'port_value');
  if (typeof host !== 'string' || typeof port !== 'number' || port === 0) return undefined;
  return { host: host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port };
}

function post(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(new MosnError('MOSN_ERR_RELOAD', `cannot reach the admin API of mosn at ${host}:${port}: ${e.code ?? e.message}; is mosn running on this config?`, { cause: e })),
    );
    req.end();
  });
}
