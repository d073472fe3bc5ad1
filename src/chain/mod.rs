//! Parsed certificates: an owned model of every field certcheck reports or reasons about.
//!
//! Parsing is done once, with x509-parser, right after capture; later stages never touch DER
//! parsing again except through [`signature`] for issuer checks.

pub mod details;
pub mod file;
pub mod key;
mod names;
pub mod oid;
pub mod parse;
pub mod signature;
pub mod x509;

use time::OffsetDateTime;

pub use oid::AlgorithmName;
pub use parse::{parse_certificate, parse_chain, summarize_certificate};

/// The most certificates analysed per chain; anything beyond is reported, not parsed.
pub const MAX_CHAIN_CERTS: usize = 32;

/// RSA keys below this many bits are weak: OpenSSL at security level 2 (Debian's default) refuses
/// them, and so does certcheck.
pub const MIN_RSA_BITS: u32 = 2048;

/// EC keys on curves below this many bits are weak, for the same reason.
pub const MIN_EC_BITS: u32 = 256;

/// The public-key algorithms certcheck tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA (PKCS#1 or PSS).
    Rsa,
    /// Elliptic curve (ECDSA).
    Ec,
    /// DSA.
    Dsa,
    /// Ed25519, Ed448 or anything else.
    Other,
}

/// Key usage and extended key usage purposes by the names certcheck writes them in.
pub mod usage {
    /// keyUsage keyCertSign.
    pub const KEY_CERT_SIGN: &str = "keyCertSign";
    /// extendedKeyUsage serverAuth (TLS Web Server Authentication).
    pub const SERVER_AUTH: &str = "serverAuth";
    /// extendedKeyUsage anyExtendedKeyUsage.
    pub const ANY: &str = "anyExtendedKeyUsage";
    /// extendedKeyUsage OCSPSigning.
    pub const OCSP_SIGNING: &str = "OCSPSigning";
}

/// The public key of a certificate, described for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA` or the OID of an unknown algorithm.
    pub algorithm: AlgorithmName,
    /// Key size in bits (0 when unknown).
    pub bits: u32,
    /// The named curve for EC keys (`P-256`, `P-384`, `P-521` or an OID).
    pub curve: Option<AlgorithmName>,
}

/// The SHA-256 of a certificate's DER; written as lower-case hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of `der`.
    pub fn of(der: &[u8]) -> Fingerprint {
        let mut out = [0; 32];
        out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, der).as_ref());
        Fingerprint(out)
    }

    /// Calls `with` on the lower-case hex, written on the stack.
    pub fn with_hex<R>(&self, with: impl FnOnce(&str) -> R) -> R {
        let mut text = [0; 64];
        write_hex(&self.0, &mut text);
        // Only ASCII hex digits were written.
        with(std::str::from_utf8(&text).unwrap_or_default())
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_hex(|hex| f.write_str(hex))
    }
}

/// A permitted or excluded subtree of a name-constraints extension, in text form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameConstraintsInfo {
    /// Permitted subtrees, e.g. `DNS:example.com`, `IP:10.0.0.0/8`.
    pub permitted: Vec<String>,
    /// Excluded subtrees in the same form.
    pub excluded: Vec<String>,
}

/// How a DNS name stands against a certificate's name constraints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsConstraint {
    /// Inside a permitted subtree, or no DNS subtree is permitted nor excluded.
    Permitted,
    /// Outside every permitted DNS subtree.
    NotPermitted,
    /// Inside an excluded DNS subtree.
    Excluded,
}

impl NameConstraintsInfo {
    /// Where `name` stands against the DNS subtrees (RFC 5280 4.2.1.10).
    pub fn check_dns(&self, name: &str) -> DnsConstraint {
        let dns = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter_map(|r| r.strip_prefix("DNS:").map(str::to_string))
                .collect()
        };
        let (permitted, excluded) = (dns(&self.permitted), dns(&self.excluded));
        if excluded.iter().any(|b| dns_within(name, b)) {
            DnsConstraint::Excluded
        } else if !permitted.is_empty() && !permitted.iter().any(|b| dns_within(name, b)) {
            DnsConstraint::NotPermitted
        } else {
            DnsConstraint::Permitted
        }
    }
}

/// Whether DNS name `name` is within the subtree `base` (`example.com` covers itself and its
/// subdomains, `.example.com` only the subdomains; a wildcard counts as one label).
pub fn dns_within(name: &str, base: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let base = base.trim_end_matches('.').to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(sub) = base.strip_prefix('.') {
        return name.ends_with(&format!(".{sub}"));
    }
    let name = name
        .strip_prefix("*.")
        .map(|n| format!("x.{n}"))
        .unwrap_or(name);
    name == base || name.ends_with(&format!(".{base}"))
}

/// An extension as it appears in the certificate, with whether x509-parser understood it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionInfo {
    /// Dotted OID.
    pub oid: String,
    /// Registered short name, when known.
    pub name: Option<String>,
    /// The critical flag.
    pub critical: bool,
    /// Whether certcheck (x509-parser) knows this extension.
    pub known: bool,
}

