#!/usr/bin/env bash
# TCP proxy: mosn's tcp_proxy against haproxy (mode tcp, nbthread 1) and no proxy at all, two ways:
#   1. wrk through each proxy to an nginx backend: requests/s over 50 keep-alive connections (small messages);
#   2. bulk transfer (bulk.mjs -> bulk-backend.mjs): MiB/s pushed up and pulled down through each proxy.
# Target: mosn >= 0.9x haproxy (requests/s and bulk MiB/s each way). Ends with RESULT lines (../README.md).
#
#   benchmarks/tcp/run.sh       # wrk: 3 rounds x 3 targets x (2 s warm-up + 10 s); bulk: 3 rounds x 1 GiB each way
#   DURATION=5 ROUNDS=1 BULK_MIB=512 BULK_STREAMS=4 benchmarks/tcp/run.sh
#
# Needs nginx, wrk and haproxy (installed with apt-get when missing) and a built mosn (npx tsc -b).
source "$(dirname "$0")/../lib/common.sh"

TARGET="${TARGET:-0.9}"
BULK_MIB="${BULK_MIB:-1024}"          # MiB per stream and direction
BULK_STREAMS="${BULK_STREAMS:-1}"     # parallel connections per bulk run
BULK_TIMEOUT="${BULK_TIMEOUT:-60}"    # seconds; a bulk run slower than this fails
# Warm-up per path and direction before the measured rounds. mosn (Node) needs a few hundred MiB before its CPU per
# MiB settles (the first 128 MiB through a fresh process cost 3-4x what later ones do: JIT, malloc arenas); 64 MiB
# left the first measured round partly cold. haproxy and the direct path get the same warm-up.
BULK_WARMUP_MIB="${BULK_WARMUP_MIB:-512}"
HERE="$(cd "$(dirname "$0")" && pwd)"

ensure_tools nginx wrk haproxy
ensure_mosn_built
wait_quiet

HTTP_BACKEND_PORT="$(free_port)"
start_backend "$HTTP_BACKEND_PORT"

BULK_BACKEND_PORT="$(free_port)"
bg bulk-backend node "$HERE/bulk-backend.mjs" "$BULK_BACKEND_PORT"
wait_port "$BULK_BACKEND_PORT"

# mosn: two tcp_proxy listeners, one per backend.
MOSN_HTTP_PORT="$(free_port)"
MOSN_BULK_PORT="$(free_port)"
cat >"$TMP_DIR/mosn.json" <<EOF
{
  "servers": [{
    "default_log_path": "stdout",
    "default_log_level": "ERROR",
    "graceful_timeout": "1s",
    "listeners": [
      { "name": "tcp_http", "address": "127.0.0.1:$MOSN_HTTP_PORT", "bind_port": true,
        "filter_chains": [{ "filters": [{ "type": "tcp_proxy", "config": { "cluster": "http_backend" } }] }] },
      { "name": "tcp_bulk", "address": "127.0.0.1:$MOSN_BULK_PORT", "bind_port": true,
        "filter_chains": [{ "filters": [{ "type": "tcp_proxy", "config": { "cluster": "bulk_backend" } }] }] }
    ]
  }],
  "cluster_manager": { "clusters": [
    { "name": "http_backend", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN",
      "hosts": [{ "address": "127.0.0.1:$HTTP_BACKEND_PORT" }] },
    { "name": "bulk_backend", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN",
      "hosts": [{ "address": "127.0.0.1:$BULK_BACKEND_PORT" }] }
  ] }
}
EOF
start_mosn mosn "$TMP_DIR/mosn.json" "$MOSN_HTTP_PORT"
wait_port "$MOSN_BULK_PORT"

# haproxy: one thread, mode tcp, same two frontends. Foreground (-db), its own config; no stats, no logs.
HAPROXY_HTTP_PORT="$(free_port)"
HAPROXY_BULK_PORT="$(free_port)"
cat >"$TMP_DIR/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen tcp_http
    bind 127.0.0.1:$HAPROXY_HTTP_PORT
    server backend 127.0.0.1:$HTTP_BACKEND_PORT
listen tcp_bulk
    bind 127.0.0.1:$HAPROXY_BULK_PORT
    server backend 127.0.0.1:$BULK_BACKEND_PORT
EOF
bg haproxy haproxy -db -f "$TMP_DIR/haproxy.cfg"
HAPROXY_PID=$BG_PID
wait_port "$HAPROXY_HTTP_PORT"

# 1. wrk over keep-alive connections through each proxy.
wrk_rounds "direct http://127.0.0.1:$HTTP_BACKEND_PORT/ $(child_of "$BACKEND_PID")" \
  "mosn-tcp http://127.0.0.1:$MOSN_HTTP_PORT/ $MOSN_PID" "haproxy-tcp http://127.0.0.1:$HAPROXY_HTTP_PORT/ $HAPROXY_PID"
