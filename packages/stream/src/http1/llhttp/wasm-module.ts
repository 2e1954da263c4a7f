import { createRequire } from 'node:module';

/** What is used of the WebAssembly global (its types come with TypeScript's DOM library, which mosn does not load). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
};

/**
 * llhttp compiled to WebAssembly, as undici ships it (`undici/lib/llhttp/llhttp_simd-wasm.js`, or the build without
 * SIMD where SIMD is missing): llhttp's C API (`llhttp_alloc`, `llhttp_execute`, ...) over one linear memory, and
 * its parser callbacks imported from JavaScript (`wasm_on_url`, ..., `wasm_on_message_complete`). One instance
 * serves every parser of the process; the callbacks go to the parser whose `execute` or `finish` runs
 * (`callbackTarget`), which it sets and restores around the call (a callback may run another parser's `execute`).
 */
export interface LlhttpWasm {
  readonly memory: { readonly buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(parser: number): void;
  llhttp_execute(parser: number, data: number, length: number): number;
  llhttp_finish(parser: number): number;
  llhttp_pause(parser: number): void;
  llhttp_resume(parser: number): void;
  llhttp_resume_after_upgrade(parser: number): void;
  llhttp_get_errno(parser: number): number;
  /** A NUL-terminated string in `memory`. */
  llhttp_get_error_reason(parser: number): number;
  llhttp_get_error_pos(parser: number): number;
  llhttp_errno_name(errno: number): number;
  llhttp_get_method(parser: number): number;
  llhttp_get_http_major(parser: number): number;
  llhttp_get_http_minor(parser: number): number;
  llhttp_get_upgrade(parser: number): number;
  llhttp_set_lenient_headers(parser: number, on: number): void;
  llhttp_set_lenient_chunked_length(parser: number, on: number): void;
  llhttp_set_lenient_keep_alive(parser: number, on: number): void;
  llhttp_set_lenient_transfer_encoding(parser: number, on: number): void;
  llhttp_set_lenient_version(parser: number, on: number): void;
  llhttp_set_lenient_data_after_close(parser: number, on: number): void;
  llhttp_set_lenient_optional_lf_after_cr(parser: number, on: number): void;
  llhttp_set_lenient_optional_crlf_after_chunk(parser: number, on: number): void;
  llhttp_set_lenient_optional_cr_before_lf(parser: number, on: number): void;
  llhttp_set_lenient_spaces_after_chunk_size(parser: number, on: number): void;
}

/** What llhttp's callbacks reach: `at` is a pointer into the wasm memory. Each answers 0, or an llhttp error. */
export interface LlhttpCallbacks {
  onMessageBegin(): number;
  onUrl(at: number, length: number): number;
  onStatus(at: number, length: number): number;
  onHeaderField(at: number, length: number): number;
  onHeaderValue(at: number, length: number): number;
  onHeadersComplete(statusCode: number, upgrade: number, shouldKeepAlive: number): number;
  onBody(at: number, length: number): number;
  onMessageComplete(): number;
}

/** The parser whose `execute` or `finish` runs now. */
export const callbackTarget: { current: LlhttpCallbacks | undefined } = { current: undefined };

let instance: LlhttpWasm | undefined;

/** The process's instance, compiled and instantiated on first use (a few milliseconds). */
export function llhttpWasm(): LlhttpWasm {
  return (instance ??= instantiate());
}

function instantiate(): LlhttpWasm {
  const require = createRequire(import.meta.url);
  let module: object | undefined;
  if (simdWorks()) {
    try {
      module = new WebAssembly.Module(require('undici/lib/llhttp/llhttp_simd-wasm.js') as Buffer);
    } catch {
      // no SIMD in this V8: the plain build below
    }
  }
  module ??= new WebAssembly.Module(require('undici/lib/llhttp/llhttp-wasm.js') as Buffer);
  const t = callbackTarget;
  const env = {
    wasm_on_message_begin: (_p: number) => t.current!.onMessageBegin(),
    wasm_on_url: (_p: number, at: number, length: number) => t.current!.onUrl(at, length),
    wasm_on_status: (_p: number, at: number, length: number) => t.current!.onStatus(at, length),
    wasm_on_header_field: (_p: number, at: number, length: number) => t.current!.onHeaderField(at, length),
    wasm_on_header_value: (_p: number, at: number, length: number) => t.current!.onHeaderValue(at, length),
    wasm_on_headers_complete: (_p: number, statusCode: number, upgrade: number, keepAlive: number) => t.current!.onHeadersComplete(statusCode, upgrade, keepAlive),
    wasm_on_body: (_p: number, at: number, length: number) => t.current!.onBody(at, length),
    wasm_on_message_complete: (_p: number) => t.current!.onMessageComplete(),
  };
  const exports = new WebAssembly.Instance(module, { env }).exports as unknown as LlhttpWasm & { _initialize?: () => void };
  // a WASI reactor module initialises its C runtime once, before any other call
  exports._initialize?.();
  return exports;
}

/** WebAssembly SIMD, except on ppc64 before Node 24.12, where V8's SIMD is wrong on POWER9 and later (as undici notes). */
function simdWorks(): boolean {
  if (process.arch !== 'ppc64') return true;
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 12);
}

/** A NUL-terminated latin-1 string at `ptr` of the wasm memory ('' for a null pointer). */
export function cString(w: LlhttpWasm, ptr: number): string {
  if (ptr === 0) return '';
  const bytes = new Uint8Array(w.memory.buffer);
  let end = ptr;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, ptr, end - ptr).toString('latin1');
}
