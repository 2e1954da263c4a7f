#!/usr/bin/env node
// The thinnest correct h2c proxy on node:http2: the reference for "how much of mosn's HTTP/2 cost is Node's".
// No routing, no filters, no stats, no timeouts: forward method/path/headers, stream the body both ways.
//
//   node bare-proxy.mjs <listen port> <upstream host:port> <mode>
//
// modes (the upstream side; the downstream is always http2.createServer with the 'stream' event, h2c):
//   h1raw    HTTP/1.1 over a pool of raw keep-alive sockets (up to POOL_MAX, default 128; one request per socket
//            at a time, no pipelining): the request head written by hand, the response parsed by hand
//            (Content-Length or chunked bodies; a response without either is read to the close). The floor.
//   h1agent  HTTP/1.1 through http.request with a keep-alive http.Agent (Node's own client: more work per request)
//   h2       h2c: one http2.connect session upstream, every stream multiplexed on it
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

const [port, upstream, mode = 'h1raw'] = process.argv.slice(2);
if (!port || !upstream) {
  console.error('usage: bare-proxy.mjs <listen port> <upstream host:port> h1raw|h1agent|h2');
  process.exit(2);
}
const [upHost, upPortS] = upstream.split(':');
const upPort = Number(upPortS);
const POOL_MAX = Number(process.env.POOL_MAX ?? 128);

// Connection-specific fields (RFC 9113 §8.2.2): never forwarded to HTTP/2, dropped from HTTP/1.1 responses.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/** Reset a downstream stream that lost its upstream. */
function fail(stream, status = 502) {
  if (stream.destroyed) return;
  if (!stream.headersSent) stream.respond({ ':status': status }, { endStream: true });
  else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
}

// ---- h1raw: a pool of raw HTTP/1.1 sockets ------------------------------------------------------------------------

const CRLF2 = Buffer.from('\r\n\r\n');
/** Stands in for a downstream stream the client reset mid-response: the response is read and dropped. */
const GONE = { respond() {}, write() {}, end() {}, closed: true, destroyed: true };
const idle = [];
const waiting = [];
let open = 0;

class Upstream {
  constructor() {
    this.socket = net.connect(upPort, upHost);
    this.socket.setNoDelay(true);
    this.stream = undefined; // the downstream stream being answered
    this.buf = undefined; // bytes of an unfinished head or chunk-size line
    this.left = 0; // body bytes still due (Content-Length), or of the current chunk
    this.state = 'head'; // head | body | chunksize | chunkdata | chunkcrlf | trailer | toclose
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      open--;
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      if (this.stream) {
        if (this.state === 'toclose') this.stream.end();
        else fail(this.stream);
        this.stream = undefined;
      }
      if (waiting.length > 0 && open < POOL_MAX) dispatch(waiting.shift());
    });
  }

  send(req) {
    const { stream, headers, method, path, endStream } = req;
    this.stream = stream;
    this.state = 'head';
    this.method = method;
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let host = headers[':authority'];
    let hasLength = false;
    for (const name in headers) {
      if (name.charCodeAt(0) === 58 || HOP.has(name)) continue;
      const v = headers[name];
      if (name === 'host') host ??= v;
      else if (Array.isArray(v)) for (const x of v) head += `${name}: ${x}\r\n`;
      else head += `${name}: ${v}\r\n`;
      if (name === 'content-length') hasLength = true;
    }
    if (host !== undefined) head += `host: ${host}\r\n`;
    const chunked = !endStream && !hasLength;
    if (chunked) head += 'transfer-encoding: chunked\r\n';
    this.socket.write(head + '\r\n');
    if (endStream) return;
    stream.on('data', (d) => this.socket.write(chunked ? Buffer.concat([Buffer.from(d.length.toString(16) + '\r\n'), d, Buffer.from('\r\n')]) : d));
    stream.on('end', () => chunked && this.socket.write('0\r\n\r\n'));
  }

  onData(d) {
    while (d.length > 0) {
      if (this.stream === undefined) return void this.socket.destroy(); // nothing asked for this
      if (this.state === 'head' || this.state === 'chunksize' || this.state === 'chunkcrlf' || this.state === 'trailer') {
        const b = this.buf ? Buffer.concat([this.buf, d]) : d;
        const end = this.state === 'head' || this.state === 'trailer' ? b.indexOf(CRLF2) : b.indexOf('\r\n');
        if (end < 0) return void (this.buf = b);
        this.buf = undefined;
        const sep = this.state === 'head' || this.state === 'trailer' ? 4 : 2;
        const line = b.latin1Slice(0, end);
        d = b.subarray(end + sep);
        if (this.state === 'head') this.onHead(line);
        else if (this.state === 'chunkcrlf') this.state = 'chunksize';
        else if (this.state === 'trailer') this.done();
        else {
          this.left = parseInt(line, 16);
          if (this.left === 0) {
            // trailers (ignored) end with an empty line; the common case is "0\r\n\r\n"
            if (d.length >= 2 && d[0] === 13 && d[1] === 10) {
              d = d.subarray(2);
              this.done();
            } else {
              this.state = 'trailer';
              this.buf = Buffer.from('\r\n'); // so an empty trailer section reads as CRLF CRLF
            }
          } else this.state = 'chunkdata';
        }
      } else if (this.state === 'toclose') {
        if (!this.stream.destroyed) this.stream.write(d);
        return;
      } else {
        const n = Math.min(this.left, d.length);
        const last = this.state === 'body' && n === this.left;
        const part = n === d.length ? d : d.subarray(0, n);
        this.left -= n;
        d = d.subarray(n);
        if (last) {
          const s = this.stream.destroyed ? GONE : this.stream;
          this.done();
          s.end(part);
        } else {
          if (!this.stream.destroyed) this.stream.write(part);
          if (this.left === 0) this.state = 'chunkcrlf';
        }
      }
    }
  }

  onHead(text) {
    const lines = text.split('\r\n');
    const status = Number(lines[0].slice(9, 12));
    const out = { ':status': status };
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(':');
      const name = lines[i].slice(0, c).trim().toLowerCase();
      const value = lines[i].slice(c + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      if (HOP.has(name)) continue;
      const prev = out[name];
      out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    const s = this.stream.closed || this.stream.destroyed ? GONE : this.stream;
    const noBody = this.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (noBody || length === 0) {
      this.done();
      s.respond(out, { endStream: true });
    } else if (chunked) {
      this.state = 'chunksize';
      s.respond(out);
    } else if (length > 0) {
      this.state = 'body';
      this.left = length;
      s.respond(out);
    } else {
      this.state = 'toclose';
      s.respond(out);
    }
  }

  done() {
    this.stream = undefined;
    this.state = 'head';
    const next = waiting.shift();
    if (next) this.send(next);
    else idle.push(this);
  }
}

