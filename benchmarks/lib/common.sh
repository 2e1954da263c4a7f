# shellcheck shell=bash disable=SC2034 # variables set here are read by the scripts that source this file
# Shared helpers for the benchmark scripts (sourced, not run). Bash only; every process started here is
# recorded and stopped by `cleanup` on EXIT. Everything binds 127.0.0.1.

set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$BENCH_ROOT/.." && pwd)"
MOSN_CLI="$REPO_ROOT/packages/mosn/dist/cli.js"

# Knobs shared by the wrk-based scripts (documented in benchmarks/README.md).
DURATION="${DURATION:-10}"       # seconds of each measured wrk run
WARMUP="${WARMUP:-2}"            # seconds of an unmeasured wrk run before each measured one (JIT, pools)
CONNECTIONS="${CONNECTIONS:-50}" # wrk -c
THREADS="${THREADS:-2}"          # wrk -t
ROUNDS="${ROUNDS:-3}"            # measured runs per target, interleaved across targets; medians are reported
BODY_BYTES=128                   # the backend's fixed response body

QUIET_MAX_PCT="${QUIET_MAX_PCT:-5}" # other processes above this % of the machine during a run: no verdict
source "$BENCH_ROOT/lib/usual-costs.sh"

PIDS=()

# Other work on the machine skews every figure (2 cores shared with whatever else runs). cpu_busy: the machine's
# user+nice+system+irq, softirq and steal jiffies; our_cpu: jiffies used by this script's process tree (live
# descendants, plus the reaped children counted in our cutime/cstime). other_cpu_report prints the difference over
# the run. Softirq (where loopback TCP is mostly processed) belongs to no process, so it is shown on its own.
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7, $8, $9 }' /proc/stat; }
our_cpu() {
  # One line per process; a process that ends between the glob and the read is simply skipped.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$$" '
    {
      pid = $1
      sub(/^[0-9]+ \(.*\) /, "")  # drop "pid (comm) ": fields now start at state (field 3 of stat)
      ppid[pid] = $2; cpu[pid] = $12 + $13; if (pid == root) self = $12 + $13 + $14 + $15
    }
    END {
      total = self
      for (p in ppid) if (p != root) { q = p; while (q in ppid && q != root && q > 1) q = ppid[q]; if (q == root) total += cpu[p] }
      print total + 0
    }' || echo 0
}
# cpu_mark: start the run's clock and CPU counters here.
cpu_mark() {
  read -r CPU_BUSY0 CPU_SOFTIRQ0 CPU_STEAL0 <<<"$(cpu_busy)"
  OUR_CPU0="$(our_cpu)"
  WALL0="$(date +%s.%N)"
  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
}
cpu_mark
# other_cpu_figures: "wall cores ours_s other_s softirq_s steal_s" since cpu_mark (or as frozen by mark_run_end).
other_cpu_figures() {
  if [ -n "${RUN_END_FIGURES:-}" ]; then echo "$RUN_END_FIGURES"; return; fi
  local busy softirq steal ours hz wall
  read -r busy softirq steal <<<"$(cpu_busy)"
  ours="$(our_cpu)"; hz="$(getconf CLK_TCK)"; wall="$(awk -v a="$WALL0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
  awk -v b="$((busy - CPU_BUSY0))" -v si="$((softirq - CPU_SOFTIRQ0))" -v s="$((steal - CPU_STEAL0))" \
    -v o="$((ours - OUR_CPU0))" -v hz="$hz" -v w="$wall" -v n="$(nproc)" 'BEGIN {
    other = (b - o) / hz; if (other < 0) other = 0
    printf "%.3f %d %.3f %.3f %.3f %.3f\n", w, n, o / hz, other, si / hz, s / hz }'
}
# mark_run_end: freeze the figures above at the end of the measured part, so the verdicts, the RESULT lines and
# the last line of the output all judge the same span (the report's own work is not counted).
mark_run_end() { RUN_END_FIGURES=""; RUN_END_FIGURES="$(other_cpu_figures)"; }
other_cpu_report() {
  local w n o other si s
  read -r w n o other si s <<<"$(other_cpu_figures)"
  awk -v w="$w" -v n="$n" -v o="$o" -v other="$other" -v si="$si" -v s="$s" -v q="$QUIET_MAX_PCT" 'BEGIN {
    printf "machine during the run: %.0f s wall on %d cores; this benchmark used %.0f CPU-s, other processes %.0f CPU-s (%.0f%%), softirq %.0f CPU-s, steal %.0f CPU-s%s\n",
      w, n, o, other, 100 * other / (w * n), si, s, (other > q / 100 * w * n ? "  <- NOT QUIET: figures are low and noisy, no verdict" : "") }'
}
# other_cpu_pct: the share of the whole machine (all cores) other processes took during the run, in %.
other_cpu_pct() {
  local w n o other _
  read -r w n o other _ <<<"$(other_cpu_figures)"
  awk -v w="$w" -v n="$n" -v other="$other" 'BEGIN { printf "%.1f", (w > 0 ? 100 * other / (w * n) : 0) }'
}
# run_quiet: "yes" when other processes took at most QUIET_MAX_PCT% of the machine during the run, else "no".
run_quiet() { awk -v p="$(other_cpu_pct)" -v q="$QUIET_MAX_PCT" 'BEGIN { print (p + 0 <= q + 0 ? "yes" : "no") }'; }
# baseline_slow cpu usual: "yes" when the baseline's CPU per request (cpu) was over CANARY_FACTOR x its usual cost
# on this machine (lib/usual-costs.sh): the machine slowed the baseline, its ratios flatter mosn. "" when unknown.
baseline_slow() {
  awk -v c="${1:-}" -v u="${2:-}" -v f="$CANARY_FACTOR" 'BEGIN {
    if (c == "" || u == "" || u + 0 == 0) print ""; else print (c + 0 > f * u ? "yes" : "no") }'
}

