"""The environment every process the suite spawns gets: nothing from outside but what it names.

This machine exports SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
NODE_EXTRA_CA_CERTS, proxy variables and more; any of them would change what a client trusts or
where it connects. So each process starts from an empty environment: a fixed PATH, a throw-away
HOME (no ~/.curlrc, ~/.wgetrc, ~/.java), a UTF-8 locale, and the variables its case needs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_HOME = Path(tempfile.mkdtemp(prefix="conf-home-"))


def clean(extra: dict[str, str] | None = None, path_prefix: list[str] | None = None) -> dict[str, str]:
    """An environment with only PATH, HOME, LANG and `extra`; `path_prefix` directories go first on PATH."""
    path = ":".join([*(path_prefix or []), SYSTEM_PATH])
    env = {"PATH": path, "HOME": str(_HOME), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": tempfile.gettempdir()}
    env.update(extra or {})
    return env


def build(extra: dict[str, str] | None = None) -> dict[str, str]:
    """For compiling the test clients (cargo, go): the user's PATH and HOME (toolchains live there), no TLS variables."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "USER")}
    keep.update({"LANG": "C.UTF-8"})
    keep.update(extra or {})
    return keep
