// The slow and abusive clients of scripts/slow-clients.mjs, in a process of their own (with a raised open-files
// limit): `count` connections to one listener, each with one behaviour, taken in turn:
//
//   slow-head  the request's head (or the first frame) trickled, a few bytes an interval, never finished: slowloris
//   slow-hello (TLS listeners) the ClientHello trickled over plain TCP: slowloris of the handshake
//   slow-body  a whole head announcing a body, the body trickled
//   no-read    asks for big answers and never reads (the socket is paused): the answers pile up in mosn unless
//              its buffer limits hold
//
// A connection mosn closes is opened again (after 100 to 600 ms) while the run lasts, so that `count` stay open;
// what mosn sent before closing (an HTTP status, nothing) is counted per behaviour. Driven over IPC:
//   {cmd: 'start', kind, port, count, intervalMs, bigBytes, pipeline} -> opens them; answers {opened, failed}
//   {cmd: 'status'}  -> {open, opens, closes: {<behaviour>: {<what>: n}}, errors: {<code>: n}}
//   {cmd: 'stop'}    -> destroys every connection, opens no more; answers {closed}
import net from 'node:net';
import tls from 'node:tls';
import { encodeBolt, encodeDubbo } from './clients.mjs';
import { behavioursOf } from './configs.mjs';
import { serveAsks } from './mosn-process.mjs';

const OPEN_CONCURRENCY = 400;

let running = false;
const sockets = new Set();
let opens = 0;
const closes = {};
const errors = {};
const count = (table, key) => (table[key] = (table[key] ?? 0) + 1);