# wait_quiet: with QUIET_WAIT=N (seconds), wait up to N s for a 5 s window in which other processes use < 10% of
# the machine, so a run does not start in the middle of someone's test suite. QUIET_WAIT=0 (default): no wait.
wait_quiet() {
  local limit="${QUIET_WAIT:-0}" start b0 b1
  [ "$limit" -gt 0 ] || return 0
  start="$(date +%s)"
  while :; do
    b0="$(cpu_busy)"; sleep 5; b1="$(cpu_busy)"
    if awk -v a="${b0%% *}" -v b="${b1%% *}" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" 'BEGIN { exit !((b - a) / hz < 0.1 * 5 * n) }'; then
      break
    fi
    if [ $(($(date +%s) - start)) -ge "$limit" ]; then log "machine still busy after ${limit}s; running anyway"; break; fi
  done
  cpu_mark
}

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mosn-bench.XXXXXX")"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give each a moment (mosn drains for at most its graceful_timeout, set to 1s in our configs).
  for _ in $(seq 1 30); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP_DIR"; else rm -rf "$TMP_DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ensure_tools cmd... : install the Debian packages that provide missing commands (needs root or sudo).
ensure_tools() {
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  [ "${#missing[@]}" = 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # Debian's nginx/haproxy postinst may try to start the system service; there is no init in a container, and we
  # never use the system instance (each script runs its own with its own config).
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "$c still missing after apt-get install"; done
}

ensure_mosn_built() {
  command -v node >/dev/null || die "node (>= 20) is required"
  if [ ! -f "$MOSN_CLI" ]; then
    log "mosn is not built; running: npx tsc -b"
    (cd "$REPO_ROOT" && npx tsc -b) || die "build failed; run 'npx -y pnpm@10.34.8 install && npx tsc -b' first"
  fi
}

# free_port: a port the kernel reports free on 127.0.0.1 right now.
free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_port port [seconds]: until something accepts on 127.0.0.1:port.
wait_port() {
  local port="$1" limit="${2:-10}" _
  for _ in $(seq 1 $((limit * 20))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  die "nothing listens on 127.0.0.1:$port after ${limit}s"
}

# bg name cmd...: start a process in the background, stdout+stderr to $TMP_DIR/name.log; sets BG_PID.
bg() {
  local name="$1"; shift
  "$@" >"$TMP_DIR/$name.log" 2>&1 &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# nginx_common_http: the lines every nginx config of ours shares inside `http {}` (temp paths in our dir).
nginx_common_http() {
  local d="$1"
  cat <<EOF
    access_log off;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
EOF
}

# start_nginx name conf_body [workers]: run `nginx -p dir -c dir/nginx.conf -e dir/error.log` with 1 worker (or
# `workers`), daemon off.
start_nginx() {
  local name="$1" http_body="$2" d="$TMP_DIR/$1" workers="${3:-1}"
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
worker_processes $workers;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log error;
events { worker_connections 20000; }
http {
$(nginx_common_http "$d")
$http_body
}
EOF
  bg "$name" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
}

# start_backend port: nginx answering every request 200 with a fixed BODY_BYTES-byte body.
start_backend() {
  local port="$1" body
  body="$(printf 'x%.0s' $(seq 1 $BODY_BYTES))"
  start_nginx backend "    server {
        listen 127.0.0.1:$port backlog=4096;
        location / { default_type text/plain; return 200 \"$body\"; }
    }"
  BACKEND_PID=$BG_PID
  wait_port "$port"
}

# start_mosn name config_file listen_port [cli options...]: run mosn on a config; sets MOSN_PID. MOSN_NODE_ARGS
# adds node options, e.g. MOSN_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (the profile is written when mosn
# exits). With `--workers N`, waits until N worker processes run (the first to listen opens the port).
start_mosn() {
  local name="$1" cfg="$2" port="$3"
  shift 3
  # shellcheck disable=SC2086 # word splitting of the options wanted
  bg "$name" node ${MOSN_NODE_ARGS:-} "$MOSN_CLI" start -c "$cfg" "$@"
  MOSN_PID=$BG_PID
  wait_port "$port" 20
  kill -0 "$MOSN_PID" 2>/dev/null || { cat "$TMP_DIR/$name.log" >&2; die "mosn exited at start"; }
  if [ "${1:-}" = --workers ]; then
    local i
    for i in $(seq 1 100); do [ "$(pgrep -c -P "$MOSN_PID" || true)" -ge "$2" ] && break; sleep 0.1; done
    # the last worker takes a moment to listen after it started
    sleep 1
  fi
}

# check_alive name pid: fail loudly (with its log) when a process we started has died.
check_alive() {
  if ! kill -0 "$2" 2>/dev/null; then
    log "!! $1 (pid $2) is no longer running; its output:"
    tail -n 50 "$TMP_DIR/$1.log" >&2 || true
    return 1
  fi
}

# to_ms "1.23ms" | "950.00us" | "1.02s" | "2.00m": wrk's latency units to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; else if (u == "h") n *= 3600000;
    printf "%.2f", n }'
}

# child_of pid: the first child process of pid (nginx's worker under its master).
# (awk reads to the end: stopping at the first match would break the pipe, and pipefail would end the script)
child_of() { cat /proc/[0-9]*/stat 2>/dev/null | sed 's/ (.*) / x /' | awk -v p="$1" '$4 == p && !found { print $1; found = 1 }'; }

# proc_cpu pid: user+system jiffies a live process has used ("" when it is gone). With "+pid": pid and all its live
# descendants (nginx's master and workers, mosn's primary and workers).
proc_cpu() {
  case "$1" in
    +*)
      [ -d "/proc/${1#+}" ] || return 0
      { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="${1#+}" '
        { pid = $1; sub(/^[0-9]+ \(.*\) /, ""); ppid[pid] = $2; cpu[pid] = $12 + $13 }
        END { for (p in ppid) { q = p; while (q in ppid && q != root && q > 1) q = ppid[q]; if (q == root) t += cpu[p] } print t + 0 }'
      ;;
    *) sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' ;;
  esac
}

