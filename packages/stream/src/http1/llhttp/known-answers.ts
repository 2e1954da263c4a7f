import type { HTTPParserConstructor } from './types.js';

/**
 * The HTTP/1 parser's known-answer test (run at start: check.ts). What a parser (Node's binding or the wasm one)
 * must do with a few fixed messages, callback by callback, as Node's
 * binding did when mosn was written: a pipelined request split inside a header, with a chunked body and trailers
 * (after which heads are handed over through kOnHeaders); a chunked response with trailers; an upgrade request
 * (parsing stops after its head); a bad header name and a head over the size limit (errors with llhttp's codes);
 * a body cut short (an error at the end of input). Undefined when every event and result is as expected, else the
 * first difference. Takes well under a millisecond.
 */
export function parserProblem(HTTPParser: HTTPParserConstructor): string | undefined {
  for (const c of CASES) {
    let got: string;
    try {
      got = JSON.stringify(run(HTTPParser, c));
    } catch (e) {
      return `${c.name}: threw ${(e as Error).message}`;
    }
    const want = JSON.stringify(c.want);
    if (got !== want) return `${c.name}: got ${got}, expected ${want}`;
  }
  return undefined;
}

interface Case {
  name: string;
  type: 'request' | 'response';
  /** The input, in the pieces `execute` gets. */
  pieces: string[];
  maxHeaderSize?: number;
  /** Every callback and result in order: `execute`'s as ['parsed', n] or ['error', code, reason]. */
  want: unknown[][];
}

const REQUEST = 'POST /upload?x=1 HTTP/1.1\r\nHost: example\r\nTransfer-Encoding: chunked\r\nX-Pad:  v \r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n';
const NEXT = 'GET /next HTTP/1.1\r\nHost: example\r\n\r\n';
const CUT = REQUEST.indexOf('Encoding');
const POST = 3;
const GET = 1;

const CASES: Case[] = [
  {
    name: 'chunked request with trailers, then a pipelined one',
    type: 'request',
    pieces: [REQUEST.slice(0, CUT), REQUEST.slice(CUT) + NEXT],
    want: [
      ['begin'],
      ['parsed', CUT],
      ['head', 1, 1, ['Host', 'example', 'Transfer-Encoding', 'chunked', 'X-Pad', 'v'], POST, '/upload?x=1', null, null, false, true],
      ['body', 'hello'],
      ['body', ' world'],
      ['headers', ['X-Checksum', '42'], '/upload?x=1'],
      ['end'],
      ['begin'],
      ['headers', ['Host', 'example'], '/next'],
      ['head', 1, 1, null, GET, null, null, null, false, true],
      ['end'],
      ['parsed', REQUEST.length - CUT + NEXT.length],
      ['finish', null],
    ],
  },
  {
    name: 'chunked response with trailers',
    type: 'response',
    pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n'],
    want: [
      ['begin'],
      ['head', 1, 1, ['Transfer-Encoding', 'chunked'], null, null, 200, 'OK', false, true],
      ['body', 'abc'],
      ['headers', ['X-T', '1'], ''],
      ['end'],
      ['parsed', 68],
      ['finish', null],
    ],
  },
  {
    name: 'upgrade request',
    type: 'request',
    pieces: ['GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nBYTES'],
    want: [['begin'], ['head', 1, 1, ['Connection', 'Upgrade', 'Upgrade', 'websocket'], GET, '/ws', null, null, true, true], ['end'], ['parsed', 61], ['finish', null]],
  },
  {
    name: 'bad header name',
    type: 'request',
    pieces: ['GET / HTTP/1.1\r\nBad Header: x\r\n\r\n'],
    want: [['begin'], ['error', 'HPE_INVALID_HEADER_TOKEN', 'Invalid header token', 19], ['finish', null]],
  },
  {
    name: 'head over the size limit',
    type: 'request',
    maxHeaderSize: 64,
    pieces: [`GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(100)}\r\n\r\n`],
    want: [['begin'], ['error', 'HPE_HEADER_OVERFLOW', 'Header overflow', 125], ['finish', null]],
  },
  {
    name: 'body cut short',
    type: 'response',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
    want: [['begin'], ['head', 1, 1, ['Content-Length', '10'], null, null, 200, 'OK', false, true], ['body', 'abc'], ['parsed', 42], ['finish', 'HPE_INVALID_EOF_STATE']],
  },
];

function run(HTTPParser: HTTPParserConstructor, c: Case): unknown[][] {
  const events: unknown[][] = [];
  const p = new HTTPParser();
  p.initialize(c.type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, c.maxHeaderSize ?? 8192, HTTPParser.kLenientNone);
  p[HTTPParser.kOnMessageBegin] = () => events.push(['begin']);
  p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => events.push(['headers', headers, url]);
  p[HTTPParser.kOnHeadersComplete] = (...args: unknown[]) => {
    events.push(['head', ...args]);
    return 0;
  };
  p[HTTPParser.kOnBody] = (chunk: Buffer) => events.push(['body', chunk.toString('latin1')]);
  p[HTTPParser.kOnMessageComplete] = () => events.push(['end']);
  try {
    for (const piece of c.pieces) {
      const r = p.execute(Buffer.from(piece, 'latin1'));
      if (typeof r !== 'number') {
        events.push(['error', r.code, r.reason, r.bytesParsed]);
        break;
      }
      events.push(['parsed', r]);
    }
    const end = p.finish();
    events.push(['finish', end === undefined ? null : end.code]);
  } finally {
    p.close();
  }
  return events;
}
