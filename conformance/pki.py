"""Certificate and key making for the conformance cases.

Everything is generated at run time, with dates relative to now, so nothing expires.
`cryptography` makes what it can; what it refuses is made with its lower-level APIs
(re-signing a TBSCertificate with SHA-1 or MD5 by hand) or with the `openssl` command
(RSA-512 keys, an `openssl req -x509` certificate).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
DAY = dt.timedelta(days=1)

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH


def days(n: float) -> dt.datetime:
    """The instant `n` days from now (negative: in the past)."""
    return NOW + n * DAY


# ---------------------------------------------------------------------------
# Keys


class Keys:
    """Named keys, generated once per run and shared by every case that asks for the same name."""

    def __init__(self, workdir: Path):
        self._keys: dict[str, object] = {}
        self._workdir = workdir

    def rsa(self, name: str, bits: int = 2048):
        """An RSA key; below 1024 bits `cryptography` refuses, so `openssl genpkey` makes it."""
        key = self._keys.get(name)
        if key is None:
            if bits < 1024:
                key = _openssl_rsa(bits, self._workdir / f"key-{name}.pem")
            else:
                key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            self._keys[name] = key
        return key

    def ec(self, name: str, curve: ec.EllipticCurve | None = None):
        """An EC key (P-256 unless told)."""
        if name not in self._keys:
            self._keys[name] = ec.generate_private_key(curve or ec.SECP256R1())
        return self._keys[name]

    def ed25519(self, name: str):
        """An Ed25519 key."""
        if name not in self._keys:
            self._keys[name] = ed25519.Ed25519PrivateKey.generate()
        return self._keys[name]


def _openssl_rsa(bits: int, path: Path):
    """An RSA key of `bits` made by `openssl genpkey` (which still allows 512)."""
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", str(path)],
        check=True,
        capture_output=True,
        env=openssl_env(),
    )
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def openssl_env() -> dict[str, str]:
    """A clean environment for the `openssl` command (no OPENSSL_CONF or SSL_CERT_* from outside)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}


# ---------------------------------------------------------------------------
# Certificates


@dataclass
class Cert:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: object

    @property
    def pem(self) -> bytes:
        """The certificate in PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        """The certificate in DER."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        """The private key in PKCS#8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def subject(self) -> str:
        """The subject, RFC 4514."""
        return self.cert.subject.rfc4514_string()


def name(cn: str, org: str | None = "certcheck conformance") -> x509.Name:
    """A distinguished name with an O (when given) and a CN."""
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    import ipaddress

    entries: list[x509.GeneralName] = []
    for n in names:
        if n.startswith("IP:"):
            entries.append(x509.IPAddress(ipaddress.ip_address(n[3:])))
        else:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


@dataclass
class Spec:
    """What to put in one certificate. `None` for an extension means: leave it out."""

    cn: str
    key: object
    ca: bool = False
    not_before: dt.datetime = field(default_factory=lambda: days(-1))
    not_after: dt.datetime = field(default_factory=lambda: days(90))
    san: list[str] | None = None
    eku: list | None = None
    key_usage: x509.KeyUsage | None = None
    path_len: int | None = None
    basic_constraints: bool = True
    name_constraints: x509.NameConstraints | None = None
    extra: list[tuple[x509.ExtensionType, bool]] = field(default_factory=list)
    no_extensions: bool = False
    subject: x509.Name | None = None
    digest: str = "sha256"
    serial: int | None = None


def ca_key_usage() -> x509.KeyUsage:
    """keyCertSign and cRLSign, as a CA has."""
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def leaf_key_usage(key, key_cert_sign: bool = False) -> x509.KeyUsage:
    """digitalSignature (and keyEncipherment for RSA), as a TLS server has."""
    return x509.KeyUsage(
        True, False, isinstance(key, rsa.RSAPrivateKey), False, False, key_cert_sign, False, False, False
    )