# wrk_run label url [pid]: a warm-up run, then the measured run with --latency; fills the W_* arrays for label.
# With a pid (the proxy's, or nginx's worker), W_CPU[label] is that process's CPU time per request in µs: less
# sensitive to other load on the machine than requests/s. "+pid": the process tree's (see proc_cpu).
declare -A W_RPS W_P99 W_P50 W_REQS W_NON2XX W_SOCKERR W_FILE W_CPU
wrk_run() {
  local label="$1" url="$2" pid="${3:-}" out="$TMP_DIR/wrk-$1.txt" cpu0=""
  if [ "$WARMUP" != 0 ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >"$TMP_DIR/wrk-$label-warmup.txt" 2>&1 || true
  fi
  log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency $url   ($label)"
  [ -z "$pid" ] || cpu0="$(proc_cpu "$pid")"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency "$url" >"$out" 2>&1 || true
  W_CPU[$label]=""
  if [ -n "$cpu0" ]; then
    W_CPU[$label]="$(awk -v a="$cpu0" -v b="$(proc_cpu "$pid")" -v hz="$(getconf CLK_TCK)" -v n="$(awk '/requests in/ {print $1}' "$out")" \
      'BEGIN { if (b != "" && n > 0) printf "%.1f", (b - a) / hz * 1e6 / n }')"
  fi
  W_FILE[$label]="$out"
  W_RPS[$label]="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  W_REQS[$label]="$(awk '/requests in/ {print $1}' "$out")"
  W_P50[$label]="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
  W_P99[$label]="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  W_NON2XX[$label]="$(awk -F': ' '/Non-2xx or 3xx responses/ {print $2}' "$out")"
  W_NON2XX[$label]="${W_NON2XX[$label]:-0}"
  W_SOCKERR[$label]="$(awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print}' "$out")"
  W_SOCKERR[$label]="${W_SOCKERR[$label]:-none}"
  [ -n "${W_RPS[$label]}" ] || { log "!! wrk gave no result for $label:"; cat "$out" >&2; W_RPS[$label]=0; }
}

# median v...: the middle value (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# wrk_rounds "label url [pid]"...: ROUNDS rounds; in each, every target once, in the order given (so slow drift in
# the machine's load hits every target alike). Then W_*[label] hold the medians (rps, p50, p99, CPU/request) and
# the sums (non-2xx) over the rounds, W_RANGE[label] the min-max of requests/s.
declare -A W_RANGE
wrk_rounds() {
  local r spec label url pid
  for r in $(seq 1 "$ROUNDS"); do
    for spec in "$@"; do
      read -r label url pid <<<"$spec"
      wrk_run "$label.$r" "$url" "$pid"
    done
  done
  for spec in "$@"; do
    label="${spec%% *}"
    local rps=() p50=() p99=() cpu=() non=0 errs="" e
    for r in $(seq 1 "$ROUNDS"); do
      rps+=("${W_RPS[$label.$r]}"); p50+=("${W_P50[$label.$r]}"); p99+=("${W_P99[$label.$r]}")
      [ -z "${W_CPU[$label.$r]}" ] || cpu+=("${W_CPU[$label.$r]}")
      non=$((non + ${W_NON2XX[$label.$r]}))
      e="${W_SOCKERR[$label.$r]}"
      [ "$e" = none ] || errs="${errs:+$errs; }round $r: $e"
    done
    W_RPS[$label]="$(median "${rps[@]}")"
    W_P50[$label]="$(median "${p50[@]}")"
    W_P99[$label]="$(median "${p99[@]}")"
    W_CPU[$label]=""
    [ "${#cpu[@]}" = 0 ] || W_CPU[$label]="$(median "${cpu[@]}")"
    W_NON2XX[$label]="$non"
    W_SOCKERR[$label]="${errs:-none}"
    W_RANGE[$label]="$(printf '%s\n' "${rps[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }')"
  done
}

# ratio a b: a/b to two decimals ("n/a" when b is 0 or empty).
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

# verdict value target [baseline_cpu usual_cpu]: MET / MISSED, or "no verdict (not quiet)" when other processes
# took more than QUIET_MAX_PCT% of the machine during the run, or "no verdict (baseline slow)" when the baseline's
# CPU per request was over CANARY_FACTOR x its usual cost (lib/usual-costs.sh). target: "0.7" or ">=0.7" (at
# least), "<=1.5" (at most); "" or "none": "-". "n/a" when the value is missing.
verdict() {
  local v="$1" t="${2:-}" op=">="
  case "$t" in "" | none) echo "-"; return ;; "<="*) op="<="; t="${t#<=}" ;; ">="*) t="${t#>=}" ;; esac
  if [ -z "$v" ] || [ "$v" = n/a ]; then echo "n/a"; return; fi
  if [ "$(run_quiet)" != yes ]; then echo "no verdict (not quiet)"; return; fi
  if [ "$(baseline_slow "${3:-}" "${4:-}")" = yes ]; then echo "no verdict (baseline slow)"; return; fi
  awk -v r="$v" -v t="$t" -v op="$op" 'BEGIN { ok = (op == "<=" ? r + 0 <= t + 0 : r + 0 >= t + 0); print (ok ? "MET" : "MISSED") }'
}

