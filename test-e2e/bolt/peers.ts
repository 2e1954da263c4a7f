import { createRequire } from 'node:module';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// The independent Bolt peers for the e2e tests: sofa-rpc-node 2.10.0 (RpcServer, RpcClient; Bolt v1) and
// sofa-bolt-node 2.0.1 (its codec: v1, v2, CRC32). Both are CommonJS; they are loaded with require.
//
// Traps handled here (see /work/shared/PEERS.md):
// - RpcServer listens on all interfaces: `_startServer` is replaced to bind 127.0.0.1 (port 0).
// - RpcServer.start() calls `graceful`, which adds a process-wide `uncaughtException` listener that swallows
//   the exception and exits the process 30 s later: the listener is removed again right after start().
// - RpcServer emits 'error' for every failed call (unknown service, encode failure): a listener collects them.
// - Service methods must be `async` functions: a plain function is answered as "Can not find method".
// - The client keeps a process-wide circuit breaker per address and degrades addresses by error rate: both
//   are switched off, so a test of errors does not make later calls fail inside the client.
// - RpcClient.close() waits for every pending call: connections are destroyed first instead.
// - The server answers one-way requests with a normal response (the decoded request has no one-way flag).

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any */
const sofaRpc = require('sofa-rpc-node') as any;
const boltProtocol = require('sofa-bolt-node/lib/protocol') as {
  requestEncode(id: number, req: object, options: object): Buffer;
  heartbeatEncode(id: number, hb: object, options: object): Buffer;
  decode(buf: Buffer, options: object): { packetId: number; packetType: string; data?: any; options?: any };
};
const boltUtils = require('sofa-bolt-node/lib/utils') as { crc32(buf: Buffer): number };
const RpcServerBase = sofaRpc.server.RpcServer as new (options: object) => any;
const RpcConnectionBase = sofaRpc.server.RpcConnection as new (options: object) => any;

export const SERVICE = 'com.alipay.test.TestService:1.0';
export const OTHER_SERVICE = 'com.alipay.test.OtherService:1.0';
const interfaceOf = (service: string) => service.slice(0, service.lastIndexOf(':'));

// Client-side fault handling off: these tests look at what mosn answers, not at sofa-rpc-node's policies.
const dynamicConfig = sofaRpc.client.DynamicConfig.instance;
dynamicConfig.circuitBreaker.forceClosed = true;
dynamicConfig.faultTolerance.regulationEffective = false;

/** A logger for sofa-rpc-node that keeps warnings and errors (for failure messages) and prints nothing. */
export function quietLogger(): { logs: string[]; debug(): void; info(): void; warn(...a: unknown[]): void; error(...a: unknown[]): void } {
  const logs: string[] = [];
  const keep = (level: string) => (...a: unknown[]) => {
    if (logs.length < 200) logs.push(`${level} ${a.map((x) => (x instanceof Error ? x.message : String(x))).join(' ')}`);
  };
  return { logs, debug() {}, info() {}, warn: keep('warn'), error: keep('error') };
}

// ---------------------------------------------------------------------------------------------------------
// Server

/** A server connection that tells its listeners about each heartbeat it answers. */
class CountingConnection extends RpcConnectionBase {
  _handleHeartbeat(hb: unknown): void {
    this.emit('heartbeat', hb);
    super._handleHeartbeat(hb);
  }
}

/** RpcServer bound to 127.0.0.1, without graceful's process-wide uncaughtException handler. */
class LocalRpcServer extends RpcServerBase {
  _startServer(port: number): net.Server {
    const server = net.createServer();
    server.once('error', (err) => this.emit('error', err));
    server.on('connection', (socket) => this._handleSocket(socket));
    server.listen(port, '127.0.0.1', () => {
      this.publishPort = (server.address() as net.AddressInfo).port;
    });
    return server;
  }

  start(): Promise<void> {
    const before = new Set(process.listeners('uncaughtException'));
    // graceful() runs synchronously inside start(), before its first await
    const started = super.start() as Promise<void>;
    for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l);
    return started;
  }
}

/** One request as the server saw it. */
export interface SeenRequest {
  id: number;
  service: string;
  method: string;
  args: unknown[];
  protocolType: string; // 'bolt' (v1) or 'bolt2' (v2)
  crcEnable: boolean;
}

