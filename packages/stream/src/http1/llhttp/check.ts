import type { InternalCheck, InternalCheckResult } from '@mosn/protocol';
import { LLHTTP, useLlhttp, type LlhttpBuild } from './choice.js';
import { parserProblem } from './known-answers.js';

const NAMES: Record<LlhttpBuild, string> = {
  node: "node:_http_common HTTPParser (Node's llhttp binding)",
  wasm: "undici's llhttp built to WebAssembly",
};

/**
 * The HTTP/1 parser: Node's binding must parse the fixed messages of known-answers.ts as expected; where it does not
 * (or is missing), the wasm build is checked the same way and used from then on. With `MOSN_HTTP1_PARSER=wasm`
 * the wasm build is checked instead (status `off` for Node's binding), and Node's used should the wasm one fail.
 * When both fail, the one in use stays and the result says so.
 */
export const http1ParserCheck: InternalCheck = {
  name: 'http1_parser',
  async run(): Promise<InternalCheckResult> {
    const byEnv = process.env.MOSN_HTTP1_PARSER === 'wasm';
    const first: LlhttpBuild = byEnv ? 'wasm' : 'node';
    const second: LlhttpBuild = byEnv ? 'node' : 'wasm';
    const internal = byEnv ? `${NAMES.wasm} (MOSN_HTTP1_PARSER=wasm)` : NAMES.node;
    const problem = problemOf(first);
    if (problem === undefined) {
      useLlhttp(first);
      return byEnv ? { internal: NAMES.node, status: 'off', instead: NAMES.wasm } : { internal, status: 'ok' };
    }
    const secondProblem = problemOf(second);
    if (secondProblem !== undefined) return { internal, status: 'failed', problem, instead: `nothing that works: ${NAMES[second]} fails too (${secondProblem})` };
    useLlhttp(second);
    return { internal, status: 'failed', problem, instead: NAMES[second] };
  },
};

function problemOf(build: LlhttpBuild): string | undefined {
  const HTTPParser = LLHTTP[build];
  if (!HTTPParser) return 'the module or its HTTPParser is missing';
  try {
    return parserProblem(HTTPParser);
  } catch (e) {
    return `it failed to load: ${(e as Error).message}`;
  }
}
