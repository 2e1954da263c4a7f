import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnMosn } from './helpers.js';
import { BoltConn, decodeResponse as decodeBolt, encodeRequest as boltRequest, rawCall as boltCall, startRpcServer, type TestServer } from './bolt/peers.js';
import { DubboConn, decodeResponse as decodeDubbo, encodeRequest as dubboRequest, java, rawCall as dubboCall, startProvider, type TestProvider } from './dubbo/peers.js';

/*
 * "Impossible to crash with bad input", for every kind of listener: mosn runs as its own process (a crash is an
 * exit, its resident memory is readable from /proc) with six listeners (Http1, Http2, Auto, bolt, dubbo,
 * tcp_proxy), each in front of a real backend. Each is fed seeded random bytes, valid prefixes followed by
 * garbage, truncated frames, and (HTTP/2) the known session-level attacks, while a well-behaved client on the
 * same listener keeps getting correct answers. Bad connections are closed (or answered with a protocol error),
 * logged and counted; mosn stays up and its memory bounded. Every attack is bounded in count and time.
 */

type Kind = 'http1' | 'http2' | 'auto' | 'bolt' | 'dubbo' | 'tcp';
const KINDS: Kind[] = ['http1', 'http2', 'auto', 'bolt', 'dubbo', 'tcp'];
/** The listeners with a protocol of their own: bad bytes there are protocol errors. */
const PROTOCOL_KINDS = ['http1', 'http2', 'auto', 'bolt', 'dubbo'] as const;

const MiB = 1024 * 1024;
/** Idle downstream connections are closed after this (every listener; tcp_proxy's own idle_timeout too). */
const IDLE_TIMEOUT_MS = 1000;
/** What mosn's RSS may grow by over the whole file: a few buffer limits and HTTP/2 windows, plus GC slack. */
const RSS_BOUND_MIB = 160;

// ---------------------------------------------------------------------------------------------------------
// Fixture: backends, mosn as a child process, its admin API

interface Fixture {
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
  kill: () => void;
  ports: Record<Kind, number>;
  admin: number;
  baselineRssKiB: number;
  peakRssKiB: number;
}

let fx: Fixture;
let h1Backend: http.Server;
let h2Backend: http2.Http2Server;
let echo: net.Server;
let bolt: TestServer;
let dubbo: TestProvider;
let h1Requests = 0;
let h2BackendStreams = 0;
/** Paths the HTTP/2 backend was asked for other than the probes'. */
const h2HostilePaths: string[] = [];
const backendSockets = new Set<net.Socket>();
let sampler: NodeJS.Timeout | undefined;

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0);
  } catch {
    return 0; // gone: the liveness checks say so
  }
}

async function listen(server: net.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function mosnConfig(b: { h1: number; h2: number; echo: number; bolt: string; dubbo: string }): unknown {
  const httpRouter = (name: string, cluster: string) => ({
    router_config_name: name,
    virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: cluster } }] }],
  });
  const rpcRouter = (name: string, cluster: string) => ({
    router_config_name: name,
    virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*', regex: true }] }, route: { cluster_name: cluster } }] }],
  });
  const proxy = (downstream: string, router: string, upstream?: string) => ({
    type: 'proxy',
    config: { downstream_protocol: downstream, router_config_name: router, ...(upstream ? { upstream_protocol: upstream } : {}) },
  });
  const listener = (name: Kind, filter: unknown) => ({
    name,
    address: '127.0.0.1:0',
    connection_idle_timeout: `${IDLE_TIMEOUT_MS}ms`,
    filter_chains: [{ filters: [filter] }],
  });
  const cluster = (name: string, address: string) => ({ name, type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address }] });
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'INFO',
        routers: [httpRouter('r_h1', 'h1'), httpRouter('r_h2', 'h2'), rpcRouter('r_bolt', 'bolt'), rpcRouter('r_dubbo', 'dubbo')],
        listeners: [
          listener('http1', proxy('Http1', 'r_h1')),
          listener('http2', proxy('Http2', 'r_h2', 'Http2')),
          listener('auto', proxy('Auto', 'r_h1', 'Http1')),
          listener('bolt', proxy('bolt', 'r_bolt', 'bolt')),
          listener('dubbo', proxy('dubbo', 'r_dubbo', 'dubbo')),
          listener('tcp', { type: 'tcp_proxy', config: { cluster: 'echo', idle_timeout: `${IDLE_TIMEOUT_MS}ms` } }),
        ],
      },
    ],
    cluster_manager: {
      clusters: [
        cluster('h1', `127.0.0.1:${b.h1}`),
        cluster('h2', `127.0.0.1:${b.h2}`),
        cluster('echo', `127.0.0.1:${b.echo}`),
        cluster('bolt', b.bolt),
        cluster('dubbo', b.dubbo),
      ],
    },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
  };
}

/** An endless body written as fast as the reader takes it (a stream that is never read holds at a window). */
function endless(w: NodeJS.WritableStream & { destroyed: boolean }): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = () => {
    while (!w.destroyed) if (!w.write(chunk)) return void w.once('drain', pump);
  };
  pump();
}

