import { maxHeaderSize as nodeMaxHeaderSize } from 'node:http';
import type { HTTPParserInstance, ParseError } from './types.js';
import { callbackTarget, cString, llhttpWasm, type LlhttpCallbacks, type LlhttpWasm } from './wasm-module.js';

// llhttp's error numbers (llhttp_errno) this adapter acts on
const HPE_OK = 0;
const HPE_PAUSED_UPGRADE = 22;
const HPE_USER = 24;
/** A callback failed: llhttp stops and reports its CB_* error, which `execute` turns into the thrown exception. */
const CALLBACK_FAILED = -1;

/** Node's binding hands header fields over (kOnHeaders) once this many are pending. */
const MAX_PENDING_FIELDS = 32;

const EMPTY = Buffer.alloc(0);

/**
 * Where each parser's input is copied for llhttp: one region of the wasm memory, grown to the largest input (in
 * 4 KiB steps). An `execute` run from inside another parser's callback gets a region of its own for that call.
 */
const input = { ptr: 0, size: 0 };

/** A parser dropped without `close()` still frees its llhttp state. */
const unclosed = new FinalizationRegistry<number>((ptr) => llhttpWasm().llhttp_free(ptr));

/**
 * Node's `HTTPParser` (the contract in types.ts) over undici's WebAssembly build of llhttp: mosn's fallback where
 * `node:_http_common` is missing or fails the start-up check, or with `MOSN_HTTP1_PARSER=wasm`. It reproduces what
 * Node's C++ binding (src/node_http_parser.cc) adds to llhttp: header fields and values gathered (joined across
 * reads, values without trailing blanks), handed over early once 32 are pending and for trailers, the head's size
 * bounded (HPE_HEADER_OVERFLOW), the upgrade pause turned into a short byte count, errors as Node words them.
 * Body chunks are views of the `execute` input (Node's binding gives copies). Not reproduced: Node's limit on
 * chunk extensions (16 KiB, HPE_CHUNK_EXTENSIONS_OVERFLOW): the wasm build does not report them to JavaScript
 * (llhttp reads them without keeping them, so they cost no memory).
 */
export class WasmHTTPParser implements HTTPParserInstance, LlhttpCallbacks {
  static readonly REQUEST = 1;
  static readonly RESPONSE = 2;
  static readonly kOnMessageBegin = 0;
  static readonly kOnHeaders = 1;
  static readonly kOnHeadersComplete = 2;
  static readonly kOnBody = 3;
  static readonly kOnMessageComplete = 4;
  static readonly kOnExecute = 5;
  static readonly kOnTimeout = 6;
  static readonly kLenientNone = 0;
  static readonly kLenientHeaders = 1 << 0;
  static readonly kLenientChunkedLength = 1 << 1;
  static readonly kLenientKeepAlive = 1 << 2;
  static readonly kLenientTransferEncoding = 1 << 3;
  static readonly kLenientVersion = 1 << 4;
  static readonly kLenientDataAfterClose = 1 << 5;
  static readonly kLenientOptionalLFAfterCR = 1 << 6;
  static readonly kLenientOptionalCRLFAfterChunk = 1 << 7;
  static readonly kLenientOptionalCRBeforeLF = 1 << 8;
  static readonly kLenientSpacesAfterChunkSize = 1 << 9;

  [key: number]: unknown;

  readonly #w: LlhttpWasm = llhttpWasm();
  /** The llhttp state in the wasm memory; 0 before `initialize` and after `close`. */
  #ptr = 0;
  #type = 0;
  #maxHeaderSize = 0;
  /** Bytes of the head (or trailers) so far, against #maxHeaderSize. */
  #headerBytes = 0;
  #url = '';
  #statusMessage = '';
  readonly #fields: string[] = [];
  readonly #values: string[] = [];
  #numFields = 0;
  #numValues = 0;
  /** Fields were handed over through kOnHeaders once: from then on every head goes that way (as in Node). */
  #flushed = false;
  /** The input of the running `execute`, and where its copy starts in the wasm memory. */
  #data: Buffer = EMPTY;
  #dataPtr = 0;
  /**
   * Where llhttp's last error (or upgrade stop) was, as memory of the input it was in: an error left from an
   * earlier call is reported again at that position, which Node's binding gives relative to the new input.
   */
  #errorIn: ArrayBufferLike | undefined;
  #errorOffset = 0;
  /** Our own error (HPE_USER): code and reason. */
  #userError: [string, string] | undefined;
  /** What a callback threw: `execute` throws it once llhttp has stopped. */
  #thrown: { error: unknown } | undefined;

