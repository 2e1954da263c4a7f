#!/usr/bin/env bash
# HTTP/1.1 proxy throughput and latency: wrk against (a) an nginx backend directly, (b) mosn's Http1 proxy in
# front of it, (c) nginx as a keep-alive reverse proxy in front of it. Targets: mosn >= 0.7x the nginx proxy's
# requests/s, at <= 1.5x its CPU per request. Ends with RESULT lines (see ../README.md, "Running them all").
#
#   benchmarks/http1/run.sh     # 3 rounds x 3 targets x (2 s warm-up + 10 s), 50 connections, 2 wrk threads
#   DURATION=5 WARMUP=1 ROUNDS=1 CONNECTIONS=100 THREADS=1 benchmarks/http1/run.sh
#   STREAM_FILTERS='[{"type":"ip_access","config":{}}]' benchmarks/http1/run.sh   # mosn's listener with these stream_filters
#   ACCESS_LOGS='[{"log_path":"/tmp/access.log"}]' benchmarks/http1/run.sh          # ... and these access_logs
#   WORKERS2=0 benchmarks/http1/run.sh   # without the 2-worker targets (mosn --workers 2, nginx worker_processes 2)
#
# Needs nginx and wrk (installed with apt-get when missing) and a built mosn (npx tsc -b).
source "$(dirname "$0")/../lib/common.sh"

TARGET="${TARGET:-0.7}"
CPU_TARGET="${CPU_TARGET:-1.5}" # mosn/nginx-proxy CPU per request, at most
WORKERS2="${WORKERS2:-1}"       # also mosn --workers 2 and nginx worker_processes 2 (CPU per request of the whole tree)

ensure_tools nginx wrk
ensure_mosn_built
wait_quiet

BACKEND_PORT="$(free_port)"
start_backend "$BACKEND_PORT"

# (b) mosn: one Http1 proxy listener, one route to one cluster with the backend as its only host.
MOSN_PORT="$(free_port)"
cat >"$TMP_DIR/mosn.json" <<EOF
{
  "servers": [{
    "default_log_path": "stdout",
    "default_log_level": "ERROR",
    "graceful_timeout": "1s",
    "routers": [{
      "router_config_name": "bench_router",
      "virtual_hosts": [{ "name": "bench", "domains": ["*"],
        "routers": [{ "match": { "prefix": "/" }, "route": { "cluster_name": "backend" } }] }]
    }],
    "listeners": [{
      "name": "bench_http1", "address": "127.0.0.1:$MOSN_PORT", "bind_port": true,
      "filter_chains": [{ "filters": [{ "type": "proxy",
        "config": { "downstream_protocol": "Http1", "router_config_name": "bench_router" } }] }],
      "stream_filters": ${STREAM_FILTERS:-[]},
      "access_logs": ${ACCESS_LOGS:-[]}
    }]
  }],
  "cluster_manager": { "clusters": [{
    "name": "backend", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN",
    "hosts": [{ "address": "127.0.0.1:$BACKEND_PORT" }]
  }] }
}
EOF
start_mosn mosn "$TMP_DIR/mosn.json" "$MOSN_PORT"
if [ "$WORKERS2" = 1 ]; then
  # the same config on another port, with 2 worker processes (the primary runs no traffic)
  MOSN_W2_PORT="$(free_port)"
  sed "s/127.0.0.1:$MOSN_PORT/127.0.0.1:$MOSN_W2_PORT/" "$TMP_DIR/mosn.json" >"$TMP_DIR/mosn-w2.json"
  MOSN_PID1=$MOSN_PID
  start_mosn mosn-w2 "$TMP_DIR/mosn-w2.json" "$MOSN_W2_PORT" --workers 2
  MOSN_W2_PID=$MOSN_PID
  MOSN_PID=$MOSN_PID1
fi

# (c) nginx reverse proxy: 1 worker, HTTP/1.1 upstream with a keep-alive pool.
NGINX_PROXY_PORT="$(free_port)"
start_nginx nginx-proxy "    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PROXY_PORT backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
NGINX_PROXY_PID=$BG_PID
wait_port "$NGINX_PROXY_PORT"
if [ "$WORKERS2" = 1 ]; then
  NGINX_W2_PORT="$(free_port)"
  start_nginx nginx-proxy-w2 "    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_W2_PORT backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }" 2
  NGINX_W2_PID=$BG_PID
  wait_port "$NGINX_W2_PORT"
fi

# Sanity: each target answers 200 with the 128-byte body before we load it.
for p in "$BACKEND_PORT" "$MOSN_PORT" "$NGINX_PROXY_PORT" ${MOSN_W2_PORT:-} ${NGINX_W2_PORT:-}; do
  got="$(node -e "
    require('http').get('http://127.0.0.1:$p/', r => { let n = 0; r.on('data', c => n += c.length);
      r.on('end', () => console.log(r.statusCode + ' ' + n)); }).on('error', e => console.log('error ' + e.message));")"
  [ "$got" = "200 $BODY_BYTES" ] || die "127.0.0.1:$p answered '$got', expected '200 $BODY_BYTES'"
