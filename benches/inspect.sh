#!/usr/bin/env bash
# inspect benchmark (issue 4): `inspect --each` on a generated 10,000-certificate PEM bundle and
# `inspect` of a 3-certificate chain, beside `openssl storeutl -noout -text -certs` and Python
# `cryptography` (`x509.load_pem_x509_certificates`) on the same files.
#
#   benches/inspect.sh [RUNS]     # needs hyperfine, openssl, python3 with cryptography
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
OUT=benches/results
mkdir -p "$OUT"
cargo build --release --quiet --example bundle
cargo build --release --quiet
BIN=$PWD/target/release/certcheck
# The interpreter itself: a version manager's `python3` shim (pyenv's is a bash script) would add
# its own start-up, about 100 ms a run here, to Python's figures.
PY=$(python3 -c 'import sys; print(sys.executable)')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
./target/release/examples/bundle 10000 "$WORK/issued" issued
./target/release/examples/bundle 10000 "$WORK/roots" roots
cat > "$WORK/load.py" <<'PY'
import sys
from cryptography import x509
x509.load_pem_x509_certificates(open(sys.argv[1], "rb").read())
PY
for kind in issued roots; do
  B=$WORK/$kind/bundle.pem
  hyperfine -N -i --warmup 1 --runs "$RUNS" --export-markdown "$OUT/inspect-each-$kind.md" \
    -n "certcheck inspect --each ($kind)" "$BIN inspect --each $B" \
    -n "certcheck inspect --each --json ($kind)" "$BIN inspect --each --json $B" \
    -n "python cryptography ($kind)" "$PY $WORK/load.py $B" \
    -n "openssl storeutl ($kind)" "openssl storeutl -noout -text -certs $B"
done
C=$WORK/issued/chain.pem
hyperfine -N -i --warmup 3 --runs $((RUNS * 3)) --export-markdown "$OUT/inspect-chain.md" \
  -n "certcheck inspect (3-certificate chain, every store)" "$BIN inspect --ca-file $WORK/issued/root.pem --host chain.bundle.test $C" \
  -n "python cryptography (3)" "$PY $WORK/load.py $C" \
  -n "openssl storeutl (3)" "openssl storeutl -noout -text -certs $C"
for f in "$OUT"/inspect-each-issued.md "$OUT"/inspect-each-roots.md "$OUT"/inspect-chain.md; do
  echo "## $(basename "$f" .md)"; cat "$f"; echo
done | tee "$OUT/inspect.md"
