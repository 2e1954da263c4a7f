#!/usr/bin/env bash
# Memory per idle downstream connection (see run.mjs). Raises the fd limit first: mosn and the client processes
# inherit it. Knobs: CONNS (10000), CLIENTS (4), ROUNDS (2), SETTLE_MS (3000), TIMEOUT_S (150).
set -euo pipefail
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n)" >&2
exec node "$(dirname "$0")/run.mjs" "$@"