// ---------------------------------------------------------------------------------------------------------
// HTTP/2 frames, by hand (a client that trickles cannot be node:http2)

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
function h2Frame(type, flags, stream, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
const DATA = 0;
const HEADERS = 1;
const SETTINGS = 4;
const WINDOW_UPDATE = 8;
const CONTINUATION = 9;
const END_STREAM = 1;
const END_HEADERS = 4;
const ACK = 1;
/** HPACK: a literal field with an indexed name, not added to the table, no Huffman coding. */
const literal = (nameIndex, value) => Buffer.concat([Buffer.from([nameIndex, value.length]), Buffer.from(value)]);
/** HPACK: a literal field with a new name, not added to the table, no Huffman coding. */
const newLiteral = (name, value) => Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
/** HPACK: `:method GET|POST`, `:scheme http`, `:path <path>`, `:authority x` (static table 2/3, 6, 4, 1). */
const h2Head = (method, path) => Buffer.concat([Buffer.from([method === 'GET' ? 0x82 : 0x83, 0x86]), literal(0x04, path), literal(0x01, 'x')]);
function settings(pairs) {
  const p = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v, i * 6 + 2);
  });
  return h2Frame(SETTINGS, 0, 0, p);
}
const windowUpdate = (stream, n) => h2Frame(WINDOW_UPDATE, 0, stream, Buffer.from([(n >>> 24) & 0x7f, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));

/**
 * Answer the server's SETTINGS with an ACK, reading the frames as they come (the trickling h2 clients read); sets
 * `socket.acked`. Never inside a header block (`socket.inHeaderBlock`): no other frame may come there.
 */
function ackSettings(socket) {
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      if (buf[3] === SETTINGS && (buf[4] & ACK) === 0 && !socket.inHeaderBlock) {
        socket.write(h2Frame(SETTINGS, ACK, 0));
        socket.acked = true;
      }
      buf = buf.subarray(9 + len);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// What each behaviour sends: `first` at once, then `tick()` every interval (undefined: nothing more)

function http1Script(behaviour, o) {
  switch (behaviour) {
    case 'slow-head':
      return { first: 'GET /slow HTTP/1.1\r\nHost: x\r\n', tick: (i) => `X-Slow-${i}: ${'a'.repeat(8)}\r\n` };
    case 'slow-body':
      return { first: 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n', tick: () => 'b'.repeat(16) };
    case 'no-read':
      return { first: `GET /big/${o.bigBytes} HTTP/1.1\r\nHost: x\r\n\r\n`, pause: true };
  }
}

function http2Script(behaviour, o) {
  const start = Buffer.concat([PREFACE, settings([])]);
  switch (behaviour) {
    case 'slow-head': {
      // HEADERS without END_HEADERS, then CONTINUATION frames one at a time: the header block never ends
      // HEADERS goes at a tick after the SETTINGS ACK went: no other frame may come inside a header block
      const block = h2Head('GET', '/slow');
      const tick = (i, socket) => {
        if (socket.inHeaderBlock) return h2Frame(CONTINUATION, 0, 1, newLiteral(`x-slow-${i}`, 'a'));
        if (!socket.acked) return undefined;
        socket.inHeaderBlock = true;
        return h2Frame(HEADERS, 0, 1, block);
      };
      return { first: start, tick, acks: true };
    }
    case 'slow-body':
      return { first: Buffer.concat([start, h2Frame(HEADERS, END_HEADERS, 1, h2Head('POST', '/upload'))]), tick: () => h2Frame(DATA, 0, 1, Buffer.alloc(16, 0x62)), acks: true };
    case 'no-read': {
      // the largest windows there are, then never read: only mosn's own limits stop it
      const max = 2 ** 31 - 1;
      const big = Buffer.concat([PREFACE, settings([[4, max]]), windowUpdate(0, max - 65535), h2Frame(HEADERS, END_HEADERS | END_STREAM, 1, h2Head('GET', `/big/${o.bigBytes}`))]);
      return { first: big, pause: true };
    }
  }
}

/** A frame's bytes for RPC: `encode(id, what)`. */
function rpcScript(encode, behaviour, o) {
  switch (behaviour) {
    case 'slow-head': {
      const frame = encode(1, {});
      return { first: frame.subarray(0, 4), tick: (i) => (4 + i < frame.length - 1 ? frame.subarray(4 + i, 5 + i) : undefined) };
    }
    case 'slow-body': {
      // a 64 KiB request (Bolt content, a Dubbo argument), its first 4 KiB at once and the rest trickled
      const frame = encode(1, { body: Buffer.alloc(64 * 1024, 0x61), arg: 'a'.repeat(64 * 1024) });
      const at = Math.min(frame.length - 1, 4096);
      let next = at;
      return {
        first: frame.subarray(0, at),
        tick: () => {
          if (next >= frame.length - 1) return undefined;
          const part = frame.subarray(next, Math.min(frame.length - 1, next + 64));
          next += part.length;
          return part;
        },
      };
    }
    case 'no-read': {
      const frames = [];
      for (let i = 0; i < o.pipeline; i++) frames.push(encode(i + 1, { size: o.bigBytes }));
      return { first: Buffer.concat(frames), pause: true };
    }
  }
}

function tcpScript(behaviour, o) {
  switch (behaviour) {
    case 'slow-head':
      return { first: undefined }; // connects, sends nothing
    case 'slow-body':
      return { first: 'a', tick: () => 'a' }; // trickles (its echo is read)
    case 'no-read':
      return { first: Buffer.alloc(o.bigBytes, 0x61), pause: true }; // never reads the echo
  }
}

function scriptFor(kind, behaviour, o) {
  switch (kind) {
    case 'http1':
    case 'tls':
      return http1Script(behaviour, o);
    case 'http2':
      return http2Script(behaviour, o);
    case 'bolt':
      return rpcScript(encodeBolt, behaviour, o);
    case 'dubbo':
      return rpcScript(encodeDubbo, behaviour, o);
    case 'tcp':
      return tcpScript(behaviour, o);
  }
}

// ---------------------------------------------------------------------------------------------------------
// One slow client

/**
 * Open one client of `behaviour`; resolves once it is connected (true) or failed to (false). When mosn closes it,
 * what it had sent back is counted and, while running, another takes its place.
 */
function openOne(o, behaviour) {
  return new Promise((resolve) => {
    // TLS slowloris: the ClientHello itself trickled (over plain TCP: a record header, then a byte an interval)
    const helloTrickle = behaviour === 'slow-hello';
    const script = helloTrickle
      ? { first: Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), tick: () => Buffer.from([0x00]) }
      : scriptFor(o.kind, behaviour, o);
    const secure = o.kind === 'tls' && !helloTrickle;
    const socket = secure
      ? tls.connect({ host: '127.0.0.1', port: o.port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port: o.port });
    let connected = false;
    let first = '';
    let timer;
    socket.setNoDelay(true);
    socket.on(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      opens++;
      sockets.add(socket);
      resolve(true);
      if (script.first !== undefined) socket.write(script.first);
      if (script.pause) {
        socket.pause();
        return;
      }
      if (script.tick) {
        let i = 0;
        // the first tick at a random point of the interval (after 200 ms at least): the clients do not trickle in step
        const tick = () => {
          const part = script.tick(i++, socket);
          if (part !== undefined && !socket.destroyed) socket.write(part);
          timer = setTimeout(tick, o.intervalMs);
        };
        timer = setTimeout(tick, 200 + Math.random() * o.intervalMs);
      }
    });
    if (script.acks) ackSettings(socket);
    socket.on('data', (d) => {
      if (first.length < 16) first += d.toString('latin1', 0, 16);
    });
    if (!script.acks) socket.resume();
    socket.on('error', (e) => count(errors, e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      sockets.delete(socket);
      if (!connected) return resolve(false);
      if (socket.closedByUs) return;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(first)?.[1];
      const table = (closes[behaviour] ??= {});
      count(table, status ? `http ${status}` : first.length > 0 ? 'answer, then closed' : 'closed');
      if (running) setTimeout(() => running && openOne(o, behaviour), 100 + Math.random() * 500);
    });
  });
}

/** Run `task(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

serveAsks({
  async start(o) {
    running = true;
    const behaviours = behavioursOf(o.kind);
    let opened = 0;
    let failed = 0;
    await pool(o.count, OPEN_CONCURRENCY, async (i) => ((await openOne(o, behaviours[i % behaviours.length])) ? opened++ : failed++));
    return { opened, failed };
  },
  status() {
    return { open: sockets.size, opens, closes, errors };
  },
  stop() {
    running = false;
    const n = sockets.size;
    for (const s of sockets) {
      s.closedByUs = true;
      s.destroy();
    }
    return { closed: n };
  },
});
process.send({ ready: true });
