import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, httpBackend } from '../helpers.js';
import { KeepAliveClient, answeredBy, mosnJson, pathRouter, probeHttp, proxyListener, runCli, runLoad, startMosnProcess, waitUntil, type MosnProcess } from './support.js';

/*
 * The ways to ask a running mosn (its own process) to re-read its config file: `mosn reload -c <file>` (through
 * the admin API, or SIGHUP to the pid in the config's `pid` file), `POST /api/v1/reload`, and `kill -HUP`; and
 * what each says when the file is broken. config_dump shows the running config, not the file mosn started with.
 */

const cleanups = cleanupAfterEach();

interface Fixture {
  mosn: MosnProcess;
  port: number;
  /** Backend A (cluster c1), B (cluster c2, only in `moved`). */
  a: string;
  b: string;
  /** The start config: route → c1 (A). */
  start: Record<string, unknown>;
  /** Cluster c2 added, the route moved to it (B). */
  moved: Record<string, unknown>;
  /** A route to an undefined cluster and an unknown lb_type: two errors. */
  broken: Record<string, unknown>;
}

/** The paths of the two errors in `broken`. */
const BROKEN_PATHS = ['cluster_manager.clusters[0].lb_type', 'servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name'];

async function setup(opts: { noAdmin?: boolean; pid?: string } = {}): Promise<Fixture> {
  const backends = await Promise.all(['A', 'B'].map((name) => httpBackend((req, res) => req.resume().on('end', () => res.end(name)))));
  for (const b of backends) cleanups.push(b.close);
  const [a, b] = backends.map((x) => x.address) as [string, string];
  const admin = await closedPort();
  const port = await closedPort();
  const common = { admin, listeners: [proxyListener('l', port, 'Http1', 'r')], ...(opts.noAdmin ? { noAdmin: true } : {}), ...(opts.pid ? { pid: opts.pid } : {}) };
  const start = mosnJson({ ...common, routers: [pathRouter('r', 'c1')], clusters: [cluster('c1', [a])] });
  const moved = mosnJson({ ...common, routers: [pathRouter('r', 'c2')], clusters: [cluster('c1', [a]), cluster('c2', [b])] });
  const broken = mosnJson({ ...common, routers: [pathRouter('r', 'nope')], clusters: [cluster('c1', [a], { lb_type: 'LB_NOPE' })] });
  const mosn = await startMosnProcess(start, cleanups);
  expect(await probeHttp(port, '/', 2000)).toEqual({ status: 200, body: 'A' });
  return { mosn, port, a, b, start, moved, broken };
}

/** `text` with a syntax error at a known place: a key with no value inserted as line 4. */
function invalidJson(config: unknown): { text: string; line: number; column: number } {
  const lines = JSON.stringify(config, null, 2).split('\n');
  const bad = '      "oops": ,';
  lines.splice(3, 0, bad);
  return { text: lines.join('\n'), line: 4, column: bad.indexOf(',') + 1 };
}

describe('mosn reload -c <file>', () => {
  it('prints the changes and exits 0; config_dump then shows the new config, not the start file', async () => {
    const fx = await setup();
    fx.mosn.write(fx.moved);
    const r = await runCli(['reload', '-c', fx.mosn.file]);
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version: 2, changes: ['cluster add c2', 'router update r'], failed: [] });
    expect(await probeHttp(fx.port, '/', 2000), 'the new route serves').toEqual({ status: 200, body: 'B' });
    const dump = await fx.mosn.configDump();
    expect(dump, 'config_dump is the applied config').toEqual(fx.moved);
    expect(dump).not.toEqual(fx.start);
    const stats = await fx.mosn.stats();
    expect([stats['config.version'], stats['config.apply_total'], stats['config.apply_failed'] ?? 0]).toEqual([2, 1, 0]);
  });

  it('with a broken file: prints the problems with their JSON paths and exits 1; nothing changes', async () => {
    const fx = await setup();
    const mark = fx.mosn.output().length;
    fx.mosn.write(fx.broken);
    const r = await runCli(['reload', '-c', fx.mosn.file]);
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(1);
    const answer = JSON.parse(r.stdout) as { problems: Array<{ path: string; message: string }> };
    expect(answer.problems.map((p) => p.path).sort()).toEqual(BROKEN_PATHS);
    expect(answer.problems.find((p) => p.path === BROKEN_PATHS[1])?.message).toMatch(/cluster "nope" is not defined/);
    // mosn logged them too, and serves on with the running config
    for (const path of BROKEN_PATHS) await fx.mosn.waitLog((l) => l.level >= 50 && l.msg.includes(path), mark, 2000, `the error at ${path} in mosn's log`);
    expect(await probeHttp(fx.port, '/', 2000)).toEqual({ status: 200, body: 'A' });
    expect(await fx.mosn.configDump()).toEqual(fx.start);
    const stats = await fx.mosn.stats();
    expect([stats['config.version'], stats['config.apply_failed']]).toEqual([1, 1]);
  });

  it('with a file that is not valid JSON: exits 1 saying line and column; mosn is not asked', async () => {
    const fx = await setup();
    const bad = invalidJson(fx.moved);
    fx.mosn.writeText(bad.text);
    const r = await runCli(['reload', '-c', fx.mosn.file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`line ${bad.line}, column ${bad.column}`);
    const stats = await fx.mosn.stats();
    expect([stats['config.version'], stats['config.apply_failed'] ?? 0]).toEqual([1, 0]);
    expect(await probeHttp(fx.port, '/', 2000)).toEqual({ status: 200, body: 'A' });
  });

  it('on a config without an admin API: sends SIGHUP to the pid in its pid file, exits 0, and mosn applies the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-reload-pid-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pidFile = join(dir, 'mosn.pid');
    const fx = await setup({ noAdmin: true, pid: pidFile });
    await waitUntil(() => existsSync(pidFile), 3000, 'mosn writes its pid file');
    expect(Number(readFileSync(pidFile, 'utf8').trim())).toBe(fx.mosn.pid);
    const mark = fx.mosn.output().length;
    fx.mosn.write(fx.moved);
    const r = await runCli(['reload', '-c', fx.mosn.file]);
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`sent SIGHUP to mosn (pid ${fx.mosn.pid})`);
    const applied = await fx.mosn.waitLog((l) => l.msg === 'config version 2 applied', mark, 3000, 'the apply in the log');
    expect(applied.changes).toEqual(['cluster add c2', 'router update r']);
    expect(await probeHttp(fx.port, '/', 2000)).toEqual({ status: 200, body: 'B' });
  });
});

