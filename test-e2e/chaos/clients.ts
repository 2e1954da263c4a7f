import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { decodeResponse as decodeBolt, encodeRequest as encodeBolt, splitFrames as splitBolt, CMD_TYPE } from '../bolt/peers.js';
import { decodeResponse as decodeDubbo, encodeRequest as encodeDubbo, java, splitFrames as splitDubbo, STATUS as DUBBO_STATUS } from '../dubbo/peers.js';
import { stallClock } from './vitals.js';

// The load clients of the chaos tests, one per protocol, each sending requests that carry a unique id and
// classifying what came back (see Outcome). HTTP/1 is node:http with a keep-alive agent, HTTP/2 node:http2
// sessions. Bolt and Dubbo are multiplexed connections whose frames are built and read by the protocols' own
// libraries (sofa-bolt-node, hessian.js; as in ../bolt/peers.ts and ../dubbo/peers.ts): sofa-rpc-node's and
// dubbo2.js's clients drop an answer to an id they are not waiting for, and a duplicate answer is exactly what
// must be seen here. Every request has a deadline of its own: no answer by then is a hang.

export type Protocol = 'http1' | 'http2' | 'bolt' | 'dubbo';
export const PROTOCOLS: readonly Protocol[] = ['http1', 'http2', 'bolt', 'dubbo'];

/** The upstreams' services (test-e2e/chaos/upstream.mjs). */
export const BOLT_SERVICE = 'com.alipay.chaos.ChaosService:1.0';
export const DUBBO_SERVICE = 'org.apache.dubbo.chaos.ChaosService';

/**
 * What became of one request:
 * - `ok`: answered with success by an upstream, the answer naming the request's own id (`who`: the upstream);
 * - `error`: the protocol's error answer (`status`: HTTP status, Bolt or Dubbo response status);
 * - `reset`: the client's connection to mosn failed with the request on it (no answer);
 * - `hang`: no answer by the request's deadline;
 * - `wrong`: an answer that is not this request's (another id), or a success without the upstream's answer.
 */
export type Kind = 'ok' | 'error' | 'reset' | 'hang' | 'wrong';

export interface Outcome {
  kind: Kind;
  who?: string;
  status?: number;
  detail?: string;
}

export interface LoadClient {
  readonly protocol: Protocol;
  /** Send request `id`; resolves with its outcome no later than `deadlineMs` from now (never rejects). */
  call(id: string, deadlineMs: number): Promise<Outcome>;
  /** Answers that matched no request waiting (a second answer to one id, or an id never sent), with a description. */
  readonly strays: string[];
  close(): void;
}

/** A success body `<upstream> <id>`: the upstream, or a `wrong` outcome. */
function checkBody(id: string, body: string): Outcome {
  const space = body.indexOf(' ');
  const who = body.slice(0, space);
  if (space < 1 || body.slice(space + 1) !== id) return { kind: 'wrong', detail: `request ${id} got ${JSON.stringify(body.slice(0, 100))}` };
  return { kind: 'ok', who };
}

/**
 * Settle `resolve` once: the first outcome, or a hang at the deadline. The deadline is in this process's running
 * time: when this process itself stood still (a stall of the machine), the deadline moves by as much, and its verdict
 * waits for the event loop's next poll phase, so that an answer already in a socket is read first.
 */
