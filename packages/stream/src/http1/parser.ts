import { readFastHead, type FastHead } from './fast-head.js';
import { activeHTTPParser } from './llhttp/choice.js';
import { METHOD_NUMBER } from './llhttp/methods.js';
import type { HTTPParserConstructor, HTTPParserInstance, OnHeadersComplete, ParseError } from './llhttp/types.js';

export { METHODS } from './llhttp/methods.js';
export type { OnHeadersComplete, ParseError } from './llhttp/types.js';

export interface ParserHandlers {
  onHeadersComplete: OnHeadersComplete;
  onBody(chunk: Buffer): void;
  /** The message ended; `trailers` are the chunked trailer fields, if any came. */
  onMessageComplete(trailers: string[] | undefined): void;
}

/** What the connections use: `execute` a read, `finish` at the end of input, `close` when done. */
export interface Http1Parser {
  /** Bytes consumed, or the parse error. */
  execute(data: Buffer): number | ParseError;
  finish(): undefined | ParseError;
  close(): void;
}

/**
 * A parser with our handlers, driven directly by the connections (most of `node:http`'s cost is its per-request
 * objects, not parsing: docs/design.md): the common message heads are read in JavaScript (fast-head.ts) and their
 * `content-length` bodies counted here; any other message goes to llhttp (made on first need, of the build chosen
 * then: Node's binding, or the wasm one where the start-up check or `MOSN_HTTP1_PARSER` chose it; llhttp/choice.ts),
 * from its first byte to its end. Headers that llhttp flushes early (more than 32, or a long URL) arrive through
 * kOnHeaders and are joined here, as node:http does.
 */
export function createParser(type: 'request' | 'response', maxHeaderSize: number, h: ParserHandlers): Http1Parser {
  return new CombinedParser(type, maxHeaderSize, h);
}

class CombinedParser implements Http1Parser {
  readonly #type: 'request' | 'response';
  readonly #maxHeaderSize: number;
  readonly #h: ParserHandlers;
  #llhttp: HTTPParserInstance | undefined;
  /** llhttp is inside a message: bytes go to it until that message ends. */
  #llhttpBusy = false;
  /** Body bytes of the current (JavaScript-read) message still to come; -1 when not in a body. */
  #bodyLeft = -1;
  /** A JavaScript-read message ended the connection (`connection: close`): nothing may follow, as in llhttp. */
  #ended = false;

  constructor(type: 'request' | 'response', maxHeaderSize: number, h: ParserHandlers) {
    this.#type = type;
    this.#maxHeaderSize = maxHeaderSize;
    this.#h = h;
  }

  execute(data: Buffer): number | ParseError {
    const n = data.length;
    let p = 0;
    while (p < n) {
      if (this.#bodyLeft >= 0) {
        p = this.#body(data, p);
        continue;
      }
      if (this.#ended) return closedConnection();
      const head = this.#llhttpBusy ? undefined : readFastHead(data, p, this.#type, this.#maxHeaderSize);
      if (!head) return this.#toLlhttp(data, p);
      p += head.length;
      if (!this.#deliverHead(head)) {
        // no body follows (none framed, or the answer to a HEAD request)
        this.#messageDone(head.keepAlive);
        continue;
      }
      this.#bodyLeft = head.contentLength;
      if (!head.keepAlive) this.#ended = true;
    }
    return n;
  }

  /** Calls onHeadersComplete; true when a body follows. */
  #deliverHead(head: FastHead): boolean {
    const h = this.#h;
    if (this.#type === 'request') {
      h.onHeadersComplete(1, head.versionMinor, head.headers, METHOD_NUMBER.get(head.method), head.url, undefined, undefined, false, head.keepAlive);
      return head.contentLength > 0;
    }
    const skipBody = h.onHeadersComplete(1, head.versionMinor, head.headers, undefined, undefined, head.status, head.statusMessage, false, head.keepAlive);
    return skipBody !== 1 && head.status !== 204 && head.status !== 304 && head.contentLength > 0;
  }

  #body(data: Buffer, p: number): number {
    const k = Math.min(this.#bodyLeft, data.length - p);
    this.#bodyLeft -= k;
    const chunk = data.subarray(p, p + k);
    if (this.#bodyLeft > 0) {
      this.#h.onBody(chunk);
      return p + k;
    }
    this.#bodyLeft = -1;
    if (k > 0) this.#h.onBody(chunk);
    this.#h.onMessageComplete(undefined);
    return p + k;
  }

  #messageDone(keepAlive: boolean): void {
    if (!keepAlive) this.#ended = true;
    this.#h.onMessageComplete(undefined);
  }

  #toLlhttp(data: Buffer, p: number): number | ParseError {
    const r = (this.#llhttp ??= this.#createLlhttp()).execute(p === 0 ? data : data.subarray(p));
    return typeof r === 'number' ? p + r : r;
  }

  finish(): undefined | ParseError {
    if (this.#bodyLeft >= 0) {
      return Object.assign(new Error('Parse Error: Invalid EOF state'), { code: 'HPE_INVALID_EOF_STATE', reason: 'Invalid EOF state' });
    }
    return this.#llhttpBusy ? this.#llhttp?.finish() : undefined;
  }

  close(): void {
    this.#llhttp?.close();
  }

  #createLlhttp(): HTTPParserInstance {
    const h = this.#h;
    const HTTPParser: HTTPParserConstructor = activeHTTPParser();
    const p = new HTTPParser();
    p.initialize(this.#type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, this.#maxHeaderSize, HTTPParser.kLenientNone);
    let partialHeaders: string[] = [];
    let partialUrl = '';
    let messageUpgrade = false;
    let messageKeepAlive = true;
    p[HTTPParser.kOnMessageBegin] = () => {
      this.#llhttpBusy = true;
    };
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      partialHeaders = partialHeaders.length === 0 ? headers : partialHeaders.concat(headers);
      partialUrl += url;
    };
    p[HTTPParser.kOnHeadersComplete] = ((vMaj, vMin, headers, method, url, status, msg, upgrade, keepAlive) => {
      if (headers === undefined) {
        headers = partialHeaders;
        url = partialUrl;
        partialHeaders = [];
        partialUrl = '';
      }
      messageUpgrade = upgrade;
      messageKeepAlive = keepAlive;
      return h.onHeadersComplete(vMaj, vMin, headers, method, url, status, msg, upgrade, keepAlive);
    }) satisfies OnHeadersComplete;
    p[HTTPParser.kOnBody] = h.onBody;
    p[HTTPParser.kOnMessageComplete] = () => {
      // Fields that came through kOnHeaders after the head are trailers: they must not leak into the next head.
      const trailers = partialHeaders.length > 0 ? partialHeaders : undefined;
      partialHeaders = [];
      partialUrl = '';
      // After an upgrade (or a message that may close the connection) llhttp keeps every byte that follows: it
      // knows what they are (a tunnel's, an error, or the next message after a HEAD answer).
      if (!messageUpgrade && messageKeepAlive) this.#llhttpBusy = false;
      h.onMessageComplete(trailers);
    };
    return p;
  }
}

/** What llhttp answers to bytes after a message that closed the connection. */
function closedConnection(): ParseError {
  return Object.assign(new Error('Parse Error: Data after `Connection: close`'), {
    code: 'HPE_CLOSED_CONNECTION',
    reason: 'Data after `Connection: close`',
  });
}
