"""certcheck's prediction for one served case: what it says each client would do.

    certcheck --json --ca-file CAFILE --connect-to 127.0.0.1:PORT HOST:PORT

run with a cleared environment, read from `results[0].clients[]` (`client`, `accepted`, `error`,
`store`). The binary defaults to `target/debug/certcheck` of the checkout this directory is in.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import env

DEFAULT_BINARY = Path(__file__).resolve().parent.parent / "target" / "debug" / "certcheck"


@dataclass
class Prediction:
    """certcheck's run on one case: each client's predicted verdict, or why there is none."""

    clients: dict[str, dict] = field(default_factory=dict)
    exit_code: int | None = None
    status: str | None = None
    connection_error: dict | None = None
    command: list[str] = field(default_factory=list)
    problem: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict:
        """The prediction as a JSON object."""
        return asdict(self)


def target_arg(host: str, port: int) -> str:
    """HOST:PORT as certcheck takes it ([v6]:port for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def predict(binary: Path, host: str, port: int, ca_file: str, timeout: float = 60, system: bool = False,
            case_dir: Path | None = None) -> Prediction:
    """Runs certcheck on the served case and collects its client predictions. A `system` case gives
    certcheck no --ca-file: the CA file is the system store (SSL_CERT_FILE, SSL_CERT_DIR empty), as
    the clients get it."""
    ca = [] if system else ["--ca-file", ca_file]
    extra = {}
    if system and case_dir is not None:
        empty = case_dir / "empty-cert-dir"
        empty.mkdir(exist_ok=True)
        extra = {"SSL_CERT_FILE": ca_file, "SSL_CERT_DIR": str(empty)}
    cmd = [str(binary), "--json", *ca, "--connect-to", f"127.0.0.1:{port}", target_arg(host, port)]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=env.clean(extra),
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return Prediction(command=cmd, problem=f"certcheck gave no answer within {timeout} s")
    except OSError as exc:
        return Prediction(command=cmd, problem=f"certcheck could not run: {exc}")
    seconds = round(time.monotonic() - start, 2)
    try:
        doc = json.loads(proc.stdout)
        result = doc["results"][0]
    except (ValueError, KeyError, IndexError):
        tail = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        return Prediction(exit_code=proc.returncode, command=cmd, seconds=seconds,
                          problem=f"no JSON result (exit {proc.returncode}): {tail}")
    clients = {
        c["client"]: {"accepted": c.get("accepted"), "error": c.get("error"), "store": c.get("store")}
        for c in result.get("clients") or []
    }
    return Prediction(
        clients=clients,
        exit_code=proc.returncode,
        status=result.get("status"),
        connection_error=result.get("connection_error"),
        command=cmd,
        seconds=seconds,
        problem=None if clients else "certcheck's result has no client predictions",
    )
