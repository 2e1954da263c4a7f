/**
 * The parser contract mosn's HTTP/1 connections use: the shape of Node's own llhttp binding (`HTTPParser` from
 * `node:_http_common`, what `node:http` parses with), which the wasm build of llhttp (wasm-parser.ts) also
 * implements, so that either can sit under parser.ts.
 *
 * Callbacks are set as numbered properties (`p[HTTPParser.kOnBody] = fn`) and called with the parser as `this`:
 * - kOnMessageBegin(): a message starts.
 * - kOnHeaders(headers, url): header fields (and the URL so far) handed over early: when a head has more than 32
 *   fields, from then on for every head of that parser, and for chunked trailers (just before kOnMessageComplete).
 * - kOnHeadersComplete(versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade,
 *   shouldKeepAlive): the head is read (`headers`/`url` undefined when they came through kOnHeaders); `method` is
 *   llhttp's method number (METHODS), `statusCode`/`statusMessage` only for responses. Answers 0, 1 (no body
 *   follows: the answer to a HEAD request) or 2 (no body, and upgrade).
 * - kOnBody(chunk), kOnMessageComplete().
 * A callback that throws makes `execute` throw that error (the parser is in an error state from then on).
 */
export interface HTTPParserConstructor {
  new (): HTTPParserInstance;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

export interface HTTPParserInstance {
  /** `type` REQUEST or RESPONSE; `maxHeaderSize` 0 for Node's default (`http.maxHeaderSize`); `lenient` a kLenient* mask. */
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /**
   * Parse `data`: bytes consumed (fewer than given after an upgrade request: the rest is not HTTP), or the parse
   * error. Once a message asked for an upgrade, an error is reported as a byte count: the error's position minus
   * this chunk's start, also when the error was in an earlier call's input (an error stays: every later call
   * answers it again), which gives a count outside this chunk (or 0, or a count into it when the earlier input
   * was a piece of the same memory before it). The wasm build computes the same where both inputs are pieces of
   * one ArrayBuffer, and -1 where they are not (Node's figure is then a difference of unrelated addresses).
   */
  execute(data: Buffer): number | ParseError;
  /** The end of input: undefined, or the error (a message cut short). */
  finish(): undefined | ParseError;
  /** Free the parser; nothing may be called after. */
  close(): void;
  free(): void;
  pause(): void;
  resume(): void;
  [key: number]: unknown;
}

/** A parse error as Node's binding gives it: `code` is llhttp's (`HPE_INVALID_METHOD`, `HPE_HEADER_OVERFLOW`, ...). */
export interface ParseError extends Error {
  code: string;
  reason?: string;
  bytesParsed?: number;
}

/** The callback types mosn sets (the arguments as listed above). */
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
