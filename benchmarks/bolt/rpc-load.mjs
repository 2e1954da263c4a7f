// The protocol-neutral half of the RPC load generators (`loadgen.mjs` here and in ../dubbo): connections,
// pipelining, pacing, a latency histogram. A protocol supplies a `wire` object:
//   request          Buffer   one request frame (built with the protocol's codec); copied for every request
//   writeId(b, at, id)        patch request id `id` into the copy of `request` that starts at b[at]
//   frameLength(b, at, n)     the length of the frame starting at b[at] (n bytes available), or -1 if its
//                             fixed header is not all in yet
//   inspect(b, at)            'ok' | 'error' (a response with a failure status) | 'skip' (a heartbeat, ...);
//                             throws on bytes that are not a response of the protocol
//   responseId(b, at)         the request id of the response at b[at]
//
// Two modes, both bounded in time:
//   closed loop (rate 0): every connection keeps `depth` requests in flight; each response is replaced by a
//     new request at once (all the replacements for one socket read go out in one write).
//   open loop (rate > 0): requests are sent on a fixed schedule (rate per second over all connections, round
//     robin) whether or not earlier ones were answered; a 1 ms timer sends every request that is due.
// Latency: from the write of a request to the socket read that completes its response (one performance.now()
// per write and per read), recorded in 1 µs buckets up to 2 s. Only responses that arrive in the measured
// window count; a warm-up (unmeasured) comes first.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ID_RING = 1 << 16; // send times by id; far more than ever in flight on one connection
const HIST_US = 1 << 21; // 1 µs buckets up to 2.1 s; anything slower is counted in the last bucket

export class Histogram {
  counts = new Uint32Array(HIST_US);
  n = 0;
  sumUs = 0;
  maxUs = 0;

  recordMs(ms) {
    const us = Math.round(ms * 1000);
    this.counts[us < HIST_US ? us : HIST_US - 1]++;
    this.n++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The value (ms) at quantile q (0..1), to the microsecond. */
  quantileMs(q) {
    if (this.n === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let us = 0; us < HIST_US; us++) {
      seen += this.counts[us];
      if (seen >= rank) return us / 1000;
    }
    return this.maxUs / 1000;
  }

  summary() {
    const ms = (v) => Math.round(v * 1000) / 1000;
    return {
      p50: ms(this.quantileMs(0.5)),
      p90: ms(this.quantileMs(0.9)),
      p99: ms(this.quantileMs(0.99)),
      p999: ms(this.quantileMs(0.999)),
      max: ms(this.maxUs / 1000),
      mean: ms(this.n ? this.sumUs / this.n / 1000 : NaN),
    };
  }
}

/** One client connection: sends copies of `wire.request` under increasing ids and matches the responses. */
class Conn {
  constructor(wire, stats, socket) {
    this.wire = wire;
    this.stats = stats;
    this.socket = socket;
    this.sentAt = new Float64Array(ID_RING);
    this.nextId = 1;
    this.inFlight = 0;
    this.pending = null; // bytes of an incomplete frame from the previous read
    this.onResponses = null; // closed loop: called with the number of responses read
  }

  /** Writes `count` requests in one buffer. */
  send(count) {
    const { request, writeId } = this.wire;
    const len = request.length;
    const out = Buffer.allocUnsafe(len * count);
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      const at = i * len;
      request.copy(out, at);
      const id = this.nextId++;
      writeId(out, at, id);
      this.sentAt[id & (ID_RING - 1)] = now;
    }
    this.inFlight += count;
    this.stats.sent += count;
    this.socket.write(out);
  }