  initialize(type: number, _resource: object, maxHeaderSize: number, lenient: number): void {
    if (type !== WasmHTTPParser.REQUEST && type !== WasmHTTPParser.RESPONSE) throw new TypeError(`parser type ${type}: REQUEST or RESPONSE expected`);
    this.#release();
    const w = this.#w;
    const p = (this.#ptr = w.llhttp_alloc(type));
    unclosed.register(this, p, this);
    this.#type = type;
    this.#maxHeaderSize = maxHeaderSize > 0 ? maxHeaderSize : nodeMaxHeaderSize;
    setLenient(w, p, lenient);
    this.#headerBytes = 0;
    this.#url = '';
    this.#statusMessage = '';
    this.#numFields = this.#numValues = 0;
    this.#flushed = false;
    this.#userError = undefined;
    this.#thrown = undefined;
    this.#errorIn = undefined;
  }

  execute(data: Buffer): number | ParseError {
    const p = this.#ptr;
    if (p === 0) return 0;
    const w = this.#w;
    const length = data.length;
    const outer = callbackTarget.current;
    // inside another parser's callback the shared region holds that parser's input: this call gets its own
    const ptr = outer === undefined ? inputRegion(w, length) : w.malloc(Math.max(length, 1));
    new Uint8Array(w.memory.buffer, ptr, length).set(data);
    // an error left from an earlier call is answered again, at its position in that call's input
    const lingering = w.llhttp_get_errno(p) !== HPE_OK;
    this.#data = data;
    this.#dataPtr = ptr;
    callbackTarget.current = this;
    let err: number;
    try {
      err = w.llhttp_execute(p, ptr, length);
    } finally {
      callbackTarget.current = outer;
      this.#data = EMPTY;
      if (outer !== undefined) w.free(ptr);
    }
    this.#rethrow();
    let parsed = length;
    if (err !== HPE_OK) {
      if (lingering) parsed = this.#errorIn === data.buffer ? this.#errorOffset - data.byteOffset : -1;
      else {
        parsed = w.llhttp_get_error_pos(p) - ptr;
        this.#errorIn = data.buffer;
        this.#errorOffset = data.byteOffset + parsed;
      }
      // the end of an upgrade request's head: not an error, parsing stops there (the rest is the tunnel's)
      if (err === HPE_PAUSED_UPGRADE) {
        err = HPE_OK;
        w.llhttp_resume_after_upgrade(p);
      }
    }
    if (err !== HPE_OK && w.llhttp_get_upgrade(p) === 0) return this.#error(err, parsed);
    return parsed;
  }

  finish(): undefined | ParseError {
    const p = this.#ptr;
    if (p === 0) return undefined;
    const w = this.#w;
    const outer = callbackTarget.current;
    callbackTarget.current = this;
    let err: number;
    try {
      err = w.llhttp_finish(p);
    } finally {
      callbackTarget.current = outer;
    }
    this.#rethrow();
    if (err === HPE_PAUSED_UPGRADE || err === HPE_OK || w.llhttp_get_upgrade(p) !== 0) return undefined;
    return this.#error(err, 0);
  }

  pause(): void {
    if (this.#ptr !== 0) this.#w.llhttp_pause(this.#ptr);
  }

  resume(): void {
    if (this.#ptr !== 0) this.#w.llhttp_resume(this.#ptr);
  }

  close(): void {
    this.#release();
  }

  /** Node's `free` ends the parser's async-hooks resource; there is none here. */
  free(): void {}

  #release(): void {
    if (this.#ptr === 0) return;
    unclosed.unregister(this);
    this.#w.llhttp_free(this.#ptr);
    this.#ptr = 0;
  }

  #rethrow(): void {
    const thrown = this.#thrown;
    if (thrown === undefined) return;
    this.#thrown = undefined;
    throw thrown.error;
  }

  #error(err: number, bytesParsed: number): ParseError {
    const w = this.#w;
    let code: string;
    let reason: string;
    if (err === HPE_USER && this.#userError) [code, reason] = this.#userError;
    else {
      code = cString(w, w.llhttp_errno_name(err));
      reason = cString(w, w.llhttp_get_error_reason(this.#ptr));
    }
    return Object.assign(new Error('Parse Error'), { bytesParsed, code, reason });
  }

  /** A span of the running input (`at` points into its copy in the wasm memory) as a latin-1 string. */
  #text(at: number, length: number): string {
    const start = at - this.#dataPtr;
    return this.#data.toString('latin1', start, start + length);
  }

  /** Count head bytes against the limit; HPE_USER (HPE_HEADER_OVERFLOW) once over it. */
  #track(length: number): number {
    this.#headerBytes += length;
    if (this.#headerBytes < this.#maxHeaderSize) return HPE_OK;
    this.#userError = ['HPE_HEADER_OVERFLOW', 'Header overflow'];
    return HPE_USER;
  }

  /** Call a callback as Node's binding does (the parser as `this`); a throw stops llhttp and is kept for `execute`. */
  #call(index: number, args: unknown[]): unknown {
    const cb = this[index];
    if (typeof cb !== 'function') return undefined;
    try {
      return (cb as (...a: unknown[]) => unknown).apply(this, args);
    } catch (error) {
      this.#thrown ??= { error };
      return CALLBACK_FAILED;
    }
  }

  /** The pending fields as `[name, value, ...]`, values without trailing blanks. */
  #headers(): string[] {
    const n = this.#numValues;
    const out = new Array<string>(n * 2);
    for (let i = 0; i < n; i++) {
      out[i * 2] = this.#fields[i]!;
      out[i * 2 + 1] = trimTrailingBlanks(this.#values[i]!);
    }
    return out;
  }

  /** Hand the pending fields and the URL so far over through kOnHeaders. */
  #flush(): void {
    if (typeof this[WasmHTTPParser.kOnHeaders] !== 'function') return;
    this.#call(WasmHTTPParser.kOnHeaders, [this.#headers(), this.#url]);
    this.#url = '';
    this.#flushed = true;
  }

  // llhttp's callbacks (LlhttpCallbacks)

  onMessageBegin(): number {
    this.#numFields = this.#numValues = 0;
    this.#url = '';
    this.#statusMessage = '';
    return this.#call(WasmHTTPParser.kOnMessageBegin, []) === CALLBACK_FAILED ? CALLBACK_FAILED : HPE_OK;
  }

  onUrl(at: number, length: number): number {
    const rv = this.#track(length);
    if (rv === HPE_OK) this.#url += this.#text(at, length);
    return rv;
  }

  onStatus(at: number, length: number): number {
    const rv = this.#track(length);
    if (rv === HPE_OK) this.#statusMessage += this.#text(at, length);
    return rv;
  }

  onHeaderField(at: number, length: number): number {
    const rv = this.#track(length);
    if (rv !== HPE_OK) return rv;
    if (this.#numFields === this.#numValues) {
      // a new field
      if (++this.#numFields === MAX_PENDING_FIELDS) {
        this.#flush();
        this.#numFields = 1;
        this.#numValues = 0;
      }
      this.#fields[this.#numFields - 1] = '';
    }
    this.#fields[this.#numFields - 1] += this.#text(at, length);
    return this.#thrown === undefined ? HPE_OK : CALLBACK_FAILED;
  }

  onHeaderValue(at: number, length: number): number {
    const rv = this.#track(length);
    if (rv !== HPE_OK) return rv;
    if (this.#numValues !== this.#numFields) this.#values[this.#numValues++] = '';
    this.#values[this.#numValues - 1] += this.#text(at, length);
    return HPE_OK;
  }

  onHeadersComplete(statusCode: number, upgrade: number, shouldKeepAlive: number): number {
    this.#headerBytes = 0;
    if (typeof this[WasmHTTPParser.kOnHeadersComplete] !== 'function') return HPE_OK;
    let headers: string[] | undefined;
    let url: string | undefined;
    if (this.#flushed) this.#flush();
    else {
      headers = this.#headers();
      if (this.#type === WasmHTTPParser.REQUEST) url = this.#url;
    }
    this.#numFields = this.#numValues = 0;
    if (this.#thrown !== undefined) return CALLBACK_FAILED;
    const w = this.#w;
    const p = this.#ptr;
    const request = this.#type === WasmHTTPParser.REQUEST;
    const r = this.#call(WasmHTTPParser.kOnHeadersComplete, [
      w.llhttp_get_http_major(p),
      w.llhttp_get_http_minor(p),
      headers,
      request ? w.llhttp_get_method(p) : undefined,
      url,
      request ? undefined : statusCode,
      request ? undefined : this.#statusMessage,
      upgrade !== 0,
      shouldKeepAlive !== 0,
    ]);
    // 0: a body may follow; 1: none (a HEAD answer); 2: none, and upgrade. Anything else counts as 0 (as in Node).
    return r === CALLBACK_FAILED ? CALLBACK_FAILED : Number(r) | 0;
  }

  onBody(at: number, length: number): number {
    if (length === 0) return HPE_OK;
    const start = at - this.#dataPtr;
    return this.#call(WasmHTTPParser.kOnBody, [this.#data.subarray(start, start + length)]) === CALLBACK_FAILED ? CALLBACK_FAILED : HPE_OK;
  }

  onMessageComplete(): number {
    // trailers: handed over before the end
    if (this.#numFields > 0) this.#flush();
    if (this.#thrown !== undefined) return CALLBACK_FAILED;
    return this.#call(WasmHTTPParser.kOnMessageComplete, []) === CALLBACK_FAILED ? CALLBACK_FAILED : HPE_OK;
  }
}

/** The shared input region, grown to hold `length` bytes. */
function inputRegion(w: LlhttpWasm, length: number): number {
  if (length > input.size) {
    if (input.ptr !== 0) w.free(input.ptr);
    input.size = Math.ceil(length / 4096) * 4096;
    input.ptr = w.malloc(input.size);
  }
  return input.ptr;
}

function setLenient(w: LlhttpWasm, p: number, flags: number): void {
  const P = WasmHTTPParser;
  if (flags & P.kLenientHeaders) w.llhttp_set_lenient_headers(p, 1);
  if (flags & P.kLenientChunkedLength) w.llhttp_set_lenient_chunked_length(p, 1);
  if (flags & P.kLenientKeepAlive) w.llhttp_set_lenient_keep_alive(p, 1);
  if (flags & P.kLenientTransferEncoding) w.llhttp_set_lenient_transfer_encoding(p, 1);
  if (flags & P.kLenientVersion) w.llhttp_set_lenient_version(p, 1);
  if (flags & P.kLenientDataAfterClose) w.llhttp_set_lenient_data_after_close(p, 1);
  if (flags & P.kLenientOptionalLFAfterCR) w.llhttp_set_lenient_optional_lf_after_cr(p, 1);
  if (flags & P.kLenientOptionalCRLFAfterChunk) w.llhttp_set_lenient_optional_crlf_after_chunk(p, 1);
  if (flags & P.kLenientOptionalCRBeforeLF) w.llhttp_set_lenient_optional_cr_before_lf(p, 1);
  if (flags & P.kLenientSpacesAfterChunkSize) w.llhttp_set_lenient_spaces_after_chunk_size(p, 1);
}

/** Without trailing spaces and tabs (llhttp already skips the leading ones). */
function trimTrailingBlanks(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}
