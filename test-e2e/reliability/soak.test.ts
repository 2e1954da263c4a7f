import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers.js';

/*
 * The CI slice of scripts/soak.mjs (docs/reliability.md, "Soak"): half a minute of mixed HTTP/1, HTTP/2, Bolt and
 * Dubbo load through mosn as its own process, a config reload every 4 s (a route header, a cluster's hosts, a
 * listener added and removed) and an upstream restarted every 12 s. Asserted: every reload applied, nothing leaked
 * once the first config is back and the clients are gone (listening sockets as at the start, open fds and timers
 * within a few of it), RSS growth bounded, no call failed but around an upstream restart. The trend needs the
 * 10-minute run (docs/reliability.md).
 */

/** RSS growth bound (MiB) over the slice: measured about 23 MiB (docs/reliability.md); about three times that. */
const RSS_GROWTH_MIB = 64;

interface Sample {
  at: number;
  rssMiB: number;
  fds: number;
  listening: number;
  timers: number;
  version: number;
}

describe('soak (scripts/soak.mjs, CI slice)', () => {
  it('reloads and upstream restarts under mixed load leak no fd, timer or listener, and RSS stays bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-soak-'));
    const json = join(dir, 'soak.json');
    try {
      const args = ['--minutes', '0.5', '--rate', '100', '--reload-every', '4', '--churn-every', '12', '--sample-every', '2', '--tolerance', '0', '--json', json];
      const run = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(process.execPath, ['scripts/soak.mjs', ...args], { cwd: REPO_ROOT, timeout: 110_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
        );
      });
      const r = JSON.parse(readFileSync(json, 'utf8')) as {
        baseline: Sample;
        last: Sample;
        samples: Sample[];
        events: Array<{ kind: string }>;
        perProtocol: Array<{ protocol: string; calls: number; outsideChurn: number }>;
        problems: string[];
      };
      expect(r.problems, run.output).toEqual([]);
      const reloads = r.events.filter((e) => e.kind === 'reload').length;
      expect(reloads).toBeGreaterThanOrEqual(6);
      expect(r.events.filter((e) => e.kind === 'restarted').length).toBeGreaterThanOrEqual(2);
      // every reload applied, and the last one (the first config again)
      expect(r.last.version).toBe(r.baseline.version + reloads + 1);
      // no leak: the listeners (one was added and removed by the reloads: each time it answered, and then was refused,
      // or `problems` says so) and the admin API; fds and timers
      expect(r.last.listening).toBe(r.baseline.listening);
      expect(r.last.fds).toBeLessThanOrEqual(r.baseline.fds + 12);
      expect(r.last.timers).toBeLessThanOrEqual(r.baseline.timers + 8);
      // memory: bounded growth
      expect(Math.max(...r.samples.map((s) => s.rssMiB)) - r.baseline.rssMiB).toBeLessThan(RSS_GROWTH_MIB);
      // every protocol was served, and failed only right after an upstream restart
      for (const p of r.perProtocol) {
        expect(p.calls, p.protocol).toBeGreaterThan(100);
        expect(p.outsideChurn, p.protocol).toBe(0);
      }
      expect(run.code, run.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