export interface TestServer {
  name: string;
  /** The address the server listens on: always 127.0.0.1. */
  host: string;
  port: number;
  /** `host:port` */
  address: string;
  /** Every request the server decoded (including unknown services and methods), in order. */
  requests: SeenRequest[];
  /** Heartbeats the server answered. */
  heartbeats: number;
  /** TCP connections the server accepted. */
  connections: number;
  /** 'error' events of the RpcServer (one per failed call, e.g. unknown service). */
  errors: Error[];
  logs: string[];
  /** Graceful close. */
  close(): Promise<void>;
  /** Sudden death: stop listening and reset every connection. */
  kill(): void;
}

export type Methods = Record<string, (...args: any[]) => Promise<unknown>>;

/** The methods of TestService; `name` tells which server answered. All must be async (sofa-rpc-node's rule). */
export function testMethods(name: string): Methods {
  return {
    async echo(s: unknown) {
      return s;
    },
    async plus(a: number, b: number) {
      return a + b;
    },
    async fail() {
      throw new Error(`boom from ${name}`);
    },
    async slow(ms: number) {
      await sleep(ms);
      return name;
    },
    async whoami() {
      return name;
    },
  };
}

/**
 * A sofa-rpc-node RpcServer on 127.0.0.1 (`port`, default 0: any free port; a fixed one to restart a killed
 * server where it was) publishing `services` (default: TestService and OtherService, both with
 * `testMethods(name)`); with `registry` (a sofa-rpc-node registry, e.g. its ZookeeperRegistry) each service is
 * published as `publishAddress` (default 127.0.0.1) and `port`, and unpublished first by `close()`.
 */
