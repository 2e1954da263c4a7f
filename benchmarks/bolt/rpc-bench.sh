#!/usr/bin/env bash
# The driver shared by bolt/run.sh and dubbo/run.sh (see bolt/README.md):
#   rpc-bench.sh <protocol: bolt|dubbo> <folder with server.mjs and loadgen.mjs> <one-hop/haproxy target>
# Ends with RESULT lines (see ../README.md, "Running them all"): requests/s ratio and added p99 at RATE.
# Closed-loop load (CONNS connections x DEPTH in flight, BODY-byte bodies) against the echo server directly,
# through mosn one hop, through mosn two hops (two chained listeners in one mosn) and through haproxy
# (mode tcp, nbthread 1); ROUNDS interleaved rounds of WARMUP + DURATION seconds, medians. Then an open-loop
# run at RATE requests/s, direct, through one mosn hop and through haproxy, ROUNDS interleaved rounds, for the
# latency one hop adds (haproxy's shows what any extra process on the path adds on this machine).
# PROFILE=1 then runs one more closed-loop load through a second mosn started with --cpu-prof and prints its
# top self-time functions (PROFILE_OUT=dir keeps the .cpuprofile).
source "$(dirname "$0")/../lib/common.sh"

PROTOCOL="$1"
HERE="$(cd "$2" && pwd)"
TARGET="$3"
BOLT_DIR="$(cd "$(dirname "$0")" && pwd)"
CONNS="${CONNS:-4}"     # loadgen connections
DEPTH="${DEPTH:-64}"    # requests in flight per connection (closed loop)
BODY="${BODY:-1024}"    # request and response body bytes
RATE="${RATE:-2000}"    # requests/s of the open-loop run (0 skips it)
CLOSED_LOOP="${CLOSED_LOOP:-1}" # 0 skips the closed-loop runs
PROFILE="${PROFILE:-0}"
LATENCY_TARGET="${LATENCY_TARGET:-0.2}" # ms one hop may add at p99 at RATE, at most
QUIET_WAIT="${QUIET_WAIT:-30}" # before each run, wait up to this many seconds for the machine to be quiet
[ "$DURATION" -le 600 ] || die "DURATION is at most 600 s"

ensure_tools haproxy
ensure_mosn_built

SERVER_PORT="$(free_port)"
bg server node "$HERE/server.mjs" "$SERVER_PORT" "$BODY"
SERVER_PID=$BG_PID
wait_port "$SERVER_PORT"

# route_to router_name cluster: a router sending every request (any service) to the cluster.
route_to() {
  printf '{ "router_config_name": "%s", "virtual_hosts": [{ "name": "v", "domains": ["*"],
        "routers": [{ "match": { "headers": [{ "name": "service", "value": ".*" }] }, "route": { "cluster_name": "%s" } }] }] }' "$1" "$2"
}

