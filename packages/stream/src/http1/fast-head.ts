/**
 * A strict reader of the common HTTP/1.1 message head, in JavaScript: a request line (or status line) and header
 * fields, the whole head in one buffer, framed by `content-length` or by nothing. It accepts only a narrow subset
 * that llhttp reads the same way (checked by fast-head.test.ts against llhttp itself) and answers `undefined`
 * for everything else (a split head, chunked or close-delimited bodies, upgrades, obs-fold, odd characters, a
 * duplicate content-length...), which then goes to llhttp. Crossing from JavaScript into llhttp and back (three
 * callbacks per message) cost more than parsing the usual head here (benchmarks/README.md).
 */

export interface FastHead {
  /** Bytes of the head, from its first byte to the end of its empty line. */
  length: number;
  versionMinor: 0 | 1;
  /** Names and values, alternating, as llhttp reports them (names as sent, values without surrounding blanks). */
  headers: string[];
  /** Requests: the method and the request-target. */
  method: string;
  url: string;
  /** Responses: status code and reason phrase. */
  status: number;
  statusMessage: string;
  /** The `content-length`, or -1 when there is none. */
  contentLength: number;
  /** `connection: close`, or HTTP/1.0 without `connection: keep-alive`. */
  keepAlive: boolean;
}

/** Methods read here; others (CONNECT, WebDAV, ...) go to llhttp. */
const FAST_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']);

/** An origin-form request-target of unreserved, sub-delim, ':', '@', '/', '?' and '%' characters. */
const URL_RE = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
/** Visible ASCII, space and tab. */
const TEXT_RE = /^[\t\x20-\x7e]*$/;
const DIGITS_RE = /^[0-9]{1,15}$/;

const CR = 13;
const LF = 10;
const COLON = 58;

/** 1 for the bytes of a token (RFC 9110 §5.6.2): `!#$%&'*+-.^_`|~`, digits and letters. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

/** Where each field line's name starts, its colon and its CR are, for the head being read (reused). */
let lines = new Int32Array(3 * 64);

/**
 * Read a message head at `start` of `data`, or undefined when this reader does not take it (llhttp will).
 * `type` is 'request' or 'response'; `maxHeaderSize` bounds the head (a longer one goes to llhttp, which refuses
 * it with its own error).
 *
 * One pass over the bytes finds the lines and checks every field line (a token, a colon, then visible ASCII, space
 * and tab: no obs-text, no controls, no obs-fold, each line ending in CRLF); then the head becomes one string, sliced.
 */
