#!/usr/bin/env node
// Slow and abusive clients against each listener kind (issue 17): for every kind, a fresh mosn (its own process)
// with one listener and its backend; a well-behaved client calls at a fixed pace while mosn is idle, then while
// `--count` slow clients (slowloris heads, slow bodies, clients that never read: slow-clients-child.mjs) hold
// connections for `--duration` seconds; mosn's RSS (/proc/<pid>/status) is read before, every 250 ms during and
// after, its stats (admin API) every 2 s. Prints a table per kind and the counters that say what mosn closed and
// why; exits 1 when a kind's RSS growth passed `--bound-mib` (0: no bound), the good client failed more than
// `--max-failures` calls, or mosn died.
//
//   npx tsc -b && node scripts/slow-clients.mjs                       (10,000 clients, every kind, 60 s each)
//   node scripts/slow-clients.mjs --count 1000 --kinds http1,bolt --duration 20 --json out.json
//
// Needs open files: the clients run in a child with the limit raised (`ulimit -n`, as root also the hard limit);
// so does mosn. Everything is bounded in time: a kind that does not finish within its share is ended, exit 1.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BACKEND_OF, KINDS, cluster, listenerFor, mosnConfig, routerFor } from './reliability/configs.mjs';
import { goodClient } from './reliability/clients.mjs';
import { fmt, latenciesIn, pacedCalls, parseFlags, quantile, table } from './reliability/figures.mjs';
import { ROOT, ask, fdKinds, fdLimitOf, freePort, rssKiB, sleep, spawnNodeWithFdLimit, startMosn } from './reliability/mosn-process.mjs';

const USAGE = `usage: node scripts/slow-clients.mjs [--count N] [--kinds ${KINDS.join(',')}] [--duration S] [--interval S]
  [--buffer-limit BYTES] [--big BYTES] [--pipeline N] [--idle-timeout DUR] [--headers-timeout DUR] [--route-timeout DUR]
  [--rate CALLS_PER_S] [--idle S] [--rounds N] [--bound-mib MIB] [--max-failures N] [--json FILE]`;
const flags = parseFlags(
  process.argv.slice(2),
  {
    count: 10_000,
    kinds: KINDS.join(','),
    duration: 60,
    interval: 5,
    bufferLimit: 32 * 1024,
    big: 256 * 1024,
    pipeline: 2,
    idleTimeout: '30s',
    headersTimeout: '10s',
    routeTimeout: '20s',
    rate: 50,
    idle: 10,
    rounds: 1,
    boundMib: 0,
    maxFailures: 0,
    json: '',
  },
  USAGE,
);
const kinds = flags.kinds.split(',').filter(Boolean);
for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`unknown kind ${k}: one of ${KINDS.join(', ')}`);
const HERE = path.join(ROOT, 'scripts/reliability');
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const MiB = 1024;

const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** A child process of ours (IPC), started with the open-files limit raised; resolves once it said it is ready. */
async function child(file, fdLimit) {
  const c = fdLimit ? spawnNodeWithFdLimit([file], fdLimit, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }) : fork(file, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(c);
  await new Promise((resolve, reject) => {
    c.once('message', (m) => (m?.ready ? resolve() : reject(new Error(`unexpected first message ${JSON.stringify(m)}`))));
    c.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
  });
  return c;
}

const backends = await child(path.join(HERE, 'backends.mjs'), 65536);
let certs;
if (kinds.includes('tls')) {
  const { generateTestCerts } = await import(`${ROOT}/packages/net/dist/testing/index.js`);
  certs = generateTestCerts();
  process.on('exit', () => certs.remove());
}

/** The stats of listener `kind` (and of its tcp_proxy) without their prefix. */
function statsOf(kind, all) {
  const out = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(`listener.${kind}.`)) out[k.slice(`listener.${kind}.`.length)] = v;
    else if (k.startsWith(`tcp.${kind}.`)) out[`tcp.${k.slice(`tcp.${kind}.`.length)}`] = v;
  }
  return out;
}

