import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateTestCerts, type TestCerts } from '@mosn/net/testing';
import { BoltStatus } from '@mosn/protocol-bolt';
import { buildResponse, exampleCodec, ExampleFrame } from '@mosn/protocol-example';
import { IoBuffer } from 'mosn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http2Structure, inputSeed, makeInput, pieces, Rng, tlsStructure, type Structure } from '../../fuzz/src/index.js';
import { BoltConn, rawCall as boltCall, startRpcServer, type TestServer } from '../bolt/peers.js';
import { DubboConn, java, rawCall as dubboCall, startProvider, type TestProvider } from '../dubbo/peers.js';
import { REPO_ROOT, spawnMosn } from '../helpers.js';
import { targets } from './targets.js';

/*
 * End-to-end fuzzing: the fuzzers' inputs sent through a running mosn (its own process: a crash is an exit, its
 * RSS is read from /proc) to real backends: node:http and node:http2, sofa-rpc-node's server for Bolt,
 * apache-dubbo-service for Dubbo, an example-protocol server, and HTTP/1 behind a TLS listener with the inspector
 * (mutated ClientHellos). Each input is one connection; mosn must answer or close it (none hangs), a well-behaved
 * client of the same listener is served throughout, and mosn's memory stays bounded. CI runs a few hundred inputs
 * per listener; `FUZZ_E2E_INPUTS=100000 node fuzz/run.mjs --e2e` runs more (docs/reliability.md).
 */

type Kind = 'http1' | 'http2' | 'bolt' | 'dubbo' | 'example' | 'tls';
const INPUTS = Number(process.env.FUZZ_E2E_INPUTS ?? 250);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
/** Connections in flight at once. */
const CONCURRENCY = 24;
/** mosn's RSS may grow by this much over the file (buffers, HTTP/2 windows, GC slack). */
const RSS_BOUND_MIB = 200;
const IDLE_TIMEOUT_MS = 2000;

let certs: TestCerts;
let dir: string;
let mosn: { pid: number; output: () => string; exited: Promise<number | null>; kill: () => void; ports: Record<Kind, number>; baselineKiB: number; peakKiB: number };
let sampler: NodeJS.Timeout | undefined;
const closers: Array<() => unknown> = [];
let tlsSeeds: Buffer[] = [];
const figures: string[] = [];
const h1History = new Map<net.Socket, string[]>();
let bolt: TestServer;

function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function listen(server: net.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** The example protocol's upstream: answers every request with `echo:<body>` under its id, and heartbeats. */
async function exampleServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const buffer = new IoBuffer();
    socket.on('data', (c: Buffer) => {
      buffer.append(c);
      for (;;) {
        const f = exampleCodec.decode(buffer, { maxFrameSize: 1 << 20 });
        if (!(f instanceof ExampleFrame)) return void (f === undefined ? undefined : socket.destroy());
        if (f.isOneWay() || f.kind !== 'request') continue;
        const answer = f.isHeartbeat() ? exampleCodec.heartbeatReply(f) : buildResponse(f.requestId, { body: `echo:${f.body.toString()}` });
        socket.write(Buffer.concat(exampleCodec.encode(answer)));
      }
    });
  });
  closers.push(() => sockets.forEach((s) => s.destroy()));
  return listen(server);
}

/** Real ClientHellos of node:tls (TLS 1.2 and 1.3, SNI, ALPN, session tickets), as the TLS fuzzer's seeds. */
async function clientHellos(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const server = net.createServer((s) => s.once('data', (c: Buffer) => (out.push(c), s.destroy())));
  const p = await listen(server);
  const variants: tls.ConnectionOptions[] = [
    { servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] },
    { maxVersion: 'TLSv1.2', servername: 'example.com' },
    { minVersion: 'TLSv1.3' },
  ];
  for (const v of variants) {
    await new Promise<void>((r) => {
      const s = tls.connect({ port: p, host: '127.0.0.1', rejectUnauthorized: false, ...v });
      s.on('error', () => r());
      s.on('close', () => r());
    });
  }
  return out.filter((b) => b[0] === 0x16);
}

