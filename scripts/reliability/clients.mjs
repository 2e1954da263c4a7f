// Well-behaved clients of each listener kind, for the reliability scripts: each keeps one connection (made again
// when it is lost) and makes calls one at a time; `call` resolves with the answer's text (who answered: the
// backends answer `<name> <what>`) or rejects (an error status, a reset, no answer within the timeout).
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { ROOT } from './mosn-process.mjs';

const { boltCodec, buildFrame: buildBolt, BoltStatus } = await import(`${ROOT}/packages/protocol-bolt/dist/index.js`);
const { dubboCodec, buildFrame: buildDubbo, encodeRequestBody, DubboStatus, isDecodeError, IoBuffer } = await import(`${ROOT}/packages/protocol-dubbo/dist/index.js`);

export const BOLT_SERVICE = 'com.example.reliability.Echo:1.0';
export const DUBBO_SERVICE = 'org.example.reliability.Echo';
const DECODE = { maxFrameSize: 256 * 1024 * 1024 };

/** A timer that rejects `reject` after `ms` unless cleared. */
function deadline(ms, reject, what) {
  return setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
}

/** HTTP/1 over one keep-alive connection (`tls`: HTTPS without verifying the test certificate). */
function http1Client(port, { tls = false, timeoutMs }) {
  const mod = tls ? https : http;
  const agent = new mod.Agent({ keepAlive: true, maxSockets: 1, ...(tls ? { rejectUnauthorized: false } : {}) });
  return {
    call: ({ path = '/ping', headers = {} } = {}) =>
      new Promise((resolve, reject) => {
        const req = mod.request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(t);
            const body = Buffer.concat(chunks).toString('latin1');
            if (res.statusCode === 200) resolve(body);
            else reject(new Error(`status ${res.statusCode}: ${body.slice(0, 120)}`));
          });
          res.on('error', (e) => (clearTimeout(t), reject(e)));
        });
        const t = deadline(timeoutMs, (e) => (req.destroy(e), reject(e)), `GET ${path}`);
        req.on('error', (e) => (clearTimeout(t), reject(e)));
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

/** HTTP/2 (h2c) over one session, made again when it closes. */
function http2Client(port, { timeoutMs }) {
  let session;
  const connect = () => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', () => {});
    s.on('close', () => {
      if (session === s) session = undefined;
    });
    return s;
  };
  return {
    call: ({ path = '/ping', headers = {} } = {}) =>
      new Promise((resolve, reject) => {
        if (!session || session.closed || session.destroyed) session = connect();
        const req = session.request({ ':path': path, ...headers });
        let status = 0;
        const chunks = [];
        const t = deadline(timeoutMs, (e) => (req.close(http2.constants.NGHTTP2_CANCEL), reject(e)), `h2 GET ${path}`);
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          clearTimeout(t);
          const body = Buffer.concat(chunks).toString('latin1');
          if (status === 200) resolve(body);
          else reject(new Error(`status ${status}: ${body.slice(0, 120)}`));
        });
        req.on('close', () => {
          clearTimeout(t);
          if (!req.readableEnded) reject(new Error(`h2 stream closed (rst ${req.rstCode}, status ${status})`));
        });
        req.on('error', () => {});
        req.end();
      }),
    close: () => session?.destroy(),
  };
}

/**
 * An RPC client over a codec: one connection (made again when lost), requests multiplexed by id, answers matched
 * by id. `frameFor(id, what)` builds a request; `result(frame)` is the answer's text, or throws for an error status.
 */
function rpcClient(port, codec, frameFor, result, { timeoutMs }) {
  let socket;
  let nextId = 1;
  const waiting = new Map();
  const fail = (err) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const connect = () => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const buffer = new IoBuffer();
    s.on('data', (chunk) => {
      buffer.append(chunk);
      for (;;) {
        const frame = codec.decode(buffer, DECODE);
        if (frame === undefined) break;
        if (isDecodeError(frame)) {
          s.destroy();
          return fail(new Error(`bad answer: ${frame.message}`));
        }
        const w = waiting.get(frame.requestId);
        if (!w) continue;
        waiting.delete(frame.requestId);
        try {
          w.resolve(result(frame));
        } catch (e) {
          w.reject(e);
        }
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (socket === s) socket = undefined;
      fail(new Error('connection closed'));
    });
    return s;
  };
  return {
    call: (what = {}) =>
      new Promise((resolve, reject) => {
        if (!socket || socket.destroyed) socket = connect();
        const id = nextId++;
        const t = deadline(timeoutMs, (e) => (waiting.delete(id), reject(e)), `${codec.name} call`);
        waiting.set(id, { resolve: (v) => (clearTimeout(t), resolve(v)), reject: (e) => (clearTimeout(t), reject(e)) });
        socket.write(Buffer.concat(codec.encode(frameFor(id, what))));
      }),
    close: () => socket?.destroy(),
  };
}