async function runKind(kind) {
  const backendName = `${kind}-backend`;
  const { port: backendPort } = await ask(backends, { cmd: 'start', kind: BACKEND_OF[kind], name: backendName });
  const port = await freePort();
  const o = {
    bufferLimit: flags.bufferLimit,
    idleTimeout: flags.idleTimeout,
    headersTimeout: flags.headersTimeout,
    routeTimeout: flags.routeTimeout,
    ...(certs ? { tls: { cert: certs.server.certPath, key: certs.server.keyPath } } : {}),
  };
  const config = mosnConfig({ listeners: [listenerFor(kind, port, 'c', o)], routers: [routerFor(kind, 'c', o)], clusters: [cluster('c', [`127.0.0.1:${backendPort}`])] });
  const fdLimit = Math.max(65536, flags.count * 3 + 1000);
  const mosn = await startMosn(config, { fdLimit });
  const pid = mosn.pid;
  // a tcp_proxy connection costs mosn two descriptors: the count is cut to what mosn's open-files limit allows
  const fds = fdLimitOf(pid);
  const count = Math.min(flags.count, Math.floor((fds - 1000) / (kind === 'tcp' ? 2 : 1)));
  log(`${kind}: mosn pid ${pid} (open files ${fds}) on 127.0.0.1:${port}, backend ${backendPort}${count < flags.count ? `; ${count} clients, not ${flags.count}: mosn may open ${fds} files` : ''}`);
  const good = goodClient(kind, port);
  const result = { kind, count, rounds: [] };
  const heapMiB = async () => (await mosn.stats())['server.memory_heap_used'] / 1024 / 1024;
  try {
    // warm the request path up, so that code compiled on first use is in the baseline
    for (let i = 0; i < 200; i++) await good.call();
    await sleep(2000);
    result.rssBaselineKiB = rssKiB(pid);
    result.heapBaselineMiB = await heapMiB();
    result.fdsBefore = fdKinds(pid).total;
    const calls = pacedCalls(() => good.call(), flags.rate);
    const idleFrom = Date.now();
    await sleep(flags.idle * 1000);
    const loadFrom = Date.now();
    for (let round = 0; round < flags.rounds; round++) result.rounds.push(await slowRound(kind, mosn, port, count));
    const loadTo = result.rounds.at(-1).stoppedAt;
    await calls.stop();
    const idle = latenciesIn(calls.samples, idleFrom, loadFrom);
    const load = latenciesIn(calls.samples, loadFrom, loadTo);
    const lat = (v) => ({ n: v.length, p50: quantile(v, 0.5), p99: quantile(v, 0.99), max: quantile(v, 1) });
    result.latency = { idle: lat(idle), load: lat(load) };
    result.good = { calls: calls.samples.length + calls.failures.length, failures: calls.failures.length, firstFailures: calls.failures.slice(0, 5) };
    // answers per second while the slow clients were there: served throughout, or stalled for a while?
    const seconds = Math.ceil((loadTo - loadFrom) / 1000);
    result.good.answeredPerSecond = Array.from({ length: seconds }, (_, i) => calls.samples.filter((c) => c.at >= loadFrom + i * 1000 && c.at < loadFrom + (i + 1) * 1000).length);
    const last = result.rounds.at(-1);
    result.rssPeakKiB = Math.max(...result.rounds.map((r) => r.rssPeakKiB));
    result.rssAfterKiB = last.rssAfterKiB;
    result.heapAfterMiB = last.heapAfterMiB;
    result.fdsAfter = fdKinds(pid).total;
    result.slow = last.slow;
    result.peaks = last.peaks;
    result.stats = statsOf(kind, await mosn.stats());
  } finally {
    good.close();
    result.mosnExit = await mosn.stop();
    result.mosnAlive = result.mosnExit?.code === 0;
    await ask(backends, { cmd: 'stop', name: backendName });
  }
  return result;
}

