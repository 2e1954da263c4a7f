import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Mosn, silentLogger, type Address } from 'mosn';
import { afterEach } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = `${REPO_ROOT}packages/mosn/dist/cli.js`;

/**
 * The path of a command the test needs (nghttp, h2load); when it is missing the test fails saying how to get
 * it (`node scripts/run-tests.mjs` installs nghttp2-client when run as root with apt-get).
 */
export function requireTool(cmd: string, pkg: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const path = `${dir}/${cmd}`;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${cmd} is not installed: this test needs it (apt-get install -y ${pkg}; scripts/run-tests.mjs installs it when run as root)`);
}

/**
 * The path of a command the test needs, installing its Debian packages when it is missing and we are root with
 * apt-get (`apt-get update`, then `apt-get install -y --no-install-recommends <packages>`). When it cannot be had, the
 * reason instead (the caller skips, saying it).
 */
export async function installTool(cmd: string, packages: readonly string[]): Promise<{ path: string } | { missing: string }> {
  const found = () => {
    try {
      return { path: requireTool(cmd, packages.join(' ')) };
    } catch (e) {
      return { missing: (e as Error).message };
    }
  };
  const before = found();
  if ('path' in before) return before;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) return { missing: `${before.missing}; not root, so not installed here` };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) =>
    new Promise<string | undefined>((resolve) => {
      execFile('apt-get', args, { env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => resolve(err ? `apt-get ${args[0]} failed: ${err.message} ${stderr.slice(-500)}` : undefined));
    });
  const failed = (await run(['update', '-qq'])) ?? (await run(['install', '-y', '-qq', '--no-install-recommends', ...packages]));
  const after = found();
  return 'path' in after ? after : { missing: failed ?? after.missing };
}

/** Run a mosn instance in this process on a config object. */
export async function startMosn(config: unknown): Promise<Mosn> {
  const mosn = new Mosn({ config, logger: silentLogger });
  await mosn.start();
  return mosn;
}

/** A test file's cleanups: push a function, and after each test they all run, the last pushed first. */
export function cleanupAfterEach(): Array<() => unknown> {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

/** A mosn in this process on `config`, stopped by `cleanups`; `p` is the port of its listener named `l`. */
export async function startMosnWithCleanup(config: unknown, cleanups: Array<() => unknown>): Promise<{ mosn: Mosn; p: number }> {
  const mosn = await startMosn(config);
  cleanups.push(() => mosn.stop(0));
  return { mosn, p: port(mosn.listenerAddress('l')) };
}

/** Wait until `cond` holds, polling; fails saying `what` (and `detail()`) when it does not within `ms`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, ms: number, what: string, detail?: () => string | Promise<string>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${detail ? `; ${await detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function port(a: Address): number {
  if ('path' in a) throw new Error('not a TCP address');
  return a.port;
}

/** A listener `l` with one `proxy` filter (HTTP/1 unless `downstreamProtocol` says otherwise) and one router `r`, plus the clusters given. */
export function httpProxyConfig(opts: {
  routes: unknown[];
  clusters?: unknown[];
  downstreamProtocol?: string;
  /** The proxy filter's `upstream_protocol` (absent: not set). */
  upstreamProtocol?: string;
  domains?: string[];
  virtualHosts?: unknown[];
  listener?: Record<string, unknown>;
  extendConfig?: unknown;
}): unknown {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [
          {
            router_config_name: 'r',
            virtual_hosts: opts.virtualHosts ?? [{ name: 'vh', domains: opts.domains ?? ['*'], routers: opts.routes }],
          },
        ],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            ...opts.listener,
            filter_chains: [
              {
                filters: [
                  {
                    type: 'proxy',
                    config: {
                      downstream_protocol: opts.downstreamProtocol ?? 'Http1',
                      ...(opts.upstreamProtocol ? { upstream_protocol: opts.upstreamProtocol } : {}),
                      router_config_name: 'r',
                      ...(opts.extendConfig ? { extend_config: opts.extendConfig } : {}),
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    cluster_manager: { clusters: opts.clusters ?? [] },
  };
}

/**
 * One mosn hop, stopped by `cleanups`: listener `l` speaking `downstream`, every request to cluster `c` at
 * 127.0.0.1:upstreamPort spoken to in `upstream`. Returns the listener's port.
 */
export async function proxyHop(downstream: string, upstream: string, upstreamPort: number, cleanups: Array<() => unknown>): Promise<number> {
  const config = httpProxyConfig({
    downstreamProtocol: downstream,
    upstreamProtocol: upstream,
    routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
    clusters: [cluster('c', [`127.0.0.1:${upstreamPort}`])],
  });
  return (await startMosnWithCleanup(config, cleanups)).p;
}

export function cluster(name: string, hosts: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: hosts.map((address) => ({ address })), ...extra };
}

/** A node:http backend on 127.0.0.1:0 that counts its connections. */
export async function httpBackend(handler: http.RequestListener): Promise<{ server: http.Server; address: string; connections: () => number; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  let count = 0;
  server.on('connection', () => count++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as net.AddressInfo;
  return {
    server,
    address: `127.0.0.1:${a.port}`,
    connections: () => count,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http and no agent (a fresh connection each time). */
export function get(p: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: p, path, method: init.method ?? 'GET', headers: init.headers, agent: init.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Write raw bytes on a new connection; resolve with everything read until the server closes (or timeout). */
export function rawExchange(p: number, data: Buffer | string | Array<Buffer | string>, timeoutMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(p, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, timeoutMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => {
      clearTimeout(timer);
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET') resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
      else reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    for (const d of Array.isArray(data) ? data : [data]) s.write(d);
  });
}

/** Spawn the built CLI; resolves once its output says `mosn started` (or rejects if it exits first). */
export function spawnMosn(args: string[], cwd = REPO_ROOT): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosn did not start in 15 s:\n${out}`)), 15_000);
    const check = () => {
      if (out.includes('mosn started')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        resolve({ child, output: () => out, exited });
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mosn exited with ${code} before starting:\n${out}`));
    });
  });
}

/** Whether a process id is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process id a pid file holds. */
export function pidIn(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

/** At cleanup, stop the process a pid file names (one a hot upgrade started: detached, not a child of the test). */
export function stopPidFileAtCleanup(pidFile: string, cleanups: Array<() => unknown>): void {
  cleanups.push(async () => {
    let pid: number;
    try {
      pid = pidIn(pidFile);
    } catch {
      return;
    }
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
}