function once(resolve: (o: Outcome) => void, deadlineMs: number, onHang: () => void): { settle(o: Outcome): void } {
  let done = false;
  let stalledAt = stallClock.stalledMs;
  let timer: NodeJS.Timeout;
  const expire = () =>
    setImmediate(() => {
      if (done) return;
      const stood = stallClock.stalledMs - stalledAt;
      if (stood > 10) {
        stalledAt += stood;
        timer = setTimeout(expire, stood);
        return;
      }
      done = true;
      onHang();
      resolve({ kind: 'hang' });
    });
  timer = setTimeout(expire, deadlineMs);
  return {
    settle(o) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP/1: node:http, keep-alive

export function http1Client(port: number): LoadClient {
  // No limit on sockets: a request waiting in the agent for a free socket would wait on the client's side, and count
  // as mosn's time. Idle sockets are closed after 30 s, before mosn closes them (connection_idle_timeout, 90 s): a
  // socket taken from the pool just as the server closes it fails a request that never reached the server (HTTP/1's
  // keep-alive race).
  const agent = new http.Agent({ keepAlive: true, timeout: 30_000 });
  return {
    protocol: 'http1',
    strays: [],
    call(id, deadlineMs) {
      return new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, path: `/r/${id}`, agent, headers: { 'x-chaos-id': id } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const body = Buffer.concat(chunks).toString();
            r.settle(status === 200 ? checkBody(id, body) : { kind: 'error', status, detail: body.slice(0, 100) });
          });
          res.on('error', (e) => r.settle({ kind: 'reset', detail: e.message }));
        });
        const r = once(resolve, deadlineMs, () => req.destroy());
        req.on('error', (e: NodeJS.ErrnoException) => r.settle({ kind: 'reset', detail: e.code ?? e.message }));
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP/2: node:http2 sessions (h2c), requests spread over them

export function http2Client(port: number, sessions = 4): LoadClient {
  const pool: Array<http2.ClientHttp2Session | undefined> = new Array(sessions).fill(undefined);
  let next = 0;
  let closed = false;
  const session = (): http2.ClientHttp2Session => {
    const i = next++ % sessions;
    let s = pool[i];
    if (!s || s.closed || s.destroyed) {
      s = http2.connect(`http://127.0.0.1:${port}`);
      s.on('error', () => {});
      const made = s;
      s.once('close', () => {
        if (pool[i] === made) pool[i] = undefined;
      });
      pool[i] = s;
    }
    return s;
  };
  return {
    protocol: 'http2',
    strays: [],
    call(id, deadlineMs) {
      return new Promise((resolve) => {
        if (closed) return resolve({ kind: 'reset', detail: 'client closed' });
        const stream = session().request({ ':path': `/r/${id}`, 'x-chaos-id': id });
        const r = once(resolve, deadlineMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        let status = 0;
        const chunks: Buffer[] = [];
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          r.settle(status === 200 ? checkBody(id, body) : { kind: 'error', status, detail: body.slice(0, 100) });
        });
        stream.on('close', () => {
          if (!stream.readableEnded) r.settle({ kind: 'reset', detail: `stream closed, rst code ${stream.rstCode}` });
        });
        stream.on('error', (e: NodeJS.ErrnoException) => r.settle({ kind: 'reset', detail: e.code ?? e.message }));
        stream.end();
      });
    },
    close() {
      closed = true;
      for (const s of pool) s?.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Bolt and Dubbo: multiplexed connections of frames

interface Pending {
  id: string;
  settle(o: Outcome): void;
}

/** What an RPC answer frame says, read by the protocol's library. */
type ReadAnswer<F> = (frame: F, id: string) => Outcome;

/**
 * One multiplexed RPC connection: requests get this connection's next frame id; answers are matched by it. An
 * answer to an id not waiting is a stray; the connection closing fails what waits on it as `reset`.
 */
class RpcConnection<F extends { requestId: number }> {
  readonly socket: net.Socket;
  readonly pending = new Map<number, Pending>();
  closed = false;
  #buf: Buffer = Buffer.alloc(0);
  #nextId = 1;
  /** Frame ids answered already (the last 4096): a second answer to one of them is a duplicate, not an unknown id. */
  #answered = new Set<number>();
  /** Frame ids whose request hung (its deadline passed): an answer after that is late, counted as the hang. */
  #hung = new Set<number>();

  constructor(
    port: number,
    split: (b: Buffer) => { frames: F[]; rest: Buffer; error?: string },
    isAnswer: (f: F) => boolean,
    read: ReadAnswer<F>,
    strays: string[],
    protocol: Protocol,
  ) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => {
      this.#buf = this.#buf.length === 0 ? c : Buffer.concat([this.#buf, c]);
      const { frames, rest, error } = split(this.#buf);
      this.#buf = rest;
      for (const f of frames) {
        if (!isAnswer(f)) continue;
        const p = this.pending.get(f.requestId);
        if (!p) {
          if (this.#hung.delete(f.requestId)) continue;
          strays.push(`${protocol}: an answer to frame id ${f.requestId}, ${this.#answered.has(f.requestId) ? 'answered already' : 'which is not waiting'}`);
          continue;
        }
        this.pending.delete(f.requestId);
        this.#answered.add(f.requestId);
        if (this.#answered.size > 4096) this.#answered.delete(this.#answered.values().next().value!);
        p.settle(read(f, p.id));
      }
      if (error) {
        strays.push(`${protocol}: unreadable bytes from mosn: ${error}`);
        this.socket.destroy();
      }
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.settle({ kind: 'reset', detail: 'connection to mosn closed' });
      this.pending.clear();
    });
  }

  send(id: string, encode: (frameId: number) => Buffer, deadlineMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const frameId = this.#nextId++;
      const r = once(resolve, deadlineMs, () => {
        this.pending.delete(frameId);
        this.#hung.add(frameId);
      });
      this.pending.set(frameId, { id, settle: r.settle });
      this.socket.write(encode(frameId));
    });
  }
}

/** An RPC load client: `connections` multiplexed connections, requests spread over them, a closed one replaced. */
function rpcClient<F extends { requestId: number }>(
  protocol: Protocol,
  port: number,
  connections: number,
  split: (b: Buffer) => { frames: F[]; rest: Buffer; error?: string },
  isAnswer: (f: F) => boolean,
  read: ReadAnswer<F>,
  encode: (frameId: number, id: string, deadlineMs: number) => Buffer,
): LoadClient {
  const strays: string[] = [];
  const pool: Array<RpcConnection<F> | undefined> = new Array(connections).fill(undefined);
  let next = 0;
  let closed = false;
  return {
    protocol,
    strays,
    call(id, deadlineMs) {
      if (closed) return Promise.resolve({ kind: 'reset', detail: 'client closed' });
      const i = next++ % connections;
      let c = pool[i];
      if (!c || c.closed) pool[i] = c = new RpcConnection(port, split, isAnswer, read, strays, protocol);
      return c.send(id, (frameId) => encode(frameId, id, deadlineMs), deadlineMs);
    },
    close() {
      closed = true;
      for (const c of pool) c?.socket.destroy();
    },
  };
}

/**
 * Bolt v1 requests of `call(id)` with the request's own timeout field (`timeoutMs`: mosn answers TIMEOUT after
 * it), encoded by sofa-bolt-node; answers decoded by it.
 */
export function boltClient(port: number, timeoutMs: number, connections = 4): LoadClient {
  return rpcClient(
    'bolt',
    port,
    connections,
    splitBolt,
    (f) => f.type === CMD_TYPE.response,
    (f, id) => {
      if (f.status !== 0) return { kind: 'error', status: f.status ?? -1 };
      const { appResponse, error } = decodeBolt(f);
      if (error) return { kind: 'wrong', detail: `request ${id}: status SUCCESS with an error: ${error.message}` };
      return checkBody(id, String(appResponse));
    },
    (frameId, id) => encodeBolt(frameId, { method: 'call', args: [id], service: BOLT_SERVICE, timeout: timeoutMs }),
  );
}

/** Dubbo (hessian2) two-way requests of `call(id)`, encoded and decoded with hessian.js. */
export function dubboClient(port: number, connections = 4): LoadClient {
  return rpcClient(
    'dubbo',
    port,
    connections,
    splitDubbo,
    (f) => !f.isRequest && !f.isEvent,
    (f, id) => {
      if (f.status !== DUBBO_STATUS.OK) return { kind: 'error', status: f.status };
      const { value, exception } = decodeDubbo(f);
      if (exception !== undefined) return { kind: 'wrong', detail: `request ${id}: an exception: ${String(exception).slice(0, 100)}` };
      return checkBody(id, String(value));
    },
    (frameId, id) => encodeDubbo(frameId, { method: 'call', service: DUBBO_SERVICE, args: [java.String(id)] }),
  );
}
