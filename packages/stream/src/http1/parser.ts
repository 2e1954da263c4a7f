import { createRequire } from 'node:module';

/**
 * Node's own llhttp binding, the parser behind `node:http`. We drive it directly on our connections:
 * most of `node:http`'s cost is its per-request objects, not parsing (see docs/design.md).
 */
const require = createRequire(import.meta.url);
const common = require('node:_http_common') as {
  HTTPParser: HTTPParserConstructor;
  methods: string[];
};

export interface HTTPParserConstructor {
  new (): HTTPParserInstance;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

export interface HTTPParserInstance {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): undefined | ParseError;
  close(): void;
  free(): void;
  pause(): void;
  resume(): void;
  [key: number]: unknown;
}

export interface ParseError extends Error {
  code: string;
  reason?: string;
  bytesParsed?: number;
}

export const HTTPParser = common.HTTPParser;
export const METHODS = common.methods;

export type OnHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: number | undefined,
  url: string | undefined,
  statusCode: number | undefined,
  statusMessage: string | undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number | void;

export interface ParserHandlers {
  onHeadersComplete: OnHeadersComplete;
  onBody(chunk: Buffer): void;
  /** The message ended; `trailers` are the chunked trailer fields, if any came. */
  onMessageComplete(trailers: string[] | undefined): void;
}

/**
 * A parser with our handlers. Headers that llhttp flushes early (more than 32, or a long URL) arrive
 * through kOnHeaders and are joined here, as node:http does.
 */
export function createParser(type: 'request' | 'response', maxHeaderSize: number, h: ParserHandlers): HTTPParserInstance {
  const p = new HTTPParser();
  p.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
  let partialHeaders: string[] = [];
  let partialUrl = '';
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
    return h.onHeadersComplete(vMaj, vMin, headers, method, url, status, msg, upgrade, keepAlive);
  }) satisfies OnHeadersComplete;
  p[HTTPParser.kOnBody] = h.onBody;
  p[HTTPParser.kOnMessageComplete] = () => {
    // Fields that came through kOnHeaders after the head are trailers: they must not leak into the next head.
    const trailers = partialHeaders.length > 0 ? partialHeaders : undefined;
    partialHeaders = [];
    partialUrl = '';
    h.onMessageComplete(trailers);
  };
  return p;
}
