import { EventEmitter } from 'node:events';
import type { FuzzTarget } from './harness.js';
import type { Field } from './mutate.js';
import type { Rng } from './prng.js';
import { Violation, type BufferLike } from './xprotocol.js';

/**
 * HTTP/1 request heads and bodies through mosn's own server side (`Http1ServerConnection` on Node's llhttp),
 * on a stand-in connection: request lines, header names and values (content-length and transfer-encoding in
 * every combination, upgrade, expect, obs-fold, bare LF, NUL, over-long heads, more than 32 headers that
 * llhttp hands over early), chunk sizes and extensions, trailers, pipelined requests, truncations. A request
 * is answered when complete (or early, or with a 101 that turns the connection into a tunnel), as the proxy
 * does. What mosn writes must be HTTP responses, and the connection must end closed.
 */

interface HeadersLike {
  readonly raw: readonly string[];
}
interface ServerStreamLike {
  readonly request: { readonly method: string; readonly path: string; readonly headers: HeadersLike; readonly upgrade?: string };
  readonly upgradeRequested: boolean;
  sendContinue(): void;
  sendResponse(status: number, body: string | undefined): void;
  switchProtocols(head: { status: number; headers: HeadersLike }): { start(onData: (b: BufferLike & { clear(): void }, end: boolean) => void): void } | undefined;
}
interface ServerLike {
  onData(buffer: BufferLike, endStream: boolean): void;
}

export interface Http1Deps {
  Http1ServerConnection: new (
    connection: never,
    callbacks: { onNewStream(s: ServerStreamLike): { onHeaders(h: unknown, end: boolean): void; onData(c: Buffer, end: boolean): void; onTrailers(t: unknown): void; onReset(r: string): void } },
    options: { maxHeaderSize?: number; requestHeadersTimeoutMs?: number },
  ) => ServerLike;
  newHeaders: (raw: string[]) => HeadersLike;
  newBuffer: (exclusive: boolean) => BufferLike & { clear(): void };
}

/** The parts of mosn's Connection the HTTP/1 server uses. */
class StandInConnection extends EventEmitter {
  state: 'open' | 'closed' = 'open';
  written: Buffer[] = [];
  onDrain: (() => void) | undefined;
  readonly readBuffer: BufferLike & { clear(): void };
  #disabled = 0;
  constructor(readBuffer: BufferLike & { clear(): void }) {
    super();
    this.readBuffer = readBuffer;
  }
  get readEnabled(): boolean {
    return this.#disabled === 0;
  }
  readDisable(disable: boolean): void {
    if (disable) this.#disabled++;
    else if (this.#disabled > 0) this.#disabled--;
  }
  neverNeedsSocket(): void {
    // a stand-in has no socket
  }
  write(...chunks: Buffer[]): boolean {
    if (this.state !== 'open') return false;
    for (const c of chunks) this.written.push(c);
    return true;
  }
  close(_mode?: string, _reason?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.emit('event', 'local_close');
  }
}

const SEEDS = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /x?y=1 HTTP/1.0\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
  'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer-A: 1\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx',
  'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\n\r\n\x81\x00',
  'GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n',
  'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01',
  'PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
  'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
].map((s) => Buffer.from(s, 'latin1'));

const HEADER_LINES = [
  'Content-Length: 0', 'Content-Length: 10', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Content-Length: 1, 2',
  'Content-Length: 0x10', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked, gzip',
  'Transfer-Encoding: identity', 'Transfer-Encoding:  chunked ', 'Connection: close', 'Connection: keep-alive', 'Connection: upgrade',
  'Upgrade: websocket', 'Upgrade: h2c', 'Expect: 100-continue', 'Expect: nope', 'Host: ', 'Host: a\r\nHost: b', 'X: a\r\n b',
  'X-Long: ' + 'v'.repeat(9000), ':bad: x', 'Bad Name: x', 'X:\u0000', 'X: \u00ff\u00fe', 'Trailer: X', 'TE: trailers', 'Keep-Alive: timeout=5',
];

const CHUNK_SIZES = ['0', '1', 'f', 'FFFFFFFF', 'ffffffffffffffffff', '-1', '1;a=b', '1 ', ' 1', '0x1', '', 'g', '10000000'];

