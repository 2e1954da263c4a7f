#!/usr/bin/env bash
# Memory per idle downstream connection (see run.mjs). Raises the fd limit first: mosn and the client processes
# inherit it. Knobs: CONNS (10000), CLIENTS (4), ROUNDS (2), SETTLE_MS (3000), TIMEOUT_S (150), TARGET_KIB (4).
# Ends with a RESULT line (see ../README.md, "Running them all"): raw RSS KiB per idle connection, round 1.
source "$(dirname "$0")/../lib/common.sh"
export TARGET_KIB="${TARGET_KIB:-4}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n)" >&2
# In the background and recorded, so that an interrupted run.sh stops it (run.mjs then stops mosn and its clients);
# its progress goes to stderr as it happens, its report (stdout) is printed when it ends.
rc=0
node "$(dirname "$0")/run.mjs" "$@" >"$TMP_DIR/run.txt" &
PIDS+=("$!")
wait "$!" || rc=$?
cat "$TMP_DIR/run.txt"
mark_run_end
other_cpu_report
# "idle KiB per connection, round 1: 4.92 raw RSS (target <= 4: MISSED), 5.39 after GC (MISSED)"
line="$(grep '^idle KiB per connection' "$TMP_DIR/run.txt" || true)"
kib="$(sed -n 's/^.*round 1: \([0-9.]*\) raw RSS.*$/\1/p' <<<"$line")"
gc="$(sed -n 's/^.*), \([0-9.]*\) after GC.*$/\1/p' <<<"$line")"
[ "$(run_quiet)" = yes ] || echo "(the machine was not quiet: no verdict; the MET/MISSED printed above does not count)"
result_line connections kib_per_idle_conn "$kib" "<=$TARGET_KIB" cpu_ratio= "kib_after_gc=$gc" "exit_code=$rc"
exit "$rc"
