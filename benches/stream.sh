#!/usr/bin/env bash
# Streaming memory (issue 18): peak RSS of certcheck over 1,000, 10,000 and 100,000 targets, all
# on 1,000 TLS endpoints on 127.0.0.1 (each endpoint named by several lines), with --jsonl,
# --format prometheus, the human first screen (first lines + summary: a slim copy per target) and,
# for comparison, --json (which keeps every result for its document).
#
#   benches/stream.sh [CONCURRENCY]    # needs /usr/bin/time (apt install time); writes benches/results/stream.md
#   SIZES="10000" FORMATS="human" benches/stream.sh   # one row (then the file holds that row only)
#
# Each line is `tN.bench:PORT --sni localhost --connect-to 127.0.0.1`: distinct targets, so the
# Prometheus output has one series per line.
set -euo pipefail
cd "$(dirname "$0")/.."
CONCURRENCY=${1:-32}
OUT=benches/results
mkdir -p "$OUT"
cargo build --release --quiet --example endpoints
cargo build --release --quiet
BIN=$PWD/target/release/certcheck
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

mkfifo "$WORK/in"
"$PWD/target/release/examples/endpoints" 1000 "$WORK" < "$WORK/in" > "$WORK/log" &
exec {HOLD}>"$WORK/in"
until grep -q ready "$WORK/log" 2>/dev/null; do sleep 0.1; done
mapfile -t PORTS < <(sed 's/.*://' "$WORK/targets.txt")

make_targets() { # N FILE
  awk -v n="$1" -v ports="${PORTS[*]}" 'BEGIN { k = split(ports, p, " ");
    for (i = 0; i < n; i++) printf "t%d.bench:%s --sni localhost --connect-to 127.0.0.1\n", i, p[i % k + 1] }' > "$2"
}

echo "| targets | output | peak RSS | wall | targets/s | exit |" > "$OUT/stream.md"
echo "| --- | --- | --- | --- | --- | --- |" >> "$OUT/stream.md"
for N in ${SIZES:-1000 10000 100000}; do
  make_targets "$N" "$WORK/t$N.txt"
  for FORMAT in ${FORMATS:-jsonl prometheus human json}; do
    # human builds its summary table in memory, json its document: not for 100,000.
    { [ "$FORMAT" = json ] || [ "$FORMAT" = human ]; } && [ "$N" -gt 10000 ] && continue
    set +e
    /usr/bin/time -o "$WORK/time" -f '%M %e' "$BIN" --ca-file "$WORK/ca.pem" --concurrency "$CONCURRENCY" \
      --targets-file "$WORK/t$N.txt" --format "$FORMAT" > "$WORK/out" 2> /dev/null
    CODE=$?
    set -e
    read -r RSS WALL < "$WORK/time"
    awk -v n="$N" -v f="$FORMAT" -v rss="$RSS" -v wall="$WALL" -v code="$CODE" \
      'BEGIN { printf "| %d | --format %s | %.1f MiB | %.2f s | %.0f | %d |\n", n, f, rss / 1024, wall, n / wall, code }' >> "$OUT/stream.md"
  done
done
cat "$OUT/stream.md"
