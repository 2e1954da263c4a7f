#!/usr/bin/env node
// Pipelined Bolt v1 load: N connections, `depth` requests in flight on each (closed loop) or a fixed rate
// (open loop), 1 KiB content; prints one JSON line (requests/s, latency percentiles in ms). See README.md.
//   node loadgen.mjs --port P [--connections 4] [--depth 64] [--rate 0] [--warmup 2] [--duration 10] [--body 1024]
import { loadgenMain } from './rpc-load.mjs';
import { boltWire } from './wire.mjs';

await loadgenMain(boltWire);
