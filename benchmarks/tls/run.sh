#!/usr/bin/env bash
# TLS: (1) HTTP/1.1 keep-alive over TLS, mosn vs nginx terminating TLS with the same certificate in front of the
# same plaintext backend (wrk, https://127.0.0.1); (2) full TLS handshakes per second against the same two
# listeners (openssl s_time -new, handshake only); (3) Bolt through two mosn processes with mTLS between them vs
# the same two hops in plaintext. Targets: (1) mosn >= 0.6x nginx requests/s, (2) mosn >= 0.8x nginx handshakes per
# CPU-second of the server process. Nothing fails on a missed target. See README.md next to this script. Ends with
# RESULT lines (see ../README.md, "Running them all").
#
#   benchmarks/tls/run.sh                          # ROUNDS=2, DURATION=5, WARMUP=2: about 2 minutes
#   KEY_TYPE=ec ROUNDS=3 DURATION=10 benchmarks/tls/run.sh
#   PARTS="keepalive handshake" SKIP_MOSN=1 benchmarks/tls/run.sh   # the nginx half only
#
# Needs nginx, wrk, openssl, curl (installed with apt-get when missing) and a built mosn (npx tsc -b).
: "${ROUNDS:=2}" "${DURATION:=5}" "${WARMUP:=2}"
source "$(dirname "$0")/../lib/common.sh"

HERE="$(cd "$(dirname "$0")" && pwd)"
BOLT_DIR="$BENCH_ROOT/bolt"
PARTS="${PARTS:-keepalive handshake bolt}" # which parts run
SKIP_MOSN="${SKIP_MOSN:-0}"                 # 1: nginx (and the handshake client) only; parts 1-2
KEY_TYPE="${KEY_TYPE:-rsa}"                 # rsa (RSA 2048) or ec (ECDSA P-256): every certificate's key
HS_CLIENTS="${HS_CLIENTS:-3}"               # parallel `openssl s_time -new` processes
HS_NODE_REF="${HS_NODE_REF:-1}"             # 1: also a bare node:tls server (tls-server.mjs) in the handshake part
CONNS="${CONNS:-4}" DEPTH="${DEPTH:-64}" BODY="${BODY:-1024}" # Bolt loadgen (as in ../bolt)
TARGET_KEEPALIVE="${TARGET_KEEPALIVE:-0.6}"
TARGET_HANDSHAKE="${TARGET_HANDSHAKE:-0.8}"
# The canary: nginx's CPU per request / per handshake as measured on the quiet 2-core VM (../lib/usual-costs.sh).
# When a run's nginx needs over CANARY_FACTOR (1.3) x that, the machine was busy (other load, CPU frequency, noisy
# neighbours): every figure of that run, ratios included, is suspect, and the verdicts say "no verdict".
NGINX_USUAL_US="${NGINX_USUAL_US:-$USUAL_NGINX_TLS_US}" # nginx TLS keep-alive, CPU µs per request
NGINX_USUAL_HS_US="${NGINX_USUAL_HS_US:-}"    # nginx, CPU µs per full handshake (default per KEY_TYPE below)
[ "$DURATION" -le 600 ] || die "DURATION is at most 600 s"
case "$KEY_TYPE" in
  rsa) NEWKEY=(-newkey rsa:2048); : "${NGINX_USUAL_HS_US:=$USUAL_NGINX_TLS_HS_RSA_US}" ;;
  ec) NEWKEY=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); : "${NGINX_USUAL_HS_US:=$USUAL_NGINX_TLS_HS_EC_US}" ;;
  *) die "KEY_TYPE is rsa or ec" ;;
esac
has_part() { [[ " $PARTS " == *" $1 "* ]]; }

ensure_tools nginx wrk openssl curl
[ "$SKIP_MOSN" = 1 ] || ensure_mosn_built
wait_quiet

