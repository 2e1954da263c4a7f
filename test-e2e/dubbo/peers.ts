import { createRequire } from 'node:module';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// The independent Dubbo peers for the e2e tests: apache-dubbo-service 0.0.1 (a provider, dubbo-js 4.x line,
// with its codec apache-dubbo-serialization), dubbo2.js 2.3.9 (a consumer, DirectlyDubbo), and frames built
// by hand with hessian.js 2.11.0 / js-to-java 2.8.0 for what neither peer can produce. All are CommonJS.
//
// Traps handled here (see /work/shared/PEERS.md; the ones marked * were found while writing this harness):
// - DubboService listens on all interfaces, on a port it picks from 20888-30000 itself: its `listen` (an
//   instance arrow function, set in the constructor and first called on the next tick) is replaced in the
//   subclass constructor by one that binds 127.0.0.1:0.
// - It needs a registry: a stub with ready(), registerServices(), close(). ready() resolves only after
//   registerServices() ran, which runs once listening.
// - * With a `dubboSetting` that has no entry for a service, registerServices() throws (meta is null): every
//   service gets its group/version through a matchThunk of a fresh DubboSetting (never the global one).
// - * Its per-connection handler has no 'error' listener on the socket (a peer's RST would be an uncaught
//   exception) and an async frame handler whose failures are unhandled rejections (an unreadable body):
//   the handler is replaced by the same steps (heartbeat, decodeDubboRequest, its middleware chain,
//   DubboResponseEncoder) with both guarded, counting connections, heartbeats and requests.
// - It miscounts primitive parameter types (`desc.split(';')`: "II" is one parameter): use boxed types.
// - It returns 0, "" and false as null (RESPONSE_NULL_VALUE), sends an exception as its bare message string
//   (status 20, flag 3), answers one-way requests like two-way ones, and answers a heartbeat with id 0 and
//   status 0 (flag 0x62).
// - * Service methods are called with the invocation context appended as the last argument.
// - * Its response encoder crashes (`ctx.body.err.message` of null) on a result over 8 MiB: results stay small.
// - close() waits for every connection (server.close): connections are destroyed first.
// - dubbo2.js resolves every call to `{ res, err }` and never rejects; its timeout (`dubboInvokeTimeout`) is in
//   seconds; it has no close() and retries a lost connection 20 times, 3 s apart, failing nothing in flight
//   until the retries are used up. Here retries are off by default (a closed connection fails the calls in
//   flight at once) and `close()` stops the worker for good.
// - * dubbo2.js request ids come from one counter per process (not per client), starting at 1.
// - * dubbo2.js reports a non-20 status as an error whose message is the raw body bytes as text (the
//   hessian2 string with its length byte in front), so a status check needs raw frames.
// - * dubbo2.js refuses to encode a request body over 8 MiB (DubboEncodeError): 9 MiB frames are built here.
//   A call queued before its connection is up is encoded in the socket's connect callback, where such an
//   encode error is an uncaught exception: tests make a first call before any call that cannot be encoded.

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any */
const { DubboService } = require('apache-dubbo-service') as { DubboService: new (props: object) => any };
const { DubboSetting } = require('apache-dubbo-service/lib/dubbo-setting') as { DubboSetting: new () => any };
const serialization = createRequire(require.resolve('apache-dubbo-service'))('apache-dubbo-serialization') as {
  HeartBeat: { from(o: object): { emit(): void; setWriteTimestamp(): void }; isHeartBeat(b: Buffer): boolean };
  DecodeBuffer: { from(socket: net.Socket, flag: string): { subscribe(fn: (data: Buffer) => void): void } };
  DubboResponseEncoder: new (ctx: unknown) => { encode(): Buffer };
  decodeDubboRequest(b: Buffer): { requestId: number; methodName: string; args?: unknown[]; attachment: Record<string, unknown>; parameterTypeDesc: string };
};
const { DirectlyDubbo } = require('dubbo2.js') as { DirectlyDubbo: { from(props: object): any } };
const hessian = require('hessian.js') as {
  EncoderV2: new () => { write(v: unknown): void; get(): Buffer };
  DecoderV2: new (b: Buffer) => { read(): unknown; readInt(): number };
};
export const java = require('js-to-java') as {
  (className: string, value: unknown): { $class: string; $: unknown };
  Integer(v: number): { $class: string; $: unknown };
  int(v: number): { $class: string; $: unknown };
  String(v: string): { $class: string; $: unknown };
  Boolean(v: boolean): { $class: string; $: unknown };
};

