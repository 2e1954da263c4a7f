import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, get, httpProxyConfig } from './helpers.js';

// Signals have MOSN's meanings in a mosn process, never Node's defaults (SIGUSR1 would open the inspector,
// SIGHUP and SIGUSR2 would end the process without a log line). SIGUSR2's hot upgrade: upgrade.test.ts.

const dirs: string[] = [];
const children: Array<{ kill: (s: NodeJS.Signals) => boolean }> = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until<T>(f: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A mosn process logging to a file; resolves with the port of its listener once it has started. */
async function startLoggingToFile() {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-signals-'));
  dirs.push(dir);
  const log = join(dir, 'mosn.log');
  const config = httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'up' } }] }) as { servers: Array<Record<string, unknown>> };
  Object.assign(config.servers[0]!, { default_log_path: log, default_log_level: 'INFO' });
  const file = join(dir, 'mosn.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, 'start', '-c', file], { cwd: REPO_ROOT, stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await until(() => {
    const m = existsSync(log) ? /"l@127\.0\.0\.1:(\d+)"/.exec(readFileSync(log, 'utf8')) : null;
    return m ? Number(m[1]) : undefined;
  }, 15_000, 'mosn to start');
  return { child, log, port, exited, text: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

describe('signals with MOSN meanings', () => {
  it('SIGUSR1 reopens the log file after a rotation and opens no inspector (SIGUSR2: upgrade.test.ts)', async () => {
    const m = await startLoggingToFile();
    const inspectorFree = await refused(9229);
    // log rotation: the file is moved away, then mosn is told to reopen its log
    renameSync(m.log, `${m.log}.1`);
    m.child.kill('SIGUSR1');
    await until(() => (m.text().includes('log file reopened') ? true : undefined), 5000, 'the reopened log file');
    expect(readFileSync(`${m.log}.1`, 'utf8')).toContain('mosn started');
    if (inspectorFree) expect(await refused(9229), 'SIGUSR1 must not open the inspector').toBe(true);

    expect((await get(m.port, '/')).body).toBe('up');

    m.child.kill('SIGTERM');
    expect(await m.exited).toBe(0);
    expect(m.text()).toContain('mosn stopped');
  });

  it('SIGHUP with an unchanged file applies nothing and keeps serving; SIGINT drains and exits 0', async () => {
    const m = await startLoggingToFile();
    m.child.kill('SIGHUP');
    await until(() => (m.text().includes('nothing changed') ? true : undefined), 5000, 'the reload line');
    expect((await get(m.port, '/')).body).toBe('up');
    m.child.kill('SIGINT');
    expect(await m.exited).toBe(0);
  });
});

describe('mosn validate', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it('takes the file as its argument (it used to validate the default config instead)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-validate-'));
    dirs.push(dir);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ servers: [{ listeners: [{ name: 'l', address: 'nowhere', filter_chains: [] }] }] }));
    const r = run(['validate', broken]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${broken}: servers[0].listeners[0].address`);
    expect(run(['validate', `${REPO_ROOT}configs/mosn_config.json`]).status).toBe(0);
  });

  it('refuses arguments it would not use', () => {
    const both = run(['validate', 'a.json', '-c', 'b.json']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('unexpected argument "a.json"');
    const start = run(['start', 'my.json']);
    expect(start.status).toBe(2);
    expect(start.stderr).toContain('give the config with -c');
  });
});
