import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Mosn } from 'mosn';

// Shared bits of the live-reconfiguration tests of the in-process API (api.test.ts, listener-drain.test.ts,
// reload-memory.test.ts). test-e2e/reload/support.ts belongs to other tests: nothing here depends on it.

/** What `mosn.apply` and the section calls resolve to (not exported by name from `mosn`). */
export type ApplyResult = Awaited<ReturnType<Mosn['apply']>>;

/** The steps of an applied result as `kind op name` strings (fails the test, with the problems, when it was refused). */
export function stepsOf(r: ApplyResult): string[] {
  if (!r.ok) throw new Error(`the change was refused: ${JSON.stringify(r.problems)}`);
  if (r.failed.length > 0) throw new Error(`steps failed: ${r.failed.map((f) => `${f.change.kind} ${f.change.op} ${f.change.name}: ${f.error.message}`).join('; ')}`);
  return r.changes.map((c) => `${c.kind} ${c.op} ${c.name}`);
}

/** Poll `cond` every 10 ms; throw naming `what` (and `detail()`) when it does not hold within `ms`. */
export async function waitUntil(cond: () => boolean, ms: number, what: string, detail: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms ${detail()}`);
    await sleep(10);
  }
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
  let waiting: Array<() => void> = [];
  let released = false;
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
      if (req.url?.startsWith('/hold') && !released) waiting.push(answer);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    connections: () => accepted,
    open: () => sockets.size,
    requests: () => requests,
    checks: () => checks,
    held: () => waiting.length,
    release: () => {
      released = true;
      const w = waiting;
      waiting = [];
      for (const answer of w) answer();
    },
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

/** One GET with node:http, on `agent` (a keep-alive agent) or on a fresh connection. */
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

/** What a TCP connect to 127.0.0.1:p gets: `connected` (closed again at once) or the error code (`ECONNREFUSED`). */
export function connectOutcome(p: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(p, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** The port of a mosn listener by name. */
export function listenerPort(mosn: Mosn, name: string): number {
  const a = mosn.listenerAddress(name);
  if ('path' in a) throw new Error(`listener ${name} is not on TCP`);
  return a.port;
}

/** A proxy listener (MOSN JSON) on 127.0.0.1:0 with one `proxy` filter using router `router`. */
export function proxyListener(name: string, router: string, protocol = 'Http1'): Record<string, unknown> {
  return {
    name,
    address: '127.0.0.1:0',
    bind_port: true,
    filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: protocol, router_config_name: router } }] }],
  };
}

/** A router (MOSN JSON) with one virtual host for every domain. */
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

/** A SIMPLE cluster (MOSN JSON). */
export function simpleCluster(name: string, hosts: string[], lbType = 'LB_ROUNDROBIN', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'SIMPLE', lb_type: lbType, hosts: hosts.map((address) => ({ address })), ...extra };
}

/** A whole MOSN config: `servers[0]` with these routers and listeners (plus `server` keys), and the clusters. */
export function mosnConfig(o: { routers: unknown[]; listeners: unknown[]; clusters: unknown[]; server?: Record<string, unknown>; top?: Record<string, unknown> }): Record<string, unknown> {
  return {
    servers: [{ default_log_path: 'stderr', default_log_level: 'ERROR', ...o.server, routers: o.routers, listeners: o.listeners }],
    cluster_manager: { clusters: o.clusters },
    ...o.top,
  };
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
