// The proxy's per-request work on a Dubbo request, in a rough loop: decode from a socket buffer,
// header.get('service') and get('method') for the route, withRequestId for the upstream id, encode.
// Run after a build: `npx tsc -b packages/protocol-dubbo && node packages/protocol-dubbo/bench/hot-path.mjs`.
// Not a gate: numbers depend on the machine.
import { readFileSync } from 'node:fs';
import { IoBuffer } from '@mosn/protocol';
import { dubboCodec } from '../dist/index.js';

const fixtures = JSON.parse(readFileSync(new URL('../../../fixtures/golden-frames.json', import.meta.url), 'utf8'));
const request = Buffer.from(fixtures.dubbo.request_echo, 'hex');
const LIMITS = { maxFrameSize: 1 << 20 };
const buffer = new IoBuffer();
let sink = 0;

function once(id, route) {
  buffer.append(request);
  const frame = dubboCodec.decode(buffer, LIMITS);
  if (route) sink += frame.header.get('service').length + frame.header.get('method').length;
  if (route === 'group') sink += frame.header.get('group') === undefined ? 1 : 0; // an attachment: decodes the arguments
  for (const b of dubboCodec.encode(dubboCodec.withRequestId(frame, id))) sink += b.length;
}

/** The best of 5 rounds of 500k frames, in CPU time (the least disturbed by other work on the machine). */
function measure(name, route, n = 500_000) {
  for (let i = 0; i < 200_000; i++) once(i, route); // warm up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) once(i, route);
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 1000) / n);
  }
  console.log(`${name}: ${best.toFixed(0)} ns/frame (${(1e9 / best / 1e6).toFixed(2)} M frames/s), ${request.length}-byte request`);
}

measure('decode + withRequestId + encode', false);
measure('decode + get(service) + get(method) + withRequestId + encode', true);
measure('... + get(group), an attachment (the slow path)', 'group', 100_000);
if (sink === 0) console.log('unreachable');
