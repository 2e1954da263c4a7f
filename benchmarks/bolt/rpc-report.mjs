#!/usr/bin/env node
// Summarizes the loadgen's JSON lines (one file, any number of rounds per label) for run.sh:
//   node rpc-report.mjs <results.jsonl> <protocol> <one-hop target ratio> <rate> [added p99 target ms]
// Medians over the rounds of requests/s, p50 and p99 per label; ratios; latency added by one hop at a fixed rate.
// Verdicts follow ../lib/common.sh: RUN_QUIET=no (from run_quiet) gives "no verdict (not quiet)"; haproxy's closed-
// loop CPU per request over CANARY_FACTOR x USUAL_US gives "no verdict (baseline slow)". With RPC_SUMMARY=file, the
// figures rpc-bench.sh turns into RESULT lines are written there as JSON.
import { readFileSync, writeFileSync } from 'node:fs';

const [file, protocol, target, rate, latencyTarget = '0.2'] = process.argv.slice(2);
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};
const by = (label) => rows.filter((r) => r.label === label);
const figures = (label) => {
  const rs = by(label);
  return {
    n: rs.length,
    rps: median(rs.map((r) => r.rps)),
    min: Math.min(...rs.map((r) => r.rps)),
    max: Math.max(...rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.latencyMs.p50)),
    p99: median(rs.map((r) => r.latencyMs.p99)),
    p999: median(rs.map((r) => r.latencyMs.p999)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    closed: rs.reduce((a, r) => a + r.closedConnections, 0),
    lag: Math.max(...rs.map((r) => r.maxSendLagMs ?? 0)),
    proxyCpu: median(rs.map((r) => r.proxyCpuPct ?? NaN)),
    cpuUs: median(rs.map((r) => r.proxyCpuUs ?? NaN)),
    serverCpu: median(rs.map((r) => r.serverCpuPct ?? NaN)),
  };
};
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const f3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const ratio = (a, b) => (b > 0 ? a / b : NaN);
const pad = (s, n) => String(s).padStart(n);
const pct = (v) => (Number.isFinite(v) ? `${v}%` : '-');
const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const usual = Number(process.env.USUAL_US ?? NaN);
const baselineUs = by('haproxy-tcp').length > 0 ? figures('haproxy-tcp').cpuUs : NaN;
const baselineSlow = Number.isFinite(usual) && baselineUs > Number(process.env.CANARY_FACTOR ?? 1.3) * usual;
const judge = (ok, value) => {
  if (!Number.isFinite(value)) return 'n/a';
  if (process.env.RUN_QUIET === 'no') return 'no verdict (not quiet)';
  if (baselineSlow) return 'no verdict (baseline slow)';
  return ok ? 'MET' : 'MISSED';
};
const summary = { baselineCpuUs: baselineUs };

const closed = ['direct', 'mosn-1hop', 'mosn-2hop', 'haproxy-tcp'].filter((l) => by(l).length > 0);
if (closed.length > 0) {
  const c = by(closed[0])[0];
  console.log(`-- closed loop: ${c.connections} connections x ${c.depth} in flight, ${c.seconds} s per run, median of ${by(closed[0]).length} run(s)`);
  console.log(`${'target'.padEnd(12)} ${pad('requests/s', 11)} ${pad('(min-max)', 17)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('p99.9 ms', 9)} ${pad('proxy CPU', 10)} ${pad('CPU us/req', 10)} ${pad('server CPU', 11)}  errors`);
  const f = Object.fromEntries(closed.map((l) => [l, figures(l)]));
  for (const l of closed) {
    const x = f[l];
    console.log(`${l.padEnd(12)} ${pad(x.rps, 11)} ${pad(`(${x.min}-${x.max})`, 17)} ${pad(f3(x.p50), 8)} ${pad(f3(x.p99), 8)} ${pad(f3(x.p999), 9)} ${pad(pct(x.proxyCpu), 10)} ${pad(f1(x.cpuUs), 10)} ${pad(pct(x.serverCpu), 11)}  ${x.errors} bad status, ${x.closed} closed`);
  }
  const r1 = ratio(f['mosn-1hop']?.rps, f['haproxy-tcp']?.rps);
  const c1 = ratio(f['mosn-1hop']?.cpuUs, f['haproxy-tcp']?.cpuUs);
  Object.assign(summary, { rpsRatio: r1, cpuRatio: c1 });
  console.log(`1-hop/haproxy ${f2(r1)}   (target >= ${target}: ${judge(r1 >= Number(target), r1)})`);
  console.log(`1-hop/haproxy CPU per request ${f2(c1)}x   (CPU us/req: the proxy's CPU over the run, warm-up included, / (requests/s x wall time))`);
  console.log(`canary: haproxy-tcp ${f1(baselineUs)} us/req, usual on this VM ~${f1(usual)} (no verdict above ${process.env.CANARY_FACTOR ?? 1.3}x)`);
  console.log(`2-hop/haproxy ${f2(ratio(f['mosn-2hop']?.rps, f['haproxy-tcp']?.rps))}`);
  console.log(`1-hop/direct  ${f2(ratio(f['mosn-1hop']?.rps, f['direct']?.rps))}`);
  console.log(`2-hop/1-hop   ${f2(ratio(f['mosn-2hop']?.rps, f['mosn-1hop']?.rps))}`);
}

const open = ['direct@rate', 'mosn-1hop@rate', 'haproxy-tcp@rate'].filter((l) => by(l).length > 0);
if (open.includes('direct@rate') && open.length > 1) {
  const d = figures('direct@rate');
  const c = by('direct@rate')[0];
  console.log(`-- open loop: ${rate} requests/s over ${c.connections} connections per target, ${c.seconds} s per run, median of ${d.n} run(s)`);
  console.log(`${'target'.padEnd(12)} ${pad('requests/s', 11)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('p99.9 ms', 9)} ${pad('added p50', 10)} ${pad('added p99', 10)} ${pad('max send lag ms', 16)} ${pad('proxy CPU', 10)}  errors`);
  for (const l of open) {
    const x = figures(l);
    const added = (v, base) => (l === 'direct@rate' ? '-' : f3(v - base));
    console.log(`${l.replace('@rate', '').padEnd(12)} ${pad(x.rps, 11)} ${pad(f3(x.p50), 8)} ${pad(f3(x.p99), 8)} ${pad(f3(x.p999), 9)} ${pad(added(x.p50, d.p50), 10)} ${pad(added(x.p99, d.p99), 10)} ${pad(f3(x.lag), 16)} ${pad(pct(x.proxyCpu), 10)}  ${x.errors} bad status, ${x.closed} closed`);
  }
  if (open.includes('mosn-1hop@rate')) {
    const m = figures('mosn-1hop@rate');
    const added99 = m.p99 - d.p99;
    summary.addedP99Ms = added99;
    console.log(`latency added by one mosn hop: p50 ${f3(m.p50 - d.p50)} ms, p99 ${f3(added99)} ms   (target p99 <= +${latencyTarget} ms: ${judge(added99 <= Number(latencyTarget), added99)})`);
  }
}
if (process.env.RPC_SUMMARY) writeFileSync(process.env.RPC_SUMMARY, JSON.stringify(summary));
