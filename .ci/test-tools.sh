#!/usr/bin/env bash
# The Debian programs the integration tests run (tests/it/show.rs): openssl makes PKCS#12 files,
# bash parses the completion script, man renders the man page. Idempotent and quiet: installs only
# what is missing; the tests fail loudly when one is still absent.
set -euo pipefail
need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v bash >/dev/null || need_apt+=(bash)
command -v man >/dev/null || need_apt+=(man-db)
command -v groff >/dev/null || command -v nroff >/dev/null || need_apt+=(groff-base)
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
