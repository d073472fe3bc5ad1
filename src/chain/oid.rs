//! What certificate parsing and signature checks both know of algorithms: the OIDs the verifier
//! supports, the ones with a broken hash, how an OID is named, and the size of an RSA key.
//!
//! A leaf: it imports nothing from the crate, so [`super::parse`], [`super::signature`] and the
//! stages above them can all use it.

use x509_parser::der_parser::oid::Oid;
use x509_parser::objects::{oid_registry, oid2sn};

/// The name of an algorithm or curve: almost always one of a few registered ones, which are not
/// copied per certificate.
pub type AlgorithmName = std::borrow::Cow<'static, str>;

/// Certificate signature algorithm OIDs rustls-webpki (with ring) can verify.
const SUPPORTED_SIGNATURES: [&str; 7] = [
    "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
    "1.2.840.113549.1.1.12", // sha384WithRSAEncryption
    "1.2.840.113549.1.1.13", // sha512WithRSAEncryption
    "1.2.840.113549.1.1.10", // RSASSA-PSS
    "1.2.840.10045.4.3.2",   // ecdsa-with-SHA256
    "1.2.840.10045.4.3.3",   // ecdsa-with-SHA384
    "1.3.101.112",           // Ed25519
];

/// Whether the verifier supports this certificate signature algorithm (dotted OID).
pub fn algorithm_supported(oid: &str) -> bool {
    SUPPORTED_SIGNATURES.contains(&oid)
}

/// Signature algorithms whose hash is broken, by OID, with the name people know them by.
const WEAK_SIGNATURES: [(&str, &str); 7] = [
    ("1.2.840.113549.1.1.2", "MD2 with RSA"),
    ("1.2.840.113549.1.1.4", "MD5 with RSA"),
    ("1.3.14.3.2.3", "MD5 with RSA"),
    ("1.2.840.113549.1.1.5", "SHA-1 with RSA"),
    ("1.3.14.3.2.29", "SHA-1 with RSA"),
    ("1.2.840.10045.4.1", "ECDSA with SHA-1"),
    ("1.2.840.10040.4.3", "DSA with SHA-1"),
];

/// The weak hash name of a signature algorithm OID, if it is one.
pub fn weak_signature(oid: &str) -> Option<&'static str> {
    WEAK_SIGNATURES
        .iter()
        .find(|(o, _)| *o == oid)
        .map(|(_, name)| *name)
}

/// The registered short name of an OID, or its dotted form.
pub fn oid_name(oid: &Oid<'_>) -> String {
    oid2sn(oid, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

/// As [`oid_name`], without a copy of a registered name.
pub fn static_oid_name(oid: &Oid<'_>) -> AlgorithmName {
    // The registry is keyed by OIDs that live for the whole program.
    let owned = oid.to_owned();
    oid_registry().get(&owned).map_or_else(
        || owned.to_id_string().into(),
        |entry| AlgorithmName::Borrowed(entry.sn()),
    )
}

/// Bit length of a big-endian RSA modulus, ignoring leading zero bytes.
pub fn modulus_bits(modulus: &[u8]) -> u32 {
    let start = modulus
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(modulus.len());
    let trimmed = &modulus[start..];
    match trimmed.first() {
        Some(first) => (trimmed.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
        None => 0,
    }
}
