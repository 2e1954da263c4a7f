// Memory per idle downstream connection: start mosn with one Http1 proxy listener, read its RSS (VmRSS in
// /proc/<pid>/status), open N idle TCP connections to it from several client processes, read RSS again, and print
// KiB per connection. Target: <= TARGET_KIB (4) KiB. Then one request on every connection (they stay open: idle keep-alive),
// RSS again, then close them all and RSS after the close. ROUNDS repeats the open / request / close cycle, to show
// whether memory comes back or keeps growing.
//
// Each reading is taken twice: "raw" (after SETTLE_MS, the median of 5 samples: what `ps` would show) and "after GC"
// (two forced full collections inside mosn, through gc-hook.cjs, then the RSS and V8's heapUsed): raw RSS
// includes garbage V8 has not collected yet, so it moves with GC timing; after-GC is what the connections retain.
//
//   benchmarks/connections/run.sh       (raises `ulimit -n` first, then runs this file)
//   CONNS=10000 CLIENTS=4 ROUNDS=2 SETTLE_MS=3000 TIMEOUT_S=150 benchmarks/connections/run.sh
//
// Bounded: at most TIMEOUT_S seconds, then everything is killed and the exit code is 1. A round must stay under
// mosn's downstream idle timeout (90 s by default) or mosn closes the idle connections (reported if it happens).
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const MOSN_CLI = path.join(ROOT, 'packages/mosn/dist/cli.js');
const CONNS = Number(process.env.CONNS ?? 10_000);
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 3000);
const TIMEOUT_S = Number(process.env.TIMEOUT_S ?? 150);
const OPEN_BATCH = 400; // connections per paced batch: below mosn's accept backlog (Node's default, 511)
const OPEN_CONCURRENCY = 50; // connects in flight per client within a batch
const REQUEST_CONCURRENCY = 25; // requests in flight per client in the request phase
const TARGET_KIB = Number(process.env.TARGET_KIB ?? 4);
const BODY = 'x'.repeat(128);

if (!existsSync(MOSN_CLI)) {
  console.error(`mosn is not built (${MOSN_CLI} missing): run 'npx -y pnpm@10.34.8 install && npx tsc -b' in ${ROOT}`);
  process.exit(1);
}

const log = (...a) => console.error(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mosn-bench-conns-'));
const children = [];
let mosn;
const mosnOutput = [];

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (mosn && mosn.exitCode === null) mosn.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
setTimeout(() => {
  log(`!! not done after ${TIMEOUT_S}s; killing everything`);
  process.exit(1);
}, TIMEOUT_S * 1000).unref();

// ---- helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitPort(port, ms = 20_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((r) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** VmRSS of a process, KiB. */
const rssKiB = (pid) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const fdCount = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/** One reading: raw RSS (settled, median of 5), then RSS and heapUsed after two forced GCs in mosn. */
async function reading(pid) {
  await sleep(SETTLE_MS);
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssKiB(pid));
    await sleep(200);
  }
  samples.sort((a, b) => a - b);
  const mu = await new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), 5000);
    mosn.once('message', (m) => (clearTimeout(t), resolve(m.memoryUsage)));
    mosn.send({ cmd: 'gc' });
  });
  await sleep(200);
  return { raw: samples[2], gc: rssKiB(pid), heap: mu ? Math.round(mu.heapUsed / 1024) : NaN };
}

async function waitFds(pid, predicate, ms) {
  const until = Date.now() + ms;
  let n = fdCount(pid);
  while (!predicate(n) && Date.now() < until) {
    await sleep(50);
    n = fdCount(pid);
  }
  return n;
}

function ask(child, msg) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(msg);
  });
}

/** Sum the numeric fields (and one level of nested counts) of the clients' replies. */
function sumReplies(replies) {
  const out = {};
  for (const r of replies) {
    for (const [k, v] of Object.entries(r)) {
      if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
      else if (v && typeof v === 'object') {
        out[k] ??= {};
        for (const [kk, vv] of Object.entries(v)) out[k][kk] = (out[k][kk] ?? 0) + vv;
      }
    }
  }
  return out;
}

// ---- the backend (only the request phase reaches it; it lives in this process, so never in mosn's RSS)

const backendPort = await freePort();
const backend = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
});
backend.keepAliveTimeout = 120_000;
await new Promise((r) => backend.listen(backendPort, '127.0.0.1', r));

// ---- mosn

