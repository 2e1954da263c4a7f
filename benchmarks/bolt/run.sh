#!/usr/bin/env bash
# Bolt: mosn one hop and two hops vs haproxy (mode tcp, nbthread 1) vs direct; pipelined load and a
# fixed-rate run. Target: one hop >= 0.75x haproxy requests/s; one hop adds <= 0.2 ms at p99 at 2,000 req/s
# (LATENCY_TARGET). Ends with RESULT lines (../README.md, "Running them all").
#
#   benchmarks/bolt/run.sh                  # 3 rounds x 4 targets x (2 s warm-up + 10 s), then 3 x 3 fixed-rate runs
#   DURATION=5 ROUNDS=1 PROFILE=1 benchmarks/bolt/run.sh
#
# Knobs: DURATION, WARMUP, ROUNDS, CONNS (4), DEPTH (64), BODY (1024), RATE (2000), TARGET (0.75), LATENCY_TARGET (0.2), PROFILE,
# PROFILE_OUT, KEEP_TMP, STREAM_FILTERS (a JSON array: the one-hop listener's stream_filters, default []). Needs haproxy (installed with apt-get when missing) and a built mosn (npx tsc -b).
exec "$(dirname "$0")/rpc-bench.sh" bolt "$(dirname "$0")" "${TARGET:-0.75}"