function config(b: Record<'h1' | 'h2' | 'example', number> & { bolt: string; dubbo: string }): unknown {
  const httpRouter = (name: string, cluster: string) => ({ router_config_name: name, virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: cluster } }] }] });
  const rpcRouter = (name: string, cluster: string) => ({
    router_config_name: name,
    virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*', regex: true }] }, route: { cluster_name: cluster } }] }],
  });
  const proxy = (downstream: string, router: string, upstream?: string) => ({ type: 'proxy', config: { downstream_protocol: downstream, router_config_name: router, ...(upstream ? { upstream_protocol: upstream } : {}) } });
  const listener = (name: Kind, filter: unknown, extra: Record<string, unknown> = {}, chain: Record<string, unknown> = {}) => ({
    name,
    address: '127.0.0.1:0',
    connection_idle_timeout: `${IDLE_TIMEOUT_MS}ms`,
    ...extra,
    filter_chains: [{ ...chain, filters: [filter] }],
  });
  const cluster = (name: string, address: string) => ({ name, type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address }] });
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'INFO', // 'mosn started' is an INFO line
        routers: [httpRouter('r_h1', 'h1'), httpRouter('r_h2', 'h2'), rpcRouter('r_bolt', 'bolt'), rpcRouter('r_dubbo', 'dubbo'), rpcRouter('r_example', 'example')],
        listeners: [
          listener('http1', proxy('Http1', 'r_h1')),
          listener('http2', proxy('Http2', 'r_h2', 'Http2')),
          listener('bolt', proxy('bolt', 'r_bolt', 'bolt')),
          listener('dubbo', proxy('dubbo', 'r_dubbo', 'dubbo')),
          listener('example', proxy('example', 'r_example', 'example')),
          listener('tls', proxy('Http1', 'r_h1'), { inspector: true }, {
            tls_context: { status: true, ca_cert: certs.ca.certPath, cert_chain: certs.server.certPath, private_key: certs.server.keyPath },
          }),
        ],
      },
    ],
    cluster_manager: {
      clusters: [cluster('h1', `127.0.0.1:${b.h1}`), cluster('h2', `127.0.0.1:${b.h2}`), cluster('bolt', b.bolt), cluster('dubbo', b.dubbo), cluster('example', `127.0.0.1:${b.example}`)],
    },
    third_part_codec: { codecs: [{ enable: true, type: 'npm', path: '@mosn/protocol-example', loader_func_name: 'codec' }] },
  };
}

