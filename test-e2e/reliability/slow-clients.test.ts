import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers.js';

/*
 * The CI slice of scripts/slow-clients.mjs (docs/reliability.md, "Slow and abusive clients"): 1,000 slow clients
 * (slowloris heads, slow bodies, clients that never read) against an HTTP/1 and a Bolt listener, mosn, its backends
 * and the clients each their own process. Asserted: mosn's RSS stays under a bound set from measurement, the
 * well-behaved client is served throughout, and the counters say what mosn closed and why. Latency is printed by
 * the script, not asserted.
 */

const COUNT = 1000;
const BUFFER_LIMIT = 32 * 1024;
const BIG = 256 * 1024;
const PIPELINE = 2;
/**
 * RSS growth bound (MiB) at 1,000 slow clients: measured 36 to 51 MiB (HTTP/1) and 46 to 84 MiB (Bolt: the answers
 * the clients that never read asked for pass through mosn, 170 MiB of them, and V8 frees their buffers when it gets
 * to it) in four runs on the shared 2-core machine (docs/reliability.md); about twice the highest.
 */
const BOUND_MIB = { http1: 100, bolt: 160 } as const;

interface KindResult {
  kind: keyof typeof BOUND_MIB;
  count: number;
  error?: string;
  mosnAlive: boolean;
  rssBaselineKiB: number;
  rssPeakKiB: number;
  good: { calls: number; failures: number; firstFailures: unknown[]; answeredPerSecond: number[] };
  peaks: { active: number; txBuffered: number; rxBuffered: number };
  slow: { open: number; closes: Record<string, Record<string, number>> };
  rounds: Array<{ opened: { opened: number; failed: number } }>;
  stats: Record<string, number>;
}

function runScript(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/slow-clients.mjs', ...args], { cwd: REPO_ROOT, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

describe('slow and abusive clients (scripts/slow-clients.mjs, CI slice)', () => {
  it(`${COUNT} slow clients on HTTP/1 and on Bolt: memory bounded, the good client served throughout, the closes counted`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-slow-'));
    const json = join(dir, 'out.json');
    try {
      const args = ['--count', String(COUNT), '--kinds', 'http1,bolt', '--duration', '10', '--idle', '3', '--interval', '2'];
      args.push('--headers-timeout', '3s', '--idle-timeout', '5s', '--route-timeout', '4s', '--buffer-limit', String(BUFFER_LIMIT));
      args.push('--big', String(BIG), '--pipeline', String(PIPELINE), '--json', json);
      const run = await runScript(args);
      const { results } = JSON.parse(readFileSync(json, 'utf8')) as { results: KindResult[] };
      const third = Math.floor(COUNT / 3);
      for (const r of results) {
        expect(r.error, `${r.kind}: ${r.error}\n${run.output}`).toBeUndefined();
        expect(r.mosnAlive, r.kind).toBe(true);
        expect(r.rounds[0]!.opened.opened, r.kind).toBe(COUNT);
        // memory: under the bound set from measurement
        expect((r.rssPeakKiB - r.rssBaselineKiB) / 1024, `${r.kind} RSS growth, MiB`).toBeLessThan(BOUND_MIB[r.kind]);
        // the good client: no call failed, and answered in every 2 s of the slow clients' presence
        expect(r.good.failures, `${r.kind}: ${JSON.stringify(r.good.firstFailures)}`).toBe(0);
        const perTwo = r.good.answeredPerSecond.reduce<number[]>((out, n, i) => (i % 2 === 0 ? out.push(n) : (out[out.length - 1]! += n), out), []);
        expect(Math.min(...perTwo.slice(0, -1)), `${r.kind} answers per 2 s: ${JSON.stringify(perTwo)}`).toBeGreaterThan(0);
        expect(r.peaks.active, r.kind).toBeGreaterThanOrEqual(COUNT * 0.95);
      }
      const h1 = results.find((r) => r.kind === 'http1')!;
      // slowloris heads: 408 and closed within request_headers_timeout; the clients saw the 408
      expect(h1.stats.downstream_rq_header_timeout).toBeGreaterThanOrEqual(third);
      expect(h1.slow.closes['slow-head']?.['http 408']).toBeGreaterThanOrEqual(third * 0.9);
      // slow bodies: the route timeout's 504, then cut off once the rest did not come in time
      expect(h1.stats.downstream_rq_timeout).toBeGreaterThanOrEqual(third);
      // clients that never read: closed when idle; what mosn held for them stayed near the buffer limit each
      expect(h1.stats.downstream_cx_destroy_local_idle_timeout).toBeGreaterThanOrEqual(h1.stats.downstream_rq_header_timeout! + third);
      expect(h1.peaks.txBuffered).toBeLessThanOrEqual((COUNT - 2 * third) * (BUFFER_LIMIT + 64 * 1024));
      const bolt = results.find((r) => r.kind === 'bolt')!;
      // RPC clients that never read: closed when idle (the trickling ones are not idle, and stay)
      expect(bolt.stats.downstream_cx_destroy_local_idle_timeout).toBeGreaterThanOrEqual(third);
      expect(bolt.stats.downstream_cx_destroy_local_protocol_error ?? 0).toBe(0);
      // parts of frames held for the slow heads and bodies: what they sent, no more (4 KiB + a trickle each)
      expect(bolt.peaks.rxBuffered).toBeLessThanOrEqual(2 * third * 8 * 1024);
      // the answers they asked for and never read: at most what they asked for
      expect(bolt.peaks.txBuffered).toBeLessThanOrEqual((COUNT - 2 * third) * PIPELINE * (BIG + 1024));
      expect(run.code, run.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
