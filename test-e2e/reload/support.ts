import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { ApplyResult } from 'mosn';
import { CLI, REPO_ROOT, waitUntil } from '../helpers.js';

// Shared harness of the live-reconfiguration tests: mosn as its own process on a config file that the test
// rewrites and then signals (SIGHUP) or reloads (`mosn reload`, `POST /api/v1/reload`); its admin API; the
// results of the in-process API (`mosn.apply` and the section calls); MOSN JSON builders; bounded load loops
// that record who answered each request; HTTP/1 and HTTP/2 helpers; gates that hold backend responses in
// flight until the test lets them go. Ports, clusters and plain backends come from ../helpers.ts.

// ---------------------------------------------------------------------------------------------------------
// MOSN JSON

/** A listener `name` on 127.0.0.1:`port` (0: any free port) with one `proxy` filter. */
export function proxyListener(name: string, port: number, downstream: string, router: string, extra: { upstream?: string | undefined } = {}): Record<string, unknown> {
  return {
    name,
    address: `127.0.0.1:${port}`,
    bind_port: true,
    filter_chains: [
      {
        filters: [
          {
            type: 'proxy',
            config: { downstream_protocol: downstream, ...(extra.upstream ? { upstream_protocol: extra.upstream } : {}), router_config_name: router },
          },
        ],
      },
    ],
  };
}

/** A router with one virtual host for every domain. */
export function router(name: string, routes: unknown[]): Record<string, unknown> {
  return { router_config_name: name, virtual_hosts: [{ name: 'vh', domains: ['*'], routers: routes }] };
}

/** A route sending `prefix` to `cluster`. */
export function toCluster(prefix: string, cluster: string): unknown {
  return { match: { prefix }, route: { cluster_name: cluster } };
}

/** A route answering `prefix` itself with `body`. */
export function direct(prefix: string, body: string): unknown {
  return { match: { prefix }, direct_response: { status: 200, body } };
}

/** An HTTP router: every path to `cluster`. */
export function pathRouter(name: string, cluster: string): Record<string, unknown> {
  return router(name, [toCluster('/', cluster)]);
}

/** An RPC router (Bolt, Dubbo): every service to `cluster`. */
export function serviceRouter(name: string, cluster: string): Record<string, unknown> {
  return router(name, [{ match: { headers: [{ name: 'service', value: '.*', regex: true }] }, route: { cluster_name: cluster } }]);
}

/** A whole MOSN config: `servers[0]` (log to stderr at ERROR) with these routers and listeners (plus `server` keys), the clusters, and `top` keys. */
export function mosnConfig(o: { routers: unknown[]; listeners: unknown[]; clusters: unknown[]; server?: Record<string, unknown>; top?: Record<string, unknown> }): Record<string, unknown> {
  return {
    servers: [{ default_log_path: 'stderr', default_log_level: 'ERROR', ...o.server, routers: o.routers, listeners: o.listeners }],
    cluster_manager: { clusters: o.clusters },
    ...o.top,
  };
}