beforeAll(async () => {
  certs = generateTestCerts();
  const h1 = http.createServer((req, res) => {
    // what each upstream connection carried, to explain an answer that reached the wrong client
    const history = (h1History.get(req.socket) ?? h1History.set(req.socket, []).get(req.socket))!;
    let body = 0;
    req.on('data', (c: Buffer) => (body += c.length));
    req.on('end', () => {
      history.push(`${req.method} ${req.url} ${JSON.stringify(req.rawHeaders)} body ${body}`);
      if (history.length > 20) history.shift();
      res.end(`h1 ${req.url}`);
    });
    req.on('error', () => {});
  });
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200 });
    stream.end(`h2 ${String(headers[':path'])}`);
  });
  h2.on('session', (s) => s.on('error', () => {}));
  const [h1Port, h2Port, examplePort] = await Promise.all([listen(h1), listen(h2), exampleServer()]);
  closers.push(() => h1.closeAllConnections());
  bolt = await startRpcServer('bolt');
  const dubbo: TestProvider = await startProvider('dubbo');
  closers.push(() => bolt.close(), () => dubbo.close());
  tlsSeeds = await clientHellos();
  // the config file lives under test-e2e/ so that `@mosn/protocol-example` resolves from it, as a user's package would
  dir = mkdtempSync(join(REPO_ROOT, 'test-e2e', 'fuzz', '.tmp-'));
  const file = join(dir, 'mosn.json');
  writeFileSync(file, JSON.stringify(config({ h1: h1Port, h2: h2Port, example: examplePort, bolt: bolt.address, dubbo: dubbo.address })));
  const m = await spawnMosn(['start', '-c', file]);
  const started = m.output().split('\n').find((l) => l.includes('mosn started'))!;
  const ports = {} as Record<Kind, number>;
  for (const entry of (JSON.parse(started) as { listeners: string[] }).listeners) {
    const [name, address] = entry.split('@') as [Kind, string];
    ports[name] = Number(address.slice(address.lastIndexOf(':') + 1));
  }
  const pid = m.child.pid!;
  mosn = { pid, output: m.output, exited: m.exited, kill: () => m.child.kill('SIGKILL'), ports, baselineKiB: 0, peakKiB: 0 };
  for (const k of Object.keys(ports) as Kind[]) await (await prober(k)).close();
  mosn.baselineKiB = rssKiB(pid);
  mosn.peakKiB = mosn.baselineKiB;
  sampler = setInterval(() => (mosn.peakKiB = Math.max(mosn.peakKiB, rssKiB(pid))), 50);
}, 60_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  mosn?.kill();
  for (const c of closers.reverse()) await c();
  certs?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (figures.length > 0) console.log(`end-to-end fuzzing (seed ${SEED}):\n${figures.join('\n')}`);
});

afterEach(async () => {
  const exit = await Promise.race([mosn.exited, sleep(10).then(() => 'running' as const)]);
  expect(exit, `mosn exited:\n${mosn.output().slice(-4000)}`).toBe('running');
});

// ---------------------------------------------------------------------------------------------------------
// Well-behaved clients

let nextId = 1;

/** The backend closed the upstream connection the answer was on (mosn answered with the protocol's reset status). */
class UpstreamReset extends Error {}

interface Prober {
  ask(): Promise<void>;
  close(): void;
}

function h1Get(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
  });
}

function exampleCall(port: number, id: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const buffer = new IoBuffer();
    const timer = setTimeout(() => (s.destroy(), reject(new Error('no answer in 5 s'))), 5000);
    s.on('error', reject);
    s.write(exampleRequest(id));
    s.on('data', (c: Buffer) => {
      buffer.append(c);
      const f = exampleCodec.decode(buffer, { maxFrameSize: 1 << 20 });
      if (f instanceof ExampleFrame) {
        clearTimeout(timer);
        s.destroy();
        resolve(`${f.requestId} ${f.body.toString()}`);
      }
    });
  });
}

function exampleRequest(id: number): Buffer {
  const header = Buffer.from('service=echo\n');
  const h = Buffer.alloc(17);
  h.write('XE', 0, 'latin1');
  h[2] = 1;
  h[3] = 1;
  h.writeUInt32BE(id, 5);
  h.writeUInt16BE(header.length, 11);
  h.writeUInt32BE(5, 13);
  return Buffer.concat([h, header, Buffer.from('probe')]);
}

