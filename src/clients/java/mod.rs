//! Java (OpenJDK 17, JSSE with its default `X509TrustManager`): its verification in [`verify`],
//! and its words here: the message of the last cause of the `SSLHandshakeException`, which
//! carries the values (`sun.security.provider.certpath.PKIXMasterCertPathValidator` and its
//! checkers, `sun.security.validator.PKIXValidator`, `EndEntityChecker`,
//! `sun.security.util.HostnameChecker`, `sun.security.util.DisabledAlgorithmConstraints`).

pub mod verify;

use time::OffsetDateTime;
use time::macros::format_description;

use crate::chain::{CertInfo, KeyInfo, KeyKind};

/// What Java says when its truststore holds no certificate at all (a missing, empty or
/// certificate-less CA file imported with keytool): `PKIXParameters.setTrustAnchors`.
pub const NO_ANCHORS: &str = "the trustAnchors parameter must be non-empty";

/// `SunCertPathBuilder` found no path that validates (`PKIXValidator.doBuild` wraps it).
pub const NO_PATH: &str = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";

/// `PKIXCertPathValidator`: no trust anchor is named as the issuer of the top certificate (with a
/// subject key identifier its authority key identifier allows).
pub const NO_ANCHOR_CHAINS: &str = "Path does not chain with any of the trust anchors";

/// `BasicChecker.verifySignature`: the cause `X509CertImpl.verify` throws.
pub const BAD_SIGNATURE: &str = "Signature does not match.";

/// `KeyChecker.verifyCAKeyUsage`.
pub const CA_KEY_USAGE: &str = "CA key usage check failed: keyCertSign bit is not set";

/// `ConstraintsChecker.checkBasicConstraints`: a CA of the path without cA=TRUE.
pub const NOT_A_CA: &str = "basic constraints check failed: this is not a CA certificate";

/// `ConstraintsChecker.checkBasicConstraints`: a CA below a pathLenConstraint that is used up.
pub const PATH_LENGTH: &str = "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path";

/// `ConstraintsChecker.verifyNameConstraints`.
pub const NAME_CONSTRAINTS: &str = "name constraints check failed";

/// `BasicChecker.verifyNameChaining`.
pub const NAME_CHAINING: &str = "subject/issuer name chaining check failed";

/// `PKIXMasterCertPathValidator`: a critical extension no checker handled.
pub const UNKNOWN_CRITICAL: &str = "unrecognized critical extension(s)";

/// `EndEntityChecker.checkTLSServer`: a keyUsage without digitalSignature (the key exchanges of
/// TLS 1.3 and ECDHE, which sign).
pub const NO_DIGITAL_SIGNATURE: &str = "KeyUsage does not allow digital signatures";

/// `EndEntityChecker.checkTLSServer`: an extendedKeyUsage without serverAuth.
pub const NOT_SERVER_AUTH: &str =
    "Extended key usage does not permit use for TLS server authentication";

/// A trust anchor without basicConstraints cA=TRUE (`PKIXValidator.verifyTrustAnchor`).
pub fn anchor_not_ca(anchor: &CertInfo) -> String {
    format!(
        "TrustAnchor with subject \"{}\" is not a CA certificate",
        java_name(&anchor.subject)
    )
}

/// A trust anchor whose keyUsage lacks keyCertSign (`PKIXValidator.verifyTrustAnchor`).
pub fn anchor_without_key_cert_sign(anchor: &CertInfo) -> String {
    format!(
        "TrustAnchor with subject \"{}\" does not have keyCertSign bit set in KeyUsage extension",
        java_name(&anchor.subject)
    )
}

/// A certificate on the JDK's `blocked.certs` (`sun.security.provider.certpath.UntrustedChecker`).
pub fn blocked(cert: &CertInfo) -> String {
    format!("Untrusted certificate: {}", java_name(&cert.subject))
}

/// `CertificateValidity.valid`: the cause of `validity check failed`.
pub fn expired(cert: &CertInfo) -> String {
    format!("NotAfter: {}", java_date(cert.not_after))
}

/// `CertificateValidity.valid`: the cause of `validity check failed`.
pub fn not_yet_valid(cert: &CertInfo) -> String {
    format!("NotBefore: {}", java_date(cert.not_before))
}

