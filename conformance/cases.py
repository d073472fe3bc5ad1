"""The conformance cases: for each, a generated chain the server sends and the CA file the clients get.

A case is a function decorated with `@case(...)`: it receives the run's `Pki` (named keys and the
standard root and intermediate) and returns a `Setup`. `write_case` puts a setup on disk as the
server and the clients read it:

    CASEDIR/chain.pem   what the server sends, in order (leaf first)
    CASEDIR/key.pem     the leaf's private key
    CASEDIR/<ca file>   what every client is given as its CA file (absent for `ca-file-missing`)
    CASEDIR/case.json   name, host, CA file path, TLS version bound, description
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ObjectIdentifier

from pki import (
    CLIENT_AUTH,
    SERVER_AUTH,
    Cert,
    Keys,
    Spec,
    ca_key_usage,
    days,
    issue,
    leaf_key_usage,
    openssl_req_x509,
)

DOMAIN = "certcheck.test"


@dataclass
class Setup:
    """What one case serves and trusts."""

    served: list[Cert]
    """The certificates the server sends, in order; the first is the leaf."""
    ca: bytes | None
    """The CA file's bytes; None: the path given to the clients does not exist."""
    ca_file: str = "ca.pem"
    tls_max: str | None = None
    """"1.2" for a leaf whose key cannot sign in TLS 1.3 (RSA-512 is too small for RSA-PSS);
    "1.0" or "1.1" for a server that speaks only that obsolete version."""
    server: str = "openssl"
    """"go" for a chain OpenSSL's server will not send to every client (see programs/go/server)."""
    staple: bytes | None = None
    """A DER OCSP response the server staples (served by `openssl s_server -status_file`)."""
    store: str = "ca-file"
    """"system": `ca` is not given to any client; it is the system store instead, as `SSL_CERT_FILE`
    (with `SSL_CERT_DIR` an empty directory), and each client uses its default store."""
    aia: tuple[int, bytes] | None = None
    """(port, DER): server.py also serves DER over plain HTTP on 127.0.0.1:port, the leaf's caIssuers URL."""


@dataclass
class Case:
    """One case: its name, what it is about, the name clients ask for, and how to make it."""

    name: str
    description: str
    host: str
    make: Callable[["Pki", str], Setup] = field(repr=False)


CASES: list[Case] = []


def case(name: str, description: str, host: str | None = None):
    """Registers a case; the host defaults to `<name>.certcheck.test`."""

    def register(make):
        CASES.append(Case(name, description, host or f"{name}.{DOMAIN}", make))
        return make

    return register


def pem(*certs: Cert) -> bytes:
    """The certificates concatenated in PEM."""
    return b"".join(c.pem for c in certs)


class Pki:
    """The run's keys and the standard private hierarchy most cases share."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.keys = Keys(workdir)
        self._root: Cert | None = None
        self._int: Cert | None = None

    def root_spec(self, cn: str = "certcheck conformance Root CA", key=None, **kw) -> Spec:
        """A root CA's spec, valid from 30 days ago for ten years."""
        kw.setdefault("not_before", days(-30))
        kw.setdefault("not_after", days(3650))
        return Spec(cn=cn, key=key or self.keys.rsa("root"), ca=True, **kw)

    def int_spec(self, cn: str = "certcheck conformance Intermediate CA", key=None, **kw) -> Spec:
        """An intermediate CA's spec, valid from 30 days ago for five years."""
        kw.setdefault("not_before", days(-30))
        kw.setdefault("not_after", days(1825))
        return Spec(cn=cn, key=key or self.keys.rsa("int"), ca=True, **kw)

    def leaf_spec(self, host: str, key=None, **kw) -> Spec:
        """A TLS server leaf for `host` (serverAuth, subjectAltName = host)."""
        kw.setdefault("san", [("IP:" + host) if host[0].isdigit() else host])
        return Spec(cn=host, key=key or self.keys.rsa("leaf"), **kw)

    @property
    def root(self) -> Cert:
        """The standard root."""
        if self._root is None:
            self._root = issue(self.root_spec(), None)
        return self._root

    @property
    def intermediate(self) -> Cert:
        """The standard intermediate, issued by the standard root."""
        if self._int is None:
            self._int = issue(self.int_spec(), self.root)
        return self._int

    def chain(self, host: str, **leaf_kw) -> tuple[Cert, Cert, Cert]:
        """(leaf, intermediate, root) for `host` under the standard hierarchy."""
        return issue(self.leaf_spec(host, **leaf_kw), self.intermediate), self.intermediate, self.root

    def other_root(self, label: str) -> Cert:
        """A private root nobody trusts here."""
        return issue(self.root_spec(f"certcheck conformance {label} Root CA", key=self.keys.rsa("other-root")), None)


