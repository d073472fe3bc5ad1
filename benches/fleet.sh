#!/usr/bin/env bash
# Fleet benchmark (issue 5): K TLS endpoints on 127.0.0.1 (one valid chain for `localhost`),
# whole processes timed side by side with hyperfine, peak memory with /usr/bin/time.
#
#   benches/fleet.sh [RUNS]        # needs hyperfine, openssl, curl; writes benches/results/fleet.md
#   ROWS=10k benches/fleet.sh 3    # only the 10,000-target row (needs curl and /usr/bin/time)
#
# Rows: certcheck on 1 endpoint beside `openssl s_client` and `curl`; certcheck on all K (50, 200)
# beside `curl --parallel --parallel-max 50` and `openssl s_client` via `xargs -P 8`.
# certcheck does the full diagnosis against every store (system, bundled, the --ca-file).
# The 10,000-target row (issue 18): 1,000 endpoints, each named by 10 lines, beside
# `curl --parallel --parallel-max 50` fetching the same 10,000 URLs; each run timed with
# /usr/bin/time (wall, user + system CPU), reported as targets per second and CPU per target.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
OUT=benches/results
mkdir -p "$OUT"
cargo build --release --quiet --example endpoints
cargo build --release --quiet
BIN=$PWD/target/release/certcheck
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # K DIR
  mkfifo "$2.in"
  "$PWD/target/release/examples/endpoints" "$1" "$2" < "$2.in" > "$2.log" &
  exec {HOLD}>"$2.in"
  until grep -q ready "$2.log" 2>/dev/null; do sleep 0.1; done
}

peak() { # label command...
  /usr/bin/time -o "$WORK/rss" -f '%M' "${@:2}" > /dev/null 2>&1 || true
  awk -v label="$1" '{ printf "| %s | %.1f MiB |\n", label, $1 / 1024 }' "$WORK/rss" >> "$OUT/memory.md"
}

# --- 10,000 targets on 1,000 endpoints ---------------------------------------------------------
ten_k() {
  local D=$WORK/k1000; mkdir -p "$D"; start 1000 "$D"
  awk '{ split($0, a, ":"); for (r = 0; r < 10; r++) printf "t%d.bench:%s --sni localhost --connect-to 127.0.0.1\n", NR * 10 + r, a[2] }' \
    "$D/targets.txt" > "$D/t10k.txt"
  { echo "--cacert $D/ca.pem"; echo "--silent"
    for r in 0 1 2 3 4 5 6 7 8 9; do while read -r url; do echo "url = \"$url\""; echo "output = \"/dev/null\""; done < "$D/urls.txt"; done
  } > "$D/curl10k.cfg"
  echo "| 10,000 targets | wall (median of $RUNS) | targets/s | CPU per target (user + sys) | peak RSS |" > "$OUT/fleet-10k.md"
  echo "| --- | --- | --- | --- | --- |" >> "$OUT/fleet-10k.md"
  row() { # label command...
    : > "$WORK/runs"
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -a -o "$WORK/runs" -f '%e %U %S %M' "${@:2}" > /dev/null 2>&1 || true
    done
    sort -n "$WORK/runs" | awk -v label="$1" -v n=10000 '{ w[NR] = $1; c[NR] = $2 + $3; m[NR] = $4 }
      END { i = int((NR + 1) / 2); printf "| %s | %.2f s | %.0f | %.0f µs | %.1f MiB |\n", label, w[i], n / w[i], c[i] / n * 1e6, m[i] / 1024 }' >> "$OUT/fleet-10k.md"
  }
  row "certcheck --jsonl" "$BIN" --ca-file "$D/ca.pem" --targets-file "$D/t10k.txt" --jsonl
  row "certcheck --format prometheus" "$BIN" --ca-file "$D/ca.pem" --targets-file "$D/t10k.txt" --format prometheus
  row "curl --parallel --parallel-max 50" curl --parallel --parallel-max 50 -K "$D/curl10k.cfg"
  cat "$OUT/fleet-10k.md"
}
if [ "${ROWS:-all}" = 10k ]; then ten_k; exit 0; fi

echo "| command | peak RSS |" > "$OUT/memory.md"
echo "| --- | --- |" >> "$OUT/memory.md"

# --- one endpoint -----------------------------------------------------------------------------
D1=$WORK/k1; mkdir -p "$D1"; start 1 "$D1"
ADDR=$(head -1 "$D1/targets.txt"); PORT=${ADDR##*:}
cat > "$WORK/openssl1.sh" <<SH
#!/bin/sh
exec openssl s_client -connect $ADDR -servername localhost -verify_return_error -CAfile $D1/ca.pem </dev/null >/dev/null 2>&1
SH
chmod +x "$WORK/openssl1.sh"
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$OUT/single.md" \
  -n certcheck "$BIN --ca-file $D1/ca.pem --sni localhost $ADDR" \
  -n "openssl s_client" "$WORK/openssl1.sh" \
  -n curl "curl -s -o /dev/null --cacert $D1/ca.pem https://localhost:$PORT/"
peak "certcheck, 1 endpoint" "$BIN" --ca-file "$D1/ca.pem" --sni localhost "$ADDR"
peak "openssl s_client, 1 endpoint" "$WORK/openssl1.sh"
peak "curl, 1 endpoint" curl -s -o /dev/null --cacert "$D1/ca.pem" "https://localhost:$PORT/"

# --- K endpoints ------------------------------------------------------------------------------
for K in 50 200; do
  D=$WORK/k$K; mkdir -p "$D"; start "$K" "$D"
  { echo "--cacert $D/ca.pem"; echo "--silent"; while read -r url; do echo "url = \"$url\""; echo "output = \"/dev/null\""; done < "$D/urls.txt"; } > "$D/curl.cfg"
  cat > "$D/openssl.sh" <<SH
#!/bin/sh
xargs -P 8 -I{} sh -c 'openssl s_client -connect {} -servername localhost -verify_return_error -CAfile $D/ca.pem </dev/null >/dev/null 2>&1' < $D/targets.txt
SH
  chmod +x "$D/openssl.sh"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$OUT/fleet-$K.md" \
    -n "certcheck ($K)" "$BIN --ca-file $D/ca.pem --sni localhost --targets-file $D/targets.txt" \
    -n "curl --parallel ($K)" "curl --parallel --parallel-max 50 -K $D/curl.cfg" \
    -n "openssl via xargs -P 8 ($K)" "$D/openssl.sh"
  peak "certcheck, $K endpoints" "$BIN" --ca-file "$D/ca.pem" --sni localhost --targets-file "$D/targets.txt"
  peak "curl --parallel, $K endpoints" curl --parallel --parallel-max 50 -K "$D/curl.cfg"
  peak "openssl via xargs, $K endpoints" "$D/openssl.sh"
done

ten_k > /dev/null

{
  echo "## One endpoint"; cat "$OUT/single.md"; echo
  for K in 50 200; do echo "## $K endpoints"; cat "$OUT/fleet-$K.md"; echo; done
  echo "## 10,000 targets on 1,000 endpoints"; cat "$OUT/fleet-10k.md"; echo
  echo "## Peak memory"; cat "$OUT/memory.md"
} > "$OUT/fleet.md"
cat "$OUT/fleet.md"
