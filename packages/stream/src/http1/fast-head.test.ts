import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFastHead } from './fast-head.js';
import { nodeHTTPParser } from './llhttp/node-binding.js';
import { createParser, METHODS, type Http1Parser, type ParserHandlers } from './parser.js';

const HTTPParser = nodeHTTPParser!;

/*
 * The JavaScript head reader must read exactly what llhttp reads, or decline. Each input is parsed by llhttp alone
 * (Node's binding, as node:http uses it) and by the combined parser (fast heads + llhttp), whole and split at
 * every byte; the callback sequences must be equal, and so must the errors.
 */

type Event = unknown[];

function handlers(events: Event[], headResponse = false): ParserHandlers {
  return {
    onHeadersComplete: (vMaj, vMin, headers, method, url, status, msg, upgrade, keepAlive) => {
      events.push(['head', vMaj, vMin, headers, method === undefined ? undefined : METHODS[method], url || undefined, status || undefined, msg || undefined, upgrade, keepAlive]);
      return headResponse ? 1 : 0;
    },
    onBody: (chunk) => events.push(['body', chunk.toString('latin1')]),
    onMessageComplete: (trailers) => events.push(['end', trailers]),
  };
}

/** llhttp alone, as before the fast path, fed in pieces cut at `cuts`. */
function llhttpOnly(type: 'request' | 'response', bytes: Buffer, headResponse = false, cuts: number[] = []): Event[] {
  const events: Event[] = [];
  const h = handlers(events, headResponse);
  const p = new HTTPParser();
  p.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 8192, HTTPParser.kLenientNone);
  p[HTTPParser.kOnHeadersComplete] = h.onHeadersComplete;
  p[HTTPParser.kOnBody] = h.onBody;
  p[HTTPParser.kOnMessageComplete] = () => h.onMessageComplete(undefined);
  return feed(p, bytes, cuts, events);
}

/** The combined parser, fed in pieces cut at `cuts`. */
function combined(type: 'request' | 'response', bytes: Buffer, cuts: number[] = [], headResponse = false): Event[] {
  const events: Event[] = [];
  return feed(createParser(type, 8192, handlers(events, headResponse)), bytes, cuts, events);
}

function feed(p: Pick<Http1Parser, 'execute' | 'close'>, bytes: Buffer, cuts: number[], events: Event[]): Event[] {
  let from = 0;
  for (const to of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (to <= from) continue;
    const r = p.execute(bytes.subarray(from, to));
    if (typeof r !== 'number') {
      events.push(['error', r.code]);
      break;
    }
    // less than given: an upgrade stopped the parser, and what follows is not HTTP (the connection holds it)
    if (r < to - from) break;
    from = to;
  }
  p.close();
  return merge(events);
}

/** Adjacent body events joined: how a body is cut into chunks is not part of the contract. */
function merge(events: Event[]): Event[] {
  const out: Event[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e[0] === 'body' && last?.[0] === 'body') last[1] = `${last[1] as string}${e[1] as string}`;
    else out.push([...e]);
  }
  return out;
}

function agree(type: 'request' | 'response', text: string, headResponse = false): void {
  const bytes = Buffer.from(text, 'latin1');
  expect(combined(type, bytes, [], headResponse)).toEqual(llhttpOnly(type, bytes, headResponse));
  for (let i = 1; i < bytes.length; i++) expect(combined(type, bytes, [i], headResponse)).toEqual(llhttpOnly(type, bytes, headResponse, [i]));
}

