#!/usr/bin/env bash
# The per-request CPU cost of tracing: mosn-ts's tracer and OTLP/JSON against the OpenTelemetry JS SDK, in one
# process with no network (span-cost.mjs says exactly what each side does). The SDK is installed with npm into a
# temporary folder (never into the repo); mosn-ts must be built (npx tsc -b).
#
#   benchmarks/tracing/run.sh            # 200,000 requests per round, 5 rounds
#   N=50000 benchmarks/tracing/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -f "$here/../../packages/proxy/dist/index.js" ] || { echo "build mosn-ts first: npx tsc -b" >&2; exit 1; }
sdk="$(mktemp -d)"
trap 'rm -rf "$sdk"' EXIT
(cd "$sdk" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent \
  @opentelemetry/api @opentelemetry/core @opentelemetry/resources @opentelemetry/sdk-trace-base @opentelemetry/otlp-transformer >/dev/null)
node "$here/span-cost.mjs" "$sdk" "${N:-200000}"
