#!/usr/bin/env bash
# Installs the proxies tests/it/proxy.rs starts on 127.0.0.1 (idempotent, quiet: installs only
# what is missing): tinyproxy from Debian's packages as the forward proxy, mitmproxy from PyPI
# (its mitmdump) as the TLS-intercepting one. The tests fail, never skip, without them.
set -euo pipefail

if ! command -v tinyproxy >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq tinyproxy >/dev/null
fi

py=${PYTHON:-python3}
if ! command -v mitmdump >/dev/null; then
    "$py" -m pip install --quiet mitmproxy
    hash -r
fi

echo "proxies installed:"
printf '  %-10s %s\n' tinyproxy "$(command -v tinyproxy || echo MISSING)"
printf '  %-10s %s\n' mitmdump "$(command -v mitmdump || echo MISSING)"
command -v tinyproxy >/dev/null && command -v mitmdump >/dev/null
