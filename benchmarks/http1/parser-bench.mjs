#!/usr/bin/env node
// The cost of HTTP/1 parsing per message: Node's llhttp binding (node:_http_common) against the fallback, undici's
// llhttp built to WebAssembly behind mosn's adapter (packages/stream/src/http1/llhttp/wasm-parser.ts), each driven
// as mosn's connections drive it: one parser per connection, one message per `execute`, keep-alive. Then the same
// through parser.ts (the JavaScript fast path for common heads, llhttp for the rest), which is what a request costs
// in mosn. Needs the build (`npx tsc -b`). Usage: node benchmarks/http1/parser-bench.mjs [messages per round]
import { nodeHTTPParser } from '../../packages/stream/dist/http1/llhttp/node-binding.js';
import { WasmHTTPParser } from '../../packages/stream/dist/http1/llhttp/wasm-parser.js';
import { useLlhttp } from '../../packages/stream/dist/http1/llhttp/choice.js';
import { createParser } from '../../packages/stream/dist/http1/parser.js';

const N = Number(process.argv[2] ?? 100_000);
const ROUNDS = 10;

const request = Buffer.from(
  'GET /api/v1/users/42?fields=name,email HTTP/1.1\r\nHost: service.internal:8080\r\nUser-Agent: wrk\r\n' +
    'Accept: application/json\r\nAccept-Encoding: gzip, deflate\r\nX-Request-Id: 7f9c2b1e-3d4a-4e5f-9a8b-1c2d3e4f5a6b\r\n\r\n',
  'latin1',
);
const body128 = 'x'.repeat(128);
const response = Buffer.from(
  `HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 03 Dec 2026 12:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 128\r\nConnection: keep-alive\r\n\r\n${body128}`,
  'latin1',
);
const chunked = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web\r\nTransfer-Encoding: chunked\r\n\r\n' +
    `80\r\n${body128}\r\n0\r\nX-Checksum: 9f86d081\r\n\r\n`,
  'latin1',
);
const CASES = [
  { name: 'request head (6 fields)', type: 'request', bytes: request },
  { name: 'response, 128-byte body', type: 'response', bytes: response },
  { name: 'chunked response + trailer', type: 'response', bytes: chunked },
];

let sink = 0;
function rawParser(HTTPParser, type) {
  const p = new HTTPParser();
  p.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 8192, HTTPParser.kLenientNone);
  p[HTTPParser.kOnHeadersComplete] = (_a, _b, headers) => {
    sink += headers?.length ?? 0;
    return 0;
  };
  p[HTTPParser.kOnHeaders] = (headers) => (sink += headers.length);
  p[HTTPParser.kOnBody] = (chunk) => (sink += chunk.length);
  p[HTTPParser.kOnMessageComplete] = () => sink++;
  return p;
}

function combinedParser(type) {
  return createParser(type, 8192, {
    onHeadersComplete: (_a, _b, headers) => {
      sink += headers?.length ?? 0;
      return 0;
    },
    onBody: (chunk) => (sink += chunk.length),
    onMessageComplete: () => sink++,
  });
}

/** µs per message of one round: a fresh parser (as a connection has), N messages. */
function round(make, bytes) {
  const p = make();
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const n = p.execute(bytes);
    if (n !== bytes.length) throw new Error(`parsed ${typeof n === 'number' ? n : n.code} of ${bytes.length}`);
  }
  const us = Number(process.hrtime.bigint() - t) / 1000 / N;
  p.close();
  return us;
}

/** The variants' rounds interleaved (other load on the machine hits them alike); best round of each, after one warm-up. */
function bestOf(variants, bytes) {
  const best = variants.map(() => Infinity);
  for (let r = 0; r <= ROUNDS; r++) {
    variants.forEach((v, i) => {
      v.before?.();
      const us = round(v.make, bytes);
      if (r > 0) best[i] = Math.min(best[i], us);
    });
  }
  return best;
}

const fmt = (us) => `${us.toFixed(2).padStart(6)} µs`;
console.log(`HTTP/1 parse cost per message, best of ${ROUNDS} interleaved rounds of ${N} (node ${process.version}, llhttp ${process.versions.llhttp})`);
console.log('case                          | node binding |      wasm | wasm/node | parser.ts on node |   on wasm');
for (const c of CASES) {
  const [node, wasm, viaNode, viaWasm] = bestOf(
    [
      { make: () => rawParser(nodeHTTPParser, c.type) },
      { make: () => rawParser(WasmHTTPParser, c.type) },
      { before: () => useLlhttp('node'), make: () => combinedParser(c.type) },
      { before: () => useLlhttp('wasm'), make: () => combinedParser(c.type) },
    ],
    c.bytes,
  );
  console.log(`${c.name.padEnd(29)} |    ${fmt(node)} | ${fmt(wasm)} | ${(wasm / node).toFixed(2).padStart(8)}× |         ${fmt(viaNode)} | ${fmt(viaWasm)}`);
}
if (sink === 42) console.log(''); // keep the callbacks' work observable
