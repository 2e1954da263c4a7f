#!/usr/bin/env bash
# What tracing costs the HTTP/1 proxy path: benchmarks/ab/http1.sh with this checkout on both sides, A without
# `tracing`, B with it (driver otel, every request sampled unless SAMPLE_RATE says otherwise) exporting to a local
# OTLP/HTTP sink that discards the spans (otlp-sink.mjs, its own process: its CPU is not mosn's). Prints each
# side's requests/s and mosn's CPU µs per request; B - A is the cost of tracing, export included.
#
#   benchmarks/tracing/ab-http1.sh
#   SAMPLE_RATE=0.1 ROUNDS=6 DURATION=4 benchmarks/tracing/ab-http1.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
node "$here/otlp-sink.mjs" "$port" &
sink=$!
trap 'kill -TERM "$sink" 2>/dev/null; wait "$sink" 2>/dev/null || true' EXIT
TOP_B="\"tracing\": { \"enable\": true, \"driver\": \"otel\", \"config\": { \"endpoint\": \"127.0.0.1:$port\", \"sample_rate\": ${SAMPLE_RATE:-1} } }" \
  "$root/benchmarks/ab/http1.sh" "$root"