/// `AlgorithmChecker`: a signature algorithm disabled outright, or one checked with an issuer key
/// the constraints refuse.
pub fn disabled_signature(cert: &CertInfo) -> String {
    format!(
        "Algorithm constraints check failed on signature algorithm: {}",
        java_algorithm(&cert.signature_algorithm_oid)
    )
}

/// `DisabledAlgorithmConstraints.UsageConstraint` (`SHA1 jdkCA & usage TLSServer`).
pub fn sha1_under_jdk_ca(cert: &CertInfo) -> String {
    format!(
        "Usage constraint TLSServer check failed: SHA1 used with certificate: {}",
        java_name(&cert.subject)
    )
}

/// `DisabledAlgorithmConstraints.KeySizeConstraint` (`RSA keySize < 1024`...).
pub fn key_too_small(cert: &CertInfo) -> String {
    format!(
        "Algorithm constraints check failed on keysize limits: {} {} bit key used with certificate: {}",
        key_algorithm(&cert.key),
        cert.key.bits,
        java_name(&cert.subject)
    )
}

/// `HostnameChecker.matchDNS`: DNS subjectAltNames, none matching.
pub fn no_dns_name(name: &str) -> String {
    format!("No subject alternative DNS name matching {name} found.")
}

/// `HostnameChecker.matchDNS`: no DNS subjectAltName, and the Common Name does not match.
pub fn no_name(name: &str) -> String {
    format!("No name matching {name} found")
}

/// `HostnameChecker.matchIP`: no subjectAltName at all.
pub const NO_SAN: &str = "No subject alternative names present";

/// `HostnameChecker.matchIP`: no IP subjectAltName equal to the address.
pub fn no_ip(ip: &str) -> String {
    format!("No subject alternative names matching IP address {ip} found")
}

/// A distinguished name as `X500Principal.toString()` writes it: the most specific RDN first,
/// the reverse of certcheck's (DER) order.
fn java_name(subject: &str) -> String {
    let mut parts: Vec<&str> = subject.split(", ").collect();
    parts.reverse();
    parts.join(", ")
}

/// `java.util.Date.toString()` in UTC: `Sat Nov 21 19:29:29 UTC 2026`.
fn java_date(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// `PublicKey.getAlgorithm()`.
fn key_algorithm(key: &KeyInfo) -> String {
    match key.kind() {
        KeyKind::Rsa => "RSA".into(),
        KeyKind::Ec => "EC".into(),
        KeyKind::Dsa => "DSA".into(),
        KeyKind::Other => key.algorithm.to_string(),
    }
}

/// Java's name of a signature algorithm (`X509Certificate.getSigAlgName()`), by OID.
fn java_algorithm(oid: &str) -> &'static str {
    match oid {
        "1.2.840.113549.1.1.4" | "1.3.14.3.2.3" => "MD5withRSA",
        "1.2.840.113549.1.1.2" => "MD2withRSA",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1withRSA",
        "1.2.840.113549.1.1.14" => "SHA224withRSA",
        "1.2.840.113549.1.1.11" => "SHA256withRSA",
        "1.2.840.113549.1.1.12" => "SHA384withRSA",
        "1.2.840.113549.1.1.13" => "SHA512withRSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "SHA1withECDSA",
        "1.2.840.10045.4.3.1" => "SHA224withECDSA",
        "1.2.840.10045.4.3.2" => "SHA256withECDSA",
        "1.2.840.10045.4.3.3" => "SHA384withECDSA",
        "1.2.840.10045.4.3.4" => "SHA512withECDSA",
        "1.2.840.10040.4.3" => "SHA1withDSA",
        "2.16.840.1.101.3.4.3.2" => "SHA256withDSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => "the certificate's signature algorithm",
    }
}

/// The digest of a signature algorithm that `jdk.certpath.disabledAlgorithms` names.
fn digest_of(oid: &str) -> Option<&'static str> {
    match oid {
        "1.2.840.113549.1.1.2" => Some("MD2"),
        "1.2.840.113549.1.1.4" | "1.3.14.3.2.3" => Some("MD5"),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" => {
            Some("SHA1")
        }
        _ => None,
    }
}
