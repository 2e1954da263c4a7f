import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createParser, type ParserHandlers } from '../parser.js';
import { llhttpBuild, useLlhttp } from './choice.js';
import { METHODS } from './methods.js';
import { nodeHTTPParser } from './node-binding.js';
import { parserProblem } from './known-answers.js';
import type { HTTPParserConstructor } from './types.js';
import { llhttpWasm } from './wasm-module.js';
import { WasmHTTPParser } from './wasm-parser.js';

/*
 * The wasm parser (undici's llhttp build behind our adapter) must behave as Node's binding: each input is parsed by
 * both, whole and split at every byte (and at generated cuts), and every callback (kOnMessageBegin, kOnHeaders,
 * kOnHeadersComplete with all its arguments, kOnBody chunk by chunk, kOnMessageComplete), every `execute` result
 * (bytes consumed, or the error's code, reason and position) and `finish` must be equal. Then the same through
 * parser.ts (the JavaScript fast path plus llhttp), as mosn's connections use it.
 */

const NodeParser = nodeHTTPParser!;
type Event = unknown[];
type Kind = 'request' | 'response';

/** Parse `bytes` cut at `cuts` with one parser class; `headResponse`: kOnHeadersComplete answers 1 (a HEAD answer). */
function raw(HTTPParser: HTTPParserConstructor, type: Kind, bytes: Buffer, cuts: number[] = [], o: { headResponse?: boolean; maxHeaderSize?: number } = {}): Event[] {
  const events: Event[] = [];
  const p = new HTTPParser();
  p.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, o.maxHeaderSize ?? 8192, HTTPParser.kLenientNone);
  p[HTTPParser.kOnMessageBegin] = () => events.push(['begin']);
  p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => events.push(['headers', headers, url]);
  p[HTTPParser.kOnHeadersComplete] = (...args: unknown[]) => {
    events.push(['head', ...args]);
    return o.headResponse ? 1 : 0;
  };
  p[HTTPParser.kOnBody] = (chunk: Buffer) => events.push(['body', chunk.toString('latin1')]);
  p[HTTPParser.kOnMessageComplete] = () => events.push(['end']);
  try {
    for (const piece of pieces(bytes, cuts)) {
      // after an upgrade request llhttp stops early; what follows is parsed next (a declined h2c upgrade, in mosn)
      for (let off = 0; off < piece.length; ) {
        const r = p.execute(piece.subarray(off));
        if (typeof r !== 'number') {
          events.push(['error', r.code, r.reason, r.bytesParsed]);
          return events;
        }
        // an error after an upgrade request comes as a count; one outside the input is what mosn checks for
        if (r < 0 || r > piece.length - off) {
          events.push(['count outside the input']);
          return events;
        }
        events.push(['parsed', r]);
        if (r === 0) return events;
        off += r;
      }
    }
    const end = p.finish();
    events.push(['finish', end?.code, end?.reason]);
    return events;
  } finally {
    p.close();
  }
}

function pieces(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (to <= from) continue;
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

function agreeRaw(type: Kind, text: string, o: { headResponse?: boolean; maxHeaderSize?: number } = {}): void {
  const bytes = Buffer.from(text, 'latin1');
  expect(raw(WasmHTTPParser, type, bytes, [], o)).toEqual(raw(NodeParser, type, bytes, [], o));
  for (let i = 1; i < bytes.length; i++) expect(raw(WasmHTTPParser, type, bytes, [i], o), `cut at ${i}`).toEqual(raw(NodeParser, type, bytes, [i], o));
}

/**
 * The one difference found between the two llhttp builds (Node 20.20's llhttp 9.3.1, undici 7.30's): a DEL (0x7f)
 * inside a quoted chunk-extension value, which Node's refuses (HPE_STRICT; RFC 9110's qdtext has no DEL) and the
 * wasm build accepts. Harmless: mosn drops chunk extensions when it re-chunks a body. Tested on its own below.
 */
const KNOWN_DIFFERENCE = /;[^\r\n]*="[^"\r\n]*\x7f/;

const MANY_FIELDS = Array.from({ length: 40 }, (_, i) => `X-F${i}: v${i}\r\n`).join('');