# ---------------------------------------------------------------------------------------------------- certificates
# A CA, a server certificate (SAN IP:127.0.0.1, DNS:localhost) and a client certificate for mTLS, all signed by
# the CA, in the temp dir.
CERTS="$TMP_DIR/certs"
mkdir -p "$CERTS"
gen_cert() { # name subject extensions
  local name="$1" subj="$2" ext="$3"
  openssl req "${NEWKEY[@]}" -nodes -keyout "$CERTS/$name.key" -out "$CERTS/$name.csr" -subj "$subj" 2>/dev/null
  printf '%b' "$ext" >"$CERTS/$name.ext"
  openssl x509 -req -in "$CERTS/$name.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" -CAcreateserial \
    -out "$CERTS/$name.pem" -days 2 -extfile "$CERTS/$name.ext" 2>/dev/null
  openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/$name.pem" >/dev/null || die "certificate $name does not verify"
}
openssl req -x509 "${NEWKEY[@]}" -nodes -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" -days 2 -subj /CN=mosn-bench-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
gen_cert server /CN=localhost \
  'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
gen_cert client /CN=mosn-bench-client \
  'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
KEY_DESC="$(openssl x509 -in "$CERTS/server.pem" -noout -text | awk -F': *' '/Public Key Algorithm|Public-Key/ { printf "%s%s", sep, $2; sep = " " }')"

# tls_line port [openssl s_client args...]: "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519" as negotiated with the default
# client settings, verifying the server against our CA under the name localhost.
tls_line() {
  local port="$1"; shift
  openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$CERTS/ca.pem" -verify_return_error \
    -brief "$@" </dev/null 2>&1 | awk -F': *' '/^Protocol version/ { p = $2 } /^Ciphersuite/ { c = $2 }
      /^(Server|Peer) Temp Key/ { k = $2 } /^Verification/ { v = $2 }
      END { printf "%s %s %s%s", p, c, k, (v ~ /^OK/ ? "" : " (verification: " v ")") }'
}

# curl_check port: curl --cacert must get 200 and the backend's body, under the name and under the IP.
curl_check() {
  local port="$1" got host
  for host in localhost 127.0.0.1; do
    got="$(curl -sS --max-time 10 --cacert "$CERTS/ca.pem" -o /dev/null -w '%{http_code} %{size_download}' "https://$host:$port/" 2>&1)" || true
    [ "$got" = "200 $BODY_BYTES" ] || die "curl --cacert https://$host:$port/ got '$got', expected '200 $BODY_BYTES'"
  done
}

mosn_server_block() { # the common head of our mosn configs
  cat <<JSON
    "default_log_path": "stdout",
    "default_log_level": "ERROR",
    "graceful_timeout": "1s",
JSON
}

