#!/usr/bin/env bash
# Dubbo: mosn one hop and two hops vs haproxy (mode tcp, nbthread 1) vs direct; pipelined load and a
# fixed-rate run. Target: one hop >= 0.7x haproxy requests/s; one hop adds <= 0.2 ms at p99 at 2,000 req/s
# (LATENCY_TARGET). Ends with RESULT lines (../README.md, "Running them all").
#
#   benchmarks/dubbo/run.sh                 # 3 rounds x 4 targets x (2 s warm-up + 10 s), then 3 x 3 fixed-rate runs
#   DURATION=5 ROUNDS=1 PROFILE=1 benchmarks/dubbo/run.sh
#
# Same driver and knobs as ../bolt/run.sh (see ../bolt/README.md); TARGET defaults to 0.7.
exec "$(dirname "$0")/../bolt/rpc-bench.sh" dubbo "$(dirname "$0")" "${TARGET:-0.7}"
