#!/usr/bin/env bash
# How much of mosn's HTTP/2 cost is node:http2 itself: h2load (same settings as run.sh) against the thinnest
# node:http2 proxies (bare-proxy.mjs), mosn and nginx, all in front of the same nginx backend, rounds interleaved;
# CPU per request of the proxy process from /proc/<pid>/stat (user+sys) from the end of the warm-up to the end.
#
#   benchmarks/http2/compare.sh
#   TARGETS="bare-h1raw mosn-h1up base-h1up" BASE_CLI=/tmp/h2base/packages/mosn/dist/cli.js ROUNDS=5 benchmarks/http2/compare.sh
#
# Targets (TARGETS, default: all but base-*):
#   bare-h1raw   bare-proxy.mjs h1raw   h2c → raw HTTP/1.1 keep-alive sockets (the floor)
#   bare-h1agent bare-proxy.mjs h1agent h2c → http.request + keep-alive http.Agent
#   bare-h2      bare-proxy.mjs h2      h2c → one http2.connect session
#   mosn-h1up    mosn Http2 → Http1 (run.sh's config)           base-h1up  the same on BASE_CLI (an A/B build)
#   mosn-h2      mosn Http2 → Http2 (run.sh's config)           base-h2    the same on BASE_CLI
#   nginx-h1up   nginx http2 → proxy_pass HTTP/1.1 keep-alive
# MOSN_NODE_ARGS / BARE_NODE_ARGS: node options for mosn / the bare proxies (e.g. --cpu-prof --cpu-prof-dir=DIR).
# Every proxy runs for the whole script; only one is loaded at a time.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/h2load.sh"

HERE="$(cd "$(dirname "$0")" && pwd)"
TARGETS="${TARGETS:-bare-h1raw bare-h1agent bare-h2 mosn-h1up mosn-h2 nginx-h1up}"
BASE_CLI="${BASE_CLI:-}"

ensure_tools nginx
ensure_h2load
ensure_mosn_built
wait_quiet

start_h2_backend # H2C_PORT, H1_PORT, BACKEND_PID, body

declare -A URL PID
listener() {
  cat <<EOF
{ "name": "$1", "address": "127.0.0.1:$2", "bind_port": true,
  "filter_chains": [{ "filters": [{ "type": "proxy",
    "config": { "downstream_protocol": "Http2", "upstream_protocol": "$4", "router_config_name": "$3" } }] }] }
EOF
}
router() {
  cat <<EOF
{ "router_config_name": "$1", "virtual_hosts": [{ "name": "$1", "domains": ["*"],
  "routers": [{ "match": { "prefix": "/" }, "route": { "cluster_name": "$2" } }] }] }
EOF
}
# mosn_pair prefix cli: one mosn (cli) with run.sh's two listeners: targets prefix-h2 and prefix-h1up.
mosn_pair() {
  local prefix="$1" cli="$2" p2 p1
  p2="$(free_port)"; p1="$(free_port)"
  cat >"$TMP_DIR/$prefix.json" <<EOF
{
  "servers": [{
    "default_log_path": "stdout", "default_log_level": "ERROR", "graceful_timeout": "1s",
    "routers": [$(router to_h2 backend_h2), $(router to_h1 backend_h1)],
    "listeners": [$(listener bench_h2 "$p2" to_h2 Http2), $(listener bench_h1up "$p1" to_h1 Http1)]
  }],
  "cluster_manager": { "clusters": [
    { "name": "backend_h2", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{ "address": "127.0.0.1:$H2C_PORT" }] },
    { "name": "backend_h1", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{ "address": "127.0.0.1:$H1_PORT" }] }
  ] }
}
EOF
  # shellcheck disable=SC2086
  bg "$prefix" node ${MOSN_NODE_ARGS:-} "$cli" start -c "$TMP_DIR/$prefix.json"
  wait_port "$p2" 20; wait_port "$p1" 20
  URL[$prefix-h2]="http://127.0.0.1:$p2/"; PID[$prefix-h2]=$BG_PID
  URL[$prefix-h1up]="http://127.0.0.1:$p1/"; PID[$prefix-h1up]=$BG_PID
}
# bare name mode upstream_port
bare() {
  local p; p="$(free_port)"
  # shellcheck disable=SC2086
  bg "$1" node ${BARE_NODE_ARGS:-} "$HERE/bare-proxy.mjs" "$p" "127.0.0.1:$3" "$2"
  wait_port "$p"
  URL[$1]="http://127.0.0.1:$p/"; PID[$1]=$BG_PID
}