/// One certificate, parsed into owned data.
#[derive(Clone, Debug)]
pub struct CertInfo {
    /// The DER bytes as presented.
    pub der: Vec<u8>,
    /// Distinguished name of the subject, e.g. `CN=example.com, O=Example`.
    pub subject: String,
    /// Distinguished name of the issuer.
    pub issuer: String,
    /// Raw DER of the subject name, for exact issuer matching.
    pub subject_raw: Vec<u8>,
    /// Raw DER of the issuer name.
    pub issuer_raw: Vec<u8>,
    /// Common names in the subject.
    pub common_names: Vec<String>,
    /// Serial number in lower-case hex.
    pub serial: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// DNS names from the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses from the subjectAltName extension.
    pub ip_addresses: Vec<String>,
    /// Whether a subjectAltName extension is present at all.
    pub has_san: bool,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Whether a basicConstraints extension is present.
    pub has_basic_constraints: bool,
    /// basicConstraints pathLenConstraint.
    pub path_len: Option<u32>,
    /// The subject public key.
    pub key: KeyInfo,
    /// Raw DER of the SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: AlgorithmName,
    /// Signature algorithm OID, dotted.
    pub signature_algorithm_oid: String,
    /// SHA-256 of the DER.
    pub sha256: Fingerprint,
    /// keyUsage bits by name (`digitalSignature`, `keyCertSign`, ...), `None` without the extension.
    pub key_usage: Option<Vec<String>>,
    /// extendedKeyUsage purposes by name (`serverAuth`, or a dotted OID), `None` without the extension.
    pub ext_key_usage: Option<Vec<String>>,
    /// subjectKeyIdentifier, hex.
    pub subject_key_id: Option<String>,
    /// authorityKeyIdentifier keyIdentifier, hex.
    pub authority_key_id: Option<String>,
    /// AIA OCSP responder URLs.
    pub ocsp_urls: Vec<String>,
    /// AIA caIssuers URLs.
    pub ca_issuer_urls: Vec<String>,
    /// CRL distribution point URLs.
    pub crl_urls: Vec<String>,
    /// Embedded signed certificate timestamps.
    pub sct_count: usize,
    /// The embedded SCTs, in order: each log's ID and the time it saw the certificate.
    pub scts: Vec<SctDetails>,
    /// Name constraints, when present.
    pub name_constraints: Option<NameConstraintsInfo>,
    /// The critical extensions, in order (the non-critical ones change no verdict).
    pub extensions: Vec<ExtensionInfo>,
    /// Subject equals issuer and the signature verifies with the certificate's own key.
    pub self_signed: bool,
    /// X.509 version (1, 2 or 3).
    pub version: u32,
}

impl KeyInfo {
    /// The algorithm, as a kind rather than a name.
    pub fn kind(&self) -> KeyKind {
        match &*self.algorithm {
            "RSA" => KeyKind::Rsa,
            "EC" => KeyKind::Ec,
            "DSA" => KeyKind::Dsa,
            _ => KeyKind::Other,
        }
    }

    /// An RSA key below [`MIN_RSA_BITS`] or an EC key below [`MIN_EC_BITS`].
    pub fn below_minimum(&self) -> bool {
        match self.kind() {
            KeyKind::Rsa => self.bits < MIN_RSA_BITS,
            KeyKind::Ec => self.bits < MIN_EC_BITS,
            KeyKind::Dsa | KeyKind::Other => false,
        }
    }
}

impl CertInfo {
    /// Whether this certificate's authorityKeyIdentifier (if any) names `issuer`'s
    /// subjectKeyIdentifier (if any): the key identifiers do not contradict `issuer` having
    /// issued it.
    pub fn key_ids_allow_issuer(&self, issuer: &CertInfo) -> bool {
        match (&self.authority_key_id, &issuer.subject_key_id) {
            (Some(akid), Some(skid)) => akid == skid,
            _ => true,
        }
    }

    /// The keyUsage extension is present and asserts `name` (see [`usage`]).
    pub fn has_key_usage(&self, name: &str) -> bool {
        self.key_usage
            .as_ref()
            .is_some_and(|ku| ku.iter().any(|k| k == name))
    }

    /// The extendedKeyUsage extension is present and lists `name` (see [`usage`]).
    pub fn has_ext_key_usage(&self, name: &str) -> bool {
        self.ext_key_usage
            .as_ref()
            .is_some_and(|eku| eku.iter().any(|p| p == name))
    }

    /// Whole days from `now` until notAfter, negative once expired (see [`days_until`]).
    pub fn days_remaining(&self, now: OffsetDateTime) -> i64 {
        days_until(self.not_after, now)
    }

    /// Whether the certificate's subject name is this certificate's issuer name.
    pub fn issued(&self, child: &CertInfo) -> bool {
        self.subject_raw == child.issuer_raw
    }

    /// Critical extensions that x509-parser does not understand.
    pub fn unknown_critical_extensions(&self) -> impl Iterator<Item = &ExtensionInfo> {
        self.extensions.iter().filter(|e| e.critical && !e.known)
    }
}