export function readFastHead(data: Buffer, start: number, type: 'request' | 'response', maxHeaderSize: number): FastHead | undefined {
  const limit = Math.min(data.length, start + maxHeaderSize);
  // the start line: its characters are checked from the string below
  let i = start;
  while (i < limit && data[i] !== CR) i++;
  if (i + 1 >= limit || data[i + 1] !== LF) return undefined;
  const firstLineEnd = i;
  let count = 0;
  let q = i + 2;
  for (;;) {
    if (q >= limit) return undefined;
    if (data[q] === CR) break;
    let c = q;
    while (c < limit && TOKEN[data[c]!] === 1) c++;
    if (c === q || c >= limit || data[c] !== COLON) return undefined;
    let e = c + 1;
    for (; e < limit; e++) {
      const b = data[e]!;
      if (b < 0x20 || b > 0x7e) {
        if (b !== 9) break;
      }
    }
    if (e + 1 >= limit || data[e] !== CR || data[e + 1] !== LF) return undefined;
    if (3 * count + 3 > lines.length) {
      const more = new Int32Array(lines.length * 2);
      more.set(lines);
      lines = more;
    }
    lines[3 * count] = q - start;
    lines[3 * count + 1] = c - start;
    lines[3 * count + 2] = e - start;
    count++;
    q = e + 2;
  }
  // the empty line: CR, then LF within the bound
  if (q + 1 >= limit || data[q + 1] !== LF) return undefined;
  // the head up to and including the last field line's CRLF
  const s = data.toString('latin1', start, q);
  const lineEnd = firstLineEnd - start;
  const head: FastHead = {
    length: q + 2 - start,
    versionMinor: 1,
    headers: [],
    method: '',
    url: '',
    status: 0,
    statusMessage: '',
    contentLength: -1,
    keepAlive: true,
  };
  if (type === 'request' ? !readRequestLine(s, lineEnd, head) : !readStatusLine(s, lineEnd, head)) return undefined;
  let close = false;
  let keepAliveAsked = false;
  const headers = head.headers;
  for (let n = 0; n < count; n++) {
    const colon = lines[3 * n + 1]!;
    const name = s.slice(lines[3 * n]!, colon);
    const value = trimBlanks(s, colon + 1, lines[3 * n + 2]!);
    switch (name.length) {
      case 7: // upgrade: llhttp's upgrade handling
        if (sameLower(name, 'upgrade')) return undefined;
        break;
      case 10:
        if (sameLower(name, 'connection')) {
          const v = value.toLowerCase();
          if (v === 'close') close = true;
          else if (v === 'keep-alive') keepAliveAsked = true;
          else return undefined;
        }
        break;
      case 14:
        if (sameLower(name, 'content-length')) {
          if (head.contentLength >= 0 || !DIGITS_RE.test(value)) return undefined;
          head.contentLength = Number(value);
        }
        break;
      case 17: // chunked and other codings: llhttp
        if (sameLower(name, 'transfer-encoding')) return undefined;
        break;
    }
    headers.push(name, value);
  }
  // A response framed by neither (read until the connection closes) is llhttp's.
  if (type === 'response' && head.contentLength < 0 && head.status !== 204 && head.status !== 304) return undefined;
  head.keepAlive = !close && (head.versionMinor === 1 || keepAliveAsked);
  return head;
}

function readRequestLine(s: string, lineEnd: number, head: FastHead): boolean {
  const sp1 = s.indexOf(' ');
  if (sp1 <= 0 || sp1 > lineEnd) return false;
  const method = s.slice(0, sp1);
  if (!FAST_METHODS.has(method)) return false;
  const sp2 = s.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || sp2 > lineEnd) return false;
  const url = s.slice(sp1 + 1, sp2);
  if (!URL_RE.test(url)) return false;
  const minor = httpVersionMinor(s, sp2 + 1, lineEnd);
  if (minor < 0) return false;
  head.method = method;
  head.url = url;
  head.versionMinor = minor as 0 | 1;
  return true;
}

function readStatusLine(s: string, lineEnd: number, head: FastHead): boolean {
  // "HTTP/1.x ddd reason"
  if (lineEnd < 13 || s.charCodeAt(8) !== 32 || s.charCodeAt(12) !== 32) return false;
  const minor = httpVersionMinor(s, 0, 8);
  if (minor < 0) return false;
  const c0 = s.charCodeAt(9) - 48;
  const c1 = s.charCodeAt(10) - 48;
  const c2 = s.charCodeAt(11) - 48;
  if (c0 < 2 || c0 > 5 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9) return false; // 1xx: llhttp
  const reason = s.slice(13, lineEnd);
  if (!TEXT_RE.test(reason)) return false;
  head.status = c0 * 100 + c1 * 10 + c2;
  head.statusMessage = reason;
  head.versionMinor = minor as 0 | 1;
  return true;
}

/** 1 for "HTTP/1.1", 0 for "HTTP/1.0" exactly spanning [from, to), else -1. */
function httpVersionMinor(s: string, from: number, to: number): number {
  if (to - from !== 8 || !s.startsWith('HTTP/1.', from)) return -1;
  const c = s.charCodeAt(from + 7);
  return c === 49 ? 1 : c === 48 ? 0 : -1;
}

function trimBlanks(s: string, from: number, to: number): string {
  while (from < to && isBlank(s.charCodeAt(from))) from++;
  while (to > from && isBlank(s.charCodeAt(to - 1))) to--;
  return s.slice(from, to);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** `a` equals the lower-case `lower`, ASCII case-insensitively (same length known). */
function sameLower(a: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = a.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