const mosnPort = await freePort();
const config = {
  servers: [
    {
      default_log_path: 'stdout',
      default_log_level: 'ERROR',
      graceful_timeout: '1s',
      routers: [
        {
          router_config_name: 'bench_router',
          virtual_hosts: [{ name: 'bench', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'backend' } }] }],
        },
      ],
      listeners: [
        {
          name: 'bench_http1',
          address: `127.0.0.1:${mosnPort}`,
          bind_port: true,
          filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'bench_router' } }] }],
        },
      ],
    },
  ],
  cluster_manager: {
    clusters: [{ name: 'backend', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: `127.0.0.1:${backendPort}` }] }],
  },
};
const configFile = path.join(tmp, 'mosn.json');
writeFileSync(configFile, JSON.stringify(config, null, 2));

mosn = spawn(process.execPath, ['--expose-gc', '--require', path.join(HERE, 'gc-hook.cjs'), MOSN_CLI, 'start', '-c', configFile], {
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
});
for (const stream of [mosn.stdout, mosn.stderr]) {
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    if (mosnOutput.length < 200) mosnOutput.push(...d.split('\n').filter(Boolean).slice(0, 200 - mosnOutput.length));
  });
}
let mosnExit;
const mosnExited = new Promise((r) => mosn.on('exit', (code, signal) => r((mosnExit = { code, signal }))));
await waitPort(mosnPort);
const pid = mosn.pid;
log(`mosn pid ${pid} on 127.0.0.1:${mosnPort}, backend on ${backendPort}`);

// Warm up the request path, so code compiled on first use is in the baseline; then drop those connections.
{
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const one = () =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: mosnPort, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`warm-up got ${res.statusCode}`))));
        })
        .on('error', reject);
    });
  for (let i = 0; i < 100; i++) await Promise.all(Array.from({ length: 10 }, one));
  agent.destroy();
}

const base = await reading(pid);
const fdsBase = fdCount(pid); // after the settle: the warm-up's sockets are closed by now
log(`baseline: VmRSS ${base.raw} KiB raw, ${base.gc} KiB after GC, heapUsed ${base.heap} KiB; ${fdsBase} fds`);

// ---- the clients