export async function startRpcServer(
  name = 'server',
  opts: { services?: string[]; methods?: Methods; port?: number; registry?: unknown; publishAddress?: string } = {},
): Promise<TestServer> {
  const logger = quietLogger();
  const server = new LocalRpcServer({
    appName: name,
    port: opts.port ?? 0,
    logger,
    connectionClass: CountingConnection,
    ...(opts.registry ? { registry: opts.registry, publishAddress: opts.publishAddress ?? '127.0.0.1' } : {}),
  });
  const t: TestServer = {
    name,
    host: '',
    port: 0,
    address: '',
    requests: [],
    heartbeats: 0,
    connections: 0,
    errors: [],
    logs: logger.logs,
    close: async () => {
      await Promise.race([server.close(), sleep(2000)]);
    },
    kill: () => {
      for (const s of server._servers as net.Server[]) s.close();
      for (const c of sockets) c.destroy();
    },
  };
  const sockets = new Set<net.Socket>();
  server.on('error', (err: Error) => t.errors.push(err));
  server.on('connection', (conn: any) => {
    t.connections++;
    const socket = conn.socket as net.Socket;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    conn.on('heartbeat', () => t.heartbeats++);
  });
  server.on('request', ({ req }: { req: any }) => {
    t.requests.push({
      id: req.packetId,
      service: req.data.serverSignature,
      method: req.data.methodName,
      args: req.data.args,
      protocolType: req.options.protocolType,
      crcEnable: !!req.options.crcEnable,
    });
  });
  const methods = opts.methods ?? testMethods(name);
  for (const service of opts.services ?? [SERVICE, OTHER_SERVICE]) {
    server.addService({ interfaceName: interfaceOf(service), version: service.slice(service.lastIndexOf(':') + 1) }, methods);
  }
  await server.start();
  // with a registry (a fixed `port`: the server publishes the port it was given), publish every service
  if (opts.registry) await server.publish();
  const bound = (server._servers as net.Server[])[0]!.address() as net.AddressInfo;
  t.host = bound.address;
  t.port = bound.port;
  t.address = `${t.host}:${t.port}`;
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// Client

export interface TestClient {
  /** Call `method` of `service` (default TestService) with a response timeout (default 3 s). */
  invoke<T = unknown>(method: string, args: unknown[], opts?: { service?: string; timeout?: number }): Promise<T>;
  /** 'error' events of the RpcClient. */
  errors: Error[];
  logs: string[];
  close(): Promise<void>;
}

/** A sofa-rpc-node RpcClient that talks to one fixed address (`serverHost`, no registry): one connection. */
export function rpcClient(address: string): TestClient {
  const logger = quietLogger();
  const client = new sofaRpc.client.RpcClient({ logger });
  const errors: Error[] = [];
  client.on('error', (err: Error) => errors.push(err));
  return {
    errors,
    logs: logger.logs,
    async invoke<T>(method: string, args: unknown[], o: { service?: string; timeout?: number } = {}): Promise<T> {
      const service = o.service ?? SERVICE;
      const timeout = o.timeout ?? 3000;
      const consumer = client.createConsumer({
        interfaceName: interfaceOf(service),
        version: service.slice(service.lastIndexOf(':') + 1),
        serverHost: address,
        responseTimeout: timeout,
      });
      await consumer.ready();
      return (await consumer.invoke(method, args, { responseTimeout: timeout })) as T;
    },
    async close() {
      // RpcConnection.close() waits for pending calls; destroy the sockets instead
      const conns = [...(client.connectionManager.connections as Map<string, any>).values()];
      await Promise.race([Promise.all(conns.map((c) => c.forceClose())), sleep(2000)]);
      await Promise.race([client.close(), sleep(2000)]);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Raw frames

/** v1: proto 1. v2: proto 2, ver1 2, with the CRC32 trailer (the switch bit set). */
export type BoltVersion = 'v1' | 'v2';

const encodeOptions = (v: BoltVersion) =>
  v === 'v1'
    ? { protocolType: 'bolt', codecType: 'hessian2', boltVersion: 1, crcEnable: false }
    : { protocolType: 'bolt2', codecType: 'hessian2', boltVersion: 2, crcEnable: true };

export interface RequestSpec {
  method: string;
  args?: unknown[];
  service?: string;
  /** The request's own timeout field (ms). */
  timeout?: number;
  oneway?: boolean;
  version?: BoltVersion;
}

/** A request frame encoded by sofa-bolt-node. */
export function encodeRequest(id: number, r: RequestSpec): Buffer {
  const service = r.service ?? SERVICE;
  const req = { serverSignature: service, methodName: r.method, args: r.args ?? [], timeout: r.timeout ?? 3000, oneway: !!r.oneway, requestProps: { service } };
  return Buffer.from(boltProtocol.requestEncode(id, req, encodeOptions(r.version ?? 'v1')));
}

/** A heartbeat request encoded by sofa-bolt-node. */
export function encodeHeartbeat(id: number, version: BoltVersion = 'v1'): Buffer {
  return Buffer.from(boltProtocol.heartbeatEncode(id, { timeout: 3000 }, encodeOptions(version)));
}

export const CMD_TYPE = { response: 0, request: 1, oneway: 2 } as const;
export const CMD_CODE = { heartbeat: 0, request: 1, response: 2 } as const;

/** The fixed fields of a frame, read by position (no decoding of the content). */
export interface RawFrame {
  proto: number;
  type: number;
  cmdCode: number;
  requestId: number;
  /** Response status (responses only). */
  status: number | undefined;
  /** A CRC32 trailer is present (v2 with the CRC switch). */
  crc: boolean;
  /** The trailer matches sofa-bolt-node's CRC32 of the frame. */
  crcValid: boolean;
  raw: Buffer;
}

/** Split whole frames off `buf`; stops at an incomplete frame or at bytes that are no Bolt frame. */
export function splitFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer; error?: string } {
  const frames: RawFrame[] = [];
  let off = 0;
  for (;;) {
    const b = buf.subarray(off);
    if (b.length < 1) return { frames, rest: b };
    const proto = b[0]!;
    if (proto !== 1 && proto !== 2) return { frames, rest: b, error: `not a Bolt frame: first byte ${proto}` };
    const v2 = proto === 2 ? 1 : 0; // v2 has ver1 after proto, and a switch byte after codec
    if (b.length < 2 + v2) return { frames, rest: b };
    const type = b[1 + v2]!;
    const isResponse = type === CMD_TYPE.response;
    const fixed = (isResponse ? 20 : 22) + 2 * v2;
    if (b.length < fixed) return { frames, rest: b };
    const cmdCode = b.readUInt16BE(2 + v2);
    const requestId = b.readUInt32BE(5 + v2);
    const crc = v2 === 1 && b[1] === 2 && (b[11]! & 1) === 1;
    const lens = isResponse ? 12 + 2 * v2 : 14 + 2 * v2; // classLen, headerLen, contentLen
    const status = isResponse ? b.readUInt16BE(10 + 2 * v2) : undefined;
    const total = fixed + b.readUInt16BE(lens) + b.readUInt16BE(lens + 2) + b.readUInt32BE(lens + 4) + (crc ? 4 : 0);
    if (b.length < total) return { frames, rest: b };
    const raw = Buffer.from(b.subarray(0, total));
    const crcValid = crc && boltUtils.crc32(raw.subarray(0, total - 4)) === raw.readInt32BE(total - 4);
    frames.push({ proto, type, cmdCode, requestId, status, crc, crcValid, raw });
    off += total;
  }
}

/** Decode a response frame's content with sofa-bolt-node (which also checks a v2 CRC). */
export function decodeResponse(f: RawFrame): { appResponse: unknown; error: Error | null } {
  const d = boltProtocol.decode(f.raw, {});
  return { appResponse: d.data?.appResponse, error: d.data?.error ?? null };
}

/** A raw Bolt connection: write bytes, read whole frames by position. */
export class BoltConn {
  readonly socket: net.Socket;
  readonly frames: RawFrame[] = [];
  /** Set when the bytes received stop being Bolt frames. */
  parseError: string | undefined;
  closed = false;
  #buf: Buffer = Buffer.alloc(0);
  #waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      if (this.parseError) return;
      const { frames, rest, error } = splitFrames(this.#buf);
      this.frames.push(...frames);
      this.#buf = rest;
      this.parseError = error;
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  static connect(port: number): Promise<BoltConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new BoltConn(s)));
      s.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  write(...data: Buffer[]): void {
    for (const d of data) this.socket.write(d);
  }

  /** Write `data` one byte per write, `gapMs` apart. */
  async writeBytewise(data: Buffer, gapMs = 1): Promise<void> {
    for (let i = 0; i < data.length; i++) {
      this.socket.write(data.subarray(i, i + 1));
      await sleep(gapMs);
    }
  }

  /** Resolve when `cond` (on what this connection received) holds; reject after `ms` with `what` and what was received. */
  until<T>(cond: () => T | undefined | false, ms: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = cond();
        if (v !== undefined && v !== false) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: not within ${ms} ms (${this.describe()})`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The frame answering `requestId`. */
  async response(requestId: number, ms = 3000): Promise<RawFrame> {
    const what = `response to request ${requestId}`;
    const r = await this.until(() => this.frames.find((f) => f.type === CMD_TYPE.response && f.requestId === requestId) ?? (this.closed ? 'closed' : undefined), ms, what);
    if (r === 'closed') throw new Error(`${what}: the connection was closed first (${this.describe()})`);
    return r;
  }

  /**
   * What became of a request the peer should refuse: its error response, the connection closed, or (after
   * `ms`) nothing.
   */
  async outcome(requestId: number | undefined, ms = 3000): Promise<{ kind: 'response'; frame: RawFrame } | { kind: 'closed' } | { kind: 'nothing' }> {
    try {
      return await this.until(() => {
        const f = requestId === undefined ? undefined : this.frames.find((x) => x.requestId === requestId);
        if (f) return { kind: 'response' as const, frame: f };
        if (this.closed) return { kind: 'closed' as const };
        return undefined;
      }, ms, 'outcome');
    } catch {
      return { kind: 'nothing' };
    }
  }

  describe(): string {
    const fs = this.frames.map((f) => `${f.type === 0 ? 'res' : 'req'}#${f.requestId}${f.status !== undefined ? `/s${f.status}` : ''}`).join(',');
    return `frames [${fs}]${this.parseError ? `, ${this.parseError}` : ''}${this.closed ? ', closed' : ''}`;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Poll `cond` every 5 ms; reject after `ms` naming `what`. (BoltConn.until only re-checks on socket events.) */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
}

/** Send one request on `conn` and wait for its answer; decodes success and error responses. */
export async function rawCall(conn: BoltConn, id: number, r: RequestSpec, ms = 3000): Promise<{ frame: RawFrame; appResponse: unknown; error: Error | null }> {
  conn.write(encodeRequest(id, r));
  const frame = await conn.response(id, ms);
  return { frame, ...decodeResponse(frame) };
}