# ---------------------------------------------------------------------------
# Baseline, dates and names


@case("valid", "leaf + intermediate sent, root in the CA file")
def _valid(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], pem(root))


@case("expired-leaf", "leaf expired 10 days ago")
def _expired_leaf(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, not_before=days(-100), not_after=days(-10))
    return Setup([leaf, inter], pem(root))


@case("not-yet-valid-leaf", "leaf valid from 10 days from now")
def _not_yet_valid(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, not_before=days(10), not_after=days(100))
    return Setup([leaf, inter], pem(root))


@case("expired-intermediate", "the intermediate expired 5 days ago; leaf and root valid")
def _expired_int(p: Pki, host: str) -> Setup:
    inter = issue(
        p.int_spec("certcheck conformance Expired Intermediate CA", not_before=days(-400), not_after=days(-5)), p.root
    )
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("expired-root", "the root (the anchor in the CA file) expired 5 days ago; intermediate and leaf valid")
def _expired_root(p: Pki, host: str) -> Setup:
    root = issue(
        p.root_spec("certcheck conformance Expired Root CA", key=p.keys.rsa("root-b"), not_before=days(-400),
                    not_after=days(-5)),
        None,
    )
    inter = issue(p.int_spec("certcheck conformance Intermediate CA under the expired root"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(root))


@case("wrong-host", "leaf for other.certcheck.test only")
def _wrong_host(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, san=[f"other.{DOMAIN}"])
    return Setup([leaf, inter], pem(root))


@case("cn-only", "leaf with the host in its CN and no subjectAltName")
def _cn_only(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, san=[])
    return Setup([leaf, inter], pem(root))


@case("ip-san", "IP host 127.0.0.1, leaf has IP SAN 127.0.0.1", host="127.0.0.1")
def _ip_san(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], pem(root))


@case("ip-no-ip-san", "IP host 127.0.0.1, leaf has only DNS SAN localhost (CN 127.0.0.1)", host="127.0.0.1")
def _ip_no_ip_san(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, san=["localhost"])
    return Setup([leaf, inter], pem(root))


@case("ip-in-dns-san", "IP host 127.0.0.1, leaf has DNS SAN \"127.0.0.1\" (not an IP SAN)", host="127.0.0.1")
def _ip_in_dns_san(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, san=["127.0.0.1"])
    return Setup([leaf, inter], pem(root))