async function prober(kind: Kind): Promise<Prober> {
  const p = mosn.ports[kind];
  switch (kind) {
    case 'http1':
    case 'tls': {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const ask = async () => {
        const path = `/probe/${nextId++}`;
        expect(await h1Get(p, path, agent)).toEqual({ status: 200, body: `h1 ${path}` });
      };
      if (kind === 'tls') {
        // over TLS: a fresh handshake each time
        return {
          async ask() {
            const body = await new Promise<string>((resolve, reject) => {
              const path = `/probe/${nextId++}`;
              const req = http.request({ host: '127.0.0.1', port: p, path, createConnection: () => tls.connect({ port: p, host: '127.0.0.1', ca: certs.ca.cert, servername: 'localhost' }) }, (res) => {
                let b = '';
                res.on('data', (d: Buffer) => (b += d.toString()));
                res.on('end', () => resolve(b === `h1 ${path}` ? 'ok' : b));
              });
              req.on('error', reject);
              req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
              req.end();
            });
            expect(body).toBe('ok');
          },
          close: () => agent.destroy(),
        };
      }
      await ask();
      return { ask, close: () => agent.destroy() };
    }
    case 'http2': {
      const session = http2.connect(`http://127.0.0.1:${p}`);
      session.on('error', () => {});
      const ask = async () => {
        const path = `/probe/${nextId++}`;
        const r = await new Promise<string>((resolve, reject) => {
          const req = session.request({ ':path': path });
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (d: string) => (body += d));
          req.on('end', () => resolve(body));
          req.on('error', reject);
        });
        expect(r).toBe(`h2 ${path}`);
      };
      await ask();
      return { ask, close: () => session.destroy() };
    }
    case 'bolt': {
      const c = await BoltConn.connect(p);
      const ask = async () => {
        const id = nextId++;
        const r = await boltCall(c, id, { method: 'echo', args: [`probe ${id}`] });
        // sofa-rpc-node closes a connection on content it cannot read, and mosn multiplexes every client over
        // one upstream connection: what was in flight on it is answered NO_PROCESSOR (upstream reset)
        // (checked after the run: the backend did close connections, so mosn connected again)
        if (r.frame.status === BoltStatus.NO_PROCESSOR) throw new UpstreamReset();
        expect(r.appResponse, `status ${r.frame.status}: ${r.error?.message ?? ''}`).toBe(`probe ${id}`);
      };
      await ask();
      return { ask, close: () => c.close() };
    }
    case 'dubbo': {
      const c = await DubboConn.connect(p);
      const ask = async () => {
        const id = nextId++;
        expect((await dubboCall(c, id, { method: 'echo', args: [java.String(`probe ${id}`)] })).value).toBe(`probe ${id}`);
      };
      await ask();
      return { ask, close: () => c.close() };
    }
    case 'example': {
      const ask = async () => {
        const id = nextId++;
        expect(await exampleCall(p, id)).toBe(`${id} echo:probe`);
      };
      await ask();
      return { ask, close: () => {} };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The fuzzing

interface Outcome {
  inputs: number;
  /** mosn closed the connection (before we did). */
  closedByMosn: number;
  /** mosn wrote something back. */
  answered: number;
  /** Neither an answer nor a close within 5 s of our FIN. */
  hung: number;
  /** The hung inputs: index, own seed, bytes (latin1, cut). */
  hungInputs: string[];
}

/** One input on its own connection: its reads written, then wait for mosn to close or to go quiet; then FIN. */
function sendOne(port: number, reads: Buffer[], o: Outcome, what: () => string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = false;
    let closed = false;
    let quiet: NodeJS.Timeout | undefined;
    let hang: NodeJS.Timeout | undefined;
    const finish = () => {
      if (closed) return;
      closed = true;
      clearTimeout(quiet);
      clearTimeout(hang);
      resolve();
    };
    const goQuiet = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        // mosn is waiting for more (or done answering): end our side; it must close now
        s.end();
        hang = setTimeout(() => {
          o.hung++;
          if (o.hungInputs.length < 5) o.hungInputs.push(what());
          s.destroy();
          finish();
        }, 5000);
      }, got ? 50 : 150);
    };
    s.on('connect', async () => {
      for (const r of reads) {
        if (s.destroyed) break;
        s.write(r);
        await new Promise((r2) => setImmediate(r2));
      }
      goQuiet();
    });
    s.on('data', () => {
      if (!got) o.answered++;
      got = true;
      if (!hang) goQuiet();
    });
    s.on('end', () => {
      if (!hang) o.closedByMosn++;
    });
    s.on('error', () => {});
    s.on('close', finish);
  });
}