/** Line-level mutations: header lines added, replaced, duplicated; line endings, methods, versions, chunk sizes changed. */
function mutate(rng: Rng, b: Buffer): Buffer {
  const text = b.toString('latin1');
  const lines = text.split('\r\n');
  const i = rng.int(lines.length);
  switch (rng.int(9)) {
    case 0:
      lines.splice(1 + rng.int(Math.max(1, lines.length - 1)), 0, rng.pick(HEADER_LINES));
      break;
    case 1:
      lines[i] = rng.pick(HEADER_LINES);
      break;
    case 2:
      lines.splice(i, 0, lines[i]!);
      break;
    case 3:
      return Buffer.from(text.replace(/\r\n/g, () => (rng.chance(0.3) ? '\n' : '\r\n')), 'latin1');
    case 4:
      lines[0] = `${rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'CONNECT', 'PRI', 'get', 'G E T', 'XYZ', ''])} ${rng.pick(['/', '*', 'http://h/p', '/%00', '/' + 'a'.repeat(9000), ''])} ${rng.pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', ''])}`;
      break;
    case 5: {
      // a chunk-size line (a short hex line after the head)
      const candidates = lines.map((l, k) => (/^[0-9a-fA-F]{1,4}(;.*)?$/.test(l) ? k : -1)).filter((k) => k >= 0);
      if (candidates.length === 0) return b;
      lines[rng.pick(candidates)] = rng.pick(CHUNK_SIZES);
      break;
    }
    case 6: {
      const n = rng.chance(0.5) ? 33 + rng.int(40) : 200;
      lines.splice(1, 0, ...Array.from({ length: n }, (_, k) => `X-H${k}: v`)); // past llhttp's 32 (kOnHeaders)
      break;
    }
    case 7:
      return Buffer.concat([b, b]); // pipelined
    default:
      lines.splice(i, 1);
  }
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

export function http1Target(d: Http1Deps): FuzzTarget {
  const check = (reads: readonly Buffer[], bytes: Buffer): void => {
    const buffer = d.newBuffer(true);
    const conn = new StandInConnection(buffer);
    let streams = 0;
    let tunneled = false;
    const variant = bytes.length % 4; // how this input is answered: when complete, at once, with a 101
    const server = new d.Http1ServerConnection(conn as never, {
      onNewStream(s) {
        streams++;
        s.sendContinue();
        const answer = () => s.sendResponse(200, 'ok');
        if (variant === 1) answer();
        return {
          onHeaders(_h, end) {
            if (s.upgradeRequested && s.request.upgrade !== undefined && variant === 2) {
              const t = s.switchProtocols({ status: 101, headers: d.newHeaders(['upgrade', s.request.upgrade]) });
              if (t !== undefined) {
                tunneled = true;
                t.start((b) => b.clear());
              }
              return;
            }
            if (end && variant !== 1) answer();
          },
          onData(_c, end) {
            if (end && variant !== 1) answer();
          },
          onTrailers() {
            if (variant !== 1) answer();
          },
          onReset() {},
        };
      },
    }, { maxHeaderSize: 8192, requestHeadersTimeoutMs: 0 });
    const feed = (end: boolean) => {
      // as the connection does: onData on each read, and again when reading is enabled with bytes kept
      for (let guard = 0; guard < 1000; guard++) {
        const before = buffer.length;
        server.onData(buffer, end);
        if (conn.state !== 'open' || !conn.readEnabled || buffer.length === 0 || buffer.length === before) return;
      }
      throw new Violation('the server keeps asking for the same bytes');
    };
    for (const r of reads) {
      if (conn.state !== 'open') break;
      buffer.append(Buffer.from(r));
      if (conn.readEnabled) feed(false);
    }
    if (conn.state === 'open' && conn.readEnabled) feed(true);
    if (conn.state === 'open') {
      conn.state = 'closed';
      conn.emit('event', 'remote_close');
    }
    if (streams > bytes.length / 14 + 1) throw new Violation(`${streams} requests from ${bytes.length} bytes`);
    const out = Buffer.concat(conn.written).toString('latin1');
    if (out.length > 0 && !/^HTTP\/1\.[01] [1-5]\d\d /.test(out)) throw new Violation(`not an HTTP response: ${JSON.stringify(out.slice(0, 80))}`);
    if (!tunneled && out.length > 0) {
      // every answer is a status line + head; none is cut or doubled into the middle of another
      const heads = out.split(/(?=HTTP\/1\.[01] \d\d\d )/);
      for (const h of heads) if (!h.includes('\r\n\r\n')) throw new Violation(`a cut response head: ${JSON.stringify(h.slice(0, 80))}`);
    }
  };
  const fields = (): Field[] => [];
  return { name: 'http1', seeds: SEEDS, fields, mutate, check };
}
