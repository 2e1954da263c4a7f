import { nodeHTTPParser } from './node-binding.js';
import type { HTTPParserConstructor } from './types.js';
import { WasmHTTPParser } from './wasm-parser.js';

/** Which llhttp mosn's HTTP/1 connections parse with: Node's binding, or undici's wasm build. */
export type LlhttpBuild = 'node' | 'wasm';

export const LLHTTP: { readonly [B in LlhttpBuild]: HTTPParserConstructor | undefined } = {
  node: nodeHTTPParser,
  wasm: WasmHTTPParser satisfies HTTPParserConstructor,
};

/** `MOSN_HTTP1_PARSER=wasm` chooses the wasm build; so does a Node without the binding. */
let chosen: LlhttpBuild = process.env.MOSN_HTTP1_PARSER === 'wasm' || !nodeHTTPParser ? 'wasm' : 'node';

export function llhttpBuild(): LlhttpBuild {
  return chosen;
}

/** The parser class new connections use. */
export function activeHTTPParser(): HTTPParserConstructor {
  return LLHTTP[chosen]!;
}

/** Parse with this build from now on (the start-up check's fallback). Connections already open keep theirs. */
export function useLlhttp(build: LlhttpBuild): void {
  if (!LLHTTP[build]) throw new Error(`llhttp build ${build} is not available`);
  chosen = build;
}
