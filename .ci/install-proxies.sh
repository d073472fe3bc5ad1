#!/usr/bin/env bash
# Installs what tests/it/proxy.rs runs (idempotent, quiet: installs only what is missing):
# tinyproxy from Debian's packages as the forward proxy and mitmproxy from PyPI (its mitmdump) as
# the TLS-intercepting one, both started on 127.0.0.1 by the tests, and the real clients whose
# proxy routes the tests compare with certcheck's predictions (curl, wget, Node, Java, Python's
# urllib and requests). The tests fail, never skip, without them.
set -euo pipefail

need_apt=()
command -v tinyproxy >/dev/null || need_apt+=(tinyproxy)
command -v curl >/dev/null || need_apt+=(curl)
command -v wget >/dev/null || need_apt+=(wget)
command -v node >/dev/null || need_apt+=(nodejs)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)  # java Probe.java needs the compiler
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

py=${PYTHON:-python3}
need_pip=()
command -v mitmdump >/dev/null || need_pip+=(mitmproxy)
"$py" -c 'import requests' 2>/dev/null || need_pip+=(requests)
if ((${#need_pip[@]})); then
    "$py" -m pip install --quiet "${need_pip[@]}"
    hash -r
fi

echo "proxies installed:"
printf '  %-10s %s\n' tinyproxy "$(command -v tinyproxy || echo MISSING)"
printf '  %-10s %s\n' mitmdump "$(command -v mitmdump || echo MISSING)"
command -v tinyproxy >/dev/null && command -v mitmdump >/dev/null && "$py" -c 'import requests'