done

# CPU per request is read from the process doing the work: nginx's worker, mosn itself; with 2 workers, the whole
# process tree (nginx's master and workers, mosn's primary and workers).
targets=("direct http://127.0.0.1:$BACKEND_PORT/ $(child_of "$BACKEND_PID")"
  "mosn http://127.0.0.1:$MOSN_PORT/ $MOSN_PID"
  "nginx-proxy http://127.0.0.1:$NGINX_PROXY_PORT/ $(child_of "$NGINX_PROXY_PID")")
[ "$WORKERS2" != 1 ] || targets+=("mosn-w2 http://127.0.0.1:$MOSN_W2_PORT/ +$MOSN_W2_PID"
  "nginx-proxy-w2 http://127.0.0.1:$NGINX_W2_PORT/ +$NGINX_W2_PID")
wrk_rounds "${targets[@]}"
check_alive mosn "$MOSN_PID" || true
[ "$WORKERS2" != 1 ] || check_alive mosn-w2 "$MOSN_W2_PID" || true
mark_run_end

echo
echo "== HTTP/1.1 proxy: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (warm-up ${WARMUP}s), median of $ROUNDS rounds," \
  "${BODY_BYTES}-byte body, nginx backend (1 worker)"
machine_line
labels=(direct mosn nginx-proxy)
[ "$WORKERS2" != 1 ] || labels+=(mosn-w2 nginx-proxy-w2)
print_wrk_table "${labels[@]}"
r_direct="$(ratio "${W_RPS[mosn]}" "${W_RPS[direct]}")"
r_nginx="$(ratio "${W_RPS[mosn]}" "${W_RPS[nginx-proxy]}")"
echo "mosn/direct       requests/s ratio: $r_direct"
r_cpu="$(ratio "${W_CPU[mosn]}" "${W_CPU[nginx-proxy]}")"
canary=("${W_CPU[nginx-proxy]}" "$USUAL_NGINX_PROXY_H1_US")
echo "mosn/nginx-proxy  requests/s ratio: $r_nginx   (target >= $TARGET: $(verdict "$r_nginx" "$TARGET" "${canary[@]}"))"
echo "p99 latency      mosn/nginx-proxy: $(ratio "${W_P99[mosn]}" "${W_P99[nginx-proxy]}")x"
echo "CPU per request  mosn/nginx-proxy: ${r_cpu}x   (the proxy process alone; target <= $CPU_TARGET: $(verdict "$r_cpu" "<=$CPU_TARGET" "${canary[@]}"))"
echo "canary: nginx-proxy ${W_CPU[nginx-proxy]:-?} us/req, usual on this VM ~$USUAL_NGINX_PROXY_H1_US (no verdict above ${CANARY_FACTOR}x)"
if [ "$WORKERS2" = 1 ]; then
  r_w2="$(ratio "${W_RPS[mosn-w2]}" "${W_RPS[nginx-proxy-w2]}")"
  echo "2 workers: mosn-w2/nginx-proxy-w2 requests/s ratio: $r_w2   CPU per request: $(ratio "${W_CPU[mosn-w2]}" "${W_CPU[nginx-proxy-w2]}")x (whole trees)"
  echo "2 workers / 1: mosn $(ratio "${W_RPS[mosn-w2]}" "${W_RPS[mosn]}")x requests/s, nginx-proxy $(ratio "${W_RPS[nginx-proxy-w2]}" "${W_RPS[nginx-proxy]}")x"
fi
mosn_report mosn "$MOSN_PID"
[ "$WORKERS2" != 1 ] || mosn_report mosn-w2 "$MOSN_W2_PID"
other_cpu_report
base=(baseline=nginx-proxy "baseline_cpu_us=${W_CPU[nginx-proxy]}" "baseline_usual_us=$USUAL_NGINX_PROXY_H1_US")
result_line http1 rps_ratio "$r_nginx" ">=$TARGET" "cpu_ratio=$r_cpu" "${base[@]}"
result_line http1 cpu_ratio "$r_cpu" "<=$CPU_TARGET" "cpu_ratio=$r_cpu" "${base[@]}"
if [ "$WORKERS2" = 1 ]; then
  w2=(baseline=nginx-proxy-w2 "baseline_cpu_us=${W_CPU[nginx-proxy-w2]}" "baseline_usual_us=")
  result_line http1-w2 rps_ratio "$r_w2" "" "cpu_ratio=$(ratio "${W_CPU[mosn-w2]}" "${W_CPU[nginx-proxy-w2]}")" "${w2[@]}"
fi
