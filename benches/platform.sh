#!/usr/bin/env bash
# Platform stores benchmark (issue 15): what `--platform-stores` costs, and that a check without it
# costs what it did before. One endpoint and 200 endpoints on 127.0.0.1 (benches/fleet.sh's
# setup), timed with hyperfine:
#
#   benches/platform.sh [RUNS] [BEFORE_BINARY]   # writes benches/results/platform.md
#
# Rows: certcheck as built now, with --platform-stores (all five), and, when BEFORE_BINARY is
# given (a release build of the commit before), that binary on the same endpoints.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
BEFORE=${2:-}
OUT=benches/results
mkdir -p "$OUT"
# CERTCHECK_BIN and ENDPOINTS_BIN name prebuilt binaries (then nothing is built here).
if [ -z "${CERTCHECK_BIN:-}" ]; then
  cargo build --release --quiet --example endpoints
  cargo build --release --quiet
fi
BIN=${CERTCHECK_BIN:-$PWD/target/release/certcheck}
ENDPOINTS=${ENDPOINTS_BIN:-$PWD/target/release/examples/endpoints}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # K DIR
  mkfifo "$2.in"
  "$ENDPOINTS" "$1" "$2" < "$2.in" > "$2.log" &
  exec {HOLD}>"$2.in"
  until grep -q ready "$2.log" 2>/dev/null; do sleep 0.1; done
}

: > "$OUT/platform.md"
for K in 1 200; do
  D=$WORK/k$K; mkdir -p "$D"; start "$K" "$D"
  ARGS="--ca-file $D/ca.pem --sni localhost --targets-file $D/targets.txt"
  set -- -n "certcheck ($K)" "$BIN $ARGS" -n "certcheck --platform-stores ($K)" "$BIN --platform-stores $ARGS"
  if [ -n "$BEFORE" ]; then set -- -n "before ($K)" "$BEFORE $ARGS" "$@"; fi
  hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$D.md" "$@"
  { echo "## $K endpoint(s)"; cat "$D.md"; echo; } >> "$OUT/platform.md"
done
cat "$OUT/platform.md"