# result_line path metric value target [key=value...]: one machine-readable line for run-all.sh (on stdout):
#   RESULT path=http1 metric=rps_ratio value=0.62 target=>=0.7 cpu_ratio=2.10 baseline=nginx-proxy
#     baseline_cpu_us=16.3 baseline_usual_us=15 other_cpu_pct=1.2 quiet=yes verdict=MISSED
# Every field is key=value without spaces, in this order, except verdict, last, which runs to the end of the line
# (MET, MISSED, no verdict (not quiet), no verdict (baseline slow), n/a, or - when there is no target). Give the
# extra keys baseline_cpu_us= and baseline_usual_us= for the canary; a missing figure is written "-".
result_line() {
  local path="$1" metric="$2" value="${3:-}" target="${4:-}" kv extra="" bcpu="" busual=""
  shift 4 || true
  for kv in "$@"; do
    case "$kv" in baseline_cpu_us=*) bcpu="${kv#*=}" ;; baseline_usual_us=*) busual="${kv#*=}" ;; esac
    extra="$extra ${kv%%=*}=${kv#*=}"
    [ -n "${kv#*=}" ] || extra="$extra-"
  done
  printf 'RESULT path=%s metric=%s value=%s target=%s%s other_cpu_pct=%s quiet=%s verdict=%s\n' "$path" "$metric" \
    "${value:--}" "${target:-none}" "$extra" "$(other_cpu_pct)" "$(run_quiet)" "$(verdict "$value" "$target" "$bcpu" "$busual")"
}