# ------------------------------------------------------------------------------------ HTTPS targets (parts 1 + 2)
declare -A TLS_INFO
HTTPS_TARGETS=()
if has_part keepalive || has_part handshake; then
  BACKEND_PORT="$(free_port)"
  start_backend "$BACKEND_PORT"

  if [ "$SKIP_MOSN" != 1 ]; then
    MOSN_PORT="$(free_port)"
    cat >"$TMP_DIR/mosn-https.json" <<EOF
{
  "servers": [{
$(mosn_server_block)
    "routers": [{
      "router_config_name": "bench_router",
      "virtual_hosts": [{ "name": "bench", "domains": ["*"],
        "routers": [{ "match": { "prefix": "/" }, "route": { "cluster_name": "backend" } }] }]
    }],
    "listeners": [{
      "name": "bench_https", "address": "127.0.0.1:$MOSN_PORT", "bind_port": true,
      "filter_chains": [{
        "tls_context": { "status": true, "cert_chain": "$CERTS/server.pem", "private_key": "$CERTS/server.key" },
        "filters": [{ "type": "proxy", "config": { "downstream_protocol": "Http1", "router_config_name": "bench_router" } }]
      }]
    }]
  }],
  "cluster_manager": { "clusters": [{
    "name": "backend", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN",
    "hosts": [{ "address": "127.0.0.1:$BACKEND_PORT" }]
  }] }
}
EOF
    start_mosn mosn-https "$TMP_DIR/mosn-https.json" "$MOSN_PORT"
    MOSN_HTTPS_PID=$MOSN_PID
    curl_check "$MOSN_PORT"
    TLS_INFO[mosn-tls]="$(tls_line "$MOSN_PORT")"
    HTTPS_TARGETS+=("mosn-tls $MOSN_PORT $MOSN_HTTPS_PID")
  fi

  # nginx terminating TLS: 1 worker, the same certificate and key, TLS 1.2 + 1.3 as Node's defaults (nginx 1.22's
  # own default leaves TLS 1.3 out), the same upstream keep-alive pool as http1/run.sh's nginx-proxy. Sessions:
  # nginx's defaults (tickets on); s_time -new never offers one, wrk keeps its connections.
  NGINX_TLS_PORT="$(free_port)"
  start_nginx nginx-tls "    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_TLS_PORT ssl backlog=4096;
        ssl_certificate $CERTS/server.pem;
        ssl_certificate_key $CERTS/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
  NGINX_TLS_PID=$BG_PID
  wait_port "$NGINX_TLS_PORT"
  NGINX_TLS_WORKER=""
  for _ in $(seq 1 50); do
    NGINX_TLS_WORKER="$(child_of "$NGINX_TLS_PID" || true)" # (awk's early exit may SIGPIPE the pipeline)
    [ -z "$NGINX_TLS_WORKER" ] || break
    sleep 0.1
  done
  [ -n "$NGINX_TLS_WORKER" ] || die "no nginx worker under pid $NGINX_TLS_PID"
  curl_check "$NGINX_TLS_PORT"
  TLS_INFO[nginx-tls]="$(tls_line "$NGINX_TLS_PORT")"
  HTTPS_TARGETS+=("nginx-tls $NGINX_TLS_PORT $NGINX_TLS_WORKER")
fi

# ---------------------------------------------------------------------------------- part 1: keep-alive over TLS
if has_part keepalive; then
  specs=()
  for t in "${HTTPS_TARGETS[@]}"; do
    read -r label port pid <<<"$t"
    specs+=("$label https://127.0.0.1:$port/ $pid")
  done
  wrk_rounds "${specs[@]}"
fi

# ------------------------------------------------------------------------------------ part 2: full handshakes/s
# openssl s_time -new: every connection is a full handshake (no session offered), then closed; no HTTP request.
# HS_CLIENTS processes at once for DURATION s, after WARMUP s of one. Counted: the connections s_time completed;
# the server's CPU per handshake is read from /proc like CPU per request. (wrk with `Connection: close` would
# resume its TLS session on every reconnect where the server allows it, as nginx does: not full handshakes.)
declare -A HS_RATE HS_CPU HS_ERR HS_RANGE
hs_run() { # label port pid
  local label="$1" port="$2" pid="$3" cpu0 cpu1 i pids=() n=0 rate=0 errs=0 out c
  if [ "$WARMUP" != 0 ]; then
    timeout $((WARMUP + 20)) openssl s_time -connect "127.0.0.1:$port" -new -time "$WARMUP" >"$TMP_DIR/stime-$label-warmup.txt" 2>&1 || true
  fi
  log "openssl s_time -new -time $DURATION x $HS_CLIENTS   ($label)"
  cpu0="$(proc_cpu "$pid")"
  # s_time stops at the first whole second past -time (so after DURATION to DURATION + 1 s): each client's own
  # wall time is taken, and the rate is the sum of each client's connections over its own time.
  for i in $(seq 1 "$HS_CLIENTS"); do
    bg "stime-$label-$i" bash -c 't0=$EPOCHREALTIME; timeout "$1" openssl s_time -connect "$2" -new -time "$3"; rc=$?
      echo "wall $t0 $EPOCHREALTIME"; exit $rc' _ $((DURATION + 20)) "127.0.0.1:$port" "$DURATION"
    pids+=("$BG_PID")
  done
  for i in "${pids[@]}"; do wait "$i" || errs=$((errs + 1)); done
  cpu1="$(proc_cpu "$pid")"
  for i in $(seq 1 "$HS_CLIENTS"); do
    out="$TMP_DIR/stime-$label-$i.log"
    c="$(awk '/connections in .* real seconds/ { print $1; exit }' "$out")"
    n=$((n + ${c:-0}))
    rate="$(awk -v r="$rate" -v c="${c:-0}" '/^wall / { r += c / ($3 - $2) } END { print r }' "$out")"
    if grep -qiE 'error|fail' "$out"; then errs=$((errs + 1)); log "  s_time $i against $label: $(grep -iE -m1 'error|fail' "$out")"; fi
  done
  HS_RATE[$label]="$(printf '%.0f' "$rate")"
  HS_CPU[$label]="$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { if (b != "" && n > 0) printf "%.0f", (b - a) / hz * 1e6 / n }')"
  HS_ERR[$label]="$errs"
  log "  $n handshakes, ${HS_RATE[$label]}/s, server CPU ${HS_CPU[$label]:-?} us per handshake"
}
HS_TARGETS=("${HTTPS_TARGETS[@]}")
if has_part handshake && [ "$HS_NODE_REF" = 1 ]; then
  NODE_TLS_PORT="$(free_port)"
  bg node-tls node "$HERE/tls-server.mjs" "$NODE_TLS_PORT" "$CERTS/server.pem" "$CERTS/server.key"
  wait_port "$NODE_TLS_PORT"
  HS_TARGETS+=("node-tls $NODE_TLS_PORT $BG_PID")
