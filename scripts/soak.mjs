#!/usr/bin/env node
// The soak (issue 17): mosn as its own process under mixed HTTP/1, HTTP/2 (h2c), Bolt and Dubbo load at a fixed
// moderate rate for `--minutes`, with a config reload (SIGHUP after the file changed) every `--reload-every` seconds
// and an upstream restarted every `--churn-every` seconds. Every `--sample-every` seconds it reads mosn's RSS and
// open fds (/proc/<pid>), its V8 heap, handles and timers (the admin API's `server.*` stats) and its listening
// sockets (/proc/<pid>/net/tcp). At the end it puts the first config back, lets the clients go, and checks:
//   - the trend of RSS and heap over the last half (least squares) is at most `--tolerance` MiB a minute (0: not
//     checked, for runs too short to have a trend);
//   - nothing leaked: listening sockets as at the start, open fds and timers within `--fd-slack` / `--timer-slack`
//     of the start (the upstream pools may hold a few more connections than they did);
//   - every reload was applied (config.version), mosn is alive and exits 0 on SIGTERM, and no call failed outside
//     the seconds after an upstream restart.
// Prints the samples and a summary, writes `--png` (a chart of the samples) and `--json`; exits 1 when a check fails.
//
//   npx tsc -b && node scripts/soak.mjs                                  (10 minutes at 200 calls/s)
//   node scripts/soak.mjs --minutes 30 --rate 400 --png docs/images/soak.png --json soak.json
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cluster, listenerFor, mosnConfig, routerFor } from './reliability/configs.mjs';
import { goodClient } from './reliability/clients.mjs';
import { fmt, leastSquares, pacedCalls, parseFlags, quantile, table } from './reliability/figures.mjs';
import { ROOT, ask, fdKinds, freePort, rssKiB, sleep, tcpSockets, startMosn } from './reliability/mosn-process.mjs';
import { lineChart, stackedPng } from './reliability/png-chart.mjs';

const USAGE = `usage: node scripts/soak.mjs [--minutes M] [--rate CALLS_PER_S] [--reload-every S] [--churn-every S] [--sample-every S]
  [--lanes N] [--tolerance MIB_PER_MIN] [--fd-slack N] [--timer-slack N] [--churn-grace S] [--png FILE] [--json FILE]`;
const flags = parseFlags(
  process.argv.slice(2),
  { minutes: 10, rate: 200, reloadEvery: 30, churnEvery: 60, sampleEvery: 10, lanes: 2, tolerance: 1, fdSlack: 12, timerSlack: 8, churnGrace: 3, png: '', json: '' },
  USAGE,
);
const PROTOCOLS = ['http1', 'http2', 'bolt', 'dubbo'];
const MiB = 1024 * 1024;
const HERE = path.join(ROOT, 'scripts/reliability');
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);