function dispatch(req) {
  const up = idle.pop();
  if (up) return up.send(req);
  if (open < POOL_MAX) {
    open++;
    return new Upstream().send(req);
  }
  waiting.push(req);
}

function onStreamH1raw(stream, headers, flags) {
  stream.on('error', () => {});
  dispatch({
    stream,
    headers,
    method: headers[':method'],
    path: headers[':path'],
    endStream: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0,
  });
}

// ---- h1agent: Node's http client with a keep-alive agent ----------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: POOL_MAX, maxFreeSockets: POOL_MAX });

function onStreamH1agent(stream, headers, flags) {
  stream.on('error', () => {});
  const out = {};
  for (const name in headers) if (name.charCodeAt(0) !== 58 && !HOP.has(name)) out[name] = headers[name];
  if (headers[':authority'] !== undefined) out.host = headers[':authority'];
  const req = http.request({ host: upHost, port: upPort, agent, method: headers[':method'], path: headers[':path'], headers: out });
  req.on('error', () => fail(stream));
  req.on('response', (res) => {
    if (stream.closed || stream.destroyed) return void req.destroy();
    const h = { ':status': res.statusCode };
    const raw = res.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (HOP.has(name)) continue;
      const prev = h[name];
      h[name] = prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [prev, raw[i + 1]];
    }
    stream.respond(h);
    res.pipe(stream);
  });
  // a client gone before its response: the upstream socket goes too (a response left unread would hold it)
  stream.on('close', () => req.writableFinished && req.res?.complete === true ? undefined : req.destroy());
  if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) req.end();
  else stream.pipe(req);
}

// ---- h2: one upstream session -------------------------------------------------------------------------------------

let session;
function upSession() {
  if (session && !session.destroyed && !session.closed) return session;
  session = http2.connect(`http://${upstream}`);
  session.on('error', () => {});
  return session;
}

function onStreamH2(stream, headers, flags) {
  stream.on('error', () => {});
  const out = {};
  for (const name in headers) if (!HOP.has(name) && name !== 'host') out[name] = headers[name];
  const end = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
  let up;
  try {
    up = upSession().request(out, { endStream: end });
  } catch {
    return fail(stream);
  }
  up.on('error', () => fail(stream));
  up.on('response', (h) => {
    if (stream.closed || stream.destroyed) return;
    stream.respond(h);
    up.pipe(stream);
  });
  if (!end) stream.pipe(up);
  stream.on('close', () => up.destroyed || up.close());
}

const handlers = { h1raw: onStreamH1raw, h1agent: onStreamH1agent, h2: onStreamH2 };
const onStream = handlers[mode];
if (!onStream) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
server.on('stream', onStream);
server.on('sessionError', () => {});
server.listen(Number(port), '127.0.0.1', () => console.error(`bare-proxy ${mode} on 127.0.0.1:${port} -> ${upstream}`));
process.on('SIGTERM', () => process.exit(0));
