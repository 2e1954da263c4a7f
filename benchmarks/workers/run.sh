#!/usr/bin/env bash
# node:cluster's round robin (SCHED_RR: the primary accepts, then passes each connection to a worker over IPC) vs
# shared handles (SCHED_NONE: each worker accepts on the shared socket; mosn --workers' way), without and with
# libuv's UV_TCP_SINGLE_ACCEPT=1 in the workers (none-single: what mosn sets), 2 workers of a minimal
# raw-net HTTP/1.1 responder, under wrk with keep-alive connections and with a new connection per request
# (`Connection: close`). Prints requests/s, CPU per request of the whole process tree (primary included) and how
# the connections were dealt out between the workers. See ../README.md ("Workers").
#
#   benchmarks/workers/run.sh
#   DURATION=5 ROUNDS=1 benchmarks/workers/run.sh
source "$(dirname "$0")/../lib/common.sh"

ensure_tools wrk
wait_quiet

declare -A RPS CPU SPLIT
for r in $(seq 1 "$ROUNDS"); do
  for policy in ${POLICIES:-rr none none-single}; do
    for mode in keepalive close; do
      port="$(free_port)"
      bg "cluster-$policy" node "$BENCH_ROOT/workers/cluster-policy.mjs" "$policy" "$port" 2
      pid=$BG_PID
      wait_port "$port"
      hdr=()
      [ "$mode" = keepalive ] || hdr=(-H 'Connection: close')
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "${hdr[@]}" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
      c0="$(proc_cpu "+$pid")"
      out="$TMP_DIR/wrk-$policy-$mode-$r.txt"
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "${hdr[@]}" "http://127.0.0.1:$port/" >"$out" 2>&1 || true
      c1="$(proc_cpu "+$pid")"
      n="$(awk '/requests in/ {print $1}' "$out")"
      RPS[$policy-$mode]+="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out") "
      CPU[$policy-$mode]+="$(awk -v a="$c0" -v b="$c1" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }') "
      kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
      SPLIT[$policy-$mode]+="$(awk '/connections/ {printf "%s%s", sep, $4; sep = "/"}' "$TMP_DIR/cluster-$policy.log") "
    done
  done
done
mark_run_end

echo
echo "== node:cluster SCHED_RR vs SCHED_NONE, 2 workers, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS round(s)"
machine_line
printf '%-16s %-24s %-28s %s\n' "policy-mode" "requests/s (rounds)" "CPU µs/req, tree (rounds)" "connections per worker (rounds)"
for k in rr-keepalive none-keepalive none-single-keepalive rr-close none-close none-single-close; do
  [ -n "${RPS[$k]:-}" ] || continue
  printf '%-16s %-24s %-28s %s\n' "$k" "${RPS[$k]}" "${CPU[$k]}" "${SPLIT[$k]}"
done
other_cpu_report