const backends = fork(path.join(HERE, 'backends.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
process.on('exit', () => backends.exitCode === null && backends.kill('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
await new Promise((r) => backends.once('message', r));
const upstream = {};
for (const [name, kind] of [['h1a', 'http1'], ['h1b', 'http1'], ['h1c', 'http1'], ['h2a', 'http2'], ['bolta', 'bolt'], ['dubboa', 'dubbo']]) {
  upstream[name] = `127.0.0.1:${(await ask(backends, { cmd: 'start', kind, name })).port}`;
}
const ports = {};
for (const k of [...PROTOCOLS, 'extra']) ports[k] = await freePort();

/**
 * The config of step `v`: the HTTP routes add `x-soak-route: v<v>`; cluster c_http1's second host alternates
 * between h1b and h1c (hosts removed and added); every fourth step from the second has one more listener (`extra`).
 */
function configAt(v) {
  const o = { routeHeader: `v${v}`, idleTimeout: '30s' };
  const listeners = PROTOCOLS.map((k) => listenerFor(k, ports[k], `c_${k}`, o));
  if (v % 4 === 2) listeners.push({ ...listenerFor('http1', ports.extra, 'c_http1', o), name: 'extra' });
  return mosnConfig({
    listeners,
    routers: PROTOCOLS.map((k) => routerFor(k, `c_${k}`, o)),
    clusters: [
      cluster('c_http1', [upstream.h1a, v % 2 === 0 ? upstream.h1b : upstream.h1c]),
      cluster('c_http2', [upstream.h2a]),
      cluster('c_bolt', [upstream.bolta]),
      cluster('c_dubbo', [upstream.dubboa]),
    ],
  });
}

// MOSN_COUNT_TIMERS: `server.timers` counts every timer alive (mosn unrefs its own: the active timers miss them)
const mosn = await startMosn(configAt(0), { logLevel: 'WARN', env: { MOSN_COUNT_TIMERS: '1' } });
const pid = mosn.pid;
log(`mosn pid ${pid}; listeners ${JSON.stringify(ports)}; ${flags.minutes} min at ${flags.rate} calls/s`);

// ---- load: `lanes` clients per protocol, each at its share of the rate
const lanes = [];
for (const p of PROTOCOLS) {
  for (let i = 0; i < flags.lanes; i++) {
    const client = goodClient(p, ports[p], { timeoutMs: 10_000 });
    lanes.push({ protocol: p, client, calls: undefined });
  }
}
for (const l of lanes) for (let i = 0; i < 20; i++) await l.client.call({ path: '/soak' }); // warm up
for (const l of lanes) l.calls = pacedCalls(() => l.client.call({ path: '/soak' }), flags.rate / lanes.length);

// ---- samples
const t0 = Date.now();
const minutes = (at) => (at - t0) / 60_000;
const samples = [];
async function sample() {
  const s = await mosn.stats();
  const fds = fdKinds(pid);
  const tcp = tcpSockets(pid);
  const row = {
    at: Date.now(),
    rssMiB: rssKiB(pid) / 1024,
    heapMiB: s['server.memory_heap_used'] / MiB,
    heapSizeMiB: s['server.memory_heap_size'] / MiB,
    externalMiB: s['server.memory_external'] / MiB,
    fds: fds.total,
    sockets: fds.socket,
    listening: tcp.listen,
    established: tcp.established,
    handles: s['server.active_handles'],
    timers: s['server.timers'],
    downstream: PROTOCOLS.reduce((n, p) => n + (s[`listener.${p}.downstream_cx_active`] ?? 0), 0),
    version: s['config.version'],
  };
  samples.push(row);
  return row;
}
const baseline = await sample();
log(`baseline: RSS ${fmt(baseline.rssMiB)} MiB, heap ${fmt(baseline.heapMiB)} MiB, ${baseline.fds} fds, ${baseline.listening} listening, ${baseline.timers} timers`);

// ---- the timeline: samples, reloads, upstream restarts
const events = [];
const problems = [];
let version = 0;
const churnOrder = ['h1a', 'h2a', 'bolta', 'dubboa'];
let churned = 0;
const end = t0 + flags.minutes * 60_000;
let nextSample = t0 + flags.sampleEvery * 1000;
let nextReload = t0 + flags.reloadEvery * 1000;
let nextChurn = t0 + flags.churnEvery * 1000 + (flags.reloadEvery * 1000) / 2;
const pending = [];
while (Date.now() < end) {
  const now = Date.now();
  if (now >= nextSample) {
    nextSample += flags.sampleEvery * 1000;
    const r = await sample();
    log(`${fmt(minutes(r.at), 2)} min: RSS ${fmt(r.rssMiB)} MiB, heap ${fmt(r.heapMiB)} MiB, ${r.fds} fds, ${r.listening} listening, ${r.timers} timers, config v${r.version}`);
  }
  if (now >= nextReload) {
    nextReload += flags.reloadEvery * 1000;
    const want = baseline.version + ++version;
    events.push({ at: now, kind: 'reload', v: version });
    mosn.reload(configAt(version));
    pending.push(checkReload(version, want));
  }
  if (now >= nextChurn) {
    nextChurn += flags.churnEvery * 1000;
    const name = churnOrder[churned++ % churnOrder.length];
    events.push({ at: now, kind: 'restart', name });
    pending.push(ask(backends, { cmd: 'restart', name, downMs: 1000 }).then(() => events.push({ at: Date.now(), kind: 'restarted', name })));
  }
  await sleep(Math.max(10, Math.min(nextSample, nextReload, nextChurn, end) - Date.now()));
}

/** A reload is applied (config.version), and the extra listener serves exactly when the config has it. */
async function checkReload(v, want) {
  const until = Date.now() + 10_000;
  let s;
  while (Date.now() < until) {
    s = await mosn.stats();
    if (s['config.version'] >= want) break;
    await sleep(100);
  }
  if (!(s['config.version'] >= want)) return void problems.push(`reload ${v}: config.version ${s['config.version']}, not ${want}, 10 s after SIGHUP`);
  const extra = goodClient('http1', ports.extra, { timeoutMs: 2000 });
  try {
    const body = await extra.call({ path: '/extra' });
    if (v % 4 !== 2) problems.push(`reload ${v}: the removed listener extra still answers (${body.trim()})`);
    else if (!body.includes('/extra')) problems.push(`reload ${v}: extra answered ${body}`);
  } catch (e) {
    if (v % 4 === 2) problems.push(`reload ${v}: the added listener extra does not answer: ${e.message}`);
  } finally {
    extra.close();
  }
}

// ---- the end: load stops, the first config comes back, the clients go; then nothing may be left over
for (const l of lanes) await l.calls.stop();
await Promise.all(pending);
const loadEnd = Date.now();
mosn.reload(configAt(0));
await checkReload(0, baseline.version + version + 1);
for (const l of lanes) l.client.close();
const settleUntil = Date.now() + 15_000;
while (Date.now() < settleUntil && (await sample()).downstream > 0) await sleep(500);
await sleep(3000);
const last = await sample();

// ---- figures
const restarts = events.filter((e) => e.kind === 'restart');
const inChurn = (at) => restarts.some((e) => at >= e.at && at <= e.at + 1000 + flags.churnGrace * 1000);
const perProtocol = PROTOCOLS.map((p) => {
  const ls = lanes.filter((l) => l.protocol === p);
  const ms = ls.flatMap((l) => l.calls.samples.map((s) => s.ms));
  const failures = ls.flatMap((l) => l.calls.failures);
  const outside = failures.filter((f) => !inChurn(f.at));
  return { protocol: p, calls: ms.length + failures.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), failures: failures.length, outsideChurn: outside.length, firstOutside: outside.slice(0, 3) };
});
const half = samples.filter((s) => s.at >= t0 + (loadEnd - t0) / 2 && s.at <= loadEnd);
const slope = (key) => leastSquares(half.map((s) => ({ x: minutes(s.at), y: s[key] }))).slope;
const trend = { rssMiBPerMin: slope('rssMiB'), heapMiBPerMin: slope('heapMiB'), fdsPerMin: slope('fds'), samples: half.length };
const leaks = {
  listening: { start: baseline.listening, end: last.listening },
  fds: { start: baseline.fds, end: last.fds, slack: flags.fdSlack },
  timers: { start: baseline.timers, end: last.timers, slack: flags.timerSlack },
  handles: { start: baseline.handles, end: last.handles },
  downstream: last.downstream,
};
// (a trend needs minutes of samples: `--tolerance 0` leaves it out, for short runs)
if (flags.tolerance > 0 && trend.rssMiBPerMin > flags.tolerance) problems.push(`RSS grew ${fmt(trend.rssMiBPerMin, 2)} MiB/min over the last half (tolerance ${flags.tolerance})`);
if (flags.tolerance > 0 && trend.heapMiBPerMin > flags.tolerance) problems.push(`the heap grew ${fmt(trend.heapMiBPerMin, 2)} MiB/min over the last half (tolerance ${flags.tolerance})`);
if (last.listening !== baseline.listening) problems.push(`listening sockets: ${last.listening} at the end, ${baseline.listening} at the start`);
if (last.fds > baseline.fds + flags.fdSlack) problems.push(`open fds: ${last.fds} at the end, ${baseline.fds} at the start (slack ${flags.fdSlack})`);
if (last.timers > baseline.timers + flags.timerSlack) problems.push(`timers: ${last.timers} at the end, ${baseline.timers} at the start (slack ${flags.timerSlack})`);
if (last.downstream !== 0) problems.push(`${last.downstream} downstream connections still open after the clients left`);
for (const p of perProtocol) if (p.outsideChurn > 0) problems.push(`${p.protocol}: ${p.outsideChurn} calls failed outside the seconds after an upstream restart: ${JSON.stringify(p.firstOutside)}`);
const exit = await mosn.stop();
if (exit?.code !== 0) problems.push(`mosn did not exit 0 on SIGTERM: ${JSON.stringify(exit)}\n${mosn.output().slice(-2000)}`);
backends.kill();

console.log(`\nsoak: ${fmt((loadEnd - t0) / 60_000, 1)} min at ${flags.rate} calls/s (${flags.lanes} lanes per protocol), ${events.filter((e) => e.kind === 'reload').length} reloads, ${restarts.length} upstream restarts\n`);
console.log(
  table([
    ['min', 'RSS MiB', 'heap MiB', 'heap size', 'external', 'fds', 'sockets', 'listening', 'timers', 'handles', 'downstream', 'config'],
    ...samples.map((s) => [fmt(minutes(s.at), 2), fmt(s.rssMiB), fmt(s.heapMiB), fmt(s.heapSizeMiB), fmt(s.externalMiB), s.fds, s.sockets, s.listening, s.timers, s.handles, s.downstream, s.version]),
  ]),
);
console.log('\n' + table([['protocol', 'calls', 'p50 ms', 'p99 ms', 'failed', 'outside restarts'], ...perProtocol.map((p) => [p.protocol, p.calls, fmt(p.p50, 2), fmt(p.p99, 2), p.failures, p.outsideChurn])]));
console.log(
  `\ntrend over the last half (${trend.samples} samples): RSS ${fmt(trend.rssMiBPerMin, 3)} MiB/min, heap ${fmt(trend.heapMiBPerMin, 3)} MiB/min, fds ${fmt(trend.fdsPerMin, 2)}/min (tolerance ${flags.tolerance} MiB/min)`,
);
console.log(
  `start -> end: listening ${leaks.listening.start} -> ${leaks.listening.end}, fds ${leaks.fds.start} -> ${leaks.fds.end}, timers ${leaks.timers.start} -> ${leaks.timers.end}, handles ${leaks.handles.start} -> ${leaks.handles.end}`,
);
console.log(problems.length === 0 ? '\nno problem found' : `\nPROBLEMS:\n- ${problems.join('\n- ')}`);

if (flags.png) {
  const at = (s) => minutes(s.at);
  const markers = events.filter((e) => e.kind !== 'restarted').map((e) => ({ x: minutes(e.at), color: e.kind === 'reload' ? [150, 150, 150] : [40, 160, 70] }));
  const markerLegend = [
    { label: 'reload', color: [150, 150, 150], dashed: true },
    { label: 'upstream restart', color: [40, 160, 70], dashed: true },
  ];
  const title = `mosn soak: ${fmt((loadEnd - t0) / 60_000, 0)} min, ${flags.rate} calls/s, HTTP/1 HTTP/2 Bolt Dubbo`;
  const memory = lineChart({
    title,
    xLabel: 'minutes',
    yLabel: 'MiB',
    series: [
      { label: 'RSS', color: [200, 40, 40], points: samples.map((s) => ({ x: at(s), y: s.rssMiB })) },
      { label: 'heap used', color: [40, 90, 200], points: samples.map((s) => ({ x: at(s), y: s.heapMiB })) },
      { label: 'external', color: [150, 60, 170], points: samples.map((s) => ({ x: at(s), y: s.externalMiB })) },
    ],
    markers,
    markerLegend,
  });
  const counts = lineChart({
    height: 300,
    title: 'open fds, timers, listening sockets',
    xLabel: 'minutes',
    yLabel: 'count',
    series: [
      { label: 'fds', color: [200, 120, 20], points: samples.map((s) => ({ x: at(s), y: s.fds })) },
      { label: 'timers', color: [20, 140, 140], points: samples.map((s) => ({ x: at(s), y: s.timers })) },
      { label: 'listening', color: [90, 90, 90], points: samples.map((s) => ({ x: at(s), y: s.listening })) },
    ],
    markers,
  });
  writeFileSync(flags.png, stackedPng([memory, counts]));
  log(`chart written to ${flags.png}`);
}
if (flags.json) writeFileSync(flags.json, JSON.stringify({ flags, baseline, last, samples, events, perProtocol, trend, leaks, problems }, null, 2));
process.exit(problems.length === 0 ? 0 : 1);