export const DEMO = 'org.apache.dubbo.demo.DemoService';
export const ORDER = 'org.apache.dubbo.demo.OrderService';
export const VERSION = '1.0.0';

// ---------------------------------------------------------------------------------------------------------
// Provider: apache-dubbo-service

/** One request as the provider decoded it (every frame that is not a heartbeat, served or not). */
export interface SeenRequest {
  id: number;
  service: string;
  version: string;
  group: string;
  method: string;
  args: unknown[];
  /** The parameter descriptor as sent. */
  types: string;
  attachments: Record<string, unknown>;
  twoWay: boolean;
}

export interface TestProvider {
  name: string;
  /** The address the provider listens on: always 127.0.0.1. */
  host: string;
  port: number;
  /** `host:port` */
  address: string;
  requests: SeenRequest[];
  /** Heartbeats the provider answered. */
  heartbeats: number;
  /** TCP connections the provider accepted. */
  connections: number;
  /** Frames its handler failed on (unreadable bodies). */
  errors: Error[];
  /** Close: connections destroyed, then the listener. */
  close(): Promise<void>;
  /** Sudden death: stop listening and reset every connection. */
  kill(): void;
}

export type Methods = Record<string, (...args: any[]) => unknown>;

export interface ServiceSpec {
  interface: string;
  version?: string;
  group?: string;
  methods?: Methods;
}

/** The methods every test service has; `name` tells which provider answered. The last argument is the context. */
export function testMethods(name: string): Methods {
  return {
    echo: (s: unknown) => s,
    plus: (a: number, b: number) => a + b,
    whoami: () => name,
    audit: (s: unknown) => `${name} audited ${String(s)}`,
    fail: () => {
      throw new Error(`boom from ${name}`);
    },
    slow: async (ms: number) => {
      await sleep(ms);
      return name;
    },
    /** The length of a byte[] or a string argument (the result stays small). */
    size: (b: Buffer | string) => b.length,
    zero: () => 0,
    /** The group this call reached the provider with, from the invocation context. */
    group: (ctx: { request: { attachment: Record<string, unknown> } }) => `${name}:${String(ctx.request.attachment.group ?? '')}`,
  };
}

/** DubboService bound to 127.0.0.1:0, with a guarded, counting connection handler. */
class LocalDubboService extends (DubboService as new (props: object) => any) {
  constructor(props: object, t: TestProvider, sockets: Set<net.Socket>, port: number) {
    super(props);
    // Both are instance properties set by the base constructor; `listen` is first called on the next tick.
    this.listen = async () => {
      this.port = 0;
      this.server = net.createServer(this.handleSocketRequest);
      this.server.on('error', (err: Error) => this.reject(err));
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        this.retry.reset();
        this.registerServices().catch((err: Error) => this.reject(err));
      });
    };
    this.handleSocketRequest = (socket: net.Socket) => {
      t.connections++;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
      const heartbeat = serialization.HeartBeat.from({ type: 'response', transport: socket, onTimeout: () => socket.destroy() });
      serialization.DecodeBuffer.from(socket, 'dubbo-server').subscribe(async (data: Buffer) => {
        try {
          if (serialization.HeartBeat.isHeartBeat(data)) {
            t.heartbeats++;
            heartbeat.emit();
            return;
          }
          const req = serialization.decodeDubboRequest(data);
          const a = req.attachment;
          t.requests.push({
            id: req.requestId,
            service: String(a.path),
            version: String(a.version ?? ''),
            group: String(a.group ?? ''),
            method: req.methodName,
            args: req.args ?? [],
            types: req.parameterTypeDesc,
            attachments: { ...a },
            twoWay: (data[2]! & 0x40) !== 0,
          });
          const ctx = await this.invokeComposeChainRequest(data);
          heartbeat.setWriteTimestamp();
          if (!socket.destroyed) socket.write(new serialization.DubboResponseEncoder(ctx).encode());
        } catch (e) {
          t.errors.push(e as Error);
        }
      });
    };
  }
}