# mosn_config hop_port edge_port upstream_port: the one-hop listener (hop_port -> upstream_port) and, when
# edge_port is not empty, a second listener in front of it (edge_port -> hop_port).
mosn_config() {
  local hop="$1" edge="$2" upstream="$3" edge_listener="" edge_cluster=""
  if [ -n "$edge" ]; then
    edge_listener=",
      { \"name\": \"edge\", \"address\": \"127.0.0.1:$edge\", \"bind_port\": true,
        \"filter_chains\": [{ \"filters\": [{ \"type\": \"proxy\",
          \"config\": { \"downstream_protocol\": \"$PROTOCOL\", \"router_config_name\": \"to_hop\" } }] }] }"
    edge_cluster=",
    { \"name\": \"hop\", \"type\": \"SIMPLE\", \"lb_type\": \"LB_ROUNDROBIN\", \"hosts\": [{ \"address\": \"127.0.0.1:$hop\" }] }"
  fi
  cat <<JSON
{
  "servers": [{
    "default_log_path": "stdout",
    "default_log_level": "ERROR",
    "graceful_timeout": "1s",
    "routers": [
      $(route_to to_server server)${edge:+,
      $(route_to to_hop hop)}
    ],
    "listeners": [
      { "name": "hop", "address": "127.0.0.1:$hop", "bind_port": true,
        "filter_chains": [{ "filters": [{ "type": "proxy",
          "config": { "downstream_protocol": "$PROTOCOL", "router_config_name": "to_server" } }] }],
        "stream_filters": ${STREAM_FILTERS:-[]} }$edge_listener
    ]
  }],
  "cluster_manager": { "clusters": [
    { "name": "server", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{ "address": "127.0.0.1:$upstream" }] }$edge_cluster
  ] }
}
JSON
}

HOP_PORT="$(free_port)"
EDGE_PORT="$(free_port)"
mosn_config "$HOP_PORT" "$EDGE_PORT" "$SERVER_PORT" >"$TMP_DIR/mosn.json"
start_mosn mosn "$TMP_DIR/mosn.json" "$HOP_PORT"
wait_port "$EDGE_PORT"

HAPROXY_PORT="$(free_port)"
cat >"$TMP_DIR/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen rpc
    bind 127.0.0.1:$HAPROXY_PORT
    server backend 127.0.0.1:$SERVER_PORT
EOF
bg haproxy haproxy -db -f "$TMP_DIR/haproxy.cfg"
HAPROXY_PID=$BG_PID
wait_port "$HAPROXY_PORT"

RESULTS="$TMP_DIR/results.jsonl"
: >"$RESULTS"
# proc_cpu pid: user+system jiffies a process has used so far (0 when it is gone or pid is empty).
proc_cpu() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# wait_quiet: until the machine was less than 20% busy over one second (our own processes idle between runs),
# for at most QUIET_WAIT seconds; other work on a 2-core machine skews every figure.
wait_quiet() {
  local waited=0 a b
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    a="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
    sleep 1
    b="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
    if awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !((y[1] - x[1]) < 0.2 * (y[2] - x[2])) }'; then
      return 0
    fi
    waited=$((waited + 1))
  done
  log "  (machine still busy after ${QUIET_WAIT}s; running anyway)"
}

# load label port proxy_pid [loadgen args...]: one bounded loadgen run (its own process), appended to $RESULTS
# with the CPU the proxy (proxy_pid, may be empty) and the echo server used over the whole run (warm-up included).
load() {
  local label="$1" port="$2" proxy="$3" out p0 s0 t0
  shift 3
  [ "${SKIP_QUIET:-0}" = 1 ] || wait_quiet
  log "$PROTOCOL loadgen -> $label (port $port) $*"
  p0="$(proc_cpu "$proxy")"; s0="$(proc_cpu "$SERVER_PID")"; t0="$(date +%s.%N)"
  if out="$(timeout $((WARMUP + DURATION + 30)) node "$HERE/loadgen.mjs" --port "$port" --label "$label" \
    --connections "$CONNS" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION" "$@")"; then
    out="$(node -e '
      const [line, p0, p1, s0, s1, t0, t1, hz, proxied] = process.argv.slice(1);
      const r = JSON.parse(line), wall = t1 - t0;
      r.proxyCpuPct = proxied ? Math.round((100 * (p1 - p0)) / hz / wall) : null;
      r.serverCpuPct = Math.round((100 * (s1 - s0)) / hz / wall);
      // CPU us per request, approximately: the proxy CPU of the whole run (warm-up included) / (requests/s x wall)
      r.proxyCpuUs = proxied && r.rps > 0 ? Math.round((10 * 1e6 * (p1 - p0)) / hz / (r.rps * wall)) / 10 : null;
      console.log(JSON.stringify(r));
      console.error(`  ${r.rps} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.errors} errors; CPU: proxy ${r.proxyCpuPct ?? "-"}%, server ${r.serverCpuPct}%`);
    ' "$out" "$p0" "$(proc_cpu "$proxy")" "$s0" "$(proc_cpu "$SERVER_PID")" "$t0" "$(date +%s.%N)" "$(getconf CLK_TCK)" "$proxy")"
    echo "$out" >>"$RESULTS"
  else
    log "!! loadgen against $label failed"
  fi
}

TARGETS=("direct $SERVER_PORT -" "mosn-1hop $HOP_PORT $MOSN_PID" "mosn-2hop $EDGE_PORT $MOSN_PID" "haproxy-tcp $HAPROXY_PORT $HAPROXY_PID")
for r in $(seq 1 "$((CLOSED_LOOP == 0 ? 0 : ROUNDS))"); do
  for t in "${TARGETS[@]}"; do
    read -r label port pid <<<"$t"
    load "$label" "$port" "${pid#-}" --depth "$DEPTH"
  done
  check_alive mosn "$MOSN_PID" || die "mosn died"