case " $TARGETS " in *" bare-h1raw "*) bare bare-h1raw h1raw "$H1_PORT" ;; esac
case " $TARGETS " in *" bare-h1agent "*) bare bare-h1agent h1agent "$H1_PORT" ;; esac
case " $TARGETS " in *" bare-h2 "*) bare bare-h2 h2 "$H2C_PORT" ;; esac
case " $TARGETS " in *" mosn-"*) mosn_pair mosn "$MOSN_CLI" ;; esac
case " $TARGETS " in *" base-"*) [ -n "$BASE_CLI" ] || die "base-* targets need BASE_CLI"; mosn_pair base "$BASE_CLI" ;; esac
case " $TARGETS " in *" nginx-h1up "*)
  NGINX_PORT="$(free_port)"
  start_nginx nginx-proxy "    http2_max_requests 1000000;
    upstream backend {
        server 127.0.0.1:$H1_PORT;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT http2 backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
  wait_port "$NGINX_PORT"
  NGINX_MASTER=$BG_PID
  # (child_of's awk exits at its first match: the cat before it can die of SIGPIPE, hence the || true)
  for _ in $(seq 1 50); do PID[nginx-h1up]="$(child_of "$NGINX_MASTER" || true)"; [ -z "${PID[nginx-h1up]}" ] || break; sleep 0.1; done
  [ -n "${PID[nginx-h1up]}" ] || die "no nginx worker under $NGINX_MASTER"
  URL[nginx-h1up]="http://127.0.0.1:$NGINX_PORT/" ;;
esac

specs=()
for t in $TARGETS; do
  [ -n "${URL[$t]:-}" ] || die "unknown target $t"
  got="$(nghttp -v "${URL[$t]}" 2>&1 || true)"
  grep -q ':status: 200' <<<"$got" && grep -q "$body" <<<"$got" || { log "$got"; die "$t did not answer 200 with the body over h2c"; }
  specs+=("$t ${URL[$t]} ${PID[$t]}")
done

# As h2load_rounds (lib/h2load.sh), plus the proxy's read/write syscalls per request (/proc/<pid>/io syscr and
# syscw over the whole run, warm-up included, divided by the requests of the whole run: h2load's -D count scaled by
# (WARMUP + DURATION) / DURATION).
io_counts() { awk '/^syscr:/ { r = $2 } /^syscw:/ { w = $2 } END { print r + 0, w + 0 }' "/proc/$1/io" 2>/dev/null || echo "0 0"; }
declare -A IO_R IO_W
for r in $(seq 1 "$ROUNDS"); do
  for spec in "${specs[@]}"; do
    read -r label url pid <<<"$spec"
    read -r r0 w0 <<<"$(io_counts "$pid")"
    h2load_run "$label.$r" "$url" "$pid"
    read -r r1 w1 <<<"$(io_counts "$pid")"
    n="$(awk -v d="${H_DONE[$label.$r]:-0}" -v w="$WARMUP" -v t="$DURATION" 'BEGIN { print d * (w + t) / t }')"
    IO_R[$label.$r]="$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "-" }')"
    IO_W[$label.$r]="$(awk -v a="$w0" -v b="$w1" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "-" }')"
  done
done
for spec in "${specs[@]}"; do
  label="${spec%% *}"
  rps=(); mean=(); max=(); cpu=(); failed=0; non=0
  for r in $(seq 1 "$ROUNDS"); do
    rps+=("${H_RPS[$label.$r]}"); mean+=("${H_MEAN[$label.$r]:-0}"); max+=("${H_MAX[$label.$r]:-0}")
    [ -z "${H_CPU[$label.$r]}" ] || cpu+=("${H_CPU[$label.$r]}")
    failed=$((failed + ${H_FAILED[$label.$r]/\?/1})); non=$((non + ${H_NON2XX[$label.$r]/\?/1}))
  done
  H_RPS[$label]="$(median "${rps[@]}")"; H_MEAN[$label]="$(median "${mean[@]}")"; H_MAX[$label]="$(median "${max[@]}")"
  H_CPU[$label]=""; [ "${#cpu[@]}" = 0 ] || H_CPU[$label]="$(median "${cpu[@]}")"
  H_FAILED[$label]="$failed"; H_NON2XX[$label]="$non"
  H_RANGE[$label]="$(printf '%s\n' "${rps[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }')"
done
mark_run_end

echo
echo "== h2c proxies: h2load -c$H2_CLIENTS -m$H2_STREAMS -t$H2_THREADS -D${DURATION}s (warm-up ${WARMUP}s), median of $ROUNDS rounds"
h2_machine_line
[ -z "$BASE_CLI" ] || echo "base-*: $BASE_CLI"
print_h2load_table $TARGETS
echo "per round, CPU us/req:"
for t in $TARGETS; do
  line="$t:"
  for r in $(seq 1 "$ROUNDS"); do line="$line ${H_CPU[$t.$r]:--}"; done
  echo "  $line"
done
echo "per round, requests/s:"
for t in $TARGETS; do
  line="$t:"
  for r in $(seq 1 "$ROUNDS"); do line="$line ${H_RPS[$t.$r]:--}"; done
  echo "  $line"
done
echo "per round, read / write syscalls of the proxy per request:"
for t in $TARGETS; do
  line="$t:"
  for r in $(seq 1 "$ROUNDS"); do line="$line ${IO_R[$t.$r]:--}/${IO_W[$t.$r]:--}"; done
  echo "  $line"
done
for t in $TARGETS; do case "$t" in mosn-h1up|base-h1up) mosn_report "${t%%-*}" "${PID[$t]}" ;; esac; done
other_cpu_report
