import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedPort } from '../helpers.js';
import { mosnJson, proxyListener, router, startMosnProcess, type MosnProcess } from '../reload/support.js';

// mosn with workers as its own process: the config (fixed ports: the workers share the primary's sockets), the
// worker pids from the primary's log, and plain HTTP/1 requests on a new connection or a kept-alive one.

export interface WorkersMosn {
  readonly mosn: MosnProcess;
  readonly port: number;
  readonly admin: number;
  readonly pidFile: string;
  /** The config with the direct response `body` (and a route to `cluster` under /slow when given). */
  config(body: string): Record<string, unknown>;
}

/** mosn with `workers` workers (`--workers`, or `servers[0].processor` when `by` says so): one HTTP/1 listener. */
export async function startWorkers(
  cleanups: Array<() => unknown>,
  o: { workers: number; by?: 'flag' | 'processor'; slowCluster?: unknown; gracefulTimeout?: string; metricsPort?: number },
): Promise<WorkersMosn> {
  const [port, admin] = [await closedPort(), await closedPort()];
  const dir = mkdtempSync(join(tmpdir(), 'mosn-workers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'mosn.pid');
  const config = (body: string) => {
    const routes: unknown[] = [{ match: { prefix: '/' }, direct_response: { status: 200, body } }];
    if (o.slowCluster) routes.unshift({ match: { prefix: '/slow' }, route: { cluster_name: 'slow' } });
    const c = {
      ...mosnJson({ admin, gracefulTimeout: o.gracefulTimeout ?? '5s', listeners: [proxyListener('web', port, 'Http1', 'r')], routers: [router('r', routes)], clusters: o.slowCluster ? [o.slowCluster] : [] }),
      pid: pidFile,
      ...(o.metricsPort ? { metrics: { sinks: [{ type: 'prometheus', config: { port: o.metricsPort, endpoint: '/metrics' } }] } } : {}),
    } as unknown as { servers: Array<Record<string, unknown>> };
    if (o.by === 'processor') c.servers[0]!.processor = o.workers;
    return c;
  };
  const args = o.by === 'processor' ? [] : ['--workers', String(o.workers)];
  const startedLine = o.workers > 1 ? `mosn started with ${o.workers} workers` : 'mosn started';
  const mosn = await startMosnProcess(config('v1'), cleanups, { args, startedLine });
  return { mosn, port, admin, pidFile, config };
}

/** The pids of the workers that serve now, by worker id, from the primary's log. */
export function workerPids(mosn: MosnProcess): Map<number, number> {
  const pids = new Map<number, number>();
  for (const l of mosn.logs()) if (l.msg === 'worker serves') pids.set(Number(l['workerId']), Number(l['workerPid']));
  return pids;
}

/** The child processes of `pid` (pgrep). */
export function childrenOf(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One GET on `agent` (a new connection when none): status and body, or the error's code. */
export function get(port: number, path = '/', agent: http.Agent | false = false): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** `n` GETs, each on a new connection, `parallel` at a time: the bodies (or errors) counted. */
export async function many(port: number, n: number, parallel = 8, path = '/'): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let left = n;
  const lane = async () => {
    while (left-- > 0) {
      const r = await get(port, path);
      const key = 'error' in r ? `error ${r.error}` : `${r.status} ${r.body}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return counts;
}

export { sleep };
