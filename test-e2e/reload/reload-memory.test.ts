import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, closedPort, cluster, get, spawnMosn } from '../helpers.js';
import { heldBackend, mosnJson, proxyListener, request, router, toCluster, waitUntil, type HeldBackend } from './support.js';

// A config reloaded 1,000 times, alternating between two versions that differ in a route, a cluster's hosts (updated
// in place), a cluster's lb_type (rebuilt: a new cluster, the old one's pools drain) and a listener on port 0 (added,
// then removed), with a request through each changed cluster after every reload. Afterwards mosn must be back
// where it started: memory near its baseline, no listening socket, connection or timer more than before.
//
// mosn runs as its own process (its memory and descriptors are read from /proc; vitest cannot give a test process
// --expose-gc): once as `mosn start` reloaded through the admin API after the file is rewritten (the real reload
// path), once as a small `node --expose-gc` script applying the two configs in-process, which can collect garbage
// before measuring the heap and count its live handles and timers with async_hooks.

const RELOADS = 1000;
/** Reloads before the heap baseline of the in-process run (after them, a collection leaves only what is live). */
const WARMUP = 20;
/**
 * Reloads before the RSS baseline of `mosn start`. Nothing forces a collection there, and V8 grows its heap to a
 * steady size under this churn before it collects in earnest: measured here, RSS rises from ~65 MiB at start to
 * a plateau of ~103 MiB after ~1,000 reloads and stays there up to 4,000 (while the heap after GC grows by ~1 MiB).
 * The baseline is taken on the way up that slope, so the bound below is about the plateau, not a cold start.
 */
const RSS_WARMUP = 500;
const MiB = 1024 * 1024;
/** RSS growth allowed after the loop, over the baseline taken after RSS_WARMUP reloads. */
const RSS_BOUND_MIB = 30;
/** Heap growth (after GC) allowed after the loop. A leak of one cluster or listener per reload would be tens of MiB. */
const HEAP_BOUND_MIB = 8;

const kills: Array<() => void> = [];
const files: string[] = [];
const backends: HeldBackend[] = [];
afterAll(async () => {
  for (const k of kills) k();
  for (const f of files) rmSync(f, { force: true });
  for (const b of backends) await b.close();
});

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** The open file descriptors of a process, by kind (`socket`, `pipe`, `anon_inode:[eventpoll]`, paths as `file`). */
function fds(pid: number): { total: number; sockets: Set<string>; byKind: Record<string, number> } {
  const sockets = new Set<string>();
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    total++;
    const socket = /^socket:\[(\d+)\]$/.exec(link);
    if (socket) sockets.add(socket[1]!);
    const kind = socket ? 'socket' : link.startsWith('/') ? 'file' : link.replace(/:\[\d+\]$/, '');
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total, sockets, byKind };
}

