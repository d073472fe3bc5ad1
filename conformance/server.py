"""Serves one case over TLS on 127.0.0.1 until told to stop.

    python3 server.py CASEDIR [--go-server BINARY]

Prints `PORT <n>` on stdout once listening, then answers every connection: the TLS handshake
with CASEDIR/chain.pem and CASEDIR/key.pem, then a tiny HTTP 200 to whatever request comes.
It stops when its standard input closes or on SIGTERM/SIGINT. A case with an `aia_port` also gets
CASEDIR/aia.der served over plain HTTP on 127.0.0.1:aia_port (any path, application/pkix-cert):
the leaf's AIA caIssuers URL.

The context sends anything: security level 0 (SHA-1, MD5, RSA-512/1024 chains load and are
offered), TLS 1.2 and 1.3 (or at most the case's `tls_max`; only TLS 1.0 or only 1.1 when that is its
`tls_max`), no limit on the chain's size.

A case whose `server` is "go" (a leaf OpenSSL's server will not send to clients that do not list
its signature algorithm in signature_algorithms_cert) is handed to Go's TLS server
(programs/go/server, built by the suite) when --go-server is given; without it, Python's server
serves it anyway and says so on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


def context(case_dir: Path) -> ssl.SSLContext:
    """A server context for the case that will send whatever chain it holds."""
    meta = json.loads((case_dir / "case.json").read_text())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # The security level must drop before the chain is loaded: loading checks it.
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    tls_max = meta.get("tls_max")
    if tls_max in ("1.0", "1.1"):
        # A server of an obsolete version speaks only that version.
        only = ssl.TLSVersion.TLSv1 if tls_max == "1.0" else ssl.TLSVersion.TLSv1_1
        ctx.minimum_version = only
        ctx.maximum_version = only
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if tls_max == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(str(case_dir / "chain.pem"), str(case_dir / "key.pem"))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def handle(ctx: ssl.SSLContext, conn: socket.socket) -> None:
    """One connection: handshake, read the request head, answer 200, close. Failures are the point."""
    conn.settimeout(15)
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data:
                tls.sendall(RESPONSE)
            try:
                tls.unwrap()
            except (OSError, ssl.SSLError):
                pass
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def serve_aia(case_dir: Path, port: int) -> ThreadingHTTPServer:
    """Serves CASEDIR/aia.der on http://127.0.0.1:port/ (any path) in a thread."""
    body = (case_dir / "aia.der").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-cert")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def serve(case_dir: Path) -> None:
    """Listens on 127.0.0.1:0, prints the port and serves until stdin closes or a signal comes."""
    ctx = context(case_dir)
    meta = json.loads((case_dir / "case.json").read_text())
    aia = serve_aia(case_dir, meta["aia_port"]) if meta.get("aia_port") else None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.25)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        sys.stdin.buffer.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            break
        threading.Thread(target=handle, args=(ctx, conn), daemon=True).start()
    listener.close()
    if aia is not None:
        aia.shutdown()


def serve_stapling(case_dir: Path) -> None:
    """A case with a staple (`staple.der`): `openssl s_server -status_file` serves it, since
    Python's ssl cannot staple. Prints `PORT <n>` once it listens; stops as `serve` does."""
    import re
    import subprocess

    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?",
                        (case_dir / "chain.pem").read_bytes(), re.S)
    (case_dir / "leaf-only.pem").write_bytes(blocks[0])
    (case_dir / "rest.pem").write_bytes(b"".join(blocks[1:]))
    cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-www", "-cipher", "ALL:@SECLEVEL=0",
           "-cert", str(case_dir / "leaf-only.pem"), "-key", str(case_dir / "key.pem"),
           "-status_file", str(case_dir / "staple.der")]
    if len(blocks) > 1:
        cmd += ["-cert_chain", str(case_dir / "rest.pem")]
    # s_server ends a connection when its standard input ends: it gets a pipe kept open.
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    port = None
    for line in proc.stdout:
        match = re.match(rb"ACCEPT 127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        proc.kill()
        raise SystemExit("openssl s_server did not start")
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), stop.set()), daemon=True).start()
    print(f"PORT {port}", flush=True)
    stop.wait()
    proc.kill()
    proc.wait()


def main(argv: list[str]) -> None:
    """server.py CASEDIR [--go-server BINARY]"""
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--go-server"):
        raise SystemExit("usage: server.py CASEDIR [--go-server BINARY]")
    case_dir = Path(argv[0])
    meta = json.loads((case_dir / "case.json").read_text())
    if meta.get("server") == "go":
        if len(argv) == 3:
            binary = argv[2]
            os.execv(binary, [binary, str(case_dir / "chain.pem"), str(case_dir / "key.pem"), meta.get("tls_max") or "1.3"])
        print("server.py: no --go-server given; serving with Python's ssl, which may refuse some clients", file=sys.stderr)
    if meta.get("staple"):
        serve_stapling(case_dir)
        return
    serve(case_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