beforeAll(async () => {
  h1Backend = http.createServer((req, res) => {
    h1Requests++;
    req.resume();
    req.on('end', () => res.end(`h1 ${req.url}`));
  });
  h1Backend.on('connection', (s) => {
    backendSockets.add(s);
    s.once('close', () => backendSockets.delete(s));
  });
  h2Backend = http2.createServer();
  h2Backend.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    h2BackendStreams++;
    if (!String(headers[':path']).startsWith('/probe')) h2HostilePaths.push(String(headers[':path']));
    const path = String(headers[":path"]);
    if (path.startsWith('/endless')) {
      stream.respond({ ':status': 200 });
      return endless(stream);
    }
    stream.respond({ ':status': 200 });
    stream.end(`h2 ${path}`);
  });
  h2Backend.on('session', (s) => s.on('error', () => {}));
  echo = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const [h1, h2, echoPort] = await Promise.all([listen(h1Backend), listen(h2Backend), listen(echo)]);
  bolt = await startRpcServer('bolt');
  dubbo = await startProvider('dubbo');

  const file = join(tmpdir(), `mosn-hostile-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(mosnConfig({ h1, h2, echo: echoPort, bolt: bolt.address, dubbo: dubbo.address })));
  const m = await spawnMosn(['start', '-c', file]);
  const pid = m.child.pid!;
  const started = m.output().split('\n').find((l) => l.includes('mosn started'))!;
  const ports = {} as Record<Kind, number>;
  for (const entry of (JSON.parse(started) as { listeners: string[] }).listeners) {
    const [name, address] = entry.split('@') as [Kind, string];
    ports[name] = Number(address.slice(address.lastIndexOf(':') + 1));
  }
  const adminLine = m.output().split('\n').find((l) => l.includes('admin API listening'))!;
  const adminAddress = (JSON.parse(adminLine) as { address: string }).address;
  fx = {
    pid,
    output: m.output,
    exited: m.exited,
    kill: () => m.child.kill('SIGKILL'),
    ports,
    admin: Number(adminAddress.slice(adminAddress.lastIndexOf(':') + 1)),
    baselineRssKiB: 0,
    peakRssKiB: 0,
  };
  // warm every path once before the baseline, so the baseline includes the code that runs
  for (const k of KINDS) await probeOnce(k);
  fx.baselineRssKiB = rssKiB(pid);
  fx.peakRssKiB = fx.baselineRssKiB;
  sampler = setInterval(() => (fx.peakRssKiB = Math.max(fx.peakRssKiB, rssKiB(pid))), 50);
}, 30_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  fx?.kill();
  for (const s of backendSockets) s.destroy();
  h1Backend?.close();
  h2Backend?.close();
  echo?.close();
  await bolt?.close();
  await dubbo?.close();
});

/** After every test: mosn is still running. */
afterEach(async () => {
  const exit = await Promise.race([fx.exited, sleep(10).then(() => 'running' as const)]);
  expect(exit, `mosn exited:\n${fx.output().slice(-4000)}`).toBe('running');
});

async function stats(): Promise<Record<string, number>> {
  const r = await fetch(`http://127.0.0.1:${fx.admin}/api/v1/stats`);
  return (await r.json()) as Record<string, number>;
}

/** How much each counter named went up while `f` ran. */
async function counted<T>(names: string[], f: () => Promise<T>): Promise<{ result: T; delta: Record<string, number> }> {
  const before = await stats();
  const result = await f();
  // the counters of connections closed at the very end of `f` may be a moment behind
  await sleep(50);
  const after = await stats();
  return { result, delta: Object.fromEntries(names.map((n) => [n, (after[n] ?? 0) - (before[n] ?? 0)])) };
}

// ---------------------------------------------------------------------------------------------------------
// The well-behaved clients

let nextId = 1;

/** A client of one listener: a persistent connection, asked `ask()` again and again; each answer is checked. */
interface Prober {
  ask(): Promise<void>;
  close(): void;
}

function h2Session(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  return s;
}

function h2Get(session: http2.ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ status, body }));
    req.on('error', reject);
  });
}

function h1Get(port: number, path: string, agent: http.Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function prober(kind: Kind): Promise<Prober> {
  const p = fx.ports[kind];
  switch (kind) {
    case 'http1':
    case 'auto': {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const session = kind === 'auto' ? h2Session(p) : undefined;
      let n = 0;
      return {
        async ask() {
          const path = `/probe/${nextId++}`;
          // HTTP/1 on a kept-alive connection, and on the Auto listener every other one over HTTP/2
          const r = session && n++ % 2 === 1 ? await h2Get(session, path) : await h1Get(p, path, agent);
          expect(r).toEqual({ status: 200, body: `h1 ${path}` });
        },
        close() {
          agent.destroy();
          session?.destroy();
        },
      };
    }
    case 'http2': {
      const session = h2Session(p);
      return {
        async ask() {
          const path = `/probe/${nextId++}`;
          expect(await h2Get(session, path)).toEqual({ status: 200, body: `h2 ${path}` });
        },
        close: () => session.destroy(),
      };
    }
    case 'bolt': {
      const c = await BoltConn.connect(p);
      return {
        async ask() {
          const id = nextId++;
          const r = await boltCall(c, id, { method: 'echo', args: [`probe ${id}`] });
          expect(r.appResponse).toBe(`probe ${id}`);
        },
        close: () => c.close(),
      };
    }
    case 'dubbo': {
      const c = await DubboConn.connect(p);
      return {
        async ask() {
          const id = nextId++;
          const r = await dubboCall(c, id, { method: 'echo', args: [java.String(`probe ${id}`)] });
          expect(r.value).toBe(`probe ${id}`);
        },
        close: () => c.close(),
      };
    }
    case 'tcp': {
      const s = net.connect(p, '127.0.0.1');
      s.on('error', () => {});
      let got = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (got += d));
      return {
        async ask() {
          const line = `probe ${nextId++}\n`;
          got = '';
          s.write(line);
          const end = Date.now() + 3000;
          while (got.length < line.length && Date.now() < end && !s.destroyed) await sleep(2);
          expect(got).toBe(line);
        },
        close: () => s.destroy(),
      };
    }
  }
}