/// What `inspect --each` reports of one certificate taken alone. Cheaper to build than
/// [`CertInfo`] and without the DER, so bundles of thousands stream through in little memory.
#[derive(Clone, Debug)]
pub struct CertSummary {
    /// Distinguished name of the subject.
    pub subject: String,
    /// Distinguished name of the issuer.
    pub issuer: String,
    /// Serial number in lower-case hex.
    pub serial: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// DNS names from the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses from the subjectAltName extension.
    pub ip_addresses: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Subject equals issuer and the key identifiers agree when both are present (what OpenSSL
    /// calls self-signed). The signature is not checked: no path is built for a lone certificate.
    pub self_issued: bool,
    /// The subject public key.
    pub key: KeyInfo,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: AlgorithmName,
    /// The weak hash the signature algorithm uses, if it is one (`SHA-1 with RSA`).
    pub weak_signature: Option<&'static str>,
    /// SHA-256 of the DER.
    pub sha256: Fingerprint,
}

/// One certificate of a bundle: summarised, or the reason it could not be parsed.
// Not boxed: thousands of these sit side by side, and a list of them the size of the report's
// entries becomes that list in place (`report::bundle_reports`) instead of being copied.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum BundleCert {
    /// Parsed successfully.
    Parsed(CertSummary),
    /// x509-parser rejected it.
    Unparsable {
        /// SHA-256 of the DER.
        sha256: Fingerprint,
        /// Why parsing failed.
        error: String,
    },
}

impl BundleCert {
    /// The summary, if the certificate could be parsed.
    pub fn summary(&self) -> Option<&CertSummary> {
        match self {
            BundleCert::Parsed(summary) => Some(summary),
            BundleCert::Unparsable { .. } => None,
        }
    }
}

/// One presented certificate: parsed, or the reason it could not be.
#[derive(Clone, Debug)]
pub enum ChainCert {
    /// Parsed successfully.
    Parsed(Box<CertInfo>),
    /// x509-parser rejected it; the DER is kept for fingerprints.
    Unparsable {
        /// The bytes as presented.
        der: Vec<u8>,
        /// SHA-256 of `der`.
        sha256: Fingerprint,
        /// Why parsing failed.
        error: String,
    },
}

impl ChainCert {
    /// The parsed certificate, if it could be parsed.
    pub fn info(&self) -> Option<&CertInfo> {
        match self {
            ChainCert::Parsed(info) => Some(info),
            ChainCert::Unparsable { .. } => None,
        }
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        match self {
            ChainCert::Parsed(info) => &info.der,
            ChainCert::Unparsable { der, .. } => der,
        }
    }
}

/// The presented chain in the order it was received; index 0 is the leaf.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// Certificates as presented (at most [`MAX_CHAIN_CERTS`]).
    pub certs: Vec<ChainCert>,
    /// How many certificates were presented beyond [`MAX_CHAIN_CERTS`] and not analysed.
    pub truncated: usize,
    /// Those certificates' DER: not analysed, but still offered to the verifier for path
    /// building, which has its own budget.
    pub overflow: Vec<Vec<u8>>,
}

impl Chain {
    /// The leaf, if present and parsable.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.certs.first().and_then(ChainCert::info)
    }

    /// Parsed certificates with their index.
    pub fn parsed(&self) -> impl Iterator<Item = (usize, &CertInfo)> {
        self.certs
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.info().map(|info| (i, info)))
    }

    /// Whether nothing was presented.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    write_hex(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the lower-case hex of `bytes` into the first `2 * bytes.len()` bytes of `out`.
fn write_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
}

/// Colon-separated upper-case hex, the form OpenSSL prints key identifiers in.
pub fn colon_hex(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

/// Whole days from `now` to `at`, rounded towards negative infinity: negative as soon as `at` has
/// passed, so `-1` means "within the last day". The one day count of a report: the JSON's
/// `days_remaining`, the tables and the findings' sentences all use it.
pub fn days_until(at: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (at - now).whole_seconds().div_euclid(86_400)
}

/// One embedded signed certificate timestamp.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct SctDetails {
    /// The SCT version (1 for RFC 6962's v1).
    pub version: u8,
    /// The log's ID (SHA-256 of its key), lower-case hex.
    pub log_id: String,
    /// When the log saw the certificate, RFC 3339.
    pub timestamp: String,
}

/// One embedded SCT as certcheck reports it: its version, its log's ID, its time.
pub(crate) fn sct_details(
    sct: &x509_parser::extensions::SignedCertificateTimestamp<'_>,
) -> SctDetails {
    SctDetails {
        version: sct.version.0.saturating_add(1),
        log_id: sct.id.key_id.iter().map(|b| format!("{b:02x}")).collect(),
        timestamp: sct_time(sct.timestamp),
    }
}

/// An SCT timestamp (milliseconds since the epoch) as RFC 3339.
fn sct_time(millis: u64) -> String {
    let nanos = i128::from(millis) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        })
        .unwrap_or_else(|_| format!("{millis} ms after 1970"))
}