done
if [ "$RATE" != 0 ]; then
  # One at a time (three loadgens at once on 2 cores made every p99 several ms worse), interleaved per round.
  for r in $(seq 1 "$ROUNDS"); do
    load direct@rate "$SERVER_PORT" "" --rate "$RATE"
    load mosn-1hop@rate "$HOP_PORT" "$MOSN_PID" --rate "$RATE"
    load haproxy-tcp@rate "$HAPROXY_PORT" "$HAPROXY_PID" --rate "$RATE"
  done
fi
check_alive mosn "$MOSN_PID" || true
check_alive server "$SERVER_PID" || true
check_alive haproxy "$HAPROXY_PID" || true
mark_run_end

PROFILE_REPORT=""
if [ "$PROFILE" = 1 ]; then
  PROF_DIR="${PROFILE_OUT:-$TMP_DIR/prof}"
  mkdir -p "$PROF_DIR"
  PROF_PORT="$(free_port)"
  mosn_config "$PROF_PORT" "" "$SERVER_PORT" >"$TMP_DIR/mosn-prof.json"
  bg mosn-prof node --cpu-prof --cpu-prof-dir "$PROF_DIR" "$MOSN_CLI" start -c "$TMP_DIR/mosn-prof.json"
  PROF_PID=$BG_PID
  wait_port "$PROF_PORT" 20
  load profiled-1hop "$PROF_PORT" "$PROF_PID" --depth "$DEPTH"
  kill -TERM "$PROF_PID"
  for _ in $(seq 1 100); do kill -0 "$PROF_PID" 2>/dev/null || break; sleep 0.1; done
  prof="$(ls -t "$PROF_DIR"/*.cpuprofile 2>/dev/null | head -n1)"
  if [ -n "$prof" ]; then
    PROFILE_REPORT="$(node "$BOLT_DIR/cpuprofile-top.mjs" "$prof" 15)"
    log "profile: $prof"
  else
    PROFILE_REPORT="(no .cpuprofile written)"
  fi
fi

echo
echo "== $PROTOCOL: mosn one hop / two hops vs haproxy (mode tcp, nbthread 1) vs direct"
echo "$(mosn_revision); $(haproxy -v 2>/dev/null | head -n1 | cut -d' ' -f1-3); node $(node -v); $(nproc) cores;" \
  "$(date -u +%Y-%m-%dT%H:%MZ); load average before: $LOAD_BEFORE"
echo "loadgen: $CONNS connections, ${BODY}-byte bodies, ${WARMUP} s warm-up + ${DURATION} s measured per run; echo server: $HERE/server.mjs"
case "$PROTOCOL" in dubbo) USUAL_US="$USUAL_HAPROXY_DUBBO_US" ;; *) USUAL_US="$USUAL_HAPROXY_BOLT_US" ;; esac
RUN_QUIET="$(run_quiet)" USUAL_US="$USUAL_US" CANARY_FACTOR="$CANARY_FACTOR" RPC_SUMMARY="$TMP_DIR/summary.json" \
  node "$BOLT_DIR/rpc-report.mjs" "$RESULTS" "$PROTOCOL" "$TARGET" "$RATE" "$LATENCY_TARGET"
other_cpu_report
mosn_report mosn "$MOSN_PID"
if [ -n "$PROFILE_REPORT" ]; then
  echo "-- mosn CPU profile (one hop, closed loop, ${DURATION} s; separate run, not in the figures above)"
  echo "$PROFILE_REPORT"
fi
# summary key: the figure from rpc-report.mjs's summary, to 2 decimals ("" when missing).
summary() { node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
  console.log(Number.isFinite(v) ? v.toFixed(2) : "")' "$TMP_DIR/summary.json" "$1" 2>/dev/null || true; }
base=(baseline=haproxy-tcp "baseline_cpu_us=$(summary baselineCpuUs)" "baseline_usual_us=$USUAL_US")
result_line "$PROTOCOL" rps_ratio "$(summary rpsRatio)" ">=$TARGET" "cpu_ratio=$(summary cpuRatio)" "${base[@]}"
[ "$RATE" = 0 ] || result_line "$PROTOCOL-p99@$RATE" added_p99_ms "$(summary addedP99Ms)" "<=$LATENCY_TARGET" cpu_ratio= "${base[@]}"
