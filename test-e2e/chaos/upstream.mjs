// One upstream of the chaos tests, as its own process so that it can be SIGKILLed and SIGSTOPped: it serves
// HTTP/1 (node:http), h2c (node:http2), Bolt (sofa-rpc-node's RpcServer) and Dubbo (apache-dubbo-service) on
// 127.0.0.1, each on its own port, and answers every request with its own name and the request's id, so that an
// answer that went to the wrong caller shows.
//
//   node upstream.mjs <name> <h1 port> <h2 port> <bolt port> <dubbo port>      (0: any free port)
//
// Started with an IPC channel (child_process.fork): it sends `{ ready: { h1, h2, bolt, dubbo } }` once all four
// listen, and takes `{ slow: ms }` (answer every request that late; 0: at once; health checks and heartbeats
// stay prompt, as a slow service's process does) and `{ drop: true }` (reset every connection it has, and keep
// listening). SIGTERM is a graceful stop: stop listening, GOAWAY on h2c, answer what was received, close, exit.
//
// What is asked and answered:
// - HTTP/1 and h2c: `GET /r/<id>` → 200 `<name> <id>`; HTTP/1 `GET /health` → 200 (HTTP/1 health checks).
// - Bolt: service `com.alipay.chaos.ChaosService:1.0`, method `call(id)` → `<name> <id>`.
// - Dubbo: service `org.apache.dubbo.chaos.ChaosService` 1.0.0, method `call(id)` → `<name> <id>`.
// The peers' traps (bind 127.0.0.1, graceful's process-wide uncaughtException handler, apache-dubbo-service's
// unguarded socket handler) are handled as in ../bolt/peers.ts and ../dubbo/peers.ts.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sofaRpc = require('sofa-rpc-node');
const { DubboService } = require('apache-dubbo-service');
const { DubboSetting } = require('apache-dubbo-service/lib/dubbo-setting');
const serialization = createRequire(require.resolve('apache-dubbo-service'))('apache-dubbo-serialization');

const BOLT_SERVICE = 'com.alipay.chaos.ChaosService';
const DUBBO_SERVICE = 'org.apache.dubbo.chaos.ChaosService';

const [name, ...portArgs] = process.argv.slice(2);
const [h1Port, h2Port, boltPort, dubboPort] = portArgs.map(Number);

/** Answer delay of the slow mode, ms. */
let slowMs = 0;
/** Requests received and not answered yet (a graceful stop waits for them). */
let inFlight = 0;
let stopping = false;
/** Every accepted socket of the four servers (health checks and heartbeats too). */
const sockets = new Set();

function track(socket) {
  sockets.add(socket);
  socket.on('error', () => {});
  socket.once('close', () => sockets.delete(socket));
}

/** The answer to request `id`, after the slow mode's delay. */
async function answer(id) {
  inFlight++;
  try {
    if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
    return `${name} ${id}`;
  } finally {
    inFlight--;
  }
}

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });

// ---------------------------------------------------------------------------------------------------------
// HTTP/1 and h2c

function onHttp1(req, res) {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
    return;
  }
  const m = /^\/r\/(.+)$/.exec(req.url ?? '');
  req.resume();
  if (!m) {
    res.writeHead(404, { 'content-length': '0' });
    res.end();
    return;
  }
  void answer(m[1]).then((body) => {
    if (stopping) res.setHeader('connection', 'close');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
}

const h1 = http.createServer({ keepAliveTimeout: 60_000 }, onHttp1);
h1.on('connection', track);

const h2 = http2.createServer();
const h2Sessions = new Set();
h2.on('connection', track);
h2.on('session', (s) => {
  h2Sessions.add(s);
  s.on('error', () => {});
  s.once('close', () => h2Sessions.delete(s));
});
h2.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  const m = /^\/r\/(.+)$/.exec(String(headers[':path']));
  if (!m) {
    stream.respond({ ':status': 404 });
    stream.end();
    return;
  }
  void answer(m[1]).then((body) => {
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end(body);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Bolt: sofa-rpc-node's RpcServer on 127.0.0.1

class LocalRpcServer extends sofaRpc.server.RpcServer {
  _startServer(port) {
    const server = net.createServer();
    server.on('connection', (socket) => {
      track(socket);
      this._handleSocket(socket);
    });
    this.listening = listen(server, port);
    return server;
  }

  start() {
    const before = new Set(process.listeners('uncaughtException'));
    const started = super.start();
    for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l);
    return started;
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const bolt = new LocalRpcServer({ appName: name, port: boltPort, logger: silent });
bolt.on('error', () => {});
bolt.addService({ interfaceName: BOLT_SERVICE, version: '1.0' }, { call: async (id) => answer(id) });

// ---------------------------------------------------------------------------------------------------------
// Dubbo: apache-dubbo-service on 127.0.0.1, its socket handler guarded

class LocalDubboService extends DubboService {
  constructor(props, port) {
    super(props);
    this.listen = async () => {
      this.server = net.createServer(this.handleSocketRequest);
      this.server.on('error', (err) => this.reject(err));
      this.server.listen(port, '127.0.0.1', () => {
        this.port = this.server.address().port;
        this.retry.reset();
        this.registerServices().catch((err) => this.reject(err));
      });
    };
    this.handleSocketRequest = (socket) => {
      track(socket);
      const heartbeat = serialization.HeartBeat.from({ type: 'response', transport: socket, onTimeout: () => socket.destroy() });
      serialization.DecodeBuffer.from(socket, 'dubbo-server').subscribe(async (data) => {
        try {
          if (serialization.HeartBeat.isHeartBeat(data)) {
            heartbeat.emit();
            return;
          }
          const ctx = await this.invokeComposeChainRequest(data);
          heartbeat.setWriteTimestamp();
          if (!socket.destroyed) socket.write(new serialization.DubboResponseEncoder(ctx).encode());
        } catch {
          // an unreadable frame: not answered
        }
      });
    };
  }
}

const setting = new DubboSetting().matchThunk(() => ({ group: '', version: '1.0.0' }));
const registry = { ready: async () => {}, registerServices: async () => {}, getClient: () => undefined, close: () => {} };
const dubbo = new LocalDubboService(
  { registry, dubboSetting: setting, services: { chaos: { dubboInterface: DUBBO_SERVICE, methods: { call: (id) => answer(id) } } } },
  dubboPort,
);

// ---------------------------------------------------------------------------------------------------------
// Control

/** Reset every connection (RST), keep listening. */
function drop() {
  for (const s of sockets) s.resetAndDestroy();
}

/** SIGTERM: stop listening, GOAWAY, answer what was received (at most 5 s), close, exit 0. */
async function gracefulStop() {
  if (stopping) return;
  stopping = true;
  h1.close();
  h2.close();
  for (const s of bolt._servers) s.close();
  dubbo.server.close();
  for (const s of h2Sessions) s.close();
  h1.closeIdleConnections();
  const end = Date.now() + 5000;
  while (inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  // let the last answers reach the socket before it closes
  await new Promise((r) => setTimeout(r, 20));
  for (const s of sockets) s.destroy();
  process.exit(0);
}

process.on('SIGTERM', () => void gracefulStop());
process.on('message', (m) => {
  if (typeof m.slow === 'number') slowMs = m.slow;
  if (m.drop) drop();
});
process.on('disconnect', () => process.exit(0));

const ports = { h1: await listen(h1, h1Port), h2: await listen(h2, h2Port) };
await bolt.start();
ports.bolt = await bolt.listening;
await dubbo.ready();
ports.dubbo = dubbo.port;
process.send({ ready: ports });