const REQUESTS = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /p?q=1&r=%20 HTTP/1.1\r\nHost: a\r\nUser-Agent: wrk\r\nAccept:  */*  \r\n\r\n',
  'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n',
  'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1;q="a b"\r\n world\r\n0\r\nX-Sum: 1\r\nX-Other:  two \r\n\r\nGET /after HTTP/1.1\r\n\r\n',
  'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n',
  `GET /many HTTP/1.1\r\n${MANY_FIELDS}\r\nGET /next HTTP/1.1\r\nHost: b\r\n\r\n`,
  `GET /${'u'.repeat(3000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
  'GET / HTTP/1.0\r\n\r\n',
  'GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n',
  'GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello',
  'GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\nGET /2 HTTP/1.1\r\n\r\n',
  'GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nGET /2 HTTP/1.1\r\nBad Header: x\r\n\r\n',
  'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01',
  'QUERY /search HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}',
  'M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n\r\n',
  'PUT /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
  'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n',
  'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
  'GET / HTTP/1.1\r\nBad\x01: a\r\n\r\n',
  'GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n',
  'GET / HTTP/1.1\nHost: a\n\n',
  'GET /x?y=0`HUTP/1S.0M\n\r\n',
  'GET / HTTP/2.0\r\n\r\n',
  'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n',
  'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n',
  'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
  '\r\nGET / HTTP/1.1\r\n\r\n',
  'XYZ / HTTP/1.1\r\n\r\n',
  'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n',
  'POST /cut HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc',
];

const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n',
  'HTTP/1.1 200 OK\r\n\r\nuntil close',
  'HTTP/1.0 200 OK\r\n\r\nuntil close',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz',
  'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x02hi',
  'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 \r\nContent-Length: 9\r\n\r\n',
  'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 601 Odd\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 2x0 Bad\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab',
  `HTTP/1.1 200 OK\r\n${MANY_FIELDS}Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`,
  'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n\r\n',
  'garbage',
];

describe('the wasm llhttp parser agrees with Node\'s binding', () => {
  it('passes the start-up self-test, as Node\'s binding does', () => {
    expect(parserProblem(NodeParser)).toBeUndefined();
    expect(parserProblem(WasmHTTPParser)).toBeUndefined();
  });

  it('requests, whole and split at every byte', () => {
    for (const r of REQUESTS) agreeRaw('request', r);
  });

  it('responses, whole and split at every byte; a HEAD answer has no body', () => {
    for (const r of RESPONSES) agreeRaw('response', r);
    agreeRaw('response', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', { headResponse: true });
  });

  it('the head size limit: the same error at the same byte, trailers counted anew', () => {
    agreeRaw('request', `GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(200)}\r\n\r\n`, { maxHeaderSize: 128 });
    agreeRaw('request', `GET /${'p'.repeat(200)} HTTP/1.1\r\n\r\n`, { maxHeaderSize: 128 });
    agreeRaw('response', `HTTP/1.1 200 ${'r'.repeat(200)}\r\n\r\n`, { maxHeaderSize: 128 });
    agreeRaw('request', `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-H: ${'h'.repeat(90)}\r\n\r\n1\r\na\r\n0\r\nX-T: ${'t'.repeat(90)}\r\n\r\n`, { maxHeaderSize: 128 });
    agreeRaw('request', `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'t'.repeat(200)}\r\n\r\n`, { maxHeaderSize: 128 });
    // 0: Node's default (http.maxHeaderSize)
    const big = Buffer.from(`GET / HTTP/1.1\r\nX: ${'b'.repeat(20000)}\r\n\r\n`, 'latin1');
    expect(raw(WasmHTTPParser, 'request', big, [], { maxHeaderSize: 0 })).toEqual(raw(NodeParser, 'request', big, [], { maxHeaderSize: 0 }));
  });

  it('the known difference: a DEL in a quoted chunk extension is refused by Node\'s build only', () => {
    const text = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;b="x\x7fy"\r\na\r\n0\r\n\r\n';
    expect(KNOWN_DIFFERENCE.test(text)).toBe(true);
    const bytes = Buffer.from(text, 'latin1');
    expect(raw(NodeParser, 'request', bytes).at(-1)).toEqual(['error', 'HPE_STRICT', 'Invalid character in chunk extensions quoted value', 54]);
    expect(raw(WasmHTTPParser, 'request', bytes).slice(-3)).toEqual([['end'], ['parsed', bytes.length], ['finish', undefined, undefined]]);
  });

  it('closed parsers give their memory back: 20,000 of them leave the wasm memory as it was', () => {
    const use = () => {
      const p = new WasmHTTPParser();
      p.initialize(WasmHTTPParser.REQUEST, {}, 8192, 0);
      p.execute(Buffer.from('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'));
      p.close();
    };
    for (let i = 0; i < 1000; i++) use();
    const size = llhttpWasm().memory.buffer.byteLength;
    for (let i = 0; i < 20_000; i++) use();
    expect(llhttpWasm().memory.buffer.byteLength).toBe(size);
  });

  it('a callback that throws makes execute throw that error', () => {
    for (const HTTPParser of [NodeParser, WasmHTTPParser]) {
      const p = new HTTPParser();
      p.initialize(HTTPParser.REQUEST, {}, 8192, 0);
      const boom = new Error('boom');
      p[HTTPParser.kOnHeadersComplete] = () => {
        throw boom;
      };
      expect(() => p.execute(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(boom);
      p.close();
    }
  });

  it("a callback may run another parser's execute: each keeps its own input", () => {
    const events: Event[] = [];
    const inner = new WasmHTTPParser();
    inner.initialize(WasmHTTPParser.RESPONSE, {}, 8192, 0);
    inner[WasmHTTPParser.kOnHeadersComplete] = (_a: number, _b: number, headers: string[]) => void events.push(['inner', headers]);
    const outer = new WasmHTTPParser();
    outer.initialize(WasmHTTPParser.REQUEST, {}, 8192, 0);
    outer[WasmHTTPParser.kOnHeadersComplete] = (_a: number, _b: number, headers: string[], _m: number, url: string) => {
      events.push(['outer head', headers, url]);
      expect(inner.execute(Buffer.from('HTTP/1.1 200 OK\r\nX-Inner: 1\r\nContent-Length: 0\r\n\r\n'))).toBe(50);
    };
    outer[WasmHTTPParser.kOnBody] = (chunk: Buffer) => void events.push(['outer body', chunk.toString()]);
    const req = Buffer.from('POST /o HTTP/1.1\r\nX-Outer: 1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n');
    expect(outer.execute(req)).toBe(req.length);
    expect(events).toEqual([
      ['outer head', ['X-Outer', '1', 'Transfer-Encoding', 'chunked'], '/o'],
      ['inner', ['X-Inner', '1', 'Content-Length', '0']],
      ['outer body', 'body'],
    ]);
    inner.close();
    outer.close();
  });

  it('agrees on generated messages: chunked bodies, trailers, many fields, hostile bytes, random cuts (fast-check)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}$/);
    const often = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
    const nasty = fc.constantFrom('\x00', '\x7f', '\xe9', '\r', '\n', ' ', '\t', ':', '"', '\r\n ', ';', '-');
    const value = fc.stringMatching(/^[\x20-\x7e]{0,12}$/);
    const field = fc.tuple(token, value).map(([n, v]) => `${n}: ${v}\r\n`);
    const fields = often(fc.array(field, { maxLength: 5 }), fc.array(field, { minLength: 30, maxLength: 40 })).map((f) => f.join(''));
    const chunk = fc.tuple(fc.stringMatching(/^[a-z]{0,20}$/), fc.option(fc.constantFrom(';a=1', ';b="x y"', ';c', ' ;d'), { nil: '' }), fc.integer({ min: -2, max: 2 })).map(
      // a chunk, its size sometimes wrong
      ([data, ext, skew]) => `${Math.max(0, data.length + (skew === 2 ? 1 : 0)).toString(16)}${ext}\r\n${data}\r\n`,
    );
    const chunked = fc.tuple(fc.array(chunk, { maxLength: 4 }), fc.array(field, { maxLength: 3 })).map(([chunks, trailers]) => ({
      framing: 'Transfer-Encoding: chunked\r\n',
      body: `${chunks.join('')}0\r\n${trailers.join('')}\r\n`,
    }));
    const sized = fc.stringMatching(/^[a-z]{0,12}$/).map((b) => ({ framing: `Content-Length: ${b.length}\r\n`, body: b }));
    const framed = fc.oneof(chunked, sized, fc.constant({ framing: '', body: '' }));
    const mutate = fc.tuple(fc.nat(), nasty, fc.boolean()).map(([at, c, on]) => (text: string) => (on ? text : text.slice(0, at % (text.length + 1)) + c + text.slice(at % (text.length + 1))));
    const request = fc.record({
      method: often(fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'QUERY'), fc.constantFrom('CONNECT', 'get', 'PROPFIND', 'PRI')),
      target: often(fc.stringMatching(/^\/[A-Za-z0-9._~%?=&/-]{0,16}$/), fc.constantFrom('*', 'x', '/a b', 'http://h/p')),
      version: often(fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), fc.constantFrom('HTTP/1.2', 'HTTP/2.0', 'http/1.1')),
      extra: fc.oneof(fc.constant(''), fc.constant('Connection: close\r\n'), fc.constant('Connection: Upgrade\r\nUpgrade: websocket\r\n'), fc.constant('Connection: keep-alive\r\n')),
      fields,
      framed,
      tail: fc.constantFrom('', 'GET /next HTTP/1.1\r\n\r\n', 'garbage', '\x81\x05hello'),
      mutate,
    });
    fc.assert(
      fc.property(request, fc.array(fc.nat(), { maxLength: 3 }), (r, cuts) => {
        const text = `${r.method} ${r.target} ${r.version}\r\n${r.extra}${r.fields}${r.framed.framing}\r\n${r.framed.body}${r.tail}`;
        const mutated = r.mutate(text);
        fc.pre(!KNOWN_DIFFERENCE.test(mutated));
        const bytes = Buffer.from(mutated, 'latin1');
        const at = cuts.map((c) => c % (bytes.length + 1));
        expect(raw(WasmHTTPParser, 'request', bytes, at)).toEqual(raw(NodeParser, 'request', bytes, at));
      }),
      { seed: 20261204, numRuns: 3000 },
    );
    const response = fc.record({
      version: often(fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), fc.constant('HTTP/1.2')),
      status: often(fc.constantFrom('200', '204', '304', '404', '500'), fc.constantFrom('100', '101', '999', '20', '2x0')),
      reason: fc.constantFrom(' OK', ' ', '', ' Not Found'),
      fields,
      framed,
      tail: fc.constantFrom('', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', 'garbage'),
      head: fc.boolean(),
      mutate,
    });
    fc.assert(
      fc.property(response, fc.array(fc.nat(), { maxLength: 3 }), (r, cuts) => {
        const mutated = r.mutate(`${r.version} ${r.status}${r.reason}\r\n${r.fields}${r.framed.framing}\r\n${r.framed.body}${r.tail}`);
        fc.pre(!KNOWN_DIFFERENCE.test(mutated));
        const bytes = Buffer.from(mutated, 'latin1');
        const at = cuts.map((c) => c % (bytes.length + 1));
        expect(raw(WasmHTTPParser, 'response', bytes, at, { headResponse: r.head })).toEqual(raw(NodeParser, 'response', bytes, at, { headResponse: r.head }));
      }),
      { seed: 20261204, numRuns: 3000 },
    );
  });
});

describe('parser.ts (fast heads, then llhttp) on the wasm build reads what it reads on Node\'s', () => {
  afterEach(() => useLlhttp('node'));

  /** What mosn's connections see through createParser, with the given build under it. */
  function combined(build: 'node' | 'wasm', type: Kind, bytes: Buffer, cuts: number[]): Event[] {
    useLlhttp(build);
    expect(llhttpBuild()).toBe(build);
    const events: Event[] = [];
    const h: ParserHandlers = {
      onHeadersComplete: (vMaj, vMin, headers, method, url, status, msg, upgrade, keepAlive) => {
        events.push(['head', vMaj, vMin, headers, method === undefined ? undefined : METHODS[method], url, status, msg, upgrade, keepAlive]);
        return 0;
      },
      onBody: (chunk) => events.push(['body', chunk.toString('latin1')]),
      onMessageComplete: (trailers) => events.push(['end', trailers]),
    };
    const p = createParser(type, 8192, h);
    for (const piece of pieces(bytes, cuts)) {
      const r = p.execute(piece);
      if (typeof r !== 'number') {
        events.push(['error', r.code]);
        break;
      }
      events.push(['parsed', r]);
      if (r !== piece.length) break;
    }
    p.close();
    return events;
  }

  it('every request and response above, whole and split at every byte', () => {
    for (const [type, list] of [['request', REQUESTS], ['response', RESPONSES]] as const) {
      for (const text of list) {
        const bytes = Buffer.from(text, 'latin1');
        for (let i = 0; i < bytes.length; i++) expect(combined('wasm', type, bytes, [i])).toEqual(combined('node', type, bytes, [i]));
      }
    }
  });
});
