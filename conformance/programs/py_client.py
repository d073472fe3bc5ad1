"""Python's TLS clients as a user calls them, for the conformance suite.

    python3 py_client.py requests|urllib HOST PORT CAFILE

CAFILE `-`: the default store (requests.get(url), ssl.create_default_context()).

`requests`: requests.get(url, verify=CAFILE); `urllib`: urllib.request.urlopen(url,
context=ssl.create_default_context(cafile=CAFILE)). HOST is resolved to 127.0.0.1 (the only
change to the client: it stands in for DNS). Prints one JSON object: accepted, error (str() of the
exception the caller gets), root (the innermost exception: class and str()).
"""

import json
import socket
import ssl
import sys


def pin_resolution(host: str) -> None:
    """Makes `host` resolve to 127.0.0.1, as a hosts file entry would."""
    original = socket.getaddrinfo

    def getaddrinfo(name, *args, **kwargs):
        return original("127.0.0.1" if name == host else name, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def innermost(exc: BaseException) -> BaseException:
    """The exception at the bottom of requests/urllib3/urllib wrappers (usually an ssl.SSLError)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = getattr(exc, "reason", None)
        if not isinstance(nxt, BaseException) and exc.args and isinstance(exc.args[0], BaseException):
            nxt = exc.args[0]
        if not isinstance(nxt, BaseException):
            nxt = exc.__cause__ or exc.__context__
        if not isinstance(nxt, BaseException):
            break
        exc = nxt
    return exc


def main() -> None:
    mode, host, port, cafile = sys.argv[1:5]
    pin_resolution(host)
    url_host = f"[{host}]" if ":" in host else host
    url = f"https://{url_host}:{port}/"
    try:
        if mode == "requests":
            import requests

            requests.get(url, verify=True if cafile == "-" else cafile, timeout=10)
        else:
            import urllib.request

            ctx = ssl.create_default_context(cafile=None if cafile == "-" else cafile)
            urllib.request.urlopen(url, context=ctx, timeout=10).read()
    except Exception as exc:  # the point is to report whatever the caller would get
        root = innermost(exc)
        print(json.dumps({"accepted": False, "error": str(exc), "root_class": type(root).__name__, "root": str(root)}))
        return
    print(json.dumps({"accepted": True, "error": None}))


if __name__ == "__main__":
    main()