for (let i = 0; i < CLIENTS; i++) children.push(fork(path.join(HERE, 'client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
const split = (n) => children.map((_, i) => Math.floor(n / CLIENTS) + (i < n % CLIENTS ? 1 : 0));
const askAll = async (msgOf) => sumReplies(await Promise.all(children.map((c, i) => ask(c, msgOf(i)))));

/**
 * Open CONNS connections in batches of OPEN_BATCH, each batch once mosn holds the previous one: a connect completes
 * in the kernel before mosn accepts, so an unpaced burst overflows the accept queue and the dropped SYNs are
 * retried a second later (seen: 10,000 unpaced connects took 37 s).
 */
async function openAll() {
  const result = { opened: 0, failed: 0, errors: {} };
  for (let done = 0; done < CONNS; ) {
    const n = Math.min(OPEN_BATCH, CONNS - done);
    const shares = split(n);
    const r = await askAll((i) => ({ cmd: 'open', port: mosnPort, count: shares[i], concurrency: OPEN_CONCURRENCY }));
    result.opened += r.opened ?? 0;
    result.failed += r.failed ?? 0;
    Object.assign(result.errors, r.errors);
    done += n;
    // A few fds of slack: mosn may close an idle upstream connection of the warm-up meanwhile.
    await waitFds(pid, (fds) => fds >= fdsBase + result.opened - 5, 5_000);
  }
  return result;
}

const rounds = [];
for (let round = 1; round <= ROUNDS; round++) {
  const t0 = Date.now();
  const opened = await openAll();
  log(`round ${round}: opened ${opened.opened} of ${CONNS} in ${Date.now() - t0} ms (failed ${opened.failed} ${JSON.stringify(opened.errors)}); mosn holds ${fdCount(pid)} fds`);
  const idle = await reading(pid);
  const idleStatus = await askAll(() => ({ cmd: 'status' }));
  log(`  idle: VmRSS ${idle.raw} KiB raw, ${idle.gc} after GC, heapUsed ${idle.heap}; open ${idleStatus.open}, closed by mosn ${idleStatus.closedByPeer}`);

  const t1 = Date.now();
  const requested = await askAll(() => ({ cmd: 'request', concurrency: REQUEST_CONCURRENCY }));
  log(`  one request on each: ${requested.ok} ok, ${requested.failed} failed, statuses ${JSON.stringify(requested.statuses)} in ${Date.now() - t1} ms`);
  const used = await reading(pid);
  const usedStatus = await askAll(() => ({ cmd: 'status' }));
  log(`  after requests: VmRSS ${used.raw} KiB raw, ${used.gc} after GC, heapUsed ${used.heap}; ${fdCount(pid)} fds; open ${usedStatus.open}, closed by mosn ${usedStatus.closedByPeer}`);

  await askAll(() => ({ cmd: 'closeAll' }));
  const fdsClosed = await waitFds(pid, (n) => n <= fdsBase + 200, 20_000);
  const closed = await reading(pid);
  log(`  after close: VmRSS ${closed.raw} KiB raw, ${closed.gc} after GC, heapUsed ${closed.heap}; ${fdsClosed} fds`);
  rounds.push({ opened, idle, idleStatus, requested, used, usedStatus, closed, fdsClosed });
}

for (const c of children) c.send({ cmd: 'exit' });
mosn.kill('SIGTERM');
await Promise.race([mosnExited, sleep(10_000)]);
backend.closeAllConnections();
backend.close();

// ---- the report

const n = rounds[0].opened.opened;
const per = (m, key) => (m[key] - base[key]) / n;
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(2) : '');
console.log('');
console.log(`== Idle downstream connections: mosn Http1 proxy listener, ${CONNS} connections from ${CLIENTS} client processes, ${ROUNDS} round(s)`);
console.log(`machine: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`);
const cols = ['VmRSS raw', 'KiB/conn', 'VmRSS GC', 'KiB/conn', 'heapUsed GC', 'KiB/conn'];
console.log(`${'state (KiB)'.padEnd(50)} ${cols.map((c) => c.padStart(11)).join(' ')}`);
const row = (label, m, withPer) => {
  const cells = [m.raw, withPer ? fmt(per(m, 'raw')) : '', m.gc, withPer ? fmt(per(m, 'gc')) : '', m.heap, withPer ? fmt(per(m, 'heap')) : ''];
  console.log(`${label.padEnd(50)} ${cells.map((c) => String(c).padStart(11)).join(' ')}`);
};
row('baseline (after warm-up)', base, false);
rounds.forEach((r, i) => {
  const p = ROUNDS > 1 ? `${i + 1}: ` : '';
  row(`${p}${r.opened.opened} idle connections, nothing sent`, r.idle, true);
  row(`${p}the same after one request each (keep-alive)`, r.used, true);
  row(`${p}after closing them all`, r.closed, true);
});
const idleRaw = per(rounds[0].idle, 'raw');
const idleGc = per(rounds[0].idle, 'gc');
const verdict = (v) => (v <= TARGET_KIB ? 'MET' : 'MISSED');
console.log(`idle KiB per connection, round 1: ${fmt(idleRaw)} raw RSS (target <= ${TARGET_KIB}: ${verdict(idleRaw)}), ${fmt(idleGc)} after GC (${verdict(idleGc)})`);

const problems = [];
rounds.forEach((r, i) => {
  if (r.opened.failed) problems.push(`round ${i + 1}: ${r.opened.failed} connects failed ${JSON.stringify(r.opened.errors)}`);
  if (r.usedStatus.closedByPeer) problems.push(`round ${i + 1}: mosn closed ${r.usedStatus.closedByPeer} connections`);
  if (r.requested.failed) problems.push(`round ${i + 1}: ${r.requested.failed} requests failed ${JSON.stringify(r.requested.statuses)}`);
  if (r.fdsClosed > fdsBase + 200) problems.push(`round ${i + 1}: mosn still holds ${r.fdsClosed} fds after the clients closed`);
});
if (!mosnExit) problems.push('mosn did not exit within 10 s of SIGTERM');
else if (mosnExit.code !== 0) problems.push(`mosn exited with ${JSON.stringify(mosnExit)} on SIGTERM`);
console.log(`mosn exit on SIGTERM: ${mosnExit ? JSON.stringify(mosnExit) : 'still running after 10 s'}`);
if (mosnOutput.length) console.log(`mosn wrote ${mosnOutput.length} line(s):\n  ${mosnOutput.slice(0, 20).join('\n  ')}`);
if (problems.length) console.log(`problems: ${problems.join('; ')}`);
process.exit(problems.length ? 1 : 0);