/** The TCP ports a process listens on (its socket inodes found in LISTEN state in /proc/<pid>/net/tcp{,6}). */
function listeningPorts(pid: number): number[] {
  const { sockets } = fds(pid);
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A' || !sockets.has(cols[9]!)) continue;
      ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

async function backend(name: string): Promise<HeldBackend> {
  const b = await heldBackend(name);
  backends.push(b);
  return b;
}

/**
 * The two configs. `a`: route /a → hosts; cluster `hosts` = [H1]; cluster `lb` round robin; listener `extra` on
 * port 0. `b`: route /b → hosts; `hosts` = [H1, H2]; `lb` random; no `extra`. Both: listener `l` on `port`, /lb → lb.
 */
function twoConfigs(o: { port: number; h1: string; h2: string; admin?: number }): { a: Record<string, unknown>; b: Record<string, unknown> } {
  // INFO (mosnJson): spawnMosn waits for the `mosn started` line
  const common = { admin: o.admin ?? 0, noAdmin: o.admin === undefined, gracefulTimeout: '2s' };
  const l = proxyListener('l', o.port, 'Http1', 'r');
  return {
    a: mosnJson({
      ...common,
      routers: [router('r', [toCluster('/lb', 'lb'), toCluster('/a', 'hosts')])],
      listeners: [l, proxyListener('extra', 0, 'Http1', 'r')],
      clusters: [cluster('hosts', [o.h1]), cluster('lb', [o.h1], { lb_type: 'LB_ROUNDROBIN' })],
    }),
    b: mosnJson({
      ...common,
      routers: [router('r', [toCluster('/lb', 'lb'), toCluster('/b', 'hosts')])],
      listeners: [l],
      clusters: [cluster('hosts', [o.h1, o.h2]), cluster('lb', [o.h1], { lb_type: 'LB_RANDOM' })],
    }),
  };
}

const STEPS_TO_B = ['cluster hosts hosts', 'cluster rebuild lb', 'router update r', 'listener remove extra'];
const STEPS_TO_A = ['cluster hosts hosts', 'cluster rebuild lb', 'router update r', 'listener add extra'];

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

describe('1,000 reloads (mosn as its own process)', () => {
  it('mosn start, reloaded 1,000 times through POST /api/v1/reload: RSS back near its baseline, no listening socket or descriptor left over', async () => {
    const H1 = await backend('H1');
    const H2 = await backend('H2');
    const port = await closedPort();
    const adminPort = await closedPort();
    const { a, b } = twoConfigs({ port, h1: H1.address, h2: H2.address, admin: adminPort });
    const file = join(tmpdir(), `mosn-reload-mem-${process.pid}-${port}.json`);
    files.push(file);
    writeFileSync(file, JSON.stringify(a));
    const mosn = await spawnMosn(['start', '-c', file]);
    kills.push(() => mosn.child.kill('SIGKILL'));
    const pid = mosn.child.pid!;

    const startFds = fds(pid);
    const startListening = listeningPorts(pid);
    expect(startListening).toHaveLength(3); // l, extra, admin
    expect(startListening).toContain(port);
    expect(startListening).toContain(adminPort);

    let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let version = 1;
    const reloadTo = async (to: 'a' | 'b') => {
      writeFileSync(file, JSON.stringify(to === 'a' ? a : b));
      const r = await get(adminPort, '/api/v1/reload', { method: 'POST' });
      if (r.status !== 200) throw new Error(`reload ${version + 1} answered ${r.status}: ${r.body}`);
      const body = JSON.parse(r.body) as { version: number; changes: string[]; failed: string[] };
      version++;
      expect(body.version).toBe(version);
      expect(body.failed).toEqual([]);
      expect(body.changes).toEqual(to === 'a' ? STEPS_TO_A : STEPS_TO_B);
      // traffic through the rebuilt cluster and the one whose hosts changed
      const lb = await request(port, '/lb', agent);
      expect(lb.body).toBe('H1 /lb');
      const hosts = await request(port, to === 'a' ? '/a' : '/b', agent);
      expect(hosts.status).toBe(200);
    };
    const cycle = async (n: number) => {
      for (let i = 0; i < n; i++) await reloadTo(i % 2 === 0 ? 'b' : 'a');
    };

    // the baseline: after a warm-up that ends on config a, with no downstream connection open (the upstream
    // keep-alive connections of `hosts` and `lb` to H1 stay: they are part of the baseline)
    await cycle(RSS_WARMUP);
    agent.destroy();
    await waitUntil(() => H2.open() === 0, 3000, "the removed host's connection closes");
    await new Promise((r) => setTimeout(r, 500));
    const baseFds = fds(pid);
    const baseListening = listeningPorts(pid);
    expect(baseListening).toHaveLength(3);
    const baseSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      baseSamples.push(rssKiB(pid));
      await new Promise((r) => setTimeout(r, 50));
    }
    const baseline = median(baseSamples);

    const t0 = Date.now();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 100);
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await cycle(RELOADS);
    } finally {
      clearInterval(sampler);
    }
    const loopMs = Date.now() - t0;
    agent.destroy();

    // retired clusters and the removed listeners settle (graceful_timeout 2 s at the latest)
    await waitUntil(
      () => fds(pid).total <= baseFds.total && listeningPorts(pid).length === baseListening.length,
      8000,
      'descriptors and listening sockets back to their count before the loop',
      () => `(fds ${JSON.stringify(fds(pid).byKind)} vs ${JSON.stringify(baseFds.byKind)} before; listening ${listeningPorts(pid).join(',')} vs ${baseListening.join(',')})`,
    );
    const afterSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      afterSamples.push(rssKiB(pid));
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = median(afterSamples);
    const grownMiB = (after - baseline) / 1024;
    console.log(
      `reload-memory (mosn start): ${RELOADS} reloads in ${loopMs} ms; RSS baseline ${(baseline / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB, after ${(after / 1024).toFixed(1)} MiB (${grownMiB >= 0 ? '+' : ''}${grownMiB.toFixed(1)}); fds ${fds(pid).total} (before the loop ${baseFds.total}, at start ${startFds.total})`,
    );
    expect(grownMiB).toBeLessThan(RSS_BOUND_MIB);
    const finalListening = listeningPorts(pid);
    expect(finalListening).toHaveLength(3);
    expect(finalListening).toContain(port);
    expect(finalListening).toContain(adminPort);
    expect(fds(pid).byKind).toEqual(baseFds.byKind);

    // the running config is version a again, and serves
    const dump = JSON.parse((await request(adminPort, '/api/v1/config_dump')).body) as ReturnType<typeof twoConfigs>['a'];
    expect(dump).toEqual(a);
    const stats = JSON.parse((await request(adminPort, '/api/v1/stats')).body) as Record<string, number>;
    expect(stats['config.version']).toBe(1 + RSS_WARMUP + RELOADS);
    expect((await request(port, '/a')).body).toBe('H1 /a');
    expect(mosn.child.exitCode).toBe(null);
  }, 90_000);

  it('mosn.apply 1,000 times in a `node --expose-gc` process: heap after GC back near its baseline; no handle, socket or timer left over', async () => {
    const H1 = await backend('H1');
    const H2 = await backend('H2');
    const port = await closedPort();
    const { a, b } = twoConfigs({ port, h1: H1.address, h2: H2.address });
    const script = `
      import { createHook } from 'node:async_hooks';
      import http from 'node:http';
      import { Mosn, silentLogger } from ${JSON.stringify(new URL('packages/mosn/dist/index.js', `file://${REPO_ROOT}`).href)};
      // live async resources by type (timers are counted whether ref'd or not)
      const live = new Map();
      createHook({
        init(id, type) { if (type !== 'PROMISE') live.set(id, type); },
        destroy(id) { live.delete(id); },
      }).enable();
      const byType = () => { const o = {}; for (const t of live.values()) o[t] = (o[t] ?? 0) + 1; return o; };
      const { a, b, port, reloads, warmup } = JSON.parse(process.argv[1]);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (path) => new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = ''; res.setEncoding('utf8'); res.on('data', (d) => (body += d)); res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('error', reject); req.end();
      });
      const settle = async () => {
        for (let i = 0; i < 3; i++) { await new Promise((r) => setTimeout(r, 100)); globalThis.gc(); }
      };
      const mosn = new Mosn({ config: a, logger: silentLogger });
      await mosn.start();
      const problems = [];
      const cycle = async (n) => {
        for (let i = 0; i < n; i++) {
          const to = i % 2 === 0 ? b : a;
          const r = await mosn.apply(to);
          if (!r.ok || r.failed.length > 0 || r.changes.length !== 4) problems.push({ i, r: JSON.stringify(r) });
          const lb = await get('/lb');
          if (lb.body !== 'H1 /lb') problems.push({ i, lb });
          const h = await get(to === a ? '/a' : '/b');
          if (h.status !== 200) problems.push({ i, h });
        }
      };
      await cycle(warmup);
      agent.destroy();
      await new Promise((r) => setTimeout(r, 2500)); // retired clusters and removed listeners settle (graceful_timeout 2s)
      await settle();
      const before = { heapUsed: process.memoryUsage().heapUsed, resources: byType(), clusters: mosn.clusters.names().length, listeners: mosn.listeners.length };
      const t0 = Date.now();
      await cycle(reloads);
      const loopMs = Date.now() - t0;
      agent.destroy();
      await new Promise((r) => setTimeout(r, 2500));
      await settle();
      const after = { heapUsed: process.memoryUsage().heapUsed, resources: byType(), clusters: mosn.clusters.names().length, listeners: mosn.listeners.length };
      const version = mosn.version;
      await mosn.stop(0);
      process.stdout.write(JSON.stringify({ before, after, loopMs, version, problems: problems.slice(0, 5), problemCount: problems.length }) + '\\n');
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script, JSON.stringify({ a, b, port, reloads: RELOADS, warmup: WARMUP })], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    kills.push(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    if (code !== 0) throw new Error(`the script exited with ${code}:\n${err}\n${out}`);
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      before: { heapUsed: number; resources: Record<string, number>; clusters: number; listeners: number };
      after: { heapUsed: number; resources: Record<string, number>; clusters: number; listeners: number };
      loopMs: number;
      version: number;
      problems: unknown[];
      problemCount: number;
    };
    const grownMiB = (r.after.heapUsed - r.before.heapUsed) / MiB;
    console.log(
      `reload-memory (in-process, --expose-gc): ${RELOADS} applies in ${r.loopMs} ms; heap after GC ${(r.before.heapUsed / MiB).toFixed(1)} → ${(r.after.heapUsed / MiB).toFixed(1)} MiB (${grownMiB >= 0 ? '+' : ''}${grownMiB.toFixed(2)}); resources before ${JSON.stringify(r.before.resources)} after ${JSON.stringify(r.after.resources)}`,
    );
    expect(r.problems).toEqual([]);
    expect(r.version).toBe(1 + WARMUP + RELOADS);
    expect(r.after.clusters).toBe(r.before.clusters);
    expect(r.after.listeners).toBe(r.before.listeners);
    // every kind of live handle (TCP server and socket wraps, timers, ...) back to its count before the loop
    expect(r.after.resources).toEqual(r.before.resources);
    expect(grownMiB).toBeLessThan(HEAP_BOUND_MIB);
  }, 90_000);
});
