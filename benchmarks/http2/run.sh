#!/usr/bin/env bash
# HTTP/2 (h2c, prior knowledge) proxy throughput: h2load against
#   direct          the nginx backend's h2c port
#   mosn-h2         mosn Http2 → Http2 (h2c upstream) → the backend's h2c port
#   mosn-h1up       mosn Http2 → Http1 upstream → the backend's HTTP/1.1 port
#   nginx-h1up      nginx `listen ... http2` → proxy_pass HTTP/1.1 keep-alive → the backend's HTTP/1.1 port
# nginx cannot proxy_pass plain HTTP to an h2c upstream (its HTTP/2 upstream is gRPC only), so the like-for-like
# pair is mosn-h1up vs nginx-h1up; mosn-h2 / nginx-h1up compares mosn's h2c-both-ways path with nginx's best plain
# HTTP/2 proxy path. Target: mosn-h1up >= 0.5x nginx-h1up requests/s (mosn-h2 shown, no target). Ends with RESULT
# lines (../README.md, "Running them all").
#
#   benchmarks/http2/run.sh     # 3 rounds x 4 targets x (2 s warm-up + 10 s), h2load -c10 -m10 -t1
#   DURATION=4 WARMUP=1 ROUNDS=1 H2_CLIENTS=20 H2_STREAMS=20 benchmarks/http2/run.sh
#
# Needs nginx and h2load (installed with apt-get when missing) and a built mosn (npx tsc -b).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/h2load.sh"

TARGET="${TARGET:-0.5}" # mosn-h1up/nginx-h1up requests/s, at least

ensure_tools nginx
ensure_h2load
ensure_mosn_built
wait_quiet

start_h2_backend # H2C_PORT, H1_PORT, BACKEND_PID, body

# mosn: two listeners (Http2 downstream), one to each backend port.
MOSN_H2_PORT="$(free_port)"
MOSN_H1_PORT="$(free_port)"
listener() { # name port router upstream_protocol
  cat <<EOF
{ "name": "$1", "address": "127.0.0.1:$2", "bind_port": true,
  "filter_chains": [{ "filters": [{ "type": "proxy",
    "config": { "downstream_protocol": "Http2", "upstream_protocol": "$4", "router_config_name": "$3" } }] }] }
EOF
}
router() { # name cluster
  cat <<EOF
{ "router_config_name": "$1", "virtual_hosts": [{ "name": "$1", "domains": ["*"],
  "routers": [{ "match": { "prefix": "/" }, "route": { "cluster_name": "$2" } }] }] }
EOF
}
cat >"$TMP_DIR/mosn.json" <<EOF
{
  "servers": [{
    "default_log_path": "stdout",
    "default_log_level": "ERROR",
    "graceful_timeout": "1s",
    "routers": [$(router to_h2 backend_h2), $(router to_h1 backend_h1)],
    "listeners": [$(listener bench_h2 "$MOSN_H2_PORT" to_h2 Http2), $(listener bench_h1up "$MOSN_H1_PORT" to_h1 Http1)]
  }],
  "cluster_manager": { "clusters": [
    { "name": "backend_h2", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{ "address": "127.0.0.1:$H2C_PORT" }] },
    { "name": "backend_h1", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{ "address": "127.0.0.1:$H1_PORT" }] }
  ] }
}
EOF
start_mosn mosn "$TMP_DIR/mosn.json" "$MOSN_H2_PORT"
wait_port "$MOSN_H1_PORT"

# nginx: h2c downstream, HTTP/1.1 keep-alive upstream.
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
NGINX_PID=$BG_PID
wait_port "$NGINX_PORT"

# Sanity: each target answers 200 with the body over HTTP/2 before we load it.
for p in "$H2C_PORT" "$MOSN_H2_PORT" "$MOSN_H1_PORT" "$NGINX_PORT"; do
  got="$(nghttp -v "http://127.0.0.1:$p/" 2>&1 || true)"
  grep -q ':status: 200' <<<"$got" && grep -q "$body" <<<"$got" || { log "$got"; die "127.0.0.1:$p did not answer 200 with the body over h2c"; }
done

h2load_rounds "direct http://127.0.0.1:$H2C_PORT/ $(child_of "$BACKEND_PID")" \
  "mosn-h2 http://127.0.0.1:$MOSN_H2_PORT/ $MOSN_PID" \
  "mosn-h1up http://127.0.0.1:$MOSN_H1_PORT/ $MOSN_PID" \
  "nginx-h1up http://127.0.0.1:$NGINX_PORT/ $(child_of "$NGINX_PID")"
check_alive mosn "$MOSN_PID" || true
mark_run_end

echo
echo "== HTTP/2 (h2c) proxy: h2load -c$H2_CLIENTS -m$H2_STREAMS -t$H2_THREADS -D${DURATION}s (warm-up ${WARMUP}s)," \
  "median of $ROUNDS rounds, ${BODY_BYTES}-byte body, nginx backend (1 worker)"
h2_machine_line
print_h2load_table direct mosn-h2 mosn-h1up nginx-h1up
r_h1up="$(ratio "${H_RPS[mosn-h1up]}" "${H_RPS[nginx-h1up]}")"
r_h2="$(ratio "${H_RPS[mosn-h2]}" "${H_RPS[nginx-h1up]}")"
c_h1up="$(ratio "${H_CPU[mosn-h1up]}" "${H_CPU[nginx-h1up]}")"
c_h2="$(ratio "${H_CPU[mosn-h2]}" "${H_CPU[nginx-h1up]}")"
canary=("${H_CPU[nginx-h1up]}" "$USUAL_NGINX_H2_US")
echo "mosn-h1up/nginx-h1up requests/s ratio: $r_h1up   (same path: h2c down, HTTP/1.1 up; target >= $TARGET: $(verdict "$r_h1up" "$TARGET" "${canary[@]}"))"
echo "mosn-h2/nginx-h1up   requests/s ratio: $r_h2   (mosn h2c both ways vs nginx's plain-HTTP/2 proxy)"
echo "mosn-h2/direct       requests/s ratio: $(ratio "${H_RPS[mosn-h2]}" "${H_RPS[direct]}")"
echo "CPU per request  mosn-h1up/nginx-h1up: ${c_h1up}x   (the proxy process alone)"
echo "CPU per request  mosn-h2/nginx-h1up:   ${c_h2}x"
echo "canary: nginx-h1up ${H_CPU[nginx-h1up]:-?} us/req, usual on this VM ~$USUAL_NGINX_H2_US (no verdict above ${CANARY_FACTOR}x)"
mosn_report mosn "$MOSN_PID"
other_cpu_report
base=(baseline=nginx-h1up "baseline_cpu_us=${H_CPU[nginx-h1up]}" "baseline_usual_us=$USUAL_NGINX_H2_US")
result_line http2 rps_ratio "$r_h1up" ">=$TARGET" "cpu_ratio=$c_h1up" "${base[@]}"
result_line http2-h2c-both rps_ratio "$r_h2" none "cpu_ratio=$c_h2" "${base[@]}"