/**
 * An apache-dubbo-service provider on 127.0.0.1 (`port`, default 0: any free port; a fixed one to restart a
 * killed provider where it was) publishing `services` (default: DemoService and
 * OrderService 1.0.0, no group, with `testMethods(name)`), with a stub registry.
 */
export async function startProvider(name = 'provider', opts: { services?: ServiceSpec[]; port?: number } = {}): Promise<TestProvider> {
  const specs = opts.services ?? [{ interface: DEMO }, { interface: ORDER }];
  const services: Record<string, { dubboInterface: string; methods: Methods }> = {};
  const meta: Record<string, { group: string; version: string }> = {};
  specs.forEach((s, i) => {
    const key = `s${i}`;
    services[key] = { dubboInterface: s.interface, methods: s.methods ?? testMethods(name) };
    meta[key] = { group: s.group ?? '', version: s.version ?? VERSION };
  });
  const setting = new DubboSetting().matchThunk((shortName: string) => meta[shortName]);
  const registry = { ready: async () => {}, registerServices: async () => {}, getClient: () => undefined, close: () => {} };
  const sockets = new Set<net.Socket>();
  const t: TestProvider = {
    name,
    host: '',
    port: 0,
    address: '',
    requests: [],
    heartbeats: 0,
    connections: 0,
    errors: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.race([svc.close().catch(() => {}), sleep(2000)]);
    },
    kill: () => {
      svc.server.close();
      for (const s of sockets) s.destroy();
    },
  };
  const svc = new LocalDubboService({ registry, services, dubboSetting: setting }, t, sockets, opts.port ?? 0);
  await Promise.race([svc.ready(), sleep(5000).then(() => Promise.reject(new Error(`provider ${name} not ready in 5 s`)))]);
  const bound = svc.server.address() as net.AddressInfo;
  t.host = bound.address;
  t.port = bound.port;
  t.address = `${t.host}:${t.port}`;
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// Consumer: dubbo2.js DirectlyDubbo

export interface CallOptions {
  service?: string;
  version?: string;
  group?: string;
}

export interface TestConsumer {
  /** One call; resolves `{ res, err }` as dubbo2.js does (never rejects). */
  call<T = unknown>(method: string, args?: unknown[], opts?: CallOptions): Promise<{ res: T | null; err: Error | null }>;
  /** The dubbo2.js socket is connected. */
  readonly connected: boolean;
  /** Stop for good: no more reconnects; calls in flight fail at once. */
  close(): void;
}

/**
 * A dubbo2.js DirectlyDubbo to one address (one connection). `timeoutSec` is dubbo2.js's invoke timeout;
 * `reconnect` keeps its own retry policy (20 × 3 s), otherwise a lost connection is final.
 */
