import type { IoBuffer } from '@mosn/net';
import { matchPrefix, type MatchResult, type ProtocolMatcher } from './matcher.js';

export const HTTP1 = 'Http1';
export const HTTP2 = 'Http2';

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** HTTP/2's client connection preface. */
export const http2Matcher: ProtocolMatcher = {
  name: HTTP2,
  match: (buffer) => matchPrefix(buffer, HTTP2_PREFACE),
};

const METHODS = [
  'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PURGE', 'REPORT', 'SEARCH',
].map((m) => Buffer.from(`${m} `, 'latin1'));
const LONGEST_METHOD = Math.max(...METHODS.map((m) => m.length));

/** An HTTP/1 request line: a known method followed by a space. */
export const http1Matcher: ProtocolMatcher = {
  name: HTTP1,
  match(buffer: IoBuffer): MatchResult {
    let again = false;
    for (const m of METHODS) {
      const r = matchPrefix(buffer, m);
      if (r === 'match') return 'match';
      if (r === 'again') again = true;
    }
    return again && buffer.length < LONGEST_METHOD ? 'again' : 'no';
  },
};