# print_wrk_table label...: one line per label (medians over the rounds).
print_wrk_table() {
  local l
  printf '%-14s %12s %14s %9s %9s %10s %12s  %s\n' target 'requests/s' '(min-max)' 'p50 ms' 'p99 ms' 'CPU us/req' \
    'non-2xx/3xx' 'socket errors'
  for l in "$@"; do
    printf '%-14s %12s %14s %9s %9s %10s %12s  %s\n' "$l" "${W_RPS[$l]}" "(${W_RANGE[$l]:-})" "${W_P50[$l]}" "${W_P99[$l]}" \
      "${W_CPU[$l]:--}" "${W_NON2XX[$l]}" "${W_SOCKERR[$l]}"
  done
}

# mosn_report name pid: RSS now and anything mosn wrote (it runs at ERROR level, so any line is news).
mosn_report() {
  local name="$1" pid="$2" rss
  rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo '?')"
  log "$name: pid $pid, VmRSS ${rss} KiB"
  if [ -s "$TMP_DIR/$name.log" ]; then
    log "$name wrote $(wc -l <"$TMP_DIR/$name.log") line(s); first 20:"
    head -n 20 "$TMP_DIR/$name.log" >&2
  fi
}

# mosn_revision: the commit, whether packages/ has uncommitted changes, and when dist/ was built (others may
# rebuild it between runs).
mosn_revision() {
  local rev dirty=""
  rev="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  [ -z "$(git -C "$REPO_ROOT" status --porcelain -- packages 2>/dev/null)" ] || dirty="+uncommitted"
  local newest
  newest="$(find "$REPO_ROOT"/packages/*/dist -name '*.js' -printf '%T@\n' 2>/dev/null | sort -n | tail -n1)"
  printf 'mosn %s%s, newest dist/*.js %s' "$rev" "$dirty" "$(date -u -d "@${newest%.*}" +%Y-%m-%dT%H:%MZ 2>/dev/null || echo '?')"
}

machine_line() {
  mosn_revision; echo
  printf 'machine: %s cores, %s; node %s; %s; %s; %s; load average before: %s\n' "$(nproc)" "$(uname -sr)" "$(node -v)" \
    "$(nginx -v 2>&1 | sed 's/^nginx version: //')" "$(wrk -v 2>&1 | head -n1 | awk '{print "wrk " $2}')" \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$LOAD_BEFORE"
}