/**
 * One round of slow clients against a running mosn: `count` of them opened, held `--duration` seconds, then all
 * closed; mosn's RSS every 250 ms and its stats every 2 s meanwhile, its RSS and heap once the connections are gone.
 */
async function slowRound(kind, mosn, port, count) {
  const pid = mosn.pid;
  const from = Date.now();
  let peak = rssKiB(pid);
  const peaks = { active: 0, txBuffered: 0, rxBuffered: 0, handshaking: 0, heapMiB: 0 };
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 250);
  const poll = setInterval(async () => {
    try {
      const all = await mosn.stats();
      const s = statsOf(kind, all);
      peaks.active = Math.max(peaks.active, s.downstream_cx_active ?? 0);
      peaks.txBuffered = Math.max(peaks.txBuffered, s.downstream_cx_tx_bytes_buffered ?? 0);
      peaks.rxBuffered = Math.max(peaks.rxBuffered, s.downstream_cx_rx_bytes_buffered ?? 0);
      peaks.handshaking = Math.max(peaks.handshaking, s.downstream_tls_handshake_active ?? 0);
      peaks.heapMiB = Math.max(peaks.heapMiB, all['server.memory_heap_used'] / 1024 / 1024);
    } catch {
      // mosn busy or gone: the end of the run says which
    }
  }, 2000);
  const slow = await child(path.join(HERE, 'slow-clients-child.mjs'), count + 2000);
  try {
    const opened = await ask(slow, { cmd: 'start', kind, port, count, intervalMs: flags.interval * 1000, bigBytes: flags.big, pipeline: flags.pipeline }, 300_000);
    log(`${kind}: ${opened.opened} slow clients open (${opened.failed} failed to connect) in ${((Date.now() - from) / 1000).toFixed(1)} s; holding ${flags.duration} s`);
    await sleep(flags.duration * 1000);
    const status = await ask(slow, { cmd: 'status' });
    clearInterval(sampler);
    clearInterval(poll);
    const rssPeakKiB = Math.max(peak, rssKiB(pid));
    await ask(slow, { cmd: 'stop' });
    const stoppedAt = Date.now();
    // after: the connections gone (mosn sees the clients' closes), memory given back?
    const settleUntil = Date.now() + 15_000;
    while (Date.now() < settleUntil && (statsOf(kind, await mosn.stats()).downstream_cx_active ?? 0) > 1) await sleep(250);
    await sleep(3000);
    const all = await mosn.stats();
    return { opened, slow: status, peaks, rssPeakKiB, stoppedAt, rssAfterKiB: rssKiB(pid), heapAfterMiB: all['server.memory_heap_used'] / 1024 / 1024 };
  } finally {
    clearInterval(sampler);
    clearInterval(poll);
    slow.kill();
  }
}

const results = [];
let failed = false;
for (const kind of kinds) {
  try {
    const r = await runKind(kind);
    results.push(r);
    const growth = (r.rssPeakKiB - r.rssBaselineKiB) / MiB;
    const problems = [];
    if (flags.boundMib > 0 && growth > flags.boundMib) problems.push(`RSS grew ${fmt(growth)} MiB, over the bound of ${flags.boundMib} MiB`);
    if (r.good.failures > flags.maxFailures) problems.push(`the good client failed ${r.good.failures} of ${r.good.calls} calls: ${JSON.stringify(r.good.firstFailures)}`);
    if (!r.mosnAlive) problems.push(`mosn did not exit 0 on SIGTERM: ${JSON.stringify(r.mosnExit)}`);
    r.problems = problems;
    if (problems.length > 0) {
      failed = true;
      log(`${kind}: ${problems.join('; ')}`);
    }
  } catch (e) {
    failed = true;
    results.push({ kind, error: String(e?.stack ?? e) });
    log(`${kind}: ${e?.stack ?? e}`);
  }
}
backends.kill();