/** A whole MOSN config for mosn as its own process: logs at INFO (`mosn started`), graceful_timeout 10s, the admin API on `admin`. */
export function mosnJson(o: {
  admin: number;
  routers: unknown[];
  listeners: unknown[];
  clusters: unknown[];
  gracefulTimeout?: string;
  logLevel?: string;
  pid?: string;
  noAdmin?: boolean;
}): Record<string, unknown> {
  return mosnConfig({
    routers: o.routers,
    listeners: o.listeners,
    clusters: o.clusters,
    server: { default_log_level: o.logLevel ?? 'INFO', graceful_timeout: o.gracefulTimeout ?? '10s' },
    top: {
      ...(o.noAdmin ? {} : { admin: { address: { socket_address: { address: '127.0.0.1', port_value: o.admin } } } }),
      ...(o.pid ? { pid: o.pid } : {}),
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// mosn in this process: the results of `mosn.apply` and the section calls

/** The steps of an applied result as `kind op name` strings (fails the test, with the problems, when it was refused). */
export function stepsOf(r: ApplyResult): string[] {
  if (!r.ok) throw new Error(`the change was refused: ${JSON.stringify(r.problems)}`);
  if (r.failed.length > 0) throw new Error(`steps failed: ${r.failed.map((f) => `${f.change.kind} ${f.change.op} ${f.change.name}: ${f.error.message}`).join('; ')}`);
  return r.changes.map((c) => `${c.kind} ${c.op} ${c.name}`);
}

/** The soft limit of open files of this process (from /proc/self/limits; Infinity when unlimited or unknown). */
export function openFilesLimit(): number {
  try {
    const m = /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m || m[1] === 'unlimited') return Infinity;
    return Number(m[1]);
  } catch {
    return Infinity;
  }
}

// ---------------------------------------------------------------------------------------------------------
// mosn as its own process

/** One pino log line of mosn, parsed. */
export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface MosnProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The config file mosn was started with (`-c`): rewrite it, then `hup()`. */
  readonly file: string;
  /** A scratch directory for this process (removed at cleanup). */
  readonly dir: string;
  readonly adminPort: number;
  /** Everything mosn wrote to stdout and stderr so far. */
  output(): string;
  /** Everything mosn wrote to stderr so far. */
  stderr(): string;
  /** mosn's log lines (pino JSON) from output offset `from` on. */
  logs(from?: number): LogLine[];
  readonly exited: Promise<number | null>;
  /** Still running (no exit seen). */
  running(): boolean;
  /** Rewrite the config file (pretty JSON, so that a syntax error has a line and a column). */
  write(config: unknown): void;
  writeText(text: string): void;
  /** `kill -HUP`: returns the time it was sent and the output offset at that moment. */
  hup(): { at: number; mark: number };
  stats(): Promise<Record<string, number>>;
  configDump(): Promise<unknown>;
  /** Admin API request: status and JSON body. */
  admin(method: string, path: string): Promise<{ status: number; body: any }>;
  /** Poll the stats until `cond` holds; reject after `ms` naming `what` with the last stats. */
  waitStats(cond: (s: Record<string, number>) => boolean, ms: number, what: string): Promise<Record<string, number>>;
  /** Wait for a log line (from output offset `from`) for which `pred` holds. */
  waitLog(pred: (l: LogLine) => boolean, from: number, ms: number, what: string): Promise<LogLine>;
  /** The end of the output, for failure messages. */
  tail(chars?: number): string;
  /** SIGTERM; SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function parseLogs(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut in two by a chunk boundary, or not a log line
    }
  }
  return out;
}

/** End `child`: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function endProcess(child: ChildProcess, exited: Promise<unknown>, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!gone && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(5000)]);
  }
}

/**
 * Write `config` to a fresh file and run `mosn start -c <file>` from the built CLI; resolves once its log says
 * `mosn started`. The process is ended (SIGTERM, then SIGKILL) and the file removed by `cleanups`, also when
 * it never started. `parent`: the folder the file's own folder is made in (default: the system's temp folder);
 * a config that names packages (`third_part_codec`, `third_part_stream_filter`) needs one they resolve from.
 * `env`: variables added to this process's environment for mosn; `nodeArgs`: node options before the CLI.
 */
export async function startMosnProcess(
  config: Record<string, unknown>,
  cleanups: Array<() => unknown>,
  opts: { adminPort?: number; parent?: string; env?: Record<string, string>; nodeArgs?: string[]; args?: string[]; startedLine?: string } = {},
): Promise<MosnProcess> {
  const dir = mkdtempSync(join(opts.parent ?? tmpdir(), 'mosn-reload-'));
  const file = join(dir, 'mosn.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'start', '-c', file, ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    const s = c.toString();
    out += s;
    err += s;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      r(exitCode);
    }),
  );
  cleanups.push(async () => {
    await endProcess(child, exited);
    rmSync(dir, { recursive: true, force: true });
  });
  const adminFromConfig = ((config.admin as any)?.address?.socket_address?.port_value as number | undefined) ?? 0;
  const adminPort = opts.adminPort ?? adminFromConfig;

  // started: its log says so (at INFO), or its admin API says it is running (any log level)
  const adminSaysRunning = async () => {
    if (!adminPort) return false;
    try {
      // MOSN's answer: pid=<pid>&state=<number>&...; 6 is Running
      const r = await fetch(`http://127.0.0.1:${adminPort}/api/v1/states`);
      return /(^|&)state=6(&|\n|$)/.test(await r.text());
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 15_000;
  const started = opts.startedLine ?? 'mosn started';
  while (!out.includes(started) && !(await adminSaysRunning())) {
    if (exitCode !== undefined) throw new Error(`mosn exited with ${exitCode} before starting:\n${out}`);
    if (Date.now() > deadline) throw new Error(`mosn did not start in 15 s:\n${out}`);
    await sleep(20);
  }

  const admin = async (method: string, path: string) => {
    const r = await fetch(`http://127.0.0.1:${adminPort}${path}`, { method });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: r.status, body: body as any };
  };
  const p: MosnProcess = {
    child,
    pid: child.pid!,
    file,
    dir,
    adminPort,
    output: () => out,
    stderr: () => err,
    logs: (from = 0) => parseLogs(out.slice(from)),
    exited,
    running: () => exitCode === undefined,
    write: (c) => writeFileSync(file, JSON.stringify(c, null, 2)),
    writeText: (t) => writeFileSync(file, t),
    hup: () => {
      const mark = out.length;
      const at = Date.now();
      child.kill('SIGHUP');
      return { at, mark };
    },
    stats: async () => (await admin('GET', '/api/v1/stats')).body as Record<string, number>,
    configDump: async () => (await admin('GET', '/api/v1/config_dump')).body,
    admin,
    waitStats: async (cond, ms, what) => {
      const end = Date.now() + ms;
      let last: Record<string, number> = {};
      for (;;) {
        last = (await admin('GET', '/api/v1/stats')).body as Record<string, number>;
        if (cond(last)) return last;
        if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; stats: ${JSON.stringify(last)}\nmosn output (end):\n${out.slice(-3000)}`);
        await sleep(20);
      }
    },
    waitLog: async (pred, from, ms, what) => {
      const end = Date.now() + ms;
      for (;;) {
        const hit = parseLogs(out.slice(from)).find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`${what}: no such log line within ${ms} ms; mosn output since:\n${out.slice(from).slice(-4000)}`);
        await sleep(10);
      }
    },
    tail: (chars = 4000) => out.slice(-chars),
    stop: (graceMs = 5000) => endProcess(child, exited, graceMs),
  };
  return p;
}

/** Run the built CLI to its end: exit code, stdout, stderr (never throws on a non-zero exit). */
export function runCli(args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as any).code === 'number' ? ((error as any).code as number) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Load: lanes of back-to-back calls, each recording who answered

/** One answered call: its lane, when it was sent and answered, and who (which backend) answered. */
export interface Sample {
  lane: number;
  sentAt: number;
  doneAt: number;
  who: string;
}

export interface Failure {
  lane: number;
  sentAt: number;
  doneAt: number;
  error: string;
}

export interface Load {
  readonly name: string;
  readonly samples: Sample[];
  readonly failures: Failure[];
  /** Calls made (answered or failed). */
  requests(): number;
  /** Stop every lane (each finishes its current call) and wait for them. */
  stop(): Promise<void>;
  /** Every lane has ended (stopped, or reached its bound in count or time). */
  readonly ended: Promise<void>;
}

/**
 * `lanes` loops, each calling `call(lane)` back to back until stopped, `maxPerLane` calls, or `maxMs` have
 * passed (every load is bounded in count and time). `call` resolves with who answered; a rejection is a failure.
 */
export function runLoad(name: string, lanes: number, call: (lane: number) => Promise<string>, opts: { maxPerLane?: number; maxMs?: number } = {}): Load {
  const maxPerLane = opts.maxPerLane ?? 100_000;
  const deadline = Date.now() + (opts.maxMs ?? 120_000);
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  let stopped = false;
  let count = 0;
  const lane = async (i: number) => {
    for (let n = 0; n < maxPerLane && !stopped && Date.now() < deadline; n++) {
      const sentAt = Date.now();
      count++;
      try {
        const who = await call(i);
        samples.push({ lane: i, sentAt, doneAt: Date.now(), who });
      } catch (e) {
        failures.push({ lane: i, sentAt, doneAt: Date.now(), error: (e as Error).message ?? String(e) });
        // a failing lane must not spin: the failure is recorded, the load goes on
        await sleep(5);
      }
    }
  };
  const ended = Promise.all(Array.from({ length: lanes }, (_, i) => lane(i))).then(() => undefined);
  return {
    name,
    samples,
    failures,
    requests: () => count,
    ended,
    stop: async () => {
      stopped = true;
      await ended;
    },
  };
}

/** Who answered the calls of `load` sent in [from, to): counts by name. */
export function answeredBy(load: Load, from: number, to = Infinity): Record<string, number> {
  return countWho(load.samples.filter((s) => s.sentAt >= from && s.sentAt < to));
}

function countWho(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) out[s.who] = (out[s.who] ?? 0) + 1;
  return out;
}

/**
 * The behaviour check after a change sent at `at`: wait until `load` has answers to calls sent at least
 * `withinMs` after it (at least `min` of them, and 300 ms worth), then return what is wrong, if anything:
 * calls sent after `at + withinMs` answered by someone other than `expected`, or a lane that went back to an
 * old backend after `expected` had answered it (the switch must be clean: a request is routed by the old
 * table or by the new one).
 */
export async function switchProblems(load: Load, at: number, expected: string, withinMs = 1000, min = 20): Promise<string[]> {
  const from = at + withinMs;
  await waitUntil(
    () => Date.now() > from + 300 && load.samples.filter((s) => s.sentAt >= from).length >= min,
    15_000,
    `${load.name}: ${min} answers to calls sent more than ${withinMs} ms after the change`,
    () => `answers since the change: ${JSON.stringify(answeredBy(load, at))}; failures: ${load.failures.length}`,
  );
  const problems: string[] = [];
  const late = load.samples.filter((s) => s.sentAt >= from);
  const wrong = late.filter((s) => s.who !== expected);
  if (wrong.length > 0) {
    problems.push(
      `${load.name}: ${wrong.length} of ${late.length} calls sent more than ${withinMs} ms after the change were answered by ${JSON.stringify(countWho(wrong))}, not ${expected}; first: sent ${wrong[0]!.sentAt - at} ms after the change`,
    );
  }
  const lanes = new Map<number, Sample[]>();
  for (const s of load.samples) if (s.sentAt >= at) (lanes.get(s.lane) ?? lanes.set(s.lane, []).get(s.lane)!).push(s);
  for (const [lane, list] of lanes) {
    list.sort((a, b) => a.sentAt - b.sentAt);
    const first = list.findIndex((s) => s.who === expected);
    if (first < 0) continue;
    const back = list.slice(first).find((s) => s.who !== expected);
    if (back) problems.push(`${load.name} lane ${lane}: answered by ${expected} (sent ${list[first]!.sentAt - at} ms after the change), then again by ${back.who} (sent ${back.sentAt - at} ms after it)`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP/1: backends, keep-alive lanes, probes

/** Listen on 127.0.0.1:0; resolves with the port. */
async function listenLocal(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/**
 * A node:http backend on 127.0.0.1:0 answering `<name> <path>`. A request whose path starts with `/hold` is held
 * (nothing is written) until `release()`; `held()` counts the requests waiting. `GET /health` answers
 * `healthStatus` (default 200) with no body. It counts the TCP connections it accepted and those still open.
 */
export interface HeldBackend {
  name: string;
  address: string;
  port: number;
  /** Connections accepted so far. */
  connections: () => number;
  /** Connections open now. */
  open: () => number;
  /** Requests received so far (health checks, `GET /health`, not counted). */
  requests: () => number;
  /** Health checks (`GET /health`) received so far. */
  checks: () => number;
  /** Requests held now. */
  held: () => number;
  /** Answer every held request (and those that arrive later answer at once). */
  release: () => void;
  close: () => Promise<void>;
}

export async function heldBackend(name: string, opts: { healthStatus?: number } = {}): Promise<HeldBackend> {
  const gate = new Gate();
  let accepted = 0;
  let requests = 0;
  let checks = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      checks++;
      res.writeHead(opts.healthStatus ?? 200, { 'content-length': '0' });
      res.end();
      return;
    }
    requests++;
    const answer = () => {
      const body = `${name} ${req.url}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    // read the request body (if any) before answering
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/hold')) void gate.pass().then(answer);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listenLocal(server);
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    connections: () => accepted,
    open: () => sockets.size,
    requests: () => requests,
    checks: () => checks,
    held: () => gate.waiting,
    release: () => gate.open(),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The client socket the request went on (to tell whether a keep-alive connection was reused). */
  socket: net.Socket;
}

/** One GET with node:http, on `agent` (a keep-alive agent) or on a fresh connection; with the client socket it went on. */
export function request(p: number, path: string, agent: http.Agent | false = false, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), socket: req.socket! }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}


/**
 * A keep-alive HTTP/1 client with one connection (node:http Agent, maxSockets 1) that counts the sockets it
 * opened and the ones that closed: with a server that keeps the connection, both stay at 1 and 0.
 */
export class KeepAliveClient {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  sockets = 0;
  closes = 0;
  #seen = new WeakSet<net.Socket>();
  constructor(readonly port: number) {}

  /** GET `path`; resolves with the body of a 200, rejects on anything else. */
  get(path: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, path, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`status ${res.statusCode}: ${body.slice(0, 200)}`));
        });
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('socket', (s: net.Socket) => {
        if (this.#seen.has(s)) return;
        this.#seen.add(s);
        this.sockets++;
        s.once('close', () => this.closes++);
      });
      req.on('error', reject);
      req.end();
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}

/** What a fresh connection to `port` gets for GET `path`: the status and body, `refused`, or another error. */
export function probeHttp(port: number, path = '/', timeoutMs = 500): Promise<{ status: number; body: string } | 'refused' | string> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve(`error: ${e.message}`));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : `error: ${e.code ?? e.message}`));
    req.end();
  });
}

