#!/usr/bin/env node
// Pipelined Dubbo load: N connections, `depth` requests in flight on each (closed loop) or a fixed rate
// (open loop), 1 KiB hessian2 request bodies; prints one JSON line (requests/s, latency percentiles in ms).
//   node loadgen.mjs --port P [--connections 4] [--depth 64] [--rate 0] [--warmup 2] [--duration 10] [--body 1024]
import { loadgenMain } from '../bolt/rpc-load.mjs';
import { dubboWire } from './wire.mjs';

await loadgenMain(dubboWire);
