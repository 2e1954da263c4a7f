// The upstreams of the reliability scripts, in a process of their own (so that their sockets and memory never count
// in the scripts' or mosn's): HTTP/1 (node:http), HTTP/2 h2c (node:http2), Bolt and Dubbo (the repository's codecs
// over node:net) and a TCP echo. Driven over IPC (see mosn-process.mjs `ask`):
//   {cmd: 'start', kind, name}   -> a backend on 127.0.0.1:0; answers {port}
//   {cmd: 'restart', name, downMs} -> closes it (its connections destroyed), listens again on its port after downMs
//   {cmd: 'stop', name}          -> closes it for good
//   {cmd: 'counts'}              -> requests answered and connections open, by name
//
// Every backend answers `<name> <what>` so that a client can tell who answered. What is asked decides the size:
// HTTP `GET /big/<bytes>`, Bolt header `size`, Dubbo method `big` with the size as its argument; a body sent with
// a request is read to its end first. Big answers are written as fast as the peer drains them, never faster.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { ROOT, serveAsks } from './mosn-process.mjs';

const { boltCodec, buildFrame: buildBolt } = await import(`${ROOT}/packages/protocol-bolt/dist/index.js`);
const { dubboCodec, buildFrame: buildDubbo, encodeResponseBody, isDecodeError, IoBuffer } = await import(`${ROOT}/packages/protocol-dubbo/dist/index.js`);

const CHUNK = Buffer.alloc(64 * 1024, 0x62);
const DECODE = { maxFrameSize: 64 * 1024 * 1024 };
const MAX_BIG = 256 * 1024 * 1024;

/** name -> { kind, port, server, sockets, requests } */
const backends = new Map();

/** Write `total` bytes of filler to `out` (after `head`) as it drains, then end it. */
function pump(out, head, total) {
  let left = total;
  if (head.length > 0) out.write(head);
  const more = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!out.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void out.once('drain', more);
    }
    out.end();
  };
  more();
}

const sizeOf = (text) => Math.min(MAX_BIG, Math.max(0, Number(text) || 0));

function httpHandler(b) {
  return (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    const path = req.url ?? '/';
    req.resume();
    req.on('end', () => {
      b.requests++;
      const big = /^\/big\/(\d+)/.exec(path);
      const head = Buffer.from(`${b.name} ${path}\n`);
      if (big) {
        const total = sizeOf(big[1]);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(head.length + total) });
        pump(res, head, total);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(head.length) });
      res.end(head);
    });
  };
}

function track(b, socket) {
  b.sockets.add(socket);
  socket.on('close', () => b.sockets.delete(socket));
  socket.on('error', () => {});
}

/** An RPC server over a codec: `answer(frame)` gives the response frame for a request (heartbeats answered here). */
function rpcServer(b, codec, answer) {
  return net.createServer({ noDelay: true }, (socket) => {
    track(b, socket);
    const buffer = new IoBuffer();
    let paused = false;
    const queue = [];
    // big answers wait for the socket to drain; small ones go out with what one read produced
    const flush = () => {
      paused = false;
      while (queue.length > 0) {
        if (!socket.write(queue.shift())) {
          paused = true;
          socket.pause();
          socket.once('drain', () => {
            socket.resume();
            flush();
          });
          return;
        }
      }
    };
    socket.on('data', (chunk) => {
      buffer.append(chunk);
      for (;;) {
        const frame = codec.decode(buffer, DECODE);
        if (frame === undefined) break;
        if (isDecodeError(frame)) return void socket.destroy();
        if (frame.kind !== 'request' || frame.isOneWay()) continue;
        b.requests++;
        const reply = frame.isHeartbeat() ? codec.heartbeatReply(frame) : answer(frame);
        queue.push(Buffer.concat(codec.encode(reply)));
      }
      if (!paused) flush();
    });
  });
}

function boltAnswer(b) {
  return (frame) => {
    const head = Buffer.from(`${b.name} ${frame.header.get('service') ?? ''}\n`);
    const size = sizeOf(frame.header.get('size'));
    const body = size > 0 ? Buffer.concat([head, Buffer.alloc(size, 0x62)]) : head;
    return buildBolt({ version: 1, kind: 'response', requestId: frame.requestId, className: 'com.alipay.sofa.rpc.core.response.SofaResponse', body });
  };
}

function dubboAnswer(b) {
  // hessian2 bodies, made once per method and size (a big string costs hessian.js more than mosn's part of the trip)
  const bodies = new Map();
  return (frame) => {
    const method = frame.header.get('method') ?? '';
    const size = method === 'big' ? sizeOf(frame.header.get('size')) : 0;
    const key = `${method} ${size}`;
    let body = bodies.get(key);
    if (!body) bodies.set(key, (body = encodeResponseBody(`${b.name} ${method}` + (size > 0 ? 'b'.repeat(size) : ''))));
    return buildDubbo({ kind: 'response', requestId: frame.requestId, body });
  };
}

function makeServer(b) {
  switch (b.kind) {
    case 'http1': {
      const s = http.createServer(httpHandler(b));
      s.keepAliveTimeout = 600_000;
      s.headersTimeout = 0;
      s.requestTimeout = 0;
      s.on('connection', (socket) => track(b, socket));
      return s;
    }
    case 'http2': {
      const s = http2.createServer({ settings: { maxConcurrentStreams: 100_000 } }, httpHandler(b));
      s.on('connection', (socket) => track(b, socket));
      s.on('sessionError', () => {});
      return s;
    }
    case 'bolt':
      return rpcServer(b, boltCodec, boltAnswer(b));
    case 'dubbo':
      return rpcServer(b, dubboCodec, dubboAnswer(b));
    case 'tcp':
      return net.createServer({ noDelay: true }, (socket) => {
        track(b, socket);
        b.requests++;
        socket.pipe(socket);
      });
    default:
      throw new Error(`unknown backend kind ${b.kind}`);
  }
}

function listen(b, port) {
  b.server = makeServer(b);
  return new Promise((resolve, reject) => {
    b.server.once('error', reject);
    b.server.listen(port, '127.0.0.1', () => {
      b.port = b.server.address().port;
      resolve(b.port);
    });
  });
}

function close(b) {
  const s = b.server;
  b.server = undefined;
  if (!s) return Promise.resolve();
  for (const socket of b.sockets) socket.destroy();
  return new Promise((r) => s.close(() => r()));
}

serveAsks({
  async start({ kind, name }) {
    if (backends.has(name)) throw new Error(`backend ${name} exists`);
    const b = { kind, name, port: 0, server: undefined, sockets: new Set(), requests: 0 };
    backends.set(name, b);
    return { port: await listen(b, 0) };
  },
  async restart({ name, downMs = 500 }) {
    const b = backends.get(name);
    await close(b);
    await new Promise((r) => setTimeout(r, downMs));
    await listen(b, b.port);
    return { port: b.port };
  },
  async stop({ name }) {
    const b = backends.get(name);
    if (b) await close(b);
    backends.delete(name);
    return {};
  },
  counts() {
    const out = {};
    for (const [name, b] of backends) out[name] = { requests: b.requests, open: b.sockets.size };
    return { counts: out };
  },
});
process.send({ ready: true });
