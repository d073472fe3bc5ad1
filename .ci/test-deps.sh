#!/usr/bin/env bash
# Installs what `cargo test` needs beyond Rust (idempotent: installs only what is missing).
# tmux: the progress-bar test runs certcheck on a real terminal and reads the screen.
set -euo pipefail

need_apt=()
command -v tmux >/dev/null || need_apt+=(tmux)
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
echo "test dependencies: tmux $(tmux -V 2>/dev/null || echo MISSING)"