def issue(spec: Spec, issuer: Cert | None, *, sign_with=None, issuer_name: x509.Name | None = None) -> Cert:
    """Makes the certificate `spec` describes, issued by `issuer` (self-signed when None).

    `sign_with` signs with another key than the issuer's (a bad signature under the right
    issuer name); `issuer_name` overrides the issuer field.
    """
    subject = spec.subject or name(spec.cn)
    signer_key = sign_with or (issuer.key if issuer else spec.key)
    issuer_dn = issuer_name or (issuer.cert.subject if issuer else subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_dn)
        .public_key(spec.key.public_key())
        .serial_number(spec.serial or x509.random_serial_number())
        .not_valid_before(spec.not_before)
        .not_valid_after(spec.not_after)
    )
    if not spec.no_extensions:
        if spec.basic_constraints:
            builder = builder.add_extension(
                x509.BasicConstraints(ca=spec.ca, path_length=spec.path_len if spec.ca else None), critical=True
            )
        ku = spec.key_usage
        if ku is None:
            ku = ca_key_usage() if spec.ca else leaf_key_usage(spec.key)
        builder = builder.add_extension(ku, critical=True)
        eku = [SERVER_AUTH] if spec.eku is None and not spec.ca else spec.eku
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        if spec.san:
            builder = builder.add_extension(_san(spec.san), critical=False)
        if spec.name_constraints is not None:
            builder = builder.add_extension(spec.name_constraints, critical=True)
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(spec.key.public_key()), critical=False
        )
        authority = issuer.key if issuer else spec.key
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.public_key()), critical=False
        )
        for ext, critical in spec.extra:
            builder = builder.add_extension(ext, critical=critical)
    if spec.digest in _MODERN:
        algorithm = None if isinstance(signer_key, ed25519.Ed25519PrivateKey) else _MODERN[spec.digest]()
        cert = builder.sign(signer_key, algorithm)
    else:
        # cryptography refuses SHA-1 and MD5 signatures: sign with SHA-256, then re-sign by hand.
        cert = resign(builder.sign(signer_key, hashes.SHA256()), signer_key, spec.digest)
    return Cert(cert, spec.key)


_MODERN = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


# ---------------------------------------------------------------------------
# Re-signing with a weak digest (DER by hand)

_RSA_ALGS = {
    "sha1": bytes.fromhex("300d06092a864886f70d0101050500"),  # sha1WithRSAEncryption, NULL
    "md5": bytes.fromhex("300d06092a864886f70d0101040500"),  # md5WithRSAEncryption, NULL
}
_HASHES = {"sha1": hashes.SHA1, "md5": hashes.MD5}


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_len(len(content)) + content


def _der_elements(data: bytes) -> list[bytes]:
    """The top-level TLV elements of `data`, each with its header."""
    out, i = [], 0
    while i < len(data):
        start = i
        i += 1
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        i += length
        out.append(data[start:i])
    return out


def _der_content(element: bytes) -> bytes:
    length = element[1]
    offset = 2 + (length & 0x7F if length & 0x80 else 0)
    return element[offset:]


def resign(cert: x509.Certificate, key, digest: str) -> x509.Certificate:
    """`cert` signed again by RSA `key` with `digest` ("sha1" or "md5"), both algorithm fields rewritten."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("weak-digest re-signing is for RSA keys only")
    alg = _RSA_ALGS[digest]
    top = _der_elements(_der_content(cert.public_bytes(serialization.Encoding.DER)))
    tbs_fields = _der_elements(_der_content(top[0]))
    # TBSCertificate: [0] version, serialNumber, signature AlgorithmIdentifier, ...
    index = 2 if tbs_fields[0][0] == 0xA0 else 1
    tbs_fields[index] = alg
    tbs = _der(0x30, b"".join(tbs_fields))
    signature = key.sign(tbs, padding.PKCS1v15(), _HASHES[digest]())
    der = _der(0x30, tbs + alg + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


# ---------------------------------------------------------------------------
# openssl req -x509, exactly as people make a quick self-signed certificate


def openssl_req_x509(cn: str, san: str, workdir: Path) -> Cert:
    """`openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=cn -addext subjectAltName=san` (CA:TRUE)."""
    key_path, cert_path = workdir / "req-key.pem", workdir / "req-cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", str(key_path), "-out", str(cert_path), "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}",
        ],
        check=True,
        capture_output=True,
        env=openssl_env(),
    )
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return Cert(cert, key)