/** A Bolt request to `service`; `size` asks the backend for an answer that long. */
export function boltRequest(id, { service = BOLT_SERVICE, size = 0, body = Buffer.from('ping') } = {}) {
  const header = [
    ['service', service],
    ['sofa_head_target_service', service],
    ['sofa_head_method_name', 'echo'],
  ];
  if (size > 0) header.push(['size', String(size)]);
  return buildBolt({ version: 1, kind: 'request', requestId: id, timeout: 10_000, className: 'com.alipay.sofa.rpc.core.request.SofaRequest', header, body });
}

/** A Dubbo request `echo(arg)` (or `big`, asking for an answer `size` long) on `service`. */
export function dubboRequest(id, { service = DUBBO_SERVICE, size = 0, arg = 'ping' } = {}) {
  const body = encodeRequestBody({
    service,
    version: '1.0.0',
    method: size > 0 ? 'big' : 'echo',
    parameterTypes: 'Ljava/lang/String;',
    args: [arg],
    attachments: { path: service, interface: service, version: '1.0.0', ...(size > 0 ? { size: String(size) } : {}) },
  });
  return buildDubbo({ kind: 'request', requestId: id, body });
}

/** Bytes of a whole encoded Bolt or Dubbo request. */
export const encodeBolt = (id, what) => Buffer.concat(boltCodec.encode(boltRequest(id, what)));
export const encodeDubbo = (id, what) => Buffer.concat(dubboCodec.encode(dubboRequest(id, what)));

/** A persistent TCP connection through tcp_proxy to the echo backend: each call's bytes must come back. */
function tcpClient(port, { timeoutMs }) {
  let socket;
  let expect;
  let got = '';
  const connect = () => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.setEncoding('latin1');
    s.on('data', (d) => {
      got += d;
      if (expect && got.length >= expect.text.length) {
        const e = expect;
        expect = undefined;
        const text = got;
        got = '';
        if (text === e.text) e.resolve('echo');
        else e.reject(new Error(`echo mismatch: ${text.slice(0, 60)}`));
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (socket === s) socket = undefined;
      got = '';
      expect?.reject(new Error('connection closed'));
      expect = undefined;
    });
    return s;
  };
  let n = 0;
  return {
    call: () =>
      new Promise((resolve, reject) => {
        if (!socket || socket.destroyed) socket = connect();
        const text = `ping ${n++}\n`;
        const t = deadline(timeoutMs, (e) => ((expect = undefined), socket?.destroy(), reject(e)), 'tcp echo');
        expect = { text, resolve: (v) => (clearTimeout(t), resolve(v)), reject: (e) => (clearTimeout(t), reject(e)) };
        socket.write(text);
      }),
    close: () => socket?.destroy(),
  };
}

/** A well-behaved client of listener `kind` (http1, http2, bolt, dubbo, tcp, tls) on `port`. */
export function goodClient(kind, port, { timeoutMs = 10_000 } = {}) {
  switch (kind) {
    case 'http1':
      return http1Client(port, { timeoutMs });
    case 'tls':
      return http1Client(port, { tls: true, timeoutMs });
    case 'http2':
      return http2Client(port, { timeoutMs });
    case 'bolt':
      return rpcClient(port, boltCodec, boltRequest, (f) => {
        if (f.status !== BoltStatus.SUCCESS) throw new Error(`bolt status ${f.status}`);
        return f.body.toString('latin1');
      }, { timeoutMs });
    case 'dubbo':
      return rpcClient(port, dubboCodec, dubboRequest, (f) => {
        if (f.status !== DubboStatus.OK) throw new Error(`dubbo status ${f.status}`);
        return f.body.toString('latin1');
      }, { timeoutMs });
    case 'tcp':
      return tcpClient(port, { timeoutMs });
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}
