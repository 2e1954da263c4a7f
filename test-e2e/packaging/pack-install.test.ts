import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, REPO_ROOT, waitUntil } from '../helpers.js';
import { apiLists } from './api-lists.js';

// The packages as a user gets them before they are published: `pnpm pack` of each (pnpm rewrites the `workspace:`
// ranges into versions; `npm pack` would leave them, and npm cannot install those), then `npm install` of the
// tarballs into empty projects outside the repository, each with only the tarballs it needs (the @mosn ones it
// depends on are not on npm yet; third-party dependencies come from the npm registry, or npm's own cache). The
// scripts in ./consumer run there and check their outcome themselves. Nothing is kept between runs.

const PNPM = ['-y', 'pnpm@10.34.8'];
const CONSUMER = join(REPO_ROOT, 'test-e2e/packaging/consumer');
const dir = mkdtempSync(join(tmpdir(), 'mosn-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a user's shell: nothing of the repository's (pnpm's and vitest's variables, its .bin on PATH). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|VITEST|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$|TEST$)/i.test(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(':').filter((p) => !p.startsWith(REPO_ROOT.replace(/\/$/, ''))).join(':');
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A package's tarball (packed in beforeAll), by its folder under packages/. */
const tarballs = new Map<string, string>();
const packages = readdirSync(join(REPO_ROOT, 'packages')).filter((d) => existsSync(join(REPO_ROOT, 'packages', d, 'package.json')));

beforeAll(() => {
  for (const p of packages) {
    if (!existsSync(join(REPO_ROOT, 'packages', p, 'dist/index.js'))) throw new Error(`packages/${p}/dist is missing: build first (npx tsc -b)`);
  }
  const out = join(dir, 'tarballs');
  mkdirSync(out);
  run('npx', [...PNPM, '-r', '--filter', './packages/*', 'pack', '--pack-destination', out], REPO_ROOT);
  for (const p of packages) {
    const { name, version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', p, 'package.json'), 'utf8')) as { name: string; version: string };
    const file = join(out, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
    if (!existsSync(file)) throw new Error(`pnpm pack made no ${file}`);
    tarballs.set(p, file);
  }
}, 120_000);

/**
 * An empty npm project with the tarballs of `pkgs` installed; returns its folder and npm's warnings. `offline`: the
 * packages need nothing from the registry (npm fails if they do); otherwise npm's cache is used when it has a package.
 */
function project(name: string, pkgs: string[], { offline }: { offline: boolean }): { cwd: string; warnings: string[] } {
  const cwd = join(dir, name);
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
  const flags = [offline ? '--offline' : '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'];
  const r = run('npm', ['install', ...flags, ...pkgs.map((p) => tarballs.get(p)!)], cwd);
  const warnings = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /\bwarn/i.test(l));
  return { cwd, warnings };
}

/** Run one of ./consumer's scripts inside a project. */
function consumerScript(cwd: string, script: string, args: string[] = []): string {
  copyFileSync(join(CONSUMER, script), join(cwd, script));
  return run(process.execPath, [script, ...args], cwd, 30_000).stdout;
}

describe('pnpm pack, then npm install into an empty project', () => {
  it('every tarball holds dist, src without tests, the README, and versions where the workspace had workspace: ranges', () => {
    for (const [p, file] of tarballs) {
      const files = run('tar', ['-tzf', file], dir).stdout.split('\n').filter(Boolean);
      expect(files, p).toEqual(expect.arrayContaining(['package/package.json', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/src/index.ts']));
      expect(files.filter((f) => /\.test\.|\/node_modules\/|tsbuildinfo/.test(f)), p).toEqual([]);
      const pkg = JSON.parse(run('tar', ['-xzOf', file, 'package/package.json'], dir).stdout) as Record<string, Record<string, string> | undefined>;
      const ranges = { ...pkg.dependencies, ...pkg.peerDependencies };
      expect(Object.entries(ranges).filter(([, v]) => v.startsWith('workspace:')), p).toEqual([]);
      for (const [dep, range] of Object.entries(ranges)) if (dep === 'mosn' || dep.startsWith('@mosn/')) expect(range, `${p}: ${dep}`).toMatch(/^\^?\d+\.\d+\.\d+$/);
    }
  });

  it('@mosn/net alone: a listener accepts a TCP connection', () => {
    const { cwd, warnings } = project('net', ['net'], { offline: true });
    expect(warnings).toEqual([]);
    expect(readdirSync(join(cwd, 'node_modules/@mosn'))).toEqual(['net']);
    expect(consumerScript(cwd, 'net-accepts.mjs')).toContain('accepted 1 connection');
  });

  it('@mosn/protocol + @mosn/protocol-bolt: a golden Bolt frame decodes and re-encodes to its bytes', () => {
    const { cwd, warnings } = project('bolt', ['net', 'protocol', 'protocol-bolt'], { offline: true });
    expect(warnings).toEqual([]);
    expect(consumerScript(cwd, 'bolt-decodes.mjs', [join(REPO_ROOT, 'fixtures/golden-frames.json')])).toContain('decoded request 1 for com.alipay.test.TestService:1.0');
  });

  it('@mosn/stream: an HTTP/1 request is parsed and answered', () => {
    // undici (its llhttp wasm build is the HTTP/1 parser's fallback) comes from the registry or npm's cache
    const { cwd, warnings } = project('stream', ['net', 'protocol', 'stream'], { offline: false });
    expect(warnings).toEqual([]);
    expect(consumerScript(cwd, 'stream-parses.mjs')).toContain('parsed POST /orders?id=7');
  });

  describe('mosn with every package', () => {
    let cwd = '';
    let warnings: string[] = [];
    beforeAll(() => {
      ({ cwd, warnings } = project('mosn', packages, { offline: false }));
    }, 240_000);

    it('installs with no warning about a package of ours', () => {
      expect(warnings.filter((w) => /mosn/i.test(w))).toEqual([]);
    });

    it("each installed package exports at run time exactly the values its api/ list names", () => {
      const lists = apiLists();
      const exported = JSON.parse(consumerScript(cwd, 'exports.mjs', [...lists.keys()])) as Record<string, string[]>;
      expect(Object.keys(exported).sort()).toEqual([...lists.keys()].sort());
      for (const [specifier, { values }] of lists) expect(exported[specifier], specifier).toEqual(values);
    });

    it('npx mosn start serves a direct_response through a filter package and its admin page, and a SIGTERM stops it', async () => {
      copyFileSync(join(CONSUMER, 'mosn.json'), join(cwd, 'mosn.json'));
      const child = spawn('npx', ['mosn', 'start', '-c', 'mosn.json'], { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let pid = 0;
      try {
        // the log line `mosn started` names the listener's port (the config asks for port 0) and mosn's pid
        let started: RegExpExecArray | null = null;
        await waitUntil(() => (started = /"pid":(\d+),"listeners":\["l@127\.0\.0\.1:(\d+)"\],"msg":"mosn started"/.exec(out)) !== null, 20_000, 'mosn started', () => out);
        const [, mosnPid, port] = started!.map(Number) as [number, number, number];
        pid = mosnPid;
        const refused = await get(port, '/orders'); // @mosn/filter-example's require_header, loaded by the config
        expect([refused.status, refused.body]).toEqual([403, 'header x-tenant is required\n']);
        const answered = await get(port, '/orders', { headers: { 'x-tenant': 'acme' } });
        expect([answered.status, answered.body]).toEqual([200, 'hello from an installed mosn']);
        // the admin page is a file of the package (assets/), not of dist/
        const adminPort = Number(/"address":"127\.0\.0\.1:(\d+)","msg":"admin API listening"/.exec(out)?.[1]);
        const page = await get(adminPort, '/admin');
        expect([page.status, /<title>mosn admin<\/title>/.test(page.body)]).toEqual([200, true]);
        process.kill(pid, 'SIGTERM'); // mosn drains and exits 0, and npx with it
        expect(await exited).toBe(0);
        pid = 0;
        expect(out).toContain('"msg":"mosn stopped"');
      } finally {
        // after a failure: mosn (npx's grandchild, under a shell) and npx
        try {
          if (pid !== 0) process.kill(pid, 'SIGKILL');
        } catch {
          // it had exited
        }
        child.kill('SIGKILL');
      }
    }, 60_000);
  });
});