async function fuzzThrough(kind: Kind, structure: Structure): Promise<Outcome> {
  const o: Outcome = { inputs: 0, closedByMosn: 0, answered: 0, hung: 0, hungInputs: [] };
  let next = 0;
  const worker = async () => {
    while (next < INPUTS) {
      const i = next++;
      const { bytes, cuts } = makeInput(new Rng(inputSeed(SEED, i)), structure);
      o.inputs++;
      await sendOne(mosn.ports[kind], pieces(bytes, cuts), o, () => `index ${i} inputSeed ${inputSeed(SEED, i)} cuts [${cuts.join(',')}]: ${JSON.stringify(bytes.toString('latin1').slice(0, 600))}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return o;
}

/** Fuzz `kind` while a well-behaved client asks again and again; all its answers must be right. */
async function fuzzWhileServed(kind: Kind, structure: Structure): Promise<void> {
  const pr = await prober(kind);
  const failures: string[] = [];
  let served = 0;
  let resets = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      try {
        await pr.ask();
        served++;
      } catch (e) {
        if (e instanceof UpstreamReset) resets++;
        else failures.push((e as Error).message);
      }
      await sleep(10);
    }
  })();
  const t0 = Date.now();
  const o = await fuzzThrough(kind, structure);
  const seconds = (Date.now() - t0) / 1000;
  stop = true;
  await loop;
  await pr.ask();
  pr.close();
  const growth = (mosn.peakKiB - mosn.baselineKiB) / 1024;
  figures.push(
    `  ${kind}: ${o.inputs} inputs in ${seconds.toFixed(1)} s (${Math.round(o.inputs / seconds)}/s): answered ${o.answered}, closed by mosn ${o.closedByMosn}, hung ${o.hung}; ` +
      `good client served ${served}, failed ${failures.length}${resets > 0 ? `, answered 'upstream reset' ${resets} (the backend closed the shared connection)` : ''}; mosn RSS peak +${growth.toFixed(0)} MiB over baseline`,
  );
  expect(served).toBeGreaterThan(resets);
  if (resets > 0) expect(bolt.connections, 'upstream resets, yet the backend closed no connection').toBeGreaterThan(1);
  const wrong = failures.map((f) => /probe\/\d+/.exec(f)?.[0]).filter((x) => x !== undefined);
  const histories = [...h1History.values()].filter((h) => h.some((r) => wrong.some((w) => r.includes(`/${w} `)))).map((h) => h.join('\n    '));
  expect(failures, `the well-behaved ${kind} client: ${JSON.stringify(failures.slice(0, 5))}\n  upstream connections:\n    ${histories.join('\n  --\n    ')}`).toEqual([]);
  expect(o.hung, `${kind}: connections neither answered nor closed by mosn:\n  ${o.hungInputs.join('\n  ')}`).toBe(0);
  expect(growth).toBeLessThan(RSS_BOUND_MIB);
}

describe(`end-to-end fuzzing through mosn (${INPUTS} inputs per listener)`, () => {
  const timeout = 30_000 + INPUTS * 100;
  it('HTTP/1 heads and chunked bodies → node:http', () => fuzzWhileServed('http1', targets.http1), timeout);
  it('HTTP/2 frames through a real session → node:http2', () => fuzzWhileServed('http2', http2Structure), timeout);
  it('Bolt v1/v2 → sofa-rpc-node', () => fuzzWhileServed('bolt', targets.bolt), timeout);
  it('Dubbo with hessian2 bodies → apache-dubbo-service', () => fuzzWhileServed('dubbo', targets.dubbo), timeout);
  it('the example protocol (loaded from npm) → its server', () => fuzzWhileServed('example', targets.example), timeout);
  it('TLS ClientHellos on an inspector listener → HTTP/1 over TLS', () => fuzzWhileServed('tls', tlsStructure(tlsSeeds)), timeout);
});
