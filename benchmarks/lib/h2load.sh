# shellcheck shell=bash disable=SC2034 # variables set here are read by the scripts that source this file
# h2load helpers for the HTTP/2 and gRPC benchmarks (sourced after common.sh, not run).

# Knobs (documented in benchmarks/README.md): DURATION, WARMUP and ROUNDS come from common.sh.
H2_CLIENTS="${H2_CLIENTS:-10}" # h2load -c: connections
H2_STREAMS="${H2_STREAMS:-10}" # h2load -m: concurrent streams per connection
H2_THREADS="${H2_THREADS:-1}"  # h2load -t

# ensure_h2load: h2load and nghttp come in Debian's nghttp2-client.
ensure_h2load() {
  command -v h2load >/dev/null 2>&1 && command -v nghttp >/dev/null 2>&1 && return 0
  log "installing: nghttp2-client (h2load, nghttp)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nghttp2-client >/dev/null
  command -v h2load >/dev/null 2>&1 || die "h2load still missing after apt-get install nghttp2-client"
}

# h2load_run label url pid [h2load args...]: one h2load run in duration mode (-D DURATION, --warm-up-time WARMUP);
# fills the H_* arrays for label. With a pid, H_CPU[label] is that process's CPU time per request in µs.
declare -A H_RPS H_MEAN H_MAX H_DONE H_FAILED H_NON2XX H_CPU H_RANGE
h2load_run() {
  local label="$1" url="$2" pid="$3" out="$TMP_DIR/h2load-$1.txt" cpu0=""
  shift 3
  log "h2load -c$H2_CLIENTS -m$H2_STREAMS -t$H2_THREADS -D$DURATION --warm-up-time=$WARMUP $* $url   ($label)"
  # The proxy's CPU is read when the warm-up ends (a background sampler) and when h2load ends.
  local cpufile="$TMP_DIR/cpu0-$label"
  rm -f "$cpufile"
  local sampler=""
  [ -z "$pid" ] || { (sleep "$WARMUP"; proc_cpu "$pid" >"$cpufile") & sampler=$!; }
  timeout $((DURATION + WARMUP + 30)) h2load -c"$H2_CLIENTS" -m"$H2_STREAMS" -t"$H2_THREADS" -D"$DURATION" \
    --warm-up-time="$WARMUP" "$@" "$url" >"$out" 2>&1 || true
  [ -z "$sampler" ] || wait "$sampler" 2>/dev/null || true
  [ ! -s "$cpufile" ] || cpu0="$(cat "$cpufile")"
  H_RPS[$label]="$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$out")"
  H_DONE[$label]="$(awk '/^requests:/ { print $8 }' "$out")" # succeeded
  H_FAILED[$label]="$(awk '/^requests:/ { print $10 + $12 + $14 }' "$out")" # failed + errored + timeout
  H_NON2XX[$label]="$(awk '/^status codes:/ { print $5 + $7 + $9 }' "$out")"
  H_MEAN[$label]="$(to_ms "$(awk '/^time for request:/ { print $6 }' "$out")")"
  H_MAX[$label]="$(to_ms "$(awk '/^time for request:/ { print $5 }' "$out")")"
  H_CPU[$label]=""
  if [ -n "$cpu0" ] && [ -n "${H_DONE[$label]}" ] && [ "${H_DONE[$label]}" -gt 0 ]; then
    H_CPU[$label]="$(awk -v a="$cpu0" -v b="$(proc_cpu "$pid")" -v hz="$(getconf CLK_TCK)" -v n="${H_DONE[$label]}" \
      'BEGIN { if (b != "") printf "%.1f", (b - a) / hz * 1e6 / n }')"
  fi
  if [ -z "${H_RPS[$label]}" ]; then
    log "!! h2load gave no result for $label:"; tail -n 20 "$out" >&2
    H_RPS[$label]=0; H_DONE[$label]=0; H_FAILED[$label]="?"; H_NON2XX[$label]="?"
  fi
}