const REQUESTS = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /p?q=1&r=%20 HTTP/1.1\r\nHost: a\r\nUser-Agent: wrk\r\nAccept:  */*  \r\n\r\n',
  'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n',
  'POST /x HTTP/1.1\r\ncontent-length: 0\r\n\r\n',
  'GET / HTTP/1.0\r\n\r\n',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n',
  'GET / HTTP/1.1\r\nConnection: close\r\n\r\n',
  'GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n',
  'GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n',
  'DELETE /a/b HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS /c HTTP/1.1\r\n\r\n',
  // declined: llhttp reads these
  'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n',
  'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
  'GET / HTTP/1.1\r\nBad\x01: a\r\n\r\n',
  'GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n',
  'GET / HTTP/1.1\nHost: a\n\n',
  'GET  / HTTP/1.1\r\n\r\n',
  'GET /a#frag HTTP/1.1\r\n\r\n',
  'GET http://a/b HTTP/1.1\r\n\r\n',
  'GET / HTTP/2.0\r\n\r\n',
  'PROPFIND / HTTP/1.1\r\n\r\n',
  'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
  'POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n',
  '\r\nGET / HTTP/1.1\r\n\r\n',
  'GET / HTTP/1.1\r\nConnection: keep-alive, TE\r\n\r\n',
  'XYZ',
];

const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
  'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 \r\nContent-Length: 9\r\n\r\n',
  'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx',
  'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  'HTTP/1.1 200 OK\r\n\r\nuntil close',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz',
  'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 601 Odd\r\nContent-Length: 0\r\n\r\n',
];

describe('fast HTTP/1 heads agree with llhttp', () => {
  it('reads requests as llhttp does, whole and split at every byte', () => {
    for (const r of REQUESTS) agree('request', r);
  });

  it('reads responses as llhttp does (and a HEAD answer has no body)', () => {
    for (const r of RESPONSES) agree('response', r);
    agree('response', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', true);
  });

  it('declines what llhttp must read', () => {
    const declined = (t: string, type: 'request' | 'response' = 'request') => readFastHead(Buffer.from(t, 'latin1'), 0, type, 8192);
    expect(declined('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n')).toBeUndefined();
    expect(declined('GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n')).toBeUndefined();
    expect(declined('GET / HTTP/1.1\r\nHost: a\r\n')).toBeUndefined(); // head not complete
    expect(declined(`GET / HTTP/1.1\r\nX: ${'a'.repeat(9000)}\r\n\r\n`)).toBeUndefined(); // over the limit
    expect(declined('HTTP/1.1 101 Switching Protocols\r\n\r\n', 'response')).toBeUndefined();
    expect(declined('GET / HTTP/1.1\r\nHost: a\r\n\r\n')?.headers).toEqual(['Host', 'a']);
  });

  it('agrees with llhttp on generated heads with hostile characters (fast-check)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
    // mostly well-formed, so that both readers get their share
    const often = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: bad, weight: 1 });
    const nasty = often(fc.constant(''), fc.constantFrom(' ', '\t', '\r', '\n', '\x00', '\x7f', '\xe9', ':', ',', '"', '#', '\r\n ', ' \r\n'));
    const value = fc.tuple(fc.stringMatching(/^[\x20-\x7e]{0,16}$/), nasty, fc.stringMatching(/^[\x20-\x7e]{0,4}$/)).map((p) => p.join(''));
    const special = fc.constantFrom('Content-Length', 'content-length', 'Connection', 'Transfer-Encoding', 'Upgrade', 'Host', 'Expect');
    const specialValue = fc.constantFrom('0', '3', '007', '-1', 'close', 'keep-alive', 'Keep-Alive', 'chunked', 'upgrade', '100-continue', '');
    const field = fc.oneof(fc.tuple(token, value), fc.tuple(special, specialValue), fc.tuple(fc.tuple(token, nasty).map((p) => p.join('')), value));
    const lengthField = fc.nat({ max: 8 }).map((n) => ['Content-Length', String(n)] as [string, string]);
    let fastRequests = 0;
    let fastResponses = 0;
    const request = fc.record({
      method: often(fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'PATCH'), fc.constantFrom('CONNECT', 'get', 'PROPFIND')),
      target: often(fc.stringMatching(/^\/[A-Za-z0-9._~%?=&/-]{0,20}$/), fc.constantFrom('*', '/a b', '/é', 'x', '/#', '')),
      version: often(fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), fc.constantFrom('HTTP/1.2', 'HTTP/2', 'http/1.1')),
      fields: fc.array(field, { maxLength: 6 }),
      body: fc.stringMatching(/^[a-z]{0,6}$/),
      tail: fc.constantFrom('', 'GET / HTTP/1.1\r\n\r\n', 'garbage'),
    });
    fc.assert(
      fc.property(request, fc.array(fc.nat(), { maxLength: 3 }), (r, cuts) => {
        const text = `${r.method} ${r.target} ${r.version}\r\n${r.fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${r.body}${r.tail}`;
        const bytes = Buffer.from(text, 'latin1');
        const at = cuts.map((c) => c % (bytes.length + 1));
        if (readFastHead(bytes, 0, 'request', 8192)) fastRequests++;
        expect(combined('request', bytes)).toEqual(llhttpOnly('request', bytes));
        expect(combined('request', bytes, at)).toEqual(llhttpOnly('request', bytes, false, at));
      }),
      { seed: 20261203, numRuns: 3000 },
    );
    const response = fc.record({
      version: often(fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), fc.constant('HTTP/1.2')),
      status: often(fc.constantFrom('200', '204', '304', '404'), fc.constantFrom('101', '100', '999', '20', '2x0')),
      reason: fc.tuple(fc.constantFrom(' OK', ' ', '', ' Not Found'), nasty).map((p) => p.join('')),
      fields: fc.tuple(fc.array(field, { maxLength: 5 }), fc.option(lengthField)).map(([f, l]) => (l ? [...f, l] : f)),
      body: fc.stringMatching(/^[a-z]{0,6}$/),
      tail: fc.constantFrom('', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', 'garbage'),
      head: fc.boolean(),
    });
    fc.assert(
      fc.property(response, fc.array(fc.nat(), { maxLength: 3 }), (r, cuts) => {
        const text = `${r.version} ${r.status}${r.reason}\r\n${r.fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${r.body}${r.tail}`;
        const bytes = Buffer.from(text, 'latin1');
        const at = cuts.map((c) => c % (bytes.length + 1));
        if (readFastHead(bytes, 0, 'response', 8192)) fastResponses++;
        expect(combined('response', bytes, [], r.head)).toEqual(llhttpOnly('response', bytes, r.head));
        expect(combined('response', bytes, at, r.head)).toEqual(llhttpOnly('response', bytes, r.head, at));
      }),
      { seed: 20261203, numRuns: 3000 },
    );
    // the generators reach both sides: heads read here, and heads left to llhttp
    expect(fastRequests).toBeGreaterThan(600);
    expect(fastResponses).toBeGreaterThan(600);
  });
});