const ok = results.filter((r) => !r.error);
console.log(
  `\nslow clients: ${flags.count} per kind for ${flags.duration} s (a trickle every ${flags.interval} s), per_connection_buffer_limit_bytes ${flags.bufferLimit}, ` +
    `connection_idle_timeout ${flags.idleTimeout}, request_headers_timeout ${flags.headersTimeout}, route timeout ${flags.routeTimeout}; ` +
    `no-read clients ask for ${flags.big} bytes (RPC: ${flags.pipeline} calls each); good client ${flags.rate} calls/s\n`,
);
console.log(
  table([
    ['kind', 'open', 'RSS base MiB', 'peak', 'after', 'growth', 'KiB/client', 'heap base', 'peak', 'after', 'good p50 idle ms', 'p99 idle', 'p50 load', 'p99 load', 'p99 ratio', 'good calls', 'failed'],
    ...ok.map((r) => {
      const g = (r.rssPeakKiB - r.rssBaselineKiB) / MiB;
      return [
        r.kind,
        r.slow.open,
        fmt(r.rssBaselineKiB / MiB),
        fmt(r.rssPeakKiB / MiB),
        fmt(r.rssAfterKiB / MiB),
        fmt(g),
        fmt((g * MiB) / r.count),
        fmt(r.heapBaselineMiB),
        fmt(Math.max(...r.rounds.map((x) => x.peaks.heapMiB))),
        fmt(r.heapAfterMiB),
        fmt(r.latency.idle.p50, 2),
        fmt(r.latency.idle.p99, 2),
        fmt(r.latency.load.p50, 2),
        fmt(r.latency.load.p99, 2),
        fmt(r.latency.load.p99 / r.latency.idle.p99, 2),
        r.good.calls,
        r.good.failures,
      ];
    }),
  ]),
);
if (flags.rounds > 1) {
  console.log('\nRSS (MiB) peak / after, and heap after, round by round\n');
  for (const r of ok) console.log(`${r.kind}: ${r.rounds.map((x, i) => `${i + 1}: ${fmt(x.rssPeakKiB / MiB)} / ${fmt(x.rssAfterKiB / MiB)}, heap ${fmt(x.heapAfterMiB)}`).join('; ')}`);
}
const COUNTERS = [
  'downstream_cx_total',
  'downstream_cx_destroy_remote',
  'downstream_cx_destroy_local',
  'downstream_cx_destroy_local_idle_timeout',
  'downstream_cx_destroy_local_protocol_error',
  'downstream_cx_destroy_local_requested',
  'downstream_rq_header_timeout',
  'downstream_rq_timeout',
  'downstream_rq_reset',
  'downstream_protocol_error',
  'downstream_tls_handshake_failed',
  'downstream_tls_handshake_timeout',
];
console.log('\nwhat mosn closed and why (counters at the end; peaks polled every 2 s during the run)\n');
console.log(
  table([
    ['kind', ...COUNTERS.map((c) => c.replace('downstream_', '')), 'peak cx_active', 'peak tx_buffered KiB', 'peak rx_buffered KiB'],
    ...ok.map((r) => [r.kind, ...COUNTERS.map((c) => r.stats[c] ?? 0), r.peaks.active, fmt(r.peaks.txBuffered / 1024, 0), fmt(r.peaks.rxBuffered / 1024, 0)]),
  ]),
);
console.log('\nwhat the slow clients saw mosn do (per behaviour: how their connections ended)\n');
for (const r of ok) console.log(`${r.kind}: ${JSON.stringify(r.slow.closes)}${Object.keys(r.slow.errors).length ? ` errors ${JSON.stringify(r.slow.errors)}` : ''}`);
for (const r of results) if (r.error) console.log(`${r.kind}: FAILED: ${r.error.split('\n')[0]}`);
if (flags.json) writeFileSync(flags.json, JSON.stringify({ flags, results }, null, 2));
process.exit(failed ? 1 : 0);