# h2load_rounds "label url pid" ... -- [h2load args...]: ROUNDS rounds, every target once per round in the order
# given; then H_*[label] hold the medians (requests/s, mean and max latency, CPU/request) and the sums (failed,
# non-2xx) over the rounds, H_RANGE[label] the min-max of requests/s.
h2load_rounds() {
  local specs=() r spec label url pid
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
  [ "$#" = 0 ] || shift
  for r in $(seq 1 "$ROUNDS"); do
    for spec in "${specs[@]}"; do
      read -r label url pid <<<"$spec"
      h2load_run "$label.$r" "$url" "$pid" "$@"
    done
  done
  for spec in "${specs[@]}"; do
    label="${spec%% *}"
    local rps=() mean=() max=() cpu=() failed=0 non=0
    for r in $(seq 1 "$ROUNDS"); do
      rps+=("${H_RPS[$label.$r]}"); mean+=("${H_MEAN[$label.$r]:-0}"); max+=("${H_MAX[$label.$r]:-0}")
      [ -z "${H_CPU[$label.$r]}" ] || cpu+=("${H_CPU[$label.$r]}")
      failed=$((failed + ${H_FAILED[$label.$r]/\?/1})); non=$((non + ${H_NON2XX[$label.$r]/\?/1}))
    done
    H_RPS[$label]="$(median "${rps[@]}")"
    H_MEAN[$label]="$(median "${mean[@]}")"
    H_MAX[$label]="$(median "${max[@]}")"
    H_CPU[$label]=""
    [ "${#cpu[@]}" = 0 ] || H_CPU[$label]="$(median "${cpu[@]}")"
    H_FAILED[$label]="$failed"
    H_NON2XX[$label]="$non"
    H_RANGE[$label]="$(printf '%s\n' "${rps[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }')"
  done
}

# print_h2load_table label...: one line per label (medians over the rounds).
print_h2load_table() {
  local l
  printf '%-16s %12s %14s %10s %10s %10s %8s %8s\n' target 'requests/s' '(min-max)' 'mean ms' 'max ms' 'CPU us/req' failed non-2xx
  for l in "$@"; do
    printf '%-16s %12.0f %14s %10s %10s %10s %8s %8s\n' "$l" "${H_RPS[$l]}" "(${H_RANGE[$l]:-})" "${H_MEAN[$l]}" "${H_MAX[$l]}" \
      "${H_CPU[$l]:--}" "${H_FAILED[$l]}" "${H_NON2XX[$l]}"
  done
}

# h2_machine_line: as machine_line, naming h2load instead of wrk.
h2_machine_line() {
  mosn_revision; echo
  printf 'machine: %s cores, %s; node %s; %s; %s; %s; load average before: %s\n' "$(nproc)" "$(uname -sr)" "$(node -v)" \
    "$(nginx -v 2>&1 | sed 's/^nginx version: //')" "$(h2load --version 2>&1 | head -n1)" \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$LOAD_BEFORE"
}

# start_h2_backend: nginx (1 worker) answering 200 with a fixed BODY_BYTES body on an h2c port and an HTTP/1.1 port;
# sets H2C_PORT, H1_PORT, BACKEND_PID and body (the body text), and returns once both ports accept.
start_h2_backend() {
  H2C_PORT="$(free_port)"
  H1_PORT="$(free_port)"
  body="$(printf 'x%.0s' $(seq 1 "$BODY_BYTES"))"
  start_nginx backend "    http2_max_requests 1000000;
    server {
        listen 127.0.0.1:$H2C_PORT http2 backlog=4096;
        location / { default_type text/plain; return 200 \"$body\"; }
    }
    server {
        listen 127.0.0.1:$H1_PORT backlog=4096;
        location / { default_type text/plain; return 200 \"$body\"; }
    }"
  BACKEND_PID=$BG_PID
  wait_port "$H2C_PORT"
  wait_port "$H1_PORT"
}
