#!/usr/bin/env bash
# Java verifier benchmark (issue 14): one `inspect` of a 3-certificate chain, with the chain's root
# as `--ca-file` (every client, Java included, on that file) and without it (Java on the JDK's
# cacerts, the others on their default stores), timed with hyperfine:
#
#   benches/java.sh [RUNS] [BEFORE_BINARY]    # writes benches/results/java.md
#
# BEFORE_BINARY is a release build of the commit before (Java derived from the diagnosis); its
# rows run beside this tree's on the same files, same minute. CERTCHECK_BIN and BUNDLE_BIN name
# prebuilt binaries (then nothing is built here).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
BEFORE=${2:-}
OUT=benches/results
mkdir -p "$OUT"
if [ -z "${CERTCHECK_BIN:-}" ]; then
  cargo build --release --quiet --example bundle
  cargo build --release --quiet
fi
BIN=${CERTCHECK_BIN:-$PWD/target/release/certcheck}
BUNDLE=${BUNDLE_BIN:-$PWD/target/release/examples/bundle}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BUNDLE" 1 "$WORK/chain" issued > /dev/null
C=$WORK/chain/chain.pem
CA=$WORK/chain/root.pem
WITH_CA="inspect --ca-file $CA --host chain.bundle.test $C"
DEFAULT="inspect --host chain.bundle.test $C"
set -- -n "now, --ca-file" "$BIN $WITH_CA" -n "now, default stores (Java on cacerts)" "$BIN $DEFAULT"
if [ -n "$BEFORE" ]; then
  set -- -n "before, --ca-file" "$BEFORE $WITH_CA" -n "before, default stores (Java on cacerts)" "$BEFORE $DEFAULT" "$@"
fi
hyperfine -N -i --warmup 3 --runs "$RUNS" --export-markdown "$OUT/java.md" "$@"
cat "$OUT/java.md"