  onData(chunk) {
    const now = performance.now();
    let b = chunk;
    if (this.pending !== null) {
      b = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const { wire, stats } = this;
    let at = 0;
    let answered = 0;
    while (at < b.length) {
      const len = wire.frameLength(b, at, b.length - at);
      if (len < 0 || at + len > b.length) break;
      const kind = wire.inspect(b, at);
      if (kind !== 'skip') {
        answered++;
        if (stats.measuring) {
          if (kind === 'ok') {
            stats.ok++;
            stats.hist.recordMs(now - this.sentAt[wire.responseId(b, at) & (ID_RING - 1)]);
          } else stats.errors++;
        }
      }
      at += len;
    }
    if (at < b.length) this.pending = b.subarray(at);
    this.inFlight -= answered;
    if (answered > 0 && this.onResponses !== null) this.onResponses(answered);
  }
}

function connect(port, host) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one bounded load and returns its figures. Options: port, host, connections, depth (closed loop),
 * rate (open loop; 0 = closed loop), warmupMs, durationMs, wire.
 */
export async function runLoad({ port, host = '127.0.0.1', connections = 4, depth = 64, rate = 0, warmupMs = 2000, durationMs = 10_000, wire }) {
  const stats = { sent: 0, ok: 0, errors: 0, closed: 0, measuring: false, hist: new Histogram() };
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port, host)));
  let stopping = false;
  const conns = sockets.map((socket) => {
    const c = new Conn(wire, stats, socket);
    socket.on('data', (chunk) => {
      try {
        c.onData(chunk);
      } catch (err) {
        console.error(`loadgen: bad bytes from the server: ${err.message}`);
        process.exit(2);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!stopping) stats.closed++;
    });
    return c;
  });

  let lagMaxMs = 0;
  let timer = null;
  if (rate === 0) {
    for (const c of conns) {
      c.onResponses = (n) => {
        if (!stopping) c.send(n);
      };
      c.send(depth);
    }
  } else {
    const t0 = performance.now();
    let scheduled = 0;
    let rr = 0;
    const due = new Int32Array(connections);
    const tick = () => {
      if (stopping) return;
      const now = performance.now();
      const target = Math.floor(((now - t0) * rate) / 1000);
      if (target > scheduled) {
        // how late the oldest due request is: a generator that cannot keep its schedule shows here
        const lag = now - (t0 + ((scheduled + 1) * 1000) / rate);
        if (stats.measuring && lag > lagMaxMs) lagMaxMs = lag;
        for (; scheduled < target; scheduled++) due[rr++ % connections]++;
        for (let i = 0; i < connections; i++) {
          if (due[i] > 0) conns[i].send(due[i]);
          due[i] = 0;
        }
      }
    };
    timer = setInterval(tick, 1);
  }

  await sleep(warmupMs);
  const sentBefore = stats.sent;
  stats.measuring = true;
  const start = performance.now();
  await sleep(durationMs);
  stats.measuring = false;
  const elapsedMs = performance.now() - start;
  const sentInWindow = stats.sent - sentBefore;
  stopping = true;
  if (timer !== null) clearInterval(timer);
  for (const s of sockets) s.destroy();

  return {
    mode: rate === 0 ? 'closed' : 'open',
    connections,
    depth: rate === 0 ? depth : null,
    rateTarget: rate || null,
    seconds: Math.round(elapsedMs) / 1000,
    requests: stats.ok,
    rps: Math.round((stats.ok * 1000) / elapsedMs),
    sentRps: Math.round((sentInWindow * 1000) / elapsedMs),
    errors: stats.errors,
    closedConnections: stats.closed,
    maxSendLagMs: rate === 0 ? null : Math.round(lagMaxMs * 1000) / 1000,
    latencyMs: stats.hist.summary(),
  };
}

/**
 * The command line shared by the loadgen.mjs scripts: prints one JSON line with the figures.
 *   --port P  [--connections 4] [--depth 64] [--rate 0] [--warmup 2] [--duration $DURATION or 10] [--body 1024]
 * `makeWire(bodyBytes)` returns the protocol's wire object.
 */
export async function loadgenMain(makeWire, argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      connections: { type: 'string', default: '4' },
      depth: { type: 'string', default: '64' },
      rate: { type: 'string', default: '0' },
      warmup: { type: 'string', default: '2' },
      duration: { type: 'string', default: process.env.DURATION ?? '10' },
      body: { type: 'string', default: '1024' },
      label: { type: 'string', default: '' },
    },
  });
  if (!values.port) {
    console.error('usage: node loadgen.mjs --port P [--connections 4] [--depth 64] [--rate 0] [--warmup 2] [--duration 10] [--body 1024]');
    process.exit(64);
  }
  const durationS = Number(values.duration);
  if (!(durationS > 0 && durationS <= 600)) throw new Error('--duration must be 0-600 s');
  const result = await runLoad({
    port: Number(values.port),
    host: values.host,
    connections: Number(values.connections),
    depth: Number(values.depth),
    rate: Number(values.rate),
    warmupMs: Number(values.warmup) * 1000,
    durationMs: durationS * 1000,
    wire: makeWire(Number(values.body)),
  });
  console.log(JSON.stringify({ label: values.label, ...result }));
  process.exit(0);
}