export function dubboConsumer(address: string, opts: { timeoutSec?: number; reconnect?: boolean } = {}): TestConsumer {
  const client = DirectlyDubbo.from({ dubboAddress: address, dubboVersion: '2.0.2', dubboInvokeTimeout: opts.timeoutSec ?? 5 });
  const worker = client._socketWorker;
  let closed = false;
  let retries = 20;
  // _onConnected resets _retry to 20 and _onClose retries while it is > 0: pin it
  Object.defineProperty(worker, '_retry', {
    configurable: true,
    get: () => (closed || !opts.reconnect ? 0 : retries),
    set: (v: number) => {
      retries = v;
    },
  });
  const initSocket = worker._initSocket.bind(worker);
  worker._initSocket = () => {
    if (!closed) initSocket();
  };
  const proxies = new Map<string, any>();
  return {
    call(method, args = [], o = {}) {
      const service = o.service ?? DEMO;
      const version = o.version ?? VERSION;
      const key = `${service}:${version}:${o.group ?? ''}:${method}`;
      let proxy = proxies.get(key);
      if (!proxy) {
        proxy = client.proxyService({ dubboInterface: service, version, ...(o.group ? { group: o.group } : {}), methods: { [method]: (...a: unknown[]) => a } });
        proxies.set(key, proxy);
      }
      return proxy[method](...args);
    },
    get connected() {
      return client._socketStatus === 'CONNECTED' && worker._status === 'CONNECTED';
    },
    close() {
      if (closed) return;
      closed = true;
      worker._socket?.destroy();
      client.onClose(); // fails what is still queued, even if the socket was already gone
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Raw frames (hessian.js, js-to-java)

export const FLAG_REQUEST = 0x80;
export const FLAG_TWO_WAY = 0x40;
export const FLAG_EVENT = 0x20;
export const HESSIAN2 = 2;
export const STATUS = { OK: 20, CLIENT_TIMEOUT: 30, BAD_REQUEST: 40, SERVICE_NOT_FOUND: 60, SERVICE_ERROR: 70 } as const;

export interface RequestSpec {
  method: string;
  service?: string;
  /** The leading version value (and the `version` attachment); default 1.0.0. */
  version?: string;
  /** Arguments: js-to-java wrapped values, or Buffers (byte[]). */
  args?: unknown[];
  /** The parameter descriptor; default: from the arguments' classes. */
  types?: string;
  group?: string;
  /** More attachments (strings). */
  attachments?: Record<string, string>;
  oneWay?: boolean;
}

const PRIMITIVE: Record<string, string> = { boolean: 'Z', byte: 'B', char: 'C', double: 'D', float: 'F', int: 'I', long: 'J', short: 'S', void: 'V' };

/** A JVM descriptor for each argument: `Ljava/lang/String;`, `I`, `[B` for a Buffer. */
export function descriptor(args: unknown[]): string {
  return args
    .map((a) => {
      if (Buffer.isBuffer(a)) return '[B';
      let cls = (a as { $class: string }).$class;
      let prefix = '';
      while (cls.startsWith('[')) {
        prefix += '[';
        cls = cls.slice(1);
      }
      return prefix + (PRIMITIVE[cls] ?? `L${cls.replace(/\./g, '/')};`);
    })
    .join('');
}

function header(flag: number, status: number, id: number, bodyLength: number): Buffer {
  const h = Buffer.alloc(16);
  h[0] = 0xda;
  h[1] = 0xbb;
  h[2] = flag;
  h[3] = status;
  h.writeBigUInt64BE(BigInt(id), 4);
  h.writeUInt32BE(bodyLength, 12);
  return h;
}

/** A hessian2 request as a Java consumer writes it: dubbo version, path, version, method, types, args, attachments. */
export function encodeRequest(id: number, r: RequestSpec): Buffer {
  const service = r.service ?? DEMO;
  const version = r.version ?? VERSION;
  const args = r.args ?? [];
  const enc = new hessian.EncoderV2();
  enc.write('2.0.2');
  enc.write(service);
  enc.write(version);
  enc.write(r.method);
  enc.write(r.types ?? descriptor(args));
  for (const a of args) enc.write(a);
  const attachments: Record<string, string> = { path: service, interface: service, version, ...(r.group ? { group: r.group } : {}), ...r.attachments };
  enc.write({ $class: 'java.util.HashMap', $: attachments });
  const body = enc.get();
  const flag = FLAG_REQUEST | HESSIAN2 | (r.oneWay ? 0 : FLAG_TWO_WAY);
  return Buffer.concat([header(flag, 0, id, body.length), body]);
}

/** A heartbeat as Dubbo's HeartbeatTimerTask sends it: a two-way event request, body hessian2 null. */
export function encodeHeartbeat(id: number): Buffer {
  return Buffer.concat([header(FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | HESSIAN2, 0, id, 1), Buffer.from('N')]);
}

/** The fixed fields of a frame, read by position. */
export interface RawFrame {
  flag: number;
  isRequest: boolean;
  isEvent: boolean;
  twoWay: boolean;
  status: number;
  requestId: number;
  body: Buffer;
  raw: Buffer;
}

/** Split whole frames off `buf`; stops at an incomplete frame or at bytes without the Dubbo magic. */
export function splitFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer; error?: string } {
  const frames: RawFrame[] = [];
  let off = 0;
  for (;;) {
    const b = buf.subarray(off);
    if (b.length >= 2 && (b[0] !== 0xda || b[1] !== 0xbb)) return { frames, rest: b, error: `not a Dubbo frame: ${b.subarray(0, 4).toString('hex')}` };
    if (b.length < 16) return { frames, rest: b };
    const total = 16 + b.readUInt32BE(12);
    if (b.length < total) return { frames, rest: b };
    const raw = Buffer.from(b.subarray(0, total));
    const flag = raw[2]!;
    frames.push({
      flag,
      isRequest: (flag & FLAG_REQUEST) !== 0,
      isEvent: (flag & FLAG_EVENT) !== 0,
      twoWay: (flag & FLAG_TWO_WAY) !== 0,
      status: raw[3]!,
      requestId: Number(raw.readBigUInt64BE(4)),
      body: raw.subarray(16),
      raw,
    });
    off += total;
  }
}

/**
 * A response body decoded with hessian.js: status 20 → the result-type flag, then the value, an exception
 * (a bare string from apache-dubbo-service) or null; any other status → the error string.
 */
export function decodeResponse(f: RawFrame): { value: unknown; exception: unknown; error: string | undefined } {
  const d = new hessian.DecoderV2(f.body);
  if (f.status !== STATUS.OK) return { value: undefined, exception: undefined, error: String(d.read()) };
  if (f.isEvent) return { value: d.read(), exception: undefined, error: undefined };
  const type = d.readInt();
  if (type === 1 || type === 4) return { value: d.read(), exception: undefined, error: undefined };
  if (type === 0 || type === 3) return { value: undefined, exception: d.read(), error: undefined };
  return { value: null, exception: undefined, error: undefined };
}

/** A raw Dubbo connection: write bytes, read whole frames by position. */
export class DubboConn {
  readonly socket: net.Socket;
  readonly frames: RawFrame[] = [];
  parseError: string | undefined;
  closed = false;
  #buf: Buffer = Buffer.alloc(0);
  #waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.#buf = this.#buf.length === 0 ? c : Buffer.concat([this.#buf, c]);
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

  static connect(port: number): Promise<DubboConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new DubboConn(s)));
      s.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  write(...data: Buffer[]): void {
    for (const d of data) this.socket.write(d);
  }

  /** Resolve when `cond` holds; reject after `ms` naming `what` and what was received. */
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

  /** The response frame answering `requestId`. */
  async response(requestId: number, ms = 3000): Promise<RawFrame> {
    const what = `response to request ${requestId}`;
    const r = await this.until(() => this.frames.find((f) => !f.isRequest && f.requestId === requestId) ?? (this.closed ? 'closed' : undefined), ms, what);
    if (r === 'closed') throw new Error(`${what}: the connection was closed first (${this.describe()})`);
    return r;
  }

  /** What became of a request: its response, the connection closed, or (after `ms`) nothing. */
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
    const fs = this.frames.map((f) => `${f.isRequest ? 'req' : 'res'}#${f.requestId}/flag 0x${f.flag.toString(16)}/s${f.status}`).join(',');
    return `frames [${fs}]${this.parseError ? `, ${this.parseError}` : ''}${this.closed ? ', closed' : ''}`;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Poll `cond` every 5 ms; reject after `ms` naming `what`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
}

/** Send one request on `conn` and wait for its answer, decoded. */
export async function rawCall(conn: DubboConn, id: number, r: RequestSpec, ms = 3000): Promise<{ frame: RawFrame } & ReturnType<typeof decodeResponse>> {
  conn.write(encodeRequest(id, r));
  const frame = await conn.response(id, ms);
  return { frame, ...decodeResponse(frame) };
}