fi
if has_part handshake; then
  for r in $(seq 1 "$ROUNDS"); do
    for t in "${HS_TARGETS[@]}"; do
      read -r label port pid <<<"$t"
      hs_run "$label.$r" "$port" "$pid"
    done
  done
  for t in "${HS_TARGETS[@]}"; do
    label="${t%% *}"; rates=(); cpus=(); errs=0
    for r in $(seq 1 "$ROUNDS"); do
      rates+=("${HS_RATE[$label.$r]}"); [ -z "${HS_CPU[$label.$r]}" ] || cpus+=("${HS_CPU[$label.$r]}")
      errs=$((errs + ${HS_ERR[$label.$r]}))
    done
    HS_RATE[$label]="$(median "${rates[@]}")"
    HS_CPU[$label]=""; [ "${#cpus[@]}" = 0 ] || HS_CPU[$label]="$(median "${cpus[@]}")"
    HS_ERR[$label]="$errs"
    HS_RANGE[$label]="$(printf '%s\n' "${rates[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')"
  done
fi

# ---------------------------------------------------------------------------------- part 3: Bolt, mTLS vs plain
# loadgen -> mosn-a (plain listener) -> [plain | mTLS] -> mosn-b (listener) -> echo server; two processes, as a
# client sidecar and a server sidecar. Each mosn has both paths (so plain and mTLS load the same processes):
# mosn-a: listener "plain" -> cluster "b_plain" (mosn-b's plain port); listener "mtls" -> cluster "b_mtls" (mosn-b's
# TLS port, with the client certificate). mosn-b: "plain" and "mtls" (verify_client + require_client_cert) -> echo.
declare -A B_RPS B_P50 B_P99 B_CPUA B_CPUB B_ERR B_RANGE
if has_part bolt && [ "$SKIP_MOSN" != 1 ]; then
  route_to() { # router_name cluster
    printf '{ "router_config_name": "%s", "virtual_hosts": [{ "name": "v", "domains": ["*"],
        "routers": [{ "match": { "headers": [{ "name": "service", "value": ".*" }] }, "route": { "cluster_name": "%s" } }] }] }' "$1" "$2"
  }
  bolt_listener() { # name port router [tls_context json]
    printf '{ "name": "%s", "address": "127.0.0.1:%s", "bind_port": true, "filter_chains": [{ %s
          "filters": [{ "type": "proxy", "config": { "downstream_protocol": "bolt", "router_config_name": "%s" } }] }] }' \
      "$1" "$2" "${4:+\"tls_context\": $4,}" "$3"
  }
  bolt_cluster() { # name port [tls_context json]
    printf '{ "name": "%s", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{ "address": "127.0.0.1:%s" }]%s }' \
      "$1" "$2" "${3:+, \"tls_context\": $3}"
  }
  ECHO_PORT="$(free_port)"
  bg bolt-server node "$BOLT_DIR/server.mjs" "$ECHO_PORT" "$BODY"
  ECHO_PID=$BG_PID
  wait_port "$ECHO_PORT"

  B_PLAIN_PORT="$(free_port)"; B_MTLS_PORT="$(free_port)"
  cat >"$TMP_DIR/mosn-b.json" <<EOF
{
  "servers": [{
$(mosn_server_block)
    "routers": [ $(route_to to_echo echo) ],
    "listeners": [
      $(bolt_listener plain "$B_PLAIN_PORT" to_echo),
      $(bolt_listener mtls "$B_MTLS_PORT" to_echo "{ \"status\": true, \"cert_chain\": \"$CERTS/server.pem\", \"private_key\": \"$CERTS/server.key\", \"ca_cert\": \"$CERTS/ca.pem\", \"verify_client\": true, \"require_client_cert\": true }")
    ]
  }],
  "cluster_manager": { "clusters": [ $(bolt_cluster echo "$ECHO_PORT") ] }
}
EOF
  start_mosn mosn-b "$TMP_DIR/mosn-b.json" "$B_PLAIN_PORT"
  MOSN_B_PID=$MOSN_PID
  wait_port "$B_MTLS_PORT"

  A_PLAIN_PORT="$(free_port)"; A_MTLS_PORT="$(free_port)"
  cat >"$TMP_DIR/mosn-a.json" <<EOF
{
  "servers": [{
$(mosn_server_block)
    "routers": [ $(route_to to_b_plain b_plain), $(route_to to_b_mtls b_mtls) ],
    "listeners": [
      $(bolt_listener plain "$A_PLAIN_PORT" to_b_plain),
      $(bolt_listener mtls "$A_MTLS_PORT" to_b_mtls)
    ]
  }],
  "cluster_manager": { "clusters": [
    $(bolt_cluster b_plain "$B_PLAIN_PORT"),
    $(bolt_cluster b_mtls "$B_MTLS_PORT" "{ \"status\": true, \"ca_cert\": \"$CERTS/ca.pem\", \"cert_chain\": \"$CERTS/client.pem\", \"private_key\": \"$CERTS/client.key\", \"server_name\": \"localhost\" }")
  ] }
}
EOF
  start_mosn mosn-a "$TMP_DIR/mosn-a.json" "$A_PLAIN_PORT"
  MOSN_A_PID=$MOSN_PID
  wait_port "$A_MTLS_PORT"

  # mosn-b's mTLS listener must ask for a client certificate and take mosn-a's; mosn-a must get through.
  hello="$(openssl s_client -connect "127.0.0.1:$B_MTLS_PORT" -servername localhost -CAfile "$CERTS/ca.pem" </dev/null 2>&1 || true)"
  [[ "$hello" == *'Acceptable client certificate CA names'* ]] || log "!! mosn-b's mTLS listener did not ask for a client certificate"
  TLS_INFO[mosn-b-mtls]="$(tls_line "$B_MTLS_PORT" -cert "$CERTS/client.pem" -key "$CERTS/client.key")"

  # bolt_run label port: one loadgen run (WARMUP + DURATION s); requests/s, latency, CPU µs per request of each mosn.
  # bolt_run label port: one loadgen run (WARMUP + DURATION s): requests/s, latency, and the CPU µs per request of
  # each mosn over the measured window (read WARMUP s after the loadgen starts, as h2load_run does, and at its end).
  bolt_run() {
    local label="$1" port="$2" a0 b0 a1 b1 out cpufile="$TMP_DIR/bolt-cpu0-$1" sampler
    log "bolt loadgen -> $label (port $port), $CONNS connections x $DEPTH in flight, ${BODY}-byte bodies"
    (sleep "$WARMUP"; echo "$(proc_cpu "$MOSN_A_PID") $(proc_cpu "$MOSN_B_PID")" >"$cpufile") &
    sampler=$!
    if ! out="$(timeout $((WARMUP + DURATION + 30)) node "$BOLT_DIR/loadgen.mjs" --port "$port" --label "$label" \
      --connections "$CONNS" --depth "$DEPTH" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"; then
      log "!! loadgen against $label failed"; B_RPS[$label]=0; B_ERR[$label]="loadgen failed"; return
    fi
    a1="$(proc_cpu "$MOSN_A_PID")"; b1="$(proc_cpu "$MOSN_B_PID")"
    wait "$sampler" || true
    read -r a0 b0 <"$cpufile"
    echo "$out" >>"$TMP_DIR/bolt.jsonl"
    read -r "B_RPS[$label]" "B_P50[$label]" "B_P99[$label]" "B_CPUA[$label]" "B_CPUB[$label]" "B_ERR[$label]" < <(node -e '
      const [line, a0, a1, b0, b1, hz] = process.argv.slice(1);
      const r = JSON.parse(line), n = r.requests;
      const us = (x, y) => (n > 0 ? ((y - x) / hz * 1e6 / n).toFixed(1) : "");
      console.log(r.rps, r.latencyMs.p50, r.latencyMs.p99, us(a0, a1), us(b0, b1), r.errors + r.closedConnections);
    ' "$out" "$a0" "$a1" "$b0" "$b1" "$(getconf CLK_TCK)")
    log "  ${B_RPS[$label]} req/s, p50 ${B_P50[$label]} ms, p99 ${B_P99[$label]} ms; CPU us/req mosn-a ${B_CPUA[$label]}, mosn-b ${B_CPUB[$label]}"
  }
  for r in $(seq 1 "$ROUNDS"); do
    bolt_run "bolt-plain.$r" "$A_PLAIN_PORT"
    bolt_run "bolt-mtls.$r" "$A_MTLS_PORT"
    check_alive mosn-a "$MOSN_A_PID" && check_alive mosn-b "$MOSN_B_PID" || die "a mosn died"
  done
  for label in bolt-plain bolt-mtls; do
    rps=(); p50=(); p99=(); ca=(); cb=(); errs=0
    for r in $(seq 1 "$ROUNDS"); do
      rps+=("${B_RPS[$label.$r]}"); p50+=("${B_P50[$label.$r]:-0}"); p99+=("${B_P99[$label.$r]:-0}")
      ca+=("${B_CPUA[$label.$r]:-0}"); cb+=("${B_CPUB[$label.$r]:-0}")
      [ "${B_ERR[$label.$r]}" = 0 ] || errs="$errs+${B_ERR[$label.$r]}"
    done
    B_RPS[$label]="$(median "${rps[@]}")"; B_P50[$label]="$(median "${p50[@]}")"; B_P99[$label]="$(median "${p99[@]}")"
    B_CPUA[$label]="$(median "${ca[@]}")"; B_CPUB[$label]="$(median "${cb[@]}")"; B_ERR[$label]="$errs"
    B_RANGE[$label]="$(printf '%s\n' "${rps[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')"
  done
fi

# ------------------------------------------------------------------------------------------------------- report
[ -z "${MOSN_HTTPS_PID:-}" ] || check_alive mosn-https "$MOSN_HTTPS_PID" || true
mark_run_end
per_round() { # array-name a-label b-label: the ratio a/b of each round's figures, e.g. "0.80 0.45"
  local -n arr="$1"; local r out=""
  for r in $(seq 1 "$ROUNDS"); do out="$out${out:+ }$(ratio "${arr[$2.$r]:-}" "${arr[$3.$r]:-}")"; done
  echo "$out"
}
canary() { # what measured usual: a warning when nginx cost much more than usual
  awk -v w="$1" -v m="$2" -v u="$3" -v f="$CANARY_FACTOR" 'BEGIN {
    if (m == "") exit; x = m / u
    printf "canary: nginx %s %s us (usual on the quiet VM: ~%s) = %.2fx usual%s\n", w, m, u, x,
      (x > f ? "  <- NGINX SLOWER THAN USUAL: the machine was busy, every figure of this part is suspect" : "") }'
}
echo
echo "== TLS benchmarks: mosn vs nginx (1 worker) terminating TLS; Bolt mTLS vs plaintext between two mosn"
machine_line
echo "certificates: $KEY_DESC (CA, server with SAN IP:127.0.0.1 + DNS:localhost, client); openssl $(openssl version | awk '{print $2}'), node's $(node -p process.versions.openssl)"
for l in mosn-tls nginx-tls mosn-b-mtls; do
  [ -z "${TLS_INFO[$l]:-}" ] || echo "negotiated with $l: ${TLS_INFO[$l]}"
done

if has_part keepalive; then
  echo
  echo "-- 1. HTTP/1.1 keep-alive over TLS: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (warm-up ${WARMUP}s), median of $ROUNDS rounds," \
    "${BODY_BYTES}-byte body from a plaintext nginx backend; CPU of the TLS-terminating process"
  labels=(); for t in "${HTTPS_TARGETS[@]}"; do labels+=("${t%% *}"); done
  print_wrk_table "${labels[@]}"
  if [ "$SKIP_MOSN" != 1 ]; then
    r="$(ratio "${W_RPS[mosn-tls]}" "${W_RPS[nginx-tls]}")"
    echo "mosn/nginx requests/s:      $r   (target >= $TARGET_KEEPALIVE: $(verdict "$r" "$TARGET_KEEPALIVE" "${W_CPU[nginx-tls]}" "$NGINX_USUAL_US"));  round by round: $(per_round W_RPS mosn-tls nginx-tls)"
    echo "mosn/nginx CPU per request: $(ratio "${W_CPU[mosn-tls]}" "${W_CPU[nginx-tls]}")x;  round by round: $(per_round W_CPU mosn-tls nginx-tls)"
    echo "mosn/nginx p99 latency:     $(ratio "${W_P99[mosn-tls]}" "${W_P99[nginx-tls]}")x"
  fi
  canary "CPU per request" "${W_CPU[nginx-tls]}" "$NGINX_USUAL_US"
fi

if has_part handshake; then
  echo
  echo "-- 2. full TLS handshakes (openssl s_time -new, handshake only, $HS_CLIENTS clients x ${DURATION}s, warm-up ${WARMUP}s), median of $ROUNDS rounds"
  printf '%-14s %13s %14s %14s %22s %8s\n' target 'handshakes/s' '(min-max)' 'CPU us/hs' 'per core (1e6/CPU)' 'errors'
  for t in "${HS_TARGETS[@]}"; do
    l="${t%% *}"
    printf '%-14s %13s %14s %14s %22s %8s\n' "$l" "${HS_RATE[$l]}" "(${HS_RANGE[$l]})" "${HS_CPU[$l]:--}" \
      "$(awk -v c="${HS_CPU[$l]:-0}" 'BEGIN { if (c > 0) printf "%.0f", 1e6 / c; else print "-" }')" "${HS_ERR[$l]}"
  done
  if [ "$SKIP_MOSN" != 1 ]; then
    r="$(ratio "${HS_RATE[mosn-tls]}" "${HS_RATE[nginx-tls]}")"
    rc="$(ratio "${HS_CPU[nginx-tls]}" "${HS_CPU[mosn-tls]}")"
    echo "mosn/nginx handshakes per CPU-second of the server (1/CPU per handshake): $rc   (target >= $TARGET_HANDSHAKE: $(verdict "$rc" "$TARGET_HANDSHAKE" "${HS_CPU[nginx-tls]}" "$NGINX_USUAL_HS_US"));  round by round: $(per_round HS_CPU nginx-tls mosn-tls)"
    echo "mosn/nginx handshakes/s as measured: $r   (not the target's measure: see below)"
    echo "  (the s_time clients need about as much CPU per handshake as the server, and all share 2 cores: the measured"
    echo "   rate is bounded by the clients as much as by the server. The server process's CPU per handshake is the"
    echo "   honest comparison: 1e6 / CPU us is the handshakes/s it would sustain on a core of its own)"
    [ -z "${HS_CPU[node-tls]:-}" ] || echo "mosn/node-tls CPU per handshake: $(ratio "${HS_CPU[mosn-tls]}" "${HS_CPU[node-tls]}")x   (node-tls: a bare node:tls server, the floor for a Node process)"
  fi
  canary "CPU per handshake" "${HS_CPU[nginx-tls]}" "$NGINX_USUAL_HS_US"
fi

if has_part bolt && [ "$SKIP_MOSN" != 1 ]; then
  echo
  echo "-- 3. Bolt: loadgen -> mosn-a -> (plaintext | mTLS) -> mosn-b -> echo server; $CONNS connections x $DEPTH in flight," \
    "${BODY}-byte bodies, ${DURATION}s (warm-up ${WARMUP}s), median of $ROUNDS rounds"
  printf '%-11s %11s %18s %8s %8s %16s %16s  %s\n' path 'requests/s' '(min-max)' 'p50 ms' 'p99 ms' 'mosn-a us/req' 'mosn-b us/req' errors
  for l in bolt-plain bolt-mtls; do
    printf '%-11s %11s %18s %8s %8s %16s %16s  %s\n' "$l" "${B_RPS[$l]}" "(${B_RANGE[$l]})" "${B_P50[$l]}" "${B_P99[$l]}" \
      "${B_CPUA[$l]}" "${B_CPUB[$l]}" "${B_ERR[$l]}"
  done
  echo "mTLS/plain requests/s:          $(ratio "${B_RPS[bolt-mtls]}" "${B_RPS[bolt-plain]}");  round by round: $(per_round B_RPS bolt-mtls bolt-plain)"
  echo "mTLS/plain CPU per request (a): $(ratio "${B_CPUA[bolt-mtls]}" "${B_CPUA[bolt-plain]}")x   (b): $(ratio "${B_CPUB[bolt-mtls]}" "${B_CPUB[bolt-plain]}")x"
fi

echo
[ -z "${MOSN_HTTPS_PID:-}" ] || mosn_report mosn-https "$MOSN_HTTPS_PID"
[ -z "${MOSN_A_PID:-}" ] || mosn_report mosn-a "$MOSN_A_PID"
[ -z "${MOSN_B_PID:-}" ] || mosn_report mosn-b "$MOSN_B_PID"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
other_cpu_report
if [ "$SKIP_MOSN" != 1 ]; then
  if has_part keepalive; then
    result_line tls-keepalive rps_ratio "$(ratio "${W_RPS[mosn-tls]}" "${W_RPS[nginx-tls]}")" ">=$TARGET_KEEPALIVE" \
      "cpu_ratio=$(ratio "${W_CPU[mosn-tls]}" "${W_CPU[nginx-tls]}")" baseline=nginx-tls "baseline_cpu_us=${W_CPU[nginx-tls]}" \
      "baseline_usual_us=$NGINX_USUAL_US"
  fi
  if has_part handshake; then
    # The target's measure is handshakes per CPU-second of the server (nginx's CPU per handshake / mosn's).
    result_line tls-handshake hs_per_cpu_ratio "$(ratio "${HS_CPU[nginx-tls]}" "${HS_CPU[mosn-tls]}")" ">=$TARGET_HANDSHAKE" \
      "cpu_ratio=$(ratio "${HS_CPU[mosn-tls]}" "${HS_CPU[nginx-tls]}")" baseline=nginx-tls "baseline_cpu_us=${HS_CPU[nginx-tls]}" \
      "baseline_usual_us=$NGINX_USUAL_HS_US"
  fi
fi