check_alive mosn "$MOSN_PID" || true

# 2. bulk transfer, each direction: a BULK_WARMUP_MIB warm-up through each path, then ROUNDS interleaved rounds; medians.
declare -A BULK BULK_ALL
bulk_run() {
  local label="$1" port="$2" dir="$3" mib="$4" out
  if out="$(node "$HERE/bulk.mjs" "$port" "$dir" "$mib" "$BULK_STREAMS" "$BULK_TIMEOUT" 2>&1)"; then
    node -e "console.log(JSON.parse(process.argv[1]).mibPerSec)" "$out"
  else
    log "!! bulk $dir via $label failed: $out"
    echo 0
  fi
}
BULK_TARGETS=("direct $BULK_BACKEND_PORT" "mosn-tcp $MOSN_BULK_PORT" "haproxy-tcp $HAPROXY_BULK_PORT")
for dir in up down; do
  for t in "${BULK_TARGETS[@]}"; do bulk_run "${t% *}" "${t#* }" "$dir" "$BULK_WARMUP_MIB" >/dev/null; done
  for r in $(seq 1 "$ROUNDS"); do
    for t in "${BULK_TARGETS[@]}"; do
      log "bulk $dir ${BULK_MIB} MiB x $BULK_STREAMS stream(s) via ${t% *} (round $r)"
      BULK_ALL[${t% *}-$dir]+="$(bulk_run "${t% *}" "${t#* }" "$dir" "$BULK_MIB") "
    done
  done
  check_alive mosn "$MOSN_PID" || true
  for t in "${BULK_TARGETS[@]}"; do
    # shellcheck disable=SC2086 # word splitting wanted
    BULK[${t% *}-$dir]="$(median ${BULK_ALL[${t% *}-$dir]})"
  done
done
mark_run_end

echo
echo "== TCP proxy: mosn tcp_proxy vs haproxy (mode tcp, nbthread 1) vs direct"
machine_line
echo "-- wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (warm-up ${WARMUP}s), median of $ROUNDS rounds," \
  "${BODY_BYTES}-byte HTTP responses from nginx (1 worker)"
print_wrk_table direct mosn-tcp haproxy-tcp
r_wrk="$(ratio "${W_RPS[mosn-tcp]}" "${W_RPS[haproxy-tcp]}")"
r_cpu="$(ratio "${W_CPU[mosn-tcp]}" "${W_CPU[haproxy-tcp]}")"
canary=("${W_CPU[haproxy-tcp]}" "$USUAL_HAPROXY_TCP_US")
echo "mosn/direct   requests/s ratio: $(ratio "${W_RPS[mosn-tcp]}" "${W_RPS[direct]}")"
echo "mosn/haproxy  requests/s ratio: $r_wrk   (target >= $TARGET: $(verdict "$r_wrk" "$TARGET" "${canary[@]}"))"
echo "mosn/haproxy  CPU per request: ${r_cpu}x   (the proxy process alone)"
echo "canary: haproxy-tcp ${W_CPU[haproxy-tcp]:-?} us/req, usual on this VM ~$USUAL_HAPROXY_TCP_US (no verdict above ${CANARY_FACTOR}x)"
echo "-- bulk: ${BULK_MIB} MiB per stream, $BULK_STREAMS stream(s), MiB/s, median of $ROUNDS rounds" \
  "(up = client->backend, down = backend->client; all rounds in brackets)"
printf '%-14s %10s %-24s %10s %-24s\n' target 'up MiB/s' '' 'down MiB/s' ''
for l in direct mosn-tcp haproxy-tcp; do
  printf '%-14s %10s %-24s %10s %-24s\n' "$l" "${BULK[$l-up]}" "[${BULK_ALL[$l-up]% }]" "${BULK[$l-down]}" "[${BULK_ALL[$l-down]% }]"
done
for dir in up down; do
  r="$(ratio "${BULK[mosn-tcp-$dir]}" "${BULK[haproxy-tcp-$dir]}")"
  echo "mosn/haproxy  bulk $dir ratio: $r   (target >= $TARGET: $(verdict "$r" "$TARGET" "${canary[@]}"))"
done
mosn_report mosn "$MOSN_PID"
other_cpu_report
# The bulk runs have no CPU figure of their own: their canary is haproxy's CPU per request in the wrk part.
base=(baseline=haproxy-tcp "baseline_cpu_us=${W_CPU[haproxy-tcp]}" "baseline_usual_us=$USUAL_HAPROXY_TCP_US")
result_line tcp rps_ratio "$r_wrk" ">=$TARGET" "cpu_ratio=$r_cpu" "${base[@]}"
for dir in up down; do
  result_line "tcp-bulk-$dir" mibps_ratio "$(ratio "${BULK[mosn-tcp-$dir]}" "${BULK[haproxy-tcp-$dir]}")" ">=$TARGET" cpu_ratio= "${base[@]}"
done
