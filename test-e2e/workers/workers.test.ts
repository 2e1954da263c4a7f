import http from 'node:http';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, httpBackend, pidIn, stopPidFileAtCleanup, waitUntil } from '../helpers.js';
import { runCli, startMosnProcess } from '../reload/support.js';
import { alive, childrenOf, get, many, sleep, startWorkers, workerPids } from './support.js';

// `mosn start --workers N` (and `servers[0].processor`) with mosn as its own process: a primary that owns the
// listening sockets and runs no traffic, N worker processes that share them (docs/operations.md, "Workers").

const cleanups = cleanupAfterEach();



const w = (adminPort: number) => `http://127.0.0.1:${adminPort}/api/v1/live`;

/** The first frame of the live feed (Server-Sent Events), read with node:http. */
function firstLiveFrame(url: string): Promise<{ pid: number; state: string; listeners: { name: string; connections: number }[]; clusters: { name: string; hosts: { address: string; connections: number }[] }[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        const m = /^data: (.*)$/m.exec(text);
        if (!m) return;
        req.destroy();
        resolve(JSON.parse(m[1]!));
      });
    });
    req.on('error', reject);
  });
}

/** Keep-alive HTTP/1 lanes (one connection each while it lasts) until `stop()`: bodies and errors counted. */
function keepAliveLoad(port: number, lanes: number) {
  let running = true;
  const bodies = new Map<string, number>();
  const errors: string[] = [];
  let answered = 0;
  const agents = Array.from({ length: lanes }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const runs = agents.map(async (agent) => {
    while (running) {
      const r = await get(port, '/', agent);
      if ('error' in r) errors.push(r.error);
      else if (r.status !== 200) errors.push(`status ${r.status}`);
      else {
        answered++;
        bodies.set(r.body, (bodies.get(r.body) ?? 0) + 1);
      }
    }
  });
  return {
    bodies,
    errors,
    answered: () => answered,
    async stop() {
      running = false;
      await Promise.all(runs);
      for (const a of agents) a.destroy();
    },
  };
}

describe('workers', () => {
  it('--workers 2: both workers take connections, the primary takes none; admin stats and /metrics are the sums over the workers', async () => {
    const metrics = await closedPort();
    const { mosn, port } = await startWorkers(cleanups, { workers: 2, metricsPort: metrics });
    const pids = workerPids(mosn);
    expect([...pids.keys()].sort()).toEqual([1, 2]);
    expect(childrenOf(mosn.pid).sort()).toEqual([...pids.values()].sort());

    const answers = await many(port, 200);
    expect(Object.fromEntries(answers)).toEqual({ '200 v1': 200 });
    const total = await mosn.waitStats((s) => s['listener.web.downstream_rq_total'] === 200, 5000, 'the summed request count');
    const one = (await mosn.admin('GET', '/api/v1/stats?worker=1')).body as Record<string, number>;
    const two = (await mosn.admin('GET', '/api/v1/stats?worker=2')).body as Record<string, number>;
    // each worker took some of the 200 connections (the kernel deals them out), and the primary's answer is their sum
    expect(one['listener.web.downstream_cx_total']).toBeGreaterThan(0);
    expect(two['listener.web.downstream_cx_total']).toBeGreaterThan(0);
    expect(one['listener.web.downstream_cx_total']! + two['listener.web.downstream_cx_total']!).toBe(total['listener.web.downstream_cx_total']);
    expect(one['listener.web.downstream_rq_total']! + two['listener.web.downstream_rq_total']!).toBe(200);
    // a view of shared state is not summed: both run config version 1
    expect(total['config.version']).toBe(1);
    expect(total['workers.running']).toBe(2);
    expect((await mosn.admin('GET', '/api/v1/stats?worker=3')).status).toBe(404);

    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    expect(text).toContain('downstream_request_total{listener="web"} 200\n');
    expect(text).toContain('# TYPE mosn_workers_running gauge\nmosn_workers_running 2\n');
    // the states line is the primary's: one pid for the group
    expect((await mosn.admin('GET', '/api/v1/states')).body).toContain(`pid=${mosn.pid}&state=6`);
  });

  it('the live admin page with workers: the primary sends frames of the whole group (listeners, clusters, hosts)', async () => {
    const web = await httpBackend((req, res) => req.resume().on('end', () => res.end('ok')));
    cleanups.push(web.close);
    const { mosn, port } = await startWorkers(cleanups, { workers: 2, slowCluster: cluster('slow', [web.address]) });
    const total = async (id: number) => (((await mosn.admin('GET', `/api/v1/stats?worker=${id}`)).body as Record<string, number>)['listener.web.downstream_cx_total'] ?? 0);
    const before = [await total(1), await total(2)];
    // 16 keep-alive connections held open, each with one request answered: the kernel deals them to both workers
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    cleanups.push(() => agent.destroy());
    const answers = await Promise.all(Array.from({ length: 16 }, () => get(port, '/slow', agent)));
    expect(answers).toEqual(Array.from({ length: 16 }, () => ({ status: 200, body: 'ok' })));
    const took = [(await total(1)) - before[0]!, (await total(2)) - before[1]!];
    expect(took[0]! + took[1]!).toBe(16);
    expect(took[0]).toBeGreaterThan(0);
    expect(took[1]).toBeGreaterThan(0);

    const frame = await firstLiveFrame(w(mosn.adminPort));
    // one frame for the group: the primary's pid, both workers' connections summed
    expect(frame).toMatchObject({ pid: mosn.pid, state: 'Running', listeners: [{ name: 'web', protocol: 'Http1', connections: 16 }] });
    expect(frame.clusters).toMatchObject([{ name: 'slow', hostCount: 1, healthyCount: 1, hosts: [{ address: web.address, healthy: true }] }]);
    expect(frame.clusters[0]!.hosts[0]!.connections).toBeGreaterThan(0);
  });

  it('servers[0].processor: 2 starts two workers; --workers 1 (or no key) is one process, without workers', async () => {
    const byKey = await startWorkers(cleanups, { workers: 2, by: 'processor' });
    expect(childrenOf(byKey.mosn.pid)).toHaveLength(2);
    expect(Object.fromEntries(await many(byKey.port, 20))).toEqual({ '200 v1': 20 });

    const single = await startWorkers(cleanups, { workers: 1 });
    expect(childrenOf(single.mosn.pid)).toEqual([]);
    expect(Object.fromEntries(await many(single.port, 20))).toEqual({ '200 v1': 20 });
    const stats = await single.mosn.stats();
    expect(stats['listener.web.downstream_rq_total']).toBe(20);
    expect(stats['workers.running']).toBeUndefined();
    expect(single.mosn.logs().some((l) => 'worker' in l)).toBe(false);
  });

  it('SIGHUP and POST /api/v1/reload reach every worker: a changed route answers on every new connection', async () => {
    const w = await startWorkers(cleanups, { workers: 2 });
    const { mosn, port } = w;
    expect(Object.fromEntries(await many(port, 50))).toEqual({ '200 v1': 50 });

    mosn.write(w.config('v2'));
    const { mark } = mosn.hup();
    for (const id of [1, 2]) await mosn.waitLog((l) => l.worker === id && l.msg === 'config version 2 applied', mark, 10_000, `worker ${id} applied the reload`);
    expect(Object.fromEntries(await many(port, 200))).toEqual({ '200 v2': 200 });

    mosn.write(w.config('v3'));
    const reload = await mosn.admin('POST', '/api/v1/reload');
    expect(reload.status).toBe(200);
    expect(Object.fromEntries(await many(port, 200))).toEqual({ '200 v3': 200 });
    for (const id of [1, 2]) expect(((await mosn.admin('GET', `/api/v1/stats?worker=${id}`)).body as Record<string, number>)['config.version']).toBe(3);

    // a config with an error changes no worker, and the reload says so
    mosn.writeText('{ "servers": [ { "listeners": 7 } ] }');
    const refused = await mosn.admin('POST', '/api/v1/reload');
    expect(refused.status).toBe(400);
    expect(Object.fromEntries(await many(port, 50))).toEqual({ '200 v3': 50 });
  });

  it('a worker killed with SIGKILL is started again; traffic goes on, only requests on its connections fail', async () => {
    const { mosn, port } = await startWorkers(cleanups, { workers: 2 });
    const before = workerPids(mosn);
    const lanes = 6;
    const load = keepAliveLoad(port, lanes);
    await waitUntil(() => load.answered() > 300, 30_000, 'load running');
    const mark = mosn.output().length;
    process.kill(before.get(1)!, 'SIGKILL');
    await mosn.waitLog((l) => l.msg === 'worker exited: starting it again' && l['workerId'] === 1 && l['signal'] === 'SIGKILL', mark, 5000, 'the exit logged');
    await mosn.waitLog((l) => l.msg === 'worker serves' && l['workerId'] === 1, mark, 15_000, 'worker 1 serving again');
    const after = load.answered();
    await waitUntil(() => load.answered() > after + 300, 30_000, 'load after the restart');
    await load.stop();
    // a request in flight on a connection of the killed worker fails; its lane goes on on a new connection
    expect(load.errors.length).toBeLessThanOrEqual(lanes);
    for (const e of load.errors) expect(['ECONNRESET', 'socket hang up']).toContain(e);

    const now = workerPids(mosn);
    expect(now.get(1)).not.toBe(before.get(1));
    expect(now.get(2)).toBe(before.get(2));
    expect(alive(now.get(1)!)).toBe(true);
    const stats = await mosn.stats();
    expect(stats['workers.exited']).toBe(1);
    expect(stats['workers.restarts']).toBe(1);
    expect(stats['workers.running']).toBe(2);
    // the restarted worker takes new connections too
    await many(port, 200);
    const one = (await mosn.admin('GET', '/api/v1/stats?worker=1')).body as Record<string, number>;
    expect(one['listener.web.downstream_cx_total']).toBeGreaterThan(0);
  }, 120_000);

  it('SIGTERM: requests in flight on every worker finish, the workers exit, the primary exits 0', async () => {
    let held = 0;
    const web = await httpBackend((req, res) => {
      held++;
      req.resume();
      setTimeout(() => res.end('slow'), 1500);
    });
    cleanups.push(web.close);
    const { mosn, port } = await startWorkers(cleanups, { workers: 2, slowCluster: cluster('slow', [web.address]) });
    const workers = [...workerPids(mosn).values()];
    const inFlight = Array.from({ length: 8 }, () => get(port, '/slow'));
    await waitUntil(() => held === 8, 5000, 'requests in flight');
    mosn.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers).toEqual(Array.from({ length: 8 }, () => ({ status: 200, body: 'slow' })));
    expect(await mosn.exited).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(mosn.logs().some((l) => l.worker === 0 && l.signal === 'SIGTERM' && l.msg === 'signal received: graceful stop')).toBe(true);
  });

  it('one log with a worker field; SIGUSR1 reopens it in the primary and every worker (log rotation)', async () => {
    const w = await startWorkers(cleanups, { workers: 2 });
    const { mosn } = w;
    const log = join(mosn.dir, 'mosn.log');
    const withFile = w.config('v1') as { servers: Array<Record<string, unknown>> };
    withFile.servers[0]!.default_log_path = log;
    // the log path is read at start: a second mosn on the file (stopped first: same ports)
    await mosn.stop();
    const second = await startMosnProcess(withFile, cleanups, { args: ['--workers', '2'], startedLine: 'mosn started with 2 workers', adminPort: w.admin });
    // whole lines only: a process may be writing the last one as it is read
    const lines = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as { worker: number; msg: string });
    await waitUntil(() => existsSync(log) && new Set(lines().map((l) => l.worker)).size === 3, 10_000, 'lines of the primary and both workers');
    expect(new Set(lines().map((l) => l.worker))).toEqual(new Set([0, 1, 2]));

    renameSync(log, `${log}.1`);
    second.child.kill('SIGUSR1');
    await waitUntil(() => existsSync(log) && lines().some((l) => l.worker === 0 && l.msg === 'signal received: log file reopened'), 5000, 'the primary writes the new file');
    // a reload makes every process write a line: each writes it to the new file
    second.child.kill('SIGHUP');
    await waitUntil(() => existsSync(log) && [1, 2].every((id) => lines().some((l) => l.worker === id && l.msg.startsWith('config applied'))), 10_000, 'the workers write the new file');
    expect(readFileSync(`${log}.1`, 'utf8')).not.toContain('config applied');
  });

  it('the primary killed: its workers stop by themselves and free the port', async () => {
    const { mosn, port } = await startWorkers(cleanups, { workers: 2 });
    const workers = [...workerPids(mosn).values()];
    mosn.child.kill('SIGKILL');
    await waitUntil(() => workers.every((pid) => !alive(pid)), 10_000, 'the workers gone');
    expect('error' in (await get(port))).toBe(true);
  });

  it('SIGUSR2 with workers: a new primary and its workers take the sockets over under load; the old group drains and exits 0; no request fails', async () => {
    const w = await startWorkers(cleanups, { workers: 2 });
    const { mosn: old, port, pidFile } = w;
    stopPidFileAtCleanup(pidFile, cleanups);
    await waitUntil(() => pidIn(pidFile) === old.pid, 5000, 'the pid file');
    const oldWorkers = [...workerPids(old).values()];
    const load = keepAliveLoad(port, 4);
    await waitUntil(() => load.answered() > 200, 30_000, 'load running');
    // the new primary reads the file again: the body says which group answered
    old.write(w.config('v2'));
    old.child.kill('SIGUSR2');
    expect(await old.exited).toBe(0);
    for (const pid of oldWorkers) expect(alive(pid)).toBe(false);
    const primary = pidIn(pidFile);
    expect(primary).not.toBe(old.pid);
    expect(childrenOf(primary)).toHaveLength(2);
    const after = load.answered();
    await waitUntil(() => load.answered() > after + 200, 30_000, 'load through the new group', () => `answered ${load.answered() - after}, errors ${load.errors.join(', ')}; mosn output:\n${old.tail(6000)}`);
    await load.stop();
    expect(load.errors).toEqual([]);
    expect([...load.bodies.keys()].sort()).toEqual(['v1', 'v2']);
    expect(Object.fromEntries(await many(port, 100)), old.tail(8000)).toEqual({ '200 v2': 100 });
    expect(old.output()).toContain('hot upgrade: the new process serves');
    // the new primary outlives its parent, the old one: it does not take it for a package manager gone (the test
    // runs under npx, which sets npm_lifecycle_event; the check runs every second)
    await sleep(1500);
    expect(alive(primary)).toBe(true);
    expect(Object.fromEntries(await many(port, 20))).toEqual({ '200 v2': 20 });
  }, 120_000);

  it('a bad worker count: --workers 0 exits 2 saying what it takes; processor: "two" fails at start with its JSON path', async () => {
    const w = await startWorkers(cleanups, { workers: 1 });
    const file = join(w.mosn.dir, 'bad.json');
    writeFileSync(file, JSON.stringify(w.config('v1')));
    const zero = await runCli(['start', '-c', file, '--workers', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--workers takes a whole number from 1 to 256, got "0"');
    const c = w.config('v1') as { servers: Array<Record<string, unknown>> };
    c.servers[0]!.processor = 'two';
    writeFileSync(file, JSON.stringify(c));
    const bad = await runCli(['start', '-c', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/servers\[0\]\.processor: expected a number/);
  });

  it("a listener's port in use: the workers cannot start, mosn start exits 1 with MOSN_ERR_WORKER_START and the worker's reason", async () => {
    const w = await startWorkers(cleanups, { workers: 1 });
    // the single mosn holds the port; a second mosn with workers on the same config (other admin port) cannot start
    const file = join(w.mosn.dir, 'second.json');
    const c = w.config('v1') as Record<string, any>;
    c.admin.address.socket_address.port_value = await closedPort();
    delete c.pid;
    writeFileSync(file, JSON.stringify(c));
    const second = await runCli(['start', '-c', file, '--workers', '2'], 30_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('MOSN_ERR_WORKER_START');
    expect(second.stdout + second.stderr).toContain('EADDRINUSE');
    // the first mosn goes on serving
    expect(Object.fromEntries(await many(w.port, 10))).toEqual({ '200 v1': 10 });
  });
});