/** Can a TCP connection to `port` be opened (`open`), or is it refused? */
export function tcpProbe(port: number, timeoutMs = 500): Promise<'open' | 'refused' | string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ECONNREFUSED' ? 'refused' : `error: ${e.code ?? e.message}`);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Holding responses in flight

/** A gate: backends wait on it (counted) until the test opens it. */
export class Gate {
  waiting = 0;
  #open!: () => void;
  readonly opened: Promise<void> = new Promise((r) => (this.#open = r));
  async pass(): Promise<void> {
    this.waiting++;
    try {
      await this.opened;
    } finally {
      this.waiting--;
    }
  }
  open(): void {
    this.#open();
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP/2 (h2c)

export interface H2Backend {
  name: string;
  port: number;
  address: string;
  /** Streams answered or waiting, by path. */
  paths: string[];
  /** Sessions (connections) now open. */
  openSessions(): number;
  /** `/held/<tag>` waits for this gate (then answers `<name> <tag>`). */
  gate: Gate;
  close(): void;
}

/**
 * A node:http2 h2c server: `/held/<tag>` answers `<name> <tag>` once `gate` opens, `/slow/<ms>/<tag>` after
 * `ms`, anything else at once with `<name> <path>`.
 */
export async function h2Backend(name: string): Promise<H2Backend> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  const gate = new Gate();
  const paths: string[] = [];
  server.on('session', (s) => {
    sessions.add(s);
    s.on('error', () => {});
    s.once('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const path = String(headers[':path']);
    paths.push(path);
    const answer = (body: string) => {
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(body);
    };
    const held = /^\/held\/(.+)$/.exec(path);
    const slow = /^\/slow\/(\d+)\/(.+)$/.exec(path);
    if (held) void gate.pass().then(() => answer(`${name} ${held[1]}`));
    else if (slow) void sleep(Number(slow[1])).then(() => answer(`${name} ${slow[2]}`));
    else answer(`${name} ${path}`);
  });
  const port = await listenLocal(server);
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    paths,
    openSessions: () => sessions.size,
    gate,
    close: () => {
      gate.open();
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
}

/** An h2c client session that records GOAWAY and close. */
export interface H2Client {
  session: http2.ClientHttp2Session;
  goaways: number;
  closed: boolean;
  request(path: string, timeoutMs?: number): Promise<{ status: number; body: string }>;
  close(): void;
}

export async function h2Client(port: number): Promise<H2Client> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const c: H2Client = {
    session,
    goaways: 0,
    closed: false,
    request: (path, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const req = session.request({ ':path': path });
        let status = 0;
        const chunks: Buffer[] = [];
        const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          clearTimeout(timer);
          resolve({ status, body: Buffer.concat(chunks).toString() });
        });
        req.on('close', () => {
          clearTimeout(timer);
          if (!req.readableEnded) reject(new Error(`stream ${path} closed without a complete response (rst code ${req.rstCode}, status ${status})`));
        });
        req.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        req.end();
      }),
    close: () => session.destroy(),
  };
  session.on('error', () => {});
  session.on('goaway', () => c.goaways++);
  session.on('close', () => (c.closed = true));
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  return c;
}

/** Record a failed behaviour check (a rejected wait) without ending the test: the later steps still run. */
export function softFail(e: unknown): void {
  expect.soft((e as Error).message ?? String(e)).toBeUndefined();
}

export { waitUntil };
