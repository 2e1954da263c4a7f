#!/usr/bin/env bash
# Interleaved A/B of two mosn builds on the HTTP/1 proxy path: both run at once behind one nginx backend (1 worker),
# wrk loads them in turn, round after round, so drifting machine load hits both alike. Prints, per build and round,
# requests/s and mosn's user and system CPU µs per request (from /proc), then the medians and the ratio B/A.
#
#   benchmarks/ab/http1.sh /path/to/other/checkout            # A = that checkout (built), B = this one
#   ROUNDS=6 DURATION=4 CONNECTIONS=50 benchmarks/ab/http1.sh /tmp/base
#   TOP_B='"tracing": {...}' benchmarks/ab/http1.sh "$PWD"     # one build, B with more top-level config keys
#
# TOP_A / TOP_B: JSON members added to that side's config at the top level (the same build on both sides then
# measures what a config section costs; benchmarks/tracing/ab-http1.sh does that for tracing).
# Each checkout needs `pnpm install` and `npx tsc -b`. Not a verdict against nginx: that is http1/run.sh's job.
source "$(dirname "$0")/../lib/common.sh"

A_ROOT="${1:?usage: $0 <checkout A (the baseline)>}"
A_CLI="$A_ROOT/packages/mosn/dist/cli.js"
[ -f "$A_CLI" ] || die "$A_CLI is missing: build that checkout first"
ROUNDS="${ROUNDS:-6}"
DURATION="${DURATION:-4}"
WARMUP="${WARMUP:-1}"

ensure_tools nginx wrk
ensure_mosn_built
wait_quiet

BACKEND_PORT="$(free_port)"
start_backend "$BACKEND_PORT"

mosn_config() { # port [top-level JSON members]
  cat <<EOF
{ ${2:+$2,}
  "servers": [{ "default_log_path": "stdout", "default_log_level": "ERROR", "graceful_timeout": "1s",
    "routers": [{ "router_config_name": "r", "virtual_hosts": [{ "name": "v", "domains": ["*"],
      "routers": [{ "match": { "prefix": "/" }, "route": { "cluster_name": "backend" } }] }] }],
    "listeners": [{ "name": "ab", "address": "127.0.0.1:$1", "bind_port": true,
      "filter_chains": [{ "filters": [{ "type": "proxy",
        "config": { "downstream_protocol": "Http1", "router_config_name": "r" } }] }] }] }],
  "cluster_manager": { "clusters": [{ "name": "backend", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN",
    "hosts": [{ "address": "127.0.0.1:$BACKEND_PORT" }] }] }
}
EOF
}

declare -A PORT PID
for side in A B; do
  PORT[$side]="$(free_port)"
  top="TOP_$side"
  mosn_config "${PORT[$side]}" "${!top:-}" >"$TMP_DIR/mosn-$side.json"
  cli="$MOSN_CLI"; [ "$side" = A ] && cli="$A_CLI"
  # shellcheck disable=SC2086 # word splitting of the options wanted
  bg "mosn-$side" node ${MOSN_NODE_ARGS:-} "$cli" start -c "$TMP_DIR/mosn-$side.json"
  PID[$side]=$BG_PID
  wait_port "${PORT[$side]}" 20
done

# user and system jiffies of a process
proc_us() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }

declare -A RPS USR SYS
for round in $(seq 1 "$ROUNDS"); do
  order="A B"; [ $((round % 2)) = 0 ] && order="B A"
  for side in $order; do
    url="http://127.0.0.1:${PORT[$side]}/"
    [ "$WARMUP" = 0 ] || wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
    read -r u0 s0 <<<"$(proc_us "${PID[$side]}")"
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$url" 2>&1)"
    read -r u1 s1 <<<"$(proc_us "${PID[$side]}")"
    n="$(awk '/requests in/ { print $1 }' <<<"$out")"
    grep -q "Non-2xx" <<<"$out" && die "$side answered non-2xx: $out"
    rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
    hz="$(getconf CLK_TCK)"
    usr="$(awk -v a="$u0" -v b="$u1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')"
    sys="$(awk -v a="$s0" -v b="$s1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')"
    RPS[$side]+="$rps "; USR[$side]+="$usr "; SYS[$side]+="$sys "
    printf 'round %d %s: %10.0f req/s  user %5.1f µs/req  sys %5.1f µs/req\n' "$round" "$side" "$rps" "$usr" "$sys"
  done
done

printf '\nmedians of %d rounds (wrk -t%s -c%s -d%ss), A = %s (%s), B = %s (%s)\n' "$ROUNDS" "$THREADS" "$CONNECTIONS" \
  "$DURATION" "$A_ROOT" "$(git -C "$A_ROOT" rev-parse --short HEAD)" "$REPO_ROOT" "$(mosn_revision)"
for side in A B; do
  # shellcheck disable=SC2086 # the lists are space separated on purpose
  printf '%s: %10.0f req/s  user %5.1f  sys %5.1f  total %5.1f µs/req\n' "$side" "$(median ${RPS[$side]})" \
    "$(median ${USR[$side]})" "$(median ${SYS[$side]})" \
    "$(awk -v u="$(median ${USR[$side]})" -v s="$(median ${SYS[$side]})" 'BEGIN { print u + s }')"
done
other_cpu_report