describe('POST /api/v1/reload', () => {
  it('answers 200 with the version and the changes, or 400 with the problems (nothing changed)', async () => {
    const fx = await setup();
    fx.mosn.write(fx.broken);
    const refused = await fx.mosn.admin('POST', '/api/v1/reload');
    expect(refused.status).toBe(400);
    expect((refused.body.problems as Array<{ path: string }>).map((p) => p.path).sort()).toEqual(BROKEN_PATHS);
    expect(await probeHttp(fx.port, '/', 2000)).toEqual({ status: 200, body: 'A' });

    fx.mosn.write(fx.moved);
    const ok = await fx.mosn.admin('POST', '/api/v1/reload');
    expect(ok).toEqual({ status: 200, body: { version: 2, changes: ['cluster add c2', 'router update r'], failed: [] } });
    expect(await probeHttp(fx.port, '/', 2000)).toEqual({ status: 200, body: 'B' });

    // the same file again: applied, nothing changed, same version
    expect(await fx.mosn.admin('POST', '/api/v1/reload')).toEqual({ status: 200, body: { version: 2, changes: [], failed: [] } });
    const stats = await fx.mosn.stats();
    expect([stats['config.version'], stats['config.apply_total'], stats['config.apply_failed']]).toEqual([2, 2, 1]);
    expect(await fx.mosn.configDump()).toEqual(fx.moved);
  });
});

describe('kill -HUP', () => {
  it('with a file that is now invalid JSON: mosn keeps serving, logs line and column, counts the failure; a fixed file then applies', async () => {
    const fx = await setup();
    // a little keep-alive traffic across both signals (bounded)
    const client = new KeepAliveClient(fx.port);
    cleanups.push(() => client.destroy());
    const load = runLoad('http', 1, () => client.get('/'), { maxPerLane: 20_000, maxMs: 30_000 });
    cleanups.push(() => load.stop());
    await waitUntil(() => load.samples.length >= 10, 5000, 'traffic flows');

    const bad = invalidJson(fx.moved);
    fx.mosn.writeText(bad.text);
    const h = fx.mosn.hup();
    const line = await fx.mosn.waitLog((l) => l.level >= 50 && l.msg.includes('not valid JSON'), h.mark, 3000, 'the parse error in the log');
    expect(line.msg).toContain(`at line ${bad.line}, column ${bad.column}`);
    expect(line.msg, 'the log shows the line').toContain(bad.text.split('\n')[bad.line - 1]!.trim());
    await fx.mosn.waitStats((s) => s['config.apply_failed'] === 1, 3000, 'config.apply_failed 1');
    await sleep(300);
    expect((await fx.mosn.stats())['config.version']).toBe(1);
    expect(answeredBy(load, h.at), 'still served by A').toEqual({ A: expect.any(Number) });
    expect(await fx.mosn.configDump()).toEqual(fx.start);
    expect(fx.mosn.running()).toBe(true);

    fx.mosn.write(fx.moved);
    const h2 = fx.mosn.hup();
    await fx.mosn.waitStats((s) => s['config.version'] === 2, 3000, 'the fixed file applied');
    await waitUntil(() => (answeredBy(load, h2.at + 1000).B ?? 0) >= 10, 5000, 'served by B after the fixed file').catch(() => undefined);
    await load.stop();
    expect(load.failures, 'no request failed').toEqual([]);
    expect(answeredBy(load, h2.at + 1000), 'served by B only, 1 s after the fixed file').toEqual({ B: expect.any(Number) });
    expect({ sockets: client.sockets, closes: client.closes }, 'one keep-alive connection throughout').toEqual({ sockets: 1, closes: 0 });
  });
});
