#!/usr/bin/env bash
# Runs every benchmark, one after the other, and prints one summary table built from the RESULT lines each script
# ends with (see README.md, "Running them all"): path, figure, mosn/baseline CPU per request, target, verdict.
#
#   benchmarks/run-all.sh                       # every benchmark with its own defaults: about 25 minutes
#   benchmarks/run-all.sh --quick               # smoke run: DURATION=2 WARMUP=1 ROUNDS=1, small bulk and
#                                               # connection counts, QUIET_WAIT=0 (figures are indicative only)
#   QUIET_WAIT=600 ROUNDS=5 benchmarks/run-all.sh http1 tcp   # only these, knobs passed through
#
# Knobs are environment variables and go through to every script unchanged (DURATION, WARMUP, ROUNDS, QUIET_WAIT,
# QUIET_MAX_PCT, CANARY_FACTOR, KEEP_TMP, ...; see README.md and each folder's README). QUICK=1 is --quick; in quick
# mode the knobs you set win over its short defaults. Every benchmark's output goes to <dir>/<name>.log and the
# table to <dir>/summary.txt (the dir is printed; it is kept). A progress line per benchmark goes to stderr.
# Exit code: 1 when a benchmark failed or gave no RESULT line (a missed target is not a failure), else 0.
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL=(http1 tcp http2 grpc bolt dubbo tls connections)
QUICK="${QUICK:-0}"
NAMES=()
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "unknown option: $a" >&2; exit 2 ;;
    *) [ -x "$BENCH_ROOT/$a/run.sh" ] || { echo "no benchmark $a (one of: ${ALL[*]})" >&2; exit 2; }; NAMES+=("$a") ;;
  esac
done
[ "${#NAMES[@]}" -gt 0 ] || NAMES=("${ALL[@]}")

OUT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mosn-bench-all.XXXXXX")"
CHILD=""
stop_child() {
  [ -n "$CHILD" ] || return 0
  kill -TERM "$CHILD" 2>/dev/null || true # the script's own EXIT trap stops what it started
  wait "$CHILD" 2>/dev/null || true
  CHILD=""
}
trap stop_child EXIT
trap 'echo "interrupted; logs in $OUT_DIR" >&2; exit 130' INT TERM

# quick_env name: the short settings of a smoke run for one benchmark, as VAR=value words; a knob already set in
# the environment is left as it is.
quick_env() {
  local kv var
  set -- DURATION=2 WARMUP=1 ROUNDS=1 QUIET_WAIT=0 \
    $(case "$1" in
      tcp) echo BULK_MIB=64 BULK_WARMUP_MIB=32 ;;
      connections) echo CONNS=2000 CLIENTS=2 SETTLE_MS=1000 ;;
    esac)
  for kv in "$@"; do
    var="${kv%%=*}"
    [ -n "${!var+x}" ] || echo "$kv"
  done
}

T0="$(date +%s)"
elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
echo "run-all: ${NAMES[*]}$([ "$QUICK" = 1 ] && echo ' (quick)'); logs in $OUT_DIR" >&2
FAILED=0
: >"$OUT_DIR/results.txt"
i=0
for name in "${NAMES[@]}"; do
  i=$((i + 1))
  envs=()
  if [ "$QUICK" = 1 ]; then mapfile -t envs < <(quick_env "$name"); fi
  log="$OUT_DIR/$name.log"
  t="$(date +%s)"
  echo "[$i/${#NAMES[@]}] $name: running${envs[*]:+ with ${envs[*]}} (total elapsed $(elapsed "$T0"))" >&2
  # In the background so that run-all can stop it (and it then stops what it started) on Ctrl-C or TERM.
  env ${envs[@]+"${envs[@]}"} "$BENCH_ROOT/$name/run.sh" >"$log" 2>&1 &
  CHILD=$!
  rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  n="$(grep -c '^RESULT ' "$log" || true)"
  grep '^RESULT ' "$log" >>"$OUT_DIR/results.txt" || true
  if [ "$rc" != 0 ] || [ "$n" = 0 ]; then
    FAILED=1
    echo "RESULT path=$name metric=- value=- target=- verdict=FAILED (exit $rc, $n RESULT lines; see $name.log)" >>"$OUT_DIR/results.txt"
  fi
  echo "[$i/${#NAMES[@]}] $name: exit $rc, $n RESULT line(s), $(elapsed "$t")" >&2
done

# The table: one row per RESULT line. Every field is key=value without spaces, except verdict= (last, to the end).
{
  echo "== mosn vs the baselines: $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$BENCH_ROOT/.." rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(nproc) cores$([ "$QUICK" = 1 ] && echo ', QUICK run: indicative only')"
  awk '
    function cell(k) { return (k in f && f[k] != "") ? f[k] : "-" }
    BEGIN { fmt = "%-16s %-18s %8s %9s %8s %7s %15s  %s\n"
            printf fmt, "path", "figure", "value", "CPU ratio", "target", "others", "baseline us/req", "verdict" }
    /^RESULT / {
      line = $0; v = line; sub(/^.* verdict=/, "", v); sub(/ verdict=.*$/, "", line)
      delete f; n = split(line, kv, " ")
      for (j = 2; j <= n; j++) { p = index(kv[j], "="); f[substr(kv[j], 1, p - 1)] = substr(kv[j], p + 1) }
      base = cell("baseline_cpu_us"); if (base != "-" && cell("baseline_usual_us") != "-") base = base " (" f["baseline_usual_us"] ")"
      others = cell("other_cpu_pct"); if (others != "-") others = others "%"
      printf fmt, cell("path"), cell("metric"), cell("value"), cell("cpu_ratio"), cell("target"), others, base, v
    }' "$OUT_DIR/results.txt"
  echo "value: mosn/baseline (added_p99_ms: ms one mosn hop adds at p99; kib_per_idle_conn: KiB); CPU ratio: mosn/baseline CPU"
  echo "per request; others: other processes' share of the machine during that benchmark (over ${QUIET_MAX_PCT:-5}%: no verdict);"
  echo "baseline us/req: the baseline's CPU per request (its usual on this VM, lib/usual-costs.sh; over ${CANARY_FACTOR:-1.3}x: no verdict)."
} | tee "$OUT_DIR/summary.txt"
echo "summary: $OUT_DIR/summary.txt; RESULT lines: $OUT_DIR/results.txt; logs: $OUT_DIR/<name>.log; total $(elapsed "$T0")" >&2
exit "$FAILED"
