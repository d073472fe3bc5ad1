"""Runs every conformance case against every real client and judges certcheck's predictions.

    python3 conformance/run.py [--case NAME]... [--client NAME]... [--report-only]
                               [--certcheck PATH] [--jobs N]

1. generates every case (cases.py) in a temporary directory;
2. builds the compiled clients once (Java classes, the Go module, the rustls client) in
   conformance/.build (kept between runs) and certcheck itself (`cargo build`, unless
   --certcheck names a binary);
3. starts one server per case (server.py) and runs every client and certcheck against it, in
   parallel (--jobs, default 4);
4. writes conformance/results.json, prints the table, the mismatches and the client versions, and
   for a run of every case and client also rewrites conformance/MEASURED.md.

Exit status: 1 when any comparison is a mismatch or a case could not be measured, else 0;
--report-only always exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases as case_defs  # noqa: E402
import clients as client_defs  # noqa: E402
import compare  # noqa: E402
import env  # noqa: E402
import predict  # noqa: E402
import report  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[], help="only this case (repeatable, or comma-separated)")
    parser.add_argument("--client", action="append", default=[], help="only this client (repeatable, or comma-separated)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when predictions mismatch")
    parser.add_argument("--certcheck", type=Path, help=f"the certcheck binary (default: cargo build, then {predict.DEFAULT_BINARY})")
    parser.add_argument("--jobs", type=int, default=4, help="client runs at once (default 4)")
    parser.add_argument("--results", type=Path, default=HERE / "results.json", help="where to write the JSON results")
    parser.add_argument("--measured", type=Path, default=HERE / "MEASURED.md",
                        help="where to write the markdown table (only for a run of every case and client)")
    parser.add_argument("--keep", action="store_true", help="keep the generated cases and builds (their path is printed)")
    args = parser.parse_args(argv)
    args.case = [n for item in args.case for n in item.split(",") if n]
    args.client = [n for item in args.client for n in item.split(",") if n]
    return args


def certcheck_binary(args: argparse.Namespace) -> Path:
    """The binary to judge: --certcheck, or the worktree's debug build after `cargo build`."""
    if args.certcheck:
        return args.certcheck.resolve()
    repo = HERE.parent
    proc = subprocess.run(["cargo", "build", "--quiet"], cwd=repo, env=env.build(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cargo build of certcheck failed:\n{proc.stderr}")
    return predict.DEFAULT_BINARY


def certcheck_version(binary: Path) -> str:
    """`certcheck --version` and the commit of the checkout it was built from."""
    proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=env.clean())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return f"{proc.stdout.strip() or binary} at {commit.stdout.strip() or '?'} ({binary})"


def select_runners(names: list[str]) -> list[client_defs.Runner]:
    runners = client_defs.all_runners()
    if not names:
        return runners
    known = {r.name: r for r in runners}
    known.update({r.predicted_as: r for r in runners if r.predicted_as and r.predicted_as not in known})
    missing = [n for n in names if n not in known]
    if missing:
        raise SystemExit(f"unknown client(s): {', '.join(missing)}; known: {', '.join(known)}")
    return [known[n] for n in names]


def prepare(runners: list[client_defs.Runner], build_dir: Path) -> dict[str, str]:
    """Builds every client that needs it, in parallel; returns the failures by client."""
    failures: dict[str, str] = {}

    def one(runner):
        try:
            runner.prepare(build_dir)
        except Exception as exc:  # a client that cannot be built is reported as skipped, with why
            failures[runner.name] = str(exc)

    threads = [threading.Thread(target=one, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


class Server:
    """One case's server process (server.py), stopped by closing its stdin."""

    def __init__(self, case_dir: Path, go_server: Path | None):
        extra = ["--go-server", str(go_server)] if go_server else []
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), str(case_dir), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.clean(),
        )
        line = self.proc.stdout.readline().decode().split()
        self.port = int(line[1]) if len(line) == 2 and line[0] == "PORT" else None
        self.error = None if self.port else self.proc.stderr.read().decode("utf-8", "replace").strip()[-800:]

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=5)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    selected_cases = case_defs.selected(args.case)
    runners = select_runners(args.client)
    work = Path(tempfile.mkdtemp(prefix="conf-run-"))
    binary = certcheck_binary(args)

    print(f"generating {len(selected_cases)} cases and building the clients in {work} ...", flush=True)
    pki = case_defs.Pki(work / "keys")
    (work / "keys").mkdir()
    case_dirs = {c.name: case_defs.write_case(c, pki, work / "cases") for c in selected_cases}
    build_dir = HERE / ".build"  # compiled clients and their caches, kept between runs (git-ignored)
    build_dir.mkdir(exist_ok=True)
    build_failures = prepare(runners, build_dir)
    for name, why in build_failures.items():
        print(f"  {name}: not built: {why}", flush=True)

    metas = {name: json.loads((d / "case.json").read_text()) for name, d in case_dirs.items()}
    go_server = next((r.server_binary for r in runners if isinstance(r, client_defs.Go)), None)
    if go_server is None and any(m.get("server") == "go" for m in metas.values()):
        # The Go client is filtered out: build Go's server anyway, if Go is here.
        builder = client_defs.Go()
        prepare([builder], build_dir)
        go_server = builder.server_binary
    servers = {name: Server(d, go_server) for name, d in case_dirs.items()}
    results: dict[tuple[str, str], dict] = {}
    predictions: dict[str, predict.Prediction] = {}

    def run_client(case_name: str, runner: client_defs.Runner):
        server, meta = servers[case_name], metas[case_name]
        if server.port is None:
            results[(case_name, runner.name)] = client_defs.Outcome("error", note=f"server failed: {server.error}").to_json()
            return
        target = client_defs.Target(case_name, meta["host"], server.port, meta["ca_file"], case_dirs[case_name],
                                    system=meta.get("store") == "system")
        results[(case_name, runner.name)] = runner.run(target).to_json()

    def run_certcheck(case_name: str):
        server, meta = servers[case_name], metas[case_name]
        if server.port is None:
            predictions[case_name] = predict.Prediction(problem=f"server failed: {server.error}")
            return
        system = meta.get("store") == "system"
        predictions[case_name] = predict.predict(binary, meta["host"], server.port, meta["ca_file"], system=system,
                                                 case_dir=case_dirs[case_name])

    print(f"running {len(selected_cases)} cases x {len(runners)} clients ...", flush=True)
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_certcheck, c.name) for c in selected_cases]
            # Client-major order spreads the slow clients (Java) over the whole run.
            for runner in runners:
                futures += [pool.submit(run_client, c.name, runner) for c in selected_cases]
            for f in futures:
                f.result()
    finally:
        for server in servers.values():
            server.stop()

    doc = {
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "certcheck": certcheck_version(binary),
        "clients": [r.name for r in runners],
        "versions": {r.name: (r.version() if not r.missing() else f"not available: {r.missing()}") for r in runners},
        "how": {r.name: r.how for r in runners},
        "cases": [],
    }
    for c in selected_cases:
        meta, prediction = metas[c.name], predictions[c.name]
        entry = {
            "name": c.name,
            "description": c.description,
            "host": c.host,
            "ca_file_name": Path(meta["ca_file"]).name + ("" if Path(meta["ca_file"]).exists() else " (missing)"),
            "tls_max": meta["tls_max"],
            "server": "Go crypto/tls" if meta.get("server") == "go" and go_server else "Python ssl (OpenSSL)",
            "served": meta["served"],
            "served_bytes": meta["served_bytes"],
            "certcheck": {k: v for k, v in prediction.to_json().items() if k != "clients"},
            "clients": {},
        }
        for runner in runners:
            real = results[(c.name, runner.name)]
            predicted = prediction.clients.get(runner.predicted_as) if runner.predicted_as else None
            status, why = compare.judge(real, predicted)
            if status == "no-prediction" and runner.predicted_as:
                why = prediction.problem or f"certcheck's result has no entry for {runner.predicted_as}"
            entry["clients"][runner.name] = {"status": status, "why": why, "real": real, "predicted": predicted}
        doc["cases"].append(entry)
    doc["seconds"] = round(time.monotonic() - started, 1)
    doc["summary"] = dict(report.summary(doc))

    report.write_json(doc, args.results)
    report.print_table(doc)
    print(f"\nresults: {args.results}")
    if not args.case and not args.client:
        report.write_markdown(doc, args.measured)
        print(f"table:   {args.measured}")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    counts = report.summary(doc)
    if args.report_only:
        return 0
    return 1 if counts["mismatch"] or counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
