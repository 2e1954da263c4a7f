#!/usr/bin/env bash
# gRPC unary proxy throughput: h2load POSTing one gRPC-framed message per request (content-type application/grpc,
# te: trailers) against
#   direct        the backend: a minimal node:http2 gRPC echo server (server.mjs), 1 process
#   mosn          mosn Http2 → Http2 (h2c both ways) → the backend
#   nginx-grpc    nginx `listen ... http2` → `grpc_pass` with a keep-alive upstream → the backend
# All three speak h2c on both sides, so mosn / nginx-grpc is like for like.
#
#   benchmarks/grpc/run.sh     # 3 rounds x 3 targets x (2 s warm-up + 10 s), h2load -c10 -m10 -t1
#   DURATION=4 WARMUP=1 ROUNDS=1 GRPC_BYTES=1024 benchmarks/grpc/run.sh
#
# Needs nginx and h2load (installed with apt-get when missing) and a built mosn (npx tsc -b).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/h2load.sh"

GRPC_BYTES="${GRPC_BYTES:-100}" # bytes of the string field in the request message (echoed back)

ensure_tools nginx
ensure_h2load
ensure_mosn_built
wait_quiet

BACKEND_PORT="$(free_port)"
bg backend node "$BENCH_ROOT/grpc/server.mjs" "$BACKEND_PORT"
BACKEND_PID=$BG_PID
wait_port "$BACKEND_PORT"

# One gRPC message frame: flag 0, 4-byte length, then a protobuf message with field 1 (string) of GRPC_BYTES.
REQ="$TMP_DIR/request.grpc"
node -e "
  const n = Number(process.argv[1]); const s = Buffer.alloc(n, 'g');
  const varint = []; for (let v = n; ; v >>>= 7) { if (v < 128) { varint.push(v); break; } varint.push((v & 127) | 128); }
  const msg = Buffer.concat([Buffer.from([0x0a, ...varint]), s]);
  const f = Buffer.alloc(5); f.writeUInt32BE(msg.length, 1);
  require('fs').writeFileSync(process.argv[2], Buffer.concat([f, msg]));" "$GRPC_BYTES" "$REQ"

MOSN_PORT="$(free_port)"
cat >"$TMP_DIR/mosn.json" <<EOF
{
  "servers": [{
    "default_log_path": "stdout",
    "default_log_level": "ERROR",
    "graceful_timeout": "1s",
    "routers": [{
      "router_config_name": "grpc_router",
      "virtual_hosts": [{ "name": "grpc", "domains": ["*"],
        "routers": [{ "match": { "prefix": "/" }, "route": { "cluster_name": "backend" } }] }]
    }],
    "listeners": [{
      "name": "bench_grpc", "address": "127.0.0.1:$MOSN_PORT", "bind_port": true,
      "filter_chains": [{ "filters": [{ "type": "proxy",
        "config": { "downstream_protocol": "Http2", "upstream_protocol": "Http2", "router_config_name": "grpc_router" } }] }]
    }]
  }],
  "cluster_manager": { "clusters": [{
    "name": "backend", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN",
    "hosts": [{ "address": "127.0.0.1:$BACKEND_PORT" }]
  }] }
}
EOF
start_mosn mosn "$TMP_DIR/mosn.json" "$MOSN_PORT"

NGINX_PORT="$(free_port)"
start_nginx nginx-grpc "    http2_max_requests 1000000;
    upstream grpc_backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT http2 backlog=4096;
        location / { grpc_pass grpc://grpc_backend; }
    }"
NGINX_PID=$BG_PID
wait_port "$NGINX_PORT"

GRPC_ARGS=(-d "$REQ" -H 'content-type: application/grpc' -H 'te: trailers')
URL_PATH="/bench.Echo/Unary"

# Sanity: each target answers one call with grpc-status 0 and the message echoed whole.
want="$(stat -c %s "$REQ")"
for p in "$BACKEND_PORT" "$MOSN_PORT" "$NGINX_PORT"; do
  got="$(nghttp -v -d "$REQ" -H 'content-type: application/grpc' -H 'te: trailers' "http://127.0.0.1:$p$URL_PATH" 2>&1 | tr -d '\0' || true)"
  grep -aq 'grpc-status: 0' <<<"$got" && grep -aq "recv DATA frame <length=$want," <<<"$got" \
    || { log "$got"; die "127.0.0.1:$p did not answer the gRPC call with grpc-status 0 and a $want-byte message"; }
done

h2load_rounds "direct http://127.0.0.1:$BACKEND_PORT$URL_PATH $BACKEND_PID" \
  "mosn http://127.0.0.1:$MOSN_PORT$URL_PATH $MOSN_PID" \
  "nginx-grpc http://127.0.0.1:$NGINX_PORT$URL_PATH $(child_of "$NGINX_PID")" -- "${GRPC_ARGS[@]}"
check_alive mosn "$MOSN_PID" || true
mark_run_end
backend_stats="$(nghttp "http://127.0.0.1:$BACKEND_PORT/stats" 2>&1 || echo '?')"

echo
echo "== gRPC unary proxy: h2load -c$H2_CLIENTS -m$H2_STREAMS -t$H2_THREADS -D${DURATION}s (warm-up ${WARMUP}s), median of" \
  "$ROUNDS rounds, one $want-byte gRPC frame each way, node:http2 echo backend (1 process)"
h2_machine_line
print_h2load_table direct mosn nginx-grpc
echo "backend calls answered (all runs, warm-ups and sanity checks included): $backend_stats   (bad must be 0; connections: how many the proxies opened)"
r_grpc="$(ratio "${H_RPS[mosn]}" "${H_RPS[nginx-grpc]}")"
c_grpc="$(ratio "${H_CPU[mosn]}" "${H_CPU[nginx-grpc]}")"
echo "mosn/nginx-grpc requests/s ratio: $r_grpc"
echo "mosn/direct     requests/s ratio: $(ratio "${H_RPS[mosn]}" "${H_RPS[direct]}")"
echo "CPU per request mosn/nginx-grpc: ${c_grpc}x   (the proxy process alone)"
mosn_report mosn "$MOSN_PID"
other_cpu_report
result_line grpc rps_ratio "$r_grpc" none "cpu_ratio=$c_grpc" baseline=nginx-grpc "baseline_cpu_us=${H_CPU[nginx-grpc]}" \
  "baseline_usual_us=$USUAL_NGINX_GRPC_US"