@case("wildcard-match", "leaf *.wild.certcheck.test, host a.wild.certcheck.test", host=f"a.wild.{DOMAIN}")
def _wildcard_match(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(f"*.wild.{DOMAIN}")
    return Setup([leaf, inter], pem(root))


@case("wildcard-too-deep", "leaf *.wild.certcheck.test, host a.b.wild.certcheck.test", host=f"a.b.wild.{DOMAIN}")
def _wildcard_deep(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(f"*.wild.{DOMAIN}")
    return Setup([leaf, inter], pem(root))


@case("wildcard-apex", "leaf *.wild.certcheck.test, host wild.certcheck.test", host=f"wild.{DOMAIN}")
def _wildcard_apex(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(f"*.wild.{DOMAIN}")
    return Setup([leaf, inter], pem(root))


@case("expired-leaf-wrong-host", "leaf expired 10 days ago and for other.certcheck.test only")
def _expired_wrong_host(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, san=[f"other.{DOMAIN}"], not_before=days(-100), not_after=days(-10))
    return Setup([leaf, inter], pem(root))


@case("five-year-leaf", "leaf valid for 5 years under the private root")
def _five_years(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, not_after=days(5 * 365))
    return Setup([leaf, inter], pem(root))


# ---------------------------------------------------------------------------
# Trust and path building


@case("self-signed-leaf", "self-signed leaf (cA=FALSE) sent alone; CA file holds the unrelated standard root")
def _self_signed(p: Pki, host: str) -> Setup:
    leaf = issue(p.leaf_spec(host), None)
    return Setup([leaf], pem(p.root))


@case("self-signed-leaf-as-anchor", "self-signed leaf (cA=FALSE) sent alone and given as the CA file")
def _self_signed_anchor(p: Pki, host: str) -> Setup:
    leaf = issue(p.leaf_spec(host), None)
    return Setup([leaf], pem(leaf))


@case("self-signed-clientauth-leaf-as-anchor",
      "self-signed leaf with EKU clientAuth only, sent alone and given as the CA file (Java checks nothing of a "
      "trusted leaf but its name)")
def _self_signed_client_anchor(p: Pki, host: str) -> Setup:
    leaf = issue(p.leaf_spec(host, eku=[CLIENT_AUTH]), None)
    return Setup([leaf], pem(leaf))


@case("openssl-req-leaf-as-anchor",
      "leaf made by `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost` (cA=TRUE), sent alone and given as the CA file", host="localhost")
def _req_x509(p: Pki, host: str) -> Setup:
    leaf = openssl_req_x509("localhost", "DNS:localhost", p.workdir)
    return Setup([leaf], pem(leaf))


@case("untrusted-root-sent", "leaf + intermediate + root of another private root sent; CA file holds the standard root")
def _untrusted_root(p: Pki, host: str) -> Setup:
    root = p.other_root("Untrusted")
    inter = issue(p.int_spec("certcheck conformance Untrusted Intermediate CA"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter, root], pem(p.root))


@case("unknown-root-not-sent", "leaf + intermediate of another private root (root not sent); CA file holds the standard root")
def _unknown_root(p: Pki, host: str) -> Setup:
    root = p.other_root("Unknown")
    inter = issue(p.int_spec("certcheck conformance Unknown Intermediate CA"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("untrusted-root-wrong-host", "another private root's chain sent in full, and the leaf is for other.certcheck.test")
def _untrusted_wrong_host(p: Pki, host: str) -> Setup:
    root = p.other_root("Untrusted")
    inter = issue(p.int_spec("certcheck conformance Untrusted Intermediate CA"), root)
    leaf = issue(p.leaf_spec(host, san=[f"other.{DOMAIN}"]), inter)
    return Setup([leaf, inter, root], pem(p.root))


@case("missing-intermediate", "leaf sent alone; root in the CA file")
def _missing_int(p: Pki, host: str) -> Setup:
    leaf, _inter, root = p.chain(host)
    return Setup([leaf], pem(root))


def _free_port() -> int:
    """A port free on 127.0.0.1 now (server.py binds it when the case is served)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@case("missing-intermediate-aia",
      "leaf sent alone; its AIA caIssuers URL serves the intermediate over HTTP on 127.0.0.1; root in the CA file")
def _missing_int_aia(p: Pki, host: str) -> Setup:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/intermediate.der"
    aia = x509.AuthorityInformationAccess(
        [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(url))]
    )
    leaf = issue(p.leaf_spec(host, extra=[(aia, False)]), p.intermediate)
    return Setup([leaf], pem(p.root), aia=(port, p.intermediate.der))


@case("intermediate-as-anchor", "leaf + intermediate sent; the CA file holds only the intermediate")
def _int_anchor(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    return Setup([leaf, inter], pem(inter))


@case("intermediate-as-anchor-leaf-only", "leaf sent alone; the CA file holds only the intermediate")
def _int_anchor_leaf(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    return Setup([leaf], pem(inter))


@case("expired-intermediate-as-anchor", "leaf + expired intermediate sent; the CA file holds only that intermediate")
def _expired_int_anchor(p: Pki, host: str) -> Setup:
    inter = issue(
        p.int_spec("certcheck conformance Expired Intermediate CA", not_before=days(-400), not_after=days(-5)), p.root
    )
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(inter))


@case("chain-with-root", "leaf + intermediate + root sent; root in the CA file")
def _with_root(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter, root], pem(root))


@case("out-of-order", "root > int1 > int2 > leaf, sent as leaf, int1, int2 (int2 should follow the leaf)")
def _out_of_order(p: Pki, host: str) -> Setup:
    int1 = issue(p.int_spec("certcheck conformance Intermediate 1", key=p.keys.rsa("int1")), p.root)
    int2 = issue(p.int_spec("certcheck conformance Intermediate 2", key=p.keys.rsa("int2")), int1)
    leaf = issue(p.leaf_spec(host), int2)
    return Setup([leaf, int1, int2], pem(p.root))


@case("duplicate-intermediate", "leaf + intermediate + the same intermediate again")
def _duplicate(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter, inter], pem(root))


@case("duplicate-intermediate-expired-leaf", "leaf expired 10 days ago + intermediate + the same intermediate again "
      "(out of order: Java's path builder, not its validator, answers)")
def _duplicate_expired(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, not_before=days(-100), not_after=days(-10))
    return Setup([leaf, inter, inter], pem(root))


@case("extra-unrelated-cert", "leaf + intermediate + an unrelated certificate of another root")
def _extra(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    stray = issue(p.leaf_spec(f"stray.{DOMAIN}", key=p.keys.rsa("stray")), p.other_root("Stray"))
    return Setup([leaf, inter, stray], pem(root))


@case("impostor-root", "the CA file holds a root with the standard root's name but another key")
def _impostor(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    impostor = issue(p.root_spec(key=p.keys.rsa("impostor")), None)
    return Setup([leaf, inter], pem(impostor))


def ocsp_response(leaf: Cert, issuer: Cert, revoked: bool) -> bytes:
    """A DER OCSP response for `leaf`, signed by `issuer`, valid from an hour ago for a day."""
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.cert, issuer=issuer.cert, algorithm=hashes.SHA1(),
        cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
        this_update=days(-1 / 24), next_update=days(1),
        revocation_time=days(-1) if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@case("ocsp-staple-revoked", "the server staples an OCSP response, signed by the issuer, that says the leaf "
      "was revoked yesterday")
def _staple_revoked(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], pem(root), staple=ocsp_response(leaf, inter, revoked=True))


@case("ocsp-staple-good", "the server staples a good OCSP response signed by the issuer")
def _staple_good(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], pem(root), staple=ocsp_response(leaf, inter, revoked=False))


@case("system-store-root", "the root is in the system store (SSL_CERT_FILE) and no CA file is given: "
      "each client uses its default store")
def _system_root(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    return Setup([leaf, inter], pem(p.root), store="system")


@case("system-store-impostor", "the system store (SSL_CERT_FILE) holds a root with the real root's name "
      "but another key; no CA file is given")
def _system_impostor(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    impostor = issue(p.root_spec(key=p.keys.rsa("impostor")), None)
    return Setup([leaf, inter], pem(impostor), store="system")


@case("bad-signature", "leaf names the intermediate as issuer (and its key id) but is signed by another key")
def _bad_signature(p: Pki, host: str) -> Setup:
    leaf = issue(p.leaf_spec(host), p.intermediate, sign_with=p.keys.rsa("evil"))
    return Setup([leaf, p.intermediate], pem(p.root))


# ---------------------------------------------------------------------------
# The CA file itself


@case("ca-file-missing", "the CA file path does not exist (valid chain served)")
def _ca_missing(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    return Setup([leaf, inter], None, ca_file="does-not-exist.pem")


@case("ca-file-empty", "the CA file is empty (valid chain served)")
def _ca_empty(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    return Setup([leaf, inter], b"")


@case("ca-file-no-cert", "the CA file holds text but no certificate (valid chain served)")
def _ca_text(p: Pki, host: str) -> Setup:
    leaf, inter, _root = p.chain(host)
    return Setup([leaf, inter], b"this file was meant to hold the corporate root\n")


@case("ca-file-der", "the CA file holds the root in DER, not PEM (valid chain served)")
def _ca_der(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], root.der, ca_file="ca.der")


# ---------------------------------------------------------------------------
# CA extensions and constraints


@case("root-no-extensions", "the anchor is a v3 root with no extensions at all (no basicConstraints)")
def _root_no_ext(p: Pki, host: str) -> Setup:
    root = issue(p.root_spec("certcheck conformance Bare Root", key=p.keys.rsa("root-bare"), no_extensions=True), None)
    inter = issue(p.int_spec("certcheck conformance Intermediate under the bare root"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(root))


@case("root-ku-no-keycertsign", "the anchor is a cA=TRUE root whose keyUsage lacks keyCertSign (digitalSignature, cRLSign)")
def _root_ku(p: Pki, host: str) -> Setup:
    ku = x509.KeyUsage(True, False, False, False, False, False, True, False, False)
    root = issue(p.root_spec("certcheck conformance KU Root without keyCertSign", key=p.keys.rsa("root-ku"), key_usage=ku),
                 None)
    inter = issue(p.int_spec("certcheck conformance Intermediate under the KU root"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(root))


@case("intermediate-ca-false", "the intermediate has basicConstraints cA=FALSE (keyUsage keyCertSign)")
def _int_not_ca(p: Pki, host: str) -> Setup:
    inter = issue(
        Spec(cn="certcheck conformance Not-a-CA Intermediate", key=p.keys.rsa("int"), ca=False,
             key_usage=ca_key_usage(), eku=[], not_before=days(-30), not_after=days(1825)),
        p.root,
    )
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("intermediate-no-keycertsign", "the intermediate is cA=TRUE but its keyUsage lacks keyCertSign")
def _int_no_kcs(p: Pki, host: str) -> Setup:
    ku = x509.KeyUsage(True, False, False, False, False, False, True, False, False)
    inter = issue(p.int_spec("certcheck conformance Intermediate without keyCertSign", key_usage=ku), p.root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("pathlen-exceeded", "root > int1 (pathLen 0) > int2 > leaf, all sent")
def _pathlen(p: Pki, host: str) -> Setup:
    int1 = issue(p.int_spec("certcheck conformance PathLen0 Intermediate", key=p.keys.rsa("int1"), path_len=0), p.root)
    int2 = issue(p.int_spec("certcheck conformance Intermediate below PathLen0", key=p.keys.rsa("int2")), int1)
    leaf = issue(p.leaf_spec(host), int2)
    return Setup([leaf, int2, int1], pem(p.root))


@case("name-constraints", "the intermediate permits only DNS permitted.example; the leaf is for the host")
def _name_constraints(p: Pki, host: str) -> Setup:
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("permitted.example")], excluded_subtrees=None)
    inter = issue(p.int_spec("certcheck conformance Constrained Intermediate", name_constraints=nc), p.root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("unknown-critical-ext", "the leaf carries a critical extension of unknown OID 1.3.6.1.4.1.55555.1.1")
def _critical(p: Pki, host: str) -> Setup:
    ext = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1.1"), b"\x05\x00")
    leaf, inter, root = p.chain(host, extra=[(ext, True)])
    return Setup([leaf, inter], pem(root))


# ---------------------------------------------------------------------------
# Leaf purpose


@case("eku-clientauth", "the leaf's EKU is clientAuth only")
def _eku_client(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, eku=[CLIENT_AUTH])
    return Setup([leaf, inter], pem(root))


@case("no-eku", "the leaf has no extendedKeyUsage")
def _no_eku(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, eku=[])
    return Setup([leaf, inter], pem(root))


@case("eku-clientauth-wrong-host", "the leaf's EKU is clientAuth only and it is for other.certcheck.test")
def _eku_client_wrong(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, eku=[CLIENT_AUTH], san=[f"other.{DOMAIN}"])
    return Setup([leaf, inter], pem(root))


@case("leaf-ca-true", "the leaf under the standard intermediate has cA=TRUE (EKU serverAuth)")
def _leaf_ca(p: Pki, host: str) -> Setup:
    ku = x509.KeyUsage(True, False, True, False, False, True, False, False, False)
    leaf, inter, root = p.chain(host, ca=True, eku=[SERVER_AUTH], key_usage=ku)
    return Setup([leaf, inter], pem(root))


@case("leaf-keycertsign-no-ca", "the leaf asserts keyUsage keyCertSign with basicConstraints cA=FALSE")
def _leaf_kcs(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, key_usage=leaf_key_usage(p.keys.rsa("leaf"), key_cert_sign=True))
    return Setup([leaf, inter], pem(root))


@case("leaf-ku-digitalsignature-only", "the RSA leaf's keyUsage is digitalSignature alone (no keyEncipherment)")
def _leaf_ku_ds(p: Pki, host: str) -> Setup:
    ku = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    leaf, inter, root = p.chain(host, key_usage=ku)
    return Setup([leaf, inter], pem(root))


@case("leaf-ku-keyencipherment-only", "the RSA leaf's keyUsage is keyEncipherment alone (no digitalSignature)")
def _leaf_ku_ke(p: Pki, host: str) -> Setup:
    ku = x509.KeyUsage(False, False, True, False, False, False, False, False, False)
    leaf, inter, root = p.chain(host, key_usage=ku)
    return Setup([leaf, inter], pem(root))


# ---------------------------------------------------------------------------
# Keys and signature algorithms


@case("rsa1024-root", "the root's key is RSA-1024; intermediate and leaf RSA-2048")
def _rsa1024_root(p: Pki, host: str) -> Setup:
    root = issue(p.root_spec("certcheck conformance RSA-1024 Root", key=p.keys.rsa("root-1024", 1024)), None)
    inter = issue(p.int_spec("certcheck conformance Intermediate under RSA-1024 root"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(root))


@case("rsa1024-intermediate", "the intermediate's key is RSA-1024")
def _rsa1024_int(p: Pki, host: str) -> Setup:
    inter = issue(p.int_spec("certcheck conformance RSA-1024 Intermediate", key=p.keys.rsa("int-1024", 1024)), p.root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("rsa1024-leaf", "the leaf's key is RSA-1024")
def _rsa1024_leaf(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, key=p.keys.rsa("leaf-1024", 1024))
    return Setup([leaf, inter], pem(root))


@case("rsa512-leaf", "the leaf's key is RSA-512 (made by openssl genpkey; served over TLS 1.2, too small for RSA-PSS)")
def _rsa512_leaf(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, key=p.keys.rsa("leaf-512", 512))
    return Setup([leaf, inter], pem(root), tls_max="1.2")


@case("md5-leaf", "the leaf is signed md5WithRSAEncryption by the intermediate (served by Go's TLS server: "
      "OpenSSL's server refuses to send it to clients whose signature_algorithms_cert lacks MD5, Java and Go)")
def _md5_leaf(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, digest="md5")
    return Setup([leaf, inter], pem(root), server="go")


@case("sha1-leaf", "the leaf is signed sha1WithRSAEncryption by the intermediate (private root)")
def _sha1_leaf(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, digest="sha1")
    return Setup([leaf, inter], pem(root))


@case("sha1-intermediate", "the intermediate is signed sha1WithRSAEncryption by the private root")
def _sha1_int(p: Pki, host: str) -> Setup:
    inter = issue(p.int_spec("certcheck conformance SHA-1 Intermediate", digest="sha1"), p.root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(p.root))


@case("sha1-root", "the root (anchor) is self-signed with sha1WithRSAEncryption; the rest SHA-256")
def _sha1_root(p: Pki, host: str) -> Setup:
    root = issue(p.root_spec("certcheck conformance SHA-1 Root", key=p.keys.rsa("root-sha1"), digest="sha1"), None)
    inter = issue(p.int_spec("certcheck conformance Intermediate under SHA-1 root"), root)
    leaf = issue(p.leaf_spec(host), inter)
    return Setup([leaf, inter], pem(root))


@case("ec-p256", "root, intermediate and leaf are EC P-256 (ecdsa-with-SHA256)")
def _ec_p256(p: Pki, host: str) -> Setup:
    root = issue(p.root_spec("certcheck conformance P-256 Root", key=p.keys.ec("root-p256")), None)
    inter = issue(p.int_spec("certcheck conformance P-256 Intermediate", key=p.keys.ec("int-p256")), root)
    leaf = issue(p.leaf_spec(host, key=p.keys.ec("leaf-p256")), inter)
    return Setup([leaf, inter], pem(root))


@case("ec-p384", "root, intermediate and leaf are EC P-384 (ecdsa-with-SHA384)")
def _ec_p384(p: Pki, host: str) -> Setup:
    curve = ec.SECP384R1()
    root = issue(p.root_spec("certcheck conformance P-384 Root", key=p.keys.ec("root-p384", curve), digest="sha384"), None)
    inter = issue(p.int_spec("certcheck conformance P-384 Intermediate", key=p.keys.ec("int-p384", curve),
                             digest="sha384"), root)
    leaf = issue(p.leaf_spec(host, key=p.keys.ec("leaf-p384", curve), digest="sha384"), inter)
    return Setup([leaf, inter], pem(root))


@case("ed25519-leaf", "the leaf's key is Ed25519, under the RSA intermediate")
def _ed25519(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host, key=p.keys.ed25519("leaf-ed25519"))
    return Setup([leaf, inter], pem(root))


# ---------------------------------------------------------------------------
# Size


@case("huge-san-leaf", "one leaf of about 200 KB: 6500 DNS names in its subjectAltName (the host among them)")
def _huge_san(p: Pki, host: str) -> Setup:
    names = [f"n{i:05d}.huge-san.{DOMAIN}" for i in range(6500)] + [host]
    leaf, inter, root = p.chain(host, san=names)
    return Setup([leaf, inter], pem(root))


@case("many-certs-chain", "leaf + intermediate + 240 unrelated RSA certificates, about 200 KB in all")
def _many(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    filler_root = p.other_root("Filler")
    key = p.keys.rsa("filler")
    filler = [issue(Spec(cn=f"filler {i}.{DOMAIN}", key=key, san=[f"filler{i}.{DOMAIN}"]), filler_root)
              for i in range(240)]
    return Setup([leaf, inter, *filler], pem(root))


@case("mid-size-leaf", "one leaf of about 77 KB (2400 DNS names in its subjectAltName): over rustls's 64 KiB "
      "Certificate message limit, under OpenSSL's 100 KiB")
def _mid_size(p: Pki, host: str) -> Setup:
    names = [f"n{i:05d}.mid-size.{DOMAIN}" for i in range(2400)] + [host]
    leaf, inter, root = p.chain(host, san=names)
    return Setup([leaf, inter], pem(root))


@case("tls10-only", "a valid chain from a server that speaks only TLS 1.0 (security level 0)")
def _tls10(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], pem(root), tls_max="1.0")


@case("tls11-only", "a valid chain from a server that speaks only TLS 1.1 (security level 0)")
def _tls11(p: Pki, host: str) -> Setup:
    leaf, inter, root = p.chain(host)
    return Setup([leaf, inter], pem(root), tls_max="1.1")


# ---------------------------------------------------------------------------
# Writing a case to disk


def write_case(c: Case, pki: Pki, root_dir: Path) -> Path:
    """Makes case `c` and writes it under `root_dir/<name>`; returns that directory."""
    setup = c.make(pki, c.host)
    d = root_dir / c.name
    d.mkdir(parents=True, exist_ok=True)
    (d / "chain.pem").write_bytes(pem(*setup.served))
    (d / "key.pem").write_bytes(setup.served[0].key_pem)
    if setup.staple is not None:
        (d / "staple.der").write_bytes(setup.staple)
    ca_path = d / setup.ca_file
    if setup.ca is not None:
        ca_path.write_bytes(setup.ca)
    meta = {
        "name": c.name,
        "description": c.description,
        "host": c.host,
        "ca_file": str(ca_path),
        "tls_max": setup.tls_max,
        "server": setup.server,
        "store": setup.store,
        "staple": setup.staple is not None,
        "served": [cert.subject for cert in setup.served],
        "served_bytes": len(b"".join(cert.der for cert in setup.served)),
    }
    if setup.aia is not None:
        port, der = setup.aia
        (d / "aia.der").write_bytes(der)
        meta["aia_port"] = port
    (d / "case.json").write_text(json.dumps(meta, indent=1))
    return d


def selected(names: list[str] | None) -> list[Case]:
    """The cases named (all when None); unknown names are an error."""
    if not names:
        return list(CASES)
    known = {c.name: c for c in CASES}
    missing = [n for n in names if n not in known]
    if missing:
        raise SystemExit(f"unknown case(s): {', '.join(missing)}; known: {', '.join(known)}")
    return [known[n] for n in names]


if __name__ == "__main__":
    import sys
    import tempfile

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="conf-cases-"))
    pki = Pki(out)
    for c in CASES:
        print(write_case(c, pki, out))
    print(f"{len(CASES)} cases in {out}")