async function probeOnce(kind: Kind): Promise<void> {
  const pr = await prober(kind);
  try {
    await pr.ask();
  } finally {
    pr.close();
  }
}

/**
 * Run `attack` while a well-behaved client of the same listener asks again and again on one connection
 * (and now and then on a new one); every answer must be right.
 */
async function whileServed<T>(kind: Kind, attack: () => Promise<T>): Promise<T> {
  const pr = await prober(kind);
  const failures: string[] = [];
  let answered = 0;
  let stop = false;
  const ask = async (f: () => Promise<void>) => {
    try {
      await f();
      answered++;
    } catch (e) {
      failures.push((e as Error).message);
    }
  };
  await ask(() => pr.ask());
  const loop = (async () => {
    for (let i = 1; !stop; i++) {
      await ask(() => (i % 5 === 0 ? probeOnce(kind) : pr.ask()));
      await sleep(5);
    }
  })();
  try {
    return await attack();
  } finally {
    stop = true;
    await loop;
    await ask(() => pr.ask());
    pr.close();
    expect(failures, `the well-behaved ${kind} client after ${answered} answers: ${JSON.stringify(failures)}`).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Raw connections

/** A seeded PRNG (mulberry32): the same bytes on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(seed: number, n: number): Buffer {
  const r = random(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** `data` cut into pieces of 1 to 16 bytes (seeded). */
function smallChunks(data: Buffer, seed: number): Buffer[] {
  const r = random(seed ^ 0x5bd1e995);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(r() * 16);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

interface Outcome {
  /** mosn closed the connection (before we did, or after our end). */
  closed: boolean;
  /** mosn closed it while we were still writing or before we ended. */
  closedFirst: boolean;
  received: Buffer;
}

/**
 * Open a connection, write `pieces` (one write each, a tick apart when there are many), optionally end, and
 * wait up to `ms` for mosn to close it.
 */
function attackConn(port: number, pieces: Buffer[], o: { end?: boolean; ms?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    const chunks: Buffer[] = [];
    let ended = false;
    let closed = false;
    let closedFirst = false;
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ closed, closedFirst, received: Buffer.concat(chunks) });
    };
    const timer = setTimeout(done, o.ms ?? 3000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      closedFirst = !ended;
      done();
    });
    s.on('connect', async () => {
      for (let i = 0; i < pieces.length && !closed; i++) {
        s.write(pieces[i]!);
        if (pieces.length > 8) await new Promise((r) => setImmediate(r));
      }
      if (o.end !== false && !closed) {
        ended = true;
        s.end();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------

const SEEDS = [1, 2, 3, 4, 5, 6];

describe('seeded random bytes on every listener: the bad connection closes, the good client is served', () => {
  for (const kind of KINDS) {
    it(kind, async () => {
      const { result: outcomes, delta } = await counted([`listener.${kind}.downstream_protocol_error`, `listener.${kind}.downstream_protocol_detect_failed`], () =>
        whileServed(kind, async () => {
          const out: Array<{ seed: number; mode: string; o: Outcome; sent: Buffer }> = [];
          for (const seed of SEEDS) {
            const bytes = randomBytes(seed, 2048);
            // not ended: on a protocol listener, mosn must close each itself
            const end = kind === 'tcp';
            const [whole, chunked] = await Promise.all([attackConn(fx.ports[kind], [bytes], { end }), attackConn(fx.ports[kind], smallChunks(bytes, seed), { end })]);
            out.push({ seed, mode: 'whole', o: whole, sent: bytes }, { seed, mode: 'chunks', o: chunked, sent: bytes });
          }
          return out;
        }),
      );
      for (const { seed, mode, o, sent } of outcomes) {
        const what = `seed ${seed}, ${mode}`;
        expect(o.closed, what).toBe(true);
        if (kind === 'tcp') expect(o.received.equals(sent), `${what}: echoed through tcp_proxy byte for byte`).toBe(true);
      }
      if (kind === 'tcp') return;
      const bad = delta[`listener.${kind}.downstream_protocol_error`]! + delta[`listener.${kind}.downstream_protocol_detect_failed`]!;
      // each random stream is refused as soon as it is read, whole or a few bytes at a time
      expect(bad, JSON.stringify(delta)).toBe(outcomes.length);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// HTTP/2 frames by hand (RFC 9113 §4.1, RFC 7541 for the few HPACK forms used)

const H2 = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const ENHANCE_YOUR_CALM = 0xb;

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0), declaredLength = payload.length): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(declaredLength, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** An HPACK integer with an `n`-bit prefix whose high bits are `first`. */
function hpackInt(value: number, n: number, first: number): Buffer {
  const max = (1 << n) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  for (value -= max; value >= 128; value >>= 7) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return Buffer.from(out);
}
const hpackString = (s: string) => Buffer.concat([hpackInt(Buffer.byteLength(s), 7, 0), Buffer.from(s, 'latin1')]);
/** A literal field without indexing, new name. */
const literal = (name: string, value: string) => Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
/** A literal field with incremental indexing, new name: it enters the dynamic table. */
const indexedLiteral = (name: string, value: string) => Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
/** GET http://h<path>: static-table :method GET, :scheme http, then :path and :authority by name index. */
const requestBlock = (path: string) =>
  Buffer.concat([Buffer.from([0x82, 0x86]), hpackInt(4, 4, 0), hpackString(path), hpackInt(1, 4, 0), hpackString('h')]);
const settings = (entries: Array<[number, number]> = []) =>
  frame(
    H2.SETTINGS,
    0,
    0,
    Buffer.concat(entries.map(([id, v]) => {
      const b = Buffer.alloc(6);
      b.writeUInt16BE(id, 0);
      b.writeUInt32BE(v, 2);
      return b;
    })),
  );
const rst = (stream: number, code: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(code);
  return frame(H2.RST_STREAM, 0, stream, b);
};

interface H2Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A raw HTTP/2 client connection: writes frames, parses what comes back, ACKs the server's SETTINGS. */
class H2Raw {
  readonly socket: net.Socket;
  readonly frames: H2Frame[] = [];
  /** Frames received, by type. */
  readonly counts: Record<number, number> = {};
  closed = false;
  #buf = Buffer.alloc(0);
  #waiters = new Set<() => void>();

  private constructor(socket: net.Socket, ackSettings: boolean) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      while (this.#buf.length >= 9) {
        const len = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + len) break;
        const f = { type: this.#buf[3]!, flags: this.#buf[4]!, stream: this.#buf.readUInt32BE(5) & 0x7fffffff, payload: this.#buf.subarray(9, 9 + len) };
        this.#buf = this.#buf.subarray(9 + len);
        this.counts[f.type] = (this.counts[f.type] ?? 0) + 1;
        // a flood's answers are only counted; a GOAWAY is always kept
        if (this.frames.length < 10_000 || f.type === H2.GOAWAY) this.frames.push(f);
        if (ackSettings && f.type === H2.SETTINGS && (f.flags & ACK) === 0 && !socket.destroyed) socket.write(frame(H2.SETTINGS, ACK, 0));
      }
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  /** Connect and send the preface and a SETTINGS frame with `entries`. */
  static connect(port: number, entries: Array<[number, number]> = [], ackSettings = true): Promise<H2Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        const c = new H2Raw(s, ackSettings);
        s.write(Buffer.concat([PREFACE, settings(entries)]));
        resolve(c);
      });
      s.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Write, waiting for the socket to drain (a flood is written as fast as mosn reads it, no faster). */
  async send(...data: Buffer[]): Promise<void> {
    if (this.closed) return;
    if (!this.socket.write(Buffer.concat(data))) {
      await new Promise<void>((r) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          r();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  /** Resolve with `cond`'s value once it holds, or undefined after `ms`. */
  until<T>(cond: () => T | undefined | false, ms = 3000): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const v = cond();
        if (v !== undefined && v !== false) finish(v);
      };
      const finish = (v: T | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => finish(undefined), ms);
      this.#waiters.add(check);
      check();
    });
  }

  goAway(): { lastStream: number; code: number } | undefined {
    const f = this.frames.find((x) => x.type === H2.GOAWAY);
    return f && { lastStream: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) };
  }

  /** Wait for mosn to close the connection (after a GOAWAY, if it sends one). */
  async closedByPeer(ms = 3000): Promise<boolean> {
    return (await this.until(() => this.closed, ms)) === true;
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Valid prefixes, then garbage; truncated frames

/** A Bolt v1 request header (22 bytes) declaring the lengths given. */
function boltHeader(id: number, classLen: number, headerLen: number, contentLen: number, version: 1 | 2 = 1): Buffer {
  const v2 = version === 2;
  const b = Buffer.alloc(v2 ? 24 : 22);
  let o = 0;
  b[o++] = version;
  if (v2) b[o++] = 1; // ver1: no CRC
  b[o++] = 1; // request
  b.writeUInt16BE(1, o); // cmd code: request
  o += 2;
  b[o++] = 1; // ver2
  b.writeUInt32BE(id, o);
  o += 4;
  b[o++] = 1; // codec: hessian2
  if (v2) b[o++] = 0; // switch
  b.writeUInt32BE(3000, o); // timeout
  o += 4;
  b.writeUInt16BE(classLen, o);
  b.writeUInt16BE(headerLen, o + 2);
  b.writeUInt32BE(contentLen, o + 4);
  return b;
}

/** A Dubbo two-way hessian2 request header declaring `bodyLength`. */
function dubboHeader(id: number, bodyLength: number): Buffer {
  const h = Buffer.alloc(16);
  h[0] = 0xda;
  h[1] = 0xbb;
  h[2] = 0xc2;
  h.writeBigUInt64BE(BigInt(id), 4);
  h.writeUInt32BE(bodyLength, 12);
  return h;
}

interface Case {
  name: string;
  pieces: Buffer[];
  /** What mosn writes back before closing: an HTTP/1 status line, or a GOAWAY; nothing when absent. */
  answer?: 'http400' | 'http431' | 'goaway';
}

const junk = (seed: number, n = 512) => randomBytes(seed, n);
const h1Cases: Case[] = [
  { name: 'request line, then junk', pieces: [Buffer.from('GET / HTTP/1.1\r\n'), junk(11)], answer: 'http400' },
  { name: 'a header line without a colon', pieces: [Buffer.from('GET / HTTP/1.1\r\nHost h\r\n\r\n')], answer: 'http400' },
  { name: 'a content-length of 30 digits', pieces: [Buffer.from(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${'9'.repeat(30)}\r\n\r\n`)], answer: 'http400' },
  { name: 'two different content-lengths', pieces: [Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')], answer: 'http400' },
  { name: 'a bad chunk size', pieces: [Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')], answer: 'http400' },
  { name: 'a 64 KiB request line', pieces: [Buffer.from(`GET /${'a'.repeat(64 * 1024)}`)], answer: 'http431' },
  { name: 'NUL bytes in a header value', pieces: [Buffer.from('GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n')], answer: 'http400' },
];
const h2Cases: Case[] = [
  { name: 'the preface, then junk', pieces: [PREFACE, junk(21)], answer: 'goaway' },
  { name: 'a SETTINGS frame of 7 bytes', pieces: [PREFACE, frame(H2.SETTINGS, 0, 0, Buffer.alloc(7))], answer: 'goaway' },
  { name: 'a frame declaring 16 MiB', pieces: [PREFACE, settings(), frame(H2.DATA, 0, 1, Buffer.alloc(64), 0xffffff)], answer: 'goaway' },
  { name: 'DATA on stream 0', pieces: [PREFACE, settings(), frame(H2.DATA, 0, 0, Buffer.from('x'))], answer: 'goaway' },
  { name: 'a HEADERS block that is no HPACK', pieces: [PREFACE, settings(), frame(H2.HEADERS, END_HEADERS | END_STREAM, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]))], answer: 'goaway' },
  { name: 'a CONTINUATION with no HEADERS', pieces: [PREFACE, settings(), frame(H2.CONTINUATION, END_HEADERS, 1, requestBlock('/x'))], answer: 'goaway' },
  { name: 'a WINDOW_UPDATE of 0 on the connection', pieces: [PREFACE, settings(), frame(H2.WINDOW_UPDATE, 0, 0, Buffer.alloc(4))], answer: 'goaway' },
];
const boltCases: Case[] = [
  { name: 'a v1 header declaring 64 KiB + 64 KiB + 4 GiB', pieces: [boltHeader(7001, 0xffff, 0xffff, 0xffffffff)] },
  { name: 'a v2 header declaring 4 GiB of content', pieces: [boltHeader(7002, 0, 0, 0xffffffff, 2)] },
  { name: 'a v1 header, then junk', pieces: [boltHeader(7003, 3, 4, 5), junk(31)] },
  { name: 'a header section that overruns its length', pieces: [boltHeader(7004, 0, 8, 0), Buffer.from([0, 0, 0, 9, 0x61, 0x62, 0x63, 0x64])] },
];
const dubboCases: Case[] = [
  { name: 'a header declaring 4 GiB of body', pieces: [dubboHeader(8001, 0xffffffff)] },
  { name: 'the magic, then junk', pieces: [Buffer.from([0xda, 0xbb]), junk(41)] },
  { name: 'a request id above 2^53', pieces: [Buffer.concat([dubboHeader(8003, 1), Buffer.from('N')]).fill(0xff, 4, 12)] },
];
const autoCases: Case[] = [h1Cases[0]!, h2Cases[0]!, h2Cases[2]!, boltCases[0]!, dubboCases[0]!, { name: 'an HTTP method and no space', pieces: [Buffer.from('GETX / HTTP/1.1\r\n\r\n')] }];
const prefixCases: Record<(typeof PROTOCOL_KINDS)[number], Case[]> = { http1: h1Cases, http2: h2Cases, auto: autoCases, bolt: boltCases, dubbo: dubboCases };

function expectAnswer(c: Case, o: Outcome): void {
  const text = o.received.toString('latin1');
  if (c.answer === 'http400') expect(text, c.name).toMatch(/^HTTP\/1\.1 400 /);
  else if (c.answer === 'http431') expect(text, c.name).toMatch(/^HTTP\/1\.1 431 /);
  else if (c.answer === 'goaway') {
    // the server's SETTINGS may come first: look for a GOAWAY frame among what came back
    let found = false;
    for (let i = 0; i + 9 <= o.received.length; ) {
      const len = o.received.readUIntBE(i, 3);
      if (o.received[i + 3] === H2.GOAWAY) found = true;
      i += 9 + len;
    }
    expect(found, `${c.name}: a GOAWAY (got ${o.received.subarray(0, 64).toString('hex')})`).toBe(true);
  } else expect(o.received.length, `${c.name}: nothing written back`).toBe(0);
}

describe('a valid prefix, then garbage: that connection is answered or closed, counted, the good client served', () => {
  for (const kind of PROTOCOL_KINDS) {
    it(kind, async () => {
      const cases = prefixCases[kind];
      const before = { h1: h1Requests, bolt: bolt.requests.length, dubbo: dubbo.requests.length };
      const { result, delta } = await counted([`listener.${kind}.downstream_protocol_error`, `listener.${kind}.downstream_protocol_detect_failed`], () =>
        whileServed(kind, () => Promise.all(cases.map((c) => attackConn(fx.ports[kind], c.pieces, { end: false })))),
      );
      cases.forEach((c, i) => {
        expect(result[i]!.closed, `${c.name}: closed by mosn`).toBe(true);
        expectAnswer(c, result[i]!);
      });
      const bad = delta[`listener.${kind}.downstream_protocol_error`]! + delta[`listener.${kind}.downstream_protocol_detect_failed`]!;
      expect(bad, JSON.stringify(delta)).toBe(cases.length);
      // nothing of it reached a backend (the probes' own requests aside)
      expect(bolt.requests.slice(before.bolt).filter((r) => !String(r.args[0]).startsWith('probe'))).toEqual([]);
      expect(dubbo.requests.slice(before.dubbo).filter((r) => !String(r.args[0]).startsWith('probe'))).toEqual([]);
    });
  }
});

describe('a truncated frame, then end of input: closed, nothing forwarded', () => {
  const bolt1 = boltRequest(7101, { method: 'echo', args: ['truncated'] });
  const dubbo1 = dubboRequest(8101, { method: 'echo', args: [java.String('truncated')] });
  const cases: Record<Kind, Buffer[]> = {
    http1: [Buffer.from('GET /truncated HTTP/1.1\r\nHost: h\r\nX-A: ')],
    http2: [PREFACE, settings(), frame(H2.HEADERS, END_HEADERS | END_STREAM, 1, requestBlock('/truncated')).subarray(0, 14)],
    auto: [Buffer.from('PRI * HTTP/2.0\r\n')],
    bolt: [bolt1.subarray(0, bolt1.length - 5)],
    dubbo: [dubbo1.subarray(0, dubbo1.length - 5)],
    tcp: [Buffer.from('a partial line, no newline')],
  };
  for (const kind of KINDS) {
    it(kind, async () => {
      const h1Before = h1Requests;
      const o = await whileServed(kind, () => attackConn(fx.ports[kind], cases[kind]!, { end: true }));
      expect(o.closed).toBe(true);
      if (kind === 'tcp') expect(o.received.toString()).toBe('a partial line, no newline');
      await sleep(50);
      expect(bolt.requests.some((r) => r.args[0] === 'truncated')).toBe(false);
      expect(dubbo.requests.some((r) => r.args[0] === 'truncated')).toBe(false);
      if (kind === 'http1' || kind === 'auto') expect(h1Requests - h1Before, 'only the probes reached the backend').toBeGreaterThan(0);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// HTTP/2 session attacks


/** Write `make(i)` for i < count in batches of `batch`, as fast as mosn reads, until it closes the connection. */
async function flood(c: H2Raw, count: number, batch: number, make: (i: number) => Buffer): Promise<number> {
  let i = 0;
  while (i < count && !c.closed) {
    const parts: Buffer[] = [];
    for (const end = Math.min(count, i + batch); i < end; i++) parts.push(make(i));
    await c.send(...parts);
  }
  return i;
}

/** Within a second, mosn closed the connection or `answered()` holds. */
async function settled(c: H2Raw, answered: () => boolean): Promise<boolean> {
  return (await c.until(() => c.closed || answered(), 1000)) === true;
}

describe('HTTP/2 attacks on the Http2 listener: mosn stays up and bounded, other clients are served', () => {
  it('rapid reset (CVE-2023-44487): 5000 streams opened and reset at once', async () => {
    const before = h2BackendStreams;
    const { result, delta } = await counted(['listener.http2.downstream_protocol_error', 'listener.http2.downstream_rq_total', 'listener.http2.downstream_rq_reset'], () =>
      whileServed('http2', async () => {
        const c = await H2Raw.connect(fx.ports.http2);
        const sent = await flood(c, 5000, 250, (i) => Buffer.concat([frame(H2.HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, requestBlock(`/rr/${i}`)), rst(2 * i + 1, 0x8)]));
        // mosn is busy for a moment with the streams it did open (and their upstream requests)
        const closed = await c.closedByPeer(5000);
        c.close();
        return { sent, closed, goAway: c.goAway(), counts: c.counts };
      }),
    );
    // nghttp2 ends such a session (GOAWAY) once its limits are hit; every stream it did open was reset, and the
    // upstream work they started is bounded by what was accepted before that
    expect(result.closed || delta['listener.http2.downstream_rq_reset']! >= result.sent, JSON.stringify({ ...result, delta, log: fx.output().split('\n').filter((l) => l.includes('HTTP/2')).slice(-3) })).toBe(true);
    expect(h2BackendStreams - before).toBeLessThan(result.sent);
  });

  it('CONTINUATION flood (CVE-2024-27316): a header block that never ends', async () => {
    const { result, delta } = await counted(['listener.http2.downstream_protocol_error'], () =>
      whileServed('http2', async () => {
        const c = await H2Raw.connect(fx.ports.http2);
        await c.send(frame(H2.HEADERS, END_STREAM, 1, requestBlock('/cont')));
        const filler = literal('x-flood', 'a'.repeat(1000));
        const sent = await flood(c, 20_000, 200, () => frame(H2.CONTINUATION, 0, 1, filler));
        const closed = await c.closedByPeer(2000);
        c.close();
        return { sent, closed, goAway: c.goAway() };
      }),
    );
    expect(result.closed, 'closed by mosn').toBe(true);
    expect(result.sent, 'long before the flood ended').toBeLessThan(20_000);
    expect(delta['listener.http2.downstream_protocol_error']).toBe(1);
  });

  it('CONTINUATION flood of empty frames', async () => {
    const { result, delta } = await counted(['listener.http2.downstream_protocol_error'], () =>
      whileServed('http2', async () => {
        const c = await H2Raw.connect(fx.ports.http2);
        await c.send(frame(H2.HEADERS, END_STREAM, 1, requestBlock('/cont')));
        const sent = await flood(c, 100_000, 1000, () => frame(H2.CONTINUATION, 0, 1));
        const closed = await c.closedByPeer(2000);
        c.close();
        return { sent, closed, goAway: c.goAway() };
      }),
    );
    expect(result.closed, 'closed by mosn').toBe(true);
    expect(result.sent, 'long before the flood ended').toBeLessThan(100_000);
    expect(delta['listener.http2.downstream_protocol_error']).toBe(1);
  });

  it('HPACK bomb: one 4000-byte field referenced 3000 times, on 50 streams', async () => {
    const before = h2BackendStreams;
    const { result } = await counted(['listener.http2.downstream_protocol_error'], () =>
      whileServed('http2', async () => {
        const c = await H2Raw.connect(fx.ports.http2);
        const sent = await flood(c, 50, 1, (i) => {
          const block = Buffer.concat([requestBlock(`/bomb/${i}`), i === 0 ? indexedLiteral('x-bomb', 'b'.repeat(4000)) : Buffer.alloc(0), Buffer.alloc(3000, 0xbe)]);
          return frame(H2.HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, block);
        });
        const closed = await c.closedByPeer(1500);
        c.close();
        return { sent, closed, goAway: c.goAway(), rsts: c.frames.filter((f) => f.type === H2.RST_STREAM).length, headers: c.frames.filter((f) => f.type === H2.HEADERS).length };
      }),
    );
    // each stream refused (RST_STREAM) for a header list over SETTINGS_MAX_HEADER_LIST_SIZE; none reached the backend
    expect(result).toMatchObject({ sent: 50, rsts: 50, headers: 0 });
    expect(h2HostilePaths.filter((p) => p.startsWith('/bomb'))).toEqual([]);
    expect(h2BackendStreams - before).toBeGreaterThan(0); // the probes'
  });

  it('a header list of 10 000 small fields', async () => {
    const before = h2BackendStreams;
    const { result } = await counted(['listener.http2.downstream_protocol_error'], () =>
      whileServed('http2', async () => {
        const c = await H2Raw.connect(fx.ports.http2);
        const fields = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => literal(`x-${i}`, 'v')));
        const block = Buffer.concat([requestBlock('/many'), fields]);
        const parts = [frame(H2.HEADERS, END_STREAM, 1, block.subarray(0, 16_000))];
        for (let o = 16_000; o < block.length; o += 16_000) parts.push(frame(H2.CONTINUATION, o + 16_000 >= block.length ? END_HEADERS : 0, 1, block.subarray(o, o + 16_000)));
        await c.send(...parts);
        const closed = await c.closedByPeer(1500);
        c.close();
        return { closed, goAway: c.goAway(), rsts: c.frames.filter((f) => f.type === H2.RST_STREAM).map((f) => f.payload.readUInt32BE(0)) };
      }),
    );
    expect(result.rsts, 'the stream refused with ENHANCE_YOUR_CALM').toEqual([ENHANCE_YOUR_CALM]);
    expect(h2HostilePaths.filter((p) => p.startsWith('/many'))).toEqual([]);
    expect(h2BackendStreams - before).toBeGreaterThan(0); // the probes'
  });

  it('SETTINGS flood, PING flood (the answers read), PING flood (never read), a SETTINGS frame of 1000 entries', async () => {
    const { result, delta } = await counted(['listener.http2.downstream_protocol_error'], () =>
      whileServed('http2', async () => {
        const out: Record<string, unknown> = {};
        const s = await H2Raw.connect(fx.ports.http2);
        const settingsSent = await flood(s, 20_000, 500, () => settings());
        const acks = () => s.frames.filter((f) => f.type === H2.SETTINGS && (f.flags & ACK) !== 0).length;
        out.settings = { sent: settingsSent, settled: await settled(s, () => acks() >= settingsSent) };
        s.close();
        const p = await H2Raw.connect(fx.ports.http2);
        const pingSent = await flood(p, 20_000, 500, (i) => frame(H2.PING, 0, 0, Buffer.alloc(8, i & 0xff)));
        out.ping = { sent: pingSent, settled: await settled(p, () => (p.counts[H2.PING] ?? 0) >= pingSent) };
        p.close();
        const q = await H2Raw.connect(fx.ports.http2);
        q.socket.pause();
        const t = flood(q, 200_000, 1000, (i) => frame(H2.PING, 0, 0, Buffer.alloc(8, i & 0xff)));
        const first = await Promise.race([t, sleep(3000).then(() => 'still writing')]);
        q.socket.resume();
        out.pingUnread = { sent: first, settled: await q.closedByPeer(1000), goAway: q.goAway() };
        q.close();
        const m = await H2Raw.connect(fx.ports.http2, Array.from({ length: 1000 }, (_, i): [number, number] => [0x10 + i, i]));
        out.bigSettings = { settled: await m.closedByPeer(1000), goAway: m.goAway() };
        m.close();
        return out;
      }),
    );
    // each flood is answered in full (a client that reads its acknowledgements) or ends its connection
    // (nghttp2's limits: acknowledgements queued for a client that does not read them, entries per SETTINGS frame)
    for (const [name, r] of Object.entries(result)) expect((r as { settled: boolean }).settled, name).toBe(true);
    expect(result.bigSettings).toMatchObject({ goAway: { code: ENHANCE_YOUR_CALM } });
    expect(delta['listener.http2.downstream_protocol_error']).toBeGreaterThanOrEqual(2);
  });

  it('streams whose window is held at 0: the upstream is held back, mosn buffers a bounded amount', async () => {
    const rss0 = rssKiB(fx.pid);
    const { result } = await counted([], () =>
      whileServed('http2', async () => {
        const c = await H2Raw.connect(fx.ports.http2, [[0x4, 0]]); // SETTINGS_INITIAL_WINDOW_SIZE = 0
        await flood(c, 20, 20, (i) => frame(H2.HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, requestBlock(`/endless/${i}`)));
        await sleep(1500);
        const peak = rssKiB(fx.pid);
        const data = c.frames.filter((f) => f.type === H2.DATA).length;
        c.close();
        return { growthMiB: (peak - rss0) / 1024, data, headers: c.frames.filter((f) => f.type === H2.HEADERS).length };
      }),
    );
    // the responses started, no byte could be sent, and what mosn holds is a few windows, not the endless bodies
    expect(result).toMatchObject({ headers: 20, data: 0 });
    expect(result.growthMiB).toBeLessThan(64);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Connections: idle ones, and a flood

/** Open `n` connections to `port`, each writing `first` (if any) and then nothing; resolves once all are open. */
async function openIdle(port: number, n: number, first?: Buffer): Promise<net.Socket[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.resume(); // whatever mosn answers is read, so that its close is seen
        s.once('connect', () => {
          if (first) s.write(first);
          resolve(s);
        });
        s.once('error', reject);
      }),
    ),
  );
}

describe('connections', () => {
  it('idle connections on every listener, silent or stopped mid-frame, are closed by connection_idle_timeout', async () => {
    const bolt1 = boltRequest(7201, { method: 'echo', args: ['idle'] });
    const dubbo1 = dubboRequest(8201, { method: 'echo', args: [java.String('idle')] });
    const partial: Record<Kind, Buffer> = {
      http1: Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n'),
      http2: Buffer.concat([PREFACE, settings(), frame(H2.HEADERS, END_STREAM, 1, requestBlock('/idle'))]), // no END_HEADERS
      auto: Buffer.from('PRI * HTTP/2.0\r\n'),
      bolt: bolt1.subarray(0, 30),
      dubbo: dubbo1.subarray(0, 20),
      tcp: Buffer.from('half a line'),
    };
    const sockets: net.Socket[] = [];
    const names: string[] = [];
    for (const kind of KINDS) {
      sockets.push(...(await openIdle(fx.ports[kind], 25)), ...(await openIdle(fx.ports[kind], 25, partial[kind])));
      names.push(...Array.from({ length: 25 }, () => `${kind} silent`), ...Array.from({ length: 25 }, () => `${kind} mid-frame`));
    }
    const allClosed = () => sockets.every((s) => s.destroyed || s.readableEnded);
    const end = Date.now() + IDLE_TIMEOUT_MS * 4 + 2000;
    while (!allClosed() && Date.now() < end) await sleep(50);
    const open = [...new Set(names.filter((_, i) => !(sockets[i]!.destroyed || sockets[i]!.readableEnded)))];
    for (const s of sockets) s.destroy();
    expect(open, `of ${sockets.length} idle connections, still open`).toEqual([]);
    for (const kind of KINDS) await probeOnce(kind);
  });

  // mosn-ts has no listener connection limit (MOSN has none either; Envoy's is the connection_limit filter or
  // the overload manager): a flood is bounded by the idle timeout and the process's file descriptors.
  it('a flood of 400 connections at once, each with a request: all are answered, the good client too', async () => {
    const answers = await whileServed('http1', () =>
      Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          h1Get(fx.ports.http1, `/flood/${i}`, false).then(
            (r) => r.status === 200 && r.body === `h1 /flood/${i}`,
            () => false,
          ),
        ),
      ),
    );
    expect(answers.filter((ok) => !ok).length).toBe(0);
  });
});

describe('after all of it', () => {
  it('mosn is alive, counted the bad connections, logged them, and its RSS stayed bounded', async () => {
    const s = await stats();
    for (const kind of ['http1', 'http2', 'bolt', 'dubbo'] as const) expect(s[`listener.${kind}.downstream_protocol_error`], kind).toBeGreaterThan(0);
    expect(s['listener.auto.downstream_protocol_detect_failed']).toBeGreaterThan(0);
    const warnings = fx.output().split('\n').filter((l) => l.includes('"level":40'));
    for (const phrase of ['bad HTTP/1 request', 'bad HTTP/2 connection', 'bad frame', 'cannot detect the downstream protocol']) {
      expect(warnings.some((l) => l.includes(phrase)), phrase).toBe(true);
    }
    for (const kind of KINDS) await probeOnce(kind);
    const grownMiB = (fx.peakRssKiB - fx.baselineRssKiB) / 1024;
    expect(grownMiB, `baseline ${fx.baselineRssKiB >> 10} MiB, peak ${fx.peakRssKiB >> 10} MiB`).toBeLessThan(RSS_BOUND_MIB);
  });
});
