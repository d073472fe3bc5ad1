//! Java's words: the last cause of the `SSLHandshakeException` that JSSE's PKIX validation throws
//! (OpenJDK 17: `sun.security.provider.certpath.PKIXMasterCertPathValidator`, `BasicChecker`,
//! `ConstraintsChecker`, `KeyChecker`, `AlgorithmChecker`; `sun.security.util.HostnameChecker`;
//! `java.security.cert.TrustAnchor`), which carries the values.

use time::OffsetDateTime;
use time::macros::format_description;

use crate::chain::CertInfo;
use crate::diagnose::{Context, FindingCode};
use crate::target::Host;

/// What Java says when its truststore holds no certificate at all (a missing, empty or
/// certificate-less CA file imported with keytool).
pub const NO_ANCHORS: &str = "the trustAnchors parameter must be non-empty";

/// A trust anchor without basicConstraints cA=TRUE (`TrustAnchor`'s own check).
pub fn anchor_not_ca(anchor: &CertInfo) -> String {
    format!(
        "TrustAnchor with subject \"{}\" is not a CA certificate",
        java_name(&anchor.subject)
    )
}

/// A certificate on the JDK's `blocked.certs` (`sun.security.util.UntrustedCertificates`).
pub fn blocked(cert: &CertInfo) -> String {
    format!("Untrusted certificate: {}", java_name(&cert.subject))
}

/// A failure in Java's words, with the values of certificate `index` where Java prints them.
pub fn message(code: FindingCode, index: Option<usize>, ctx: &Context<'_>) -> String {
    let cert = index
        .and_then(|i| ctx.chain.certs.get(i))
        .and_then(|c| c.info());
    let no_path = || {
        "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target".to_string()
    };
    match code {
        FindingCode::Expired => match cert {
            Some(cert) => format!("NotAfter: {}", java_date(cert.not_after)),
            None => "validity check failed".into(),
        },
        FindingCode::NotYetValid => match cert {
            Some(cert) => format!("NotBefore: {}", java_date(cert.not_before)),
            None => "validity check failed".into(),
        },
        // A bad signature on the last certificate sent, by a same-named anchor with another key,
        // leaves Java without a path; between presented certificates it is the signature itself.
        FindingCode::BadSignature if issuer_is_presented(ctx, index) => {
            "Signature does not match.".into()
        }
        FindingCode::BadSignature => "Path does not chain with any of the trust anchors".into(),
        FindingCode::NotACa => match cert {
            Some(cert) if cert.key_usage.is_some() && cert.is_ca => {
                "CA key usage check failed: keyCertSign bit is not set".into()
            }
            _ => "basic constraints check failed: this is not a CA certificate".into(),
        },
        FindingCode::PathLengthExceeded => "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path".into(),
        FindingCode::NameConstraintViolation => "name constraints check failed".into(),
        // Only a platform store raises it, never Java's own store; should Java see it, it is
        // what `blocked.certs` makes Java say.
        FindingCode::BlockedCertificate => match cert {
            Some(cert) => blocked(cert),
            None => no_path(),
        },
        FindingCode::UnsupportedCriticalExtension => "unrecognized critical extension(s)".into(),
        FindingCode::InvalidPurpose => {
            "Extended key usage does not permit use for TLS server authentication".into()
        }
        FindingCode::WeakSignatureAlgorithm => match cert {
            Some(cert) => format!(
                "Algorithm constraints check failed on signature algorithm: {}",
                java_algorithm(&cert.signature_algorithm_oid)
            ),
            None => "Algorithm constraints check failed on signature algorithm".into(),
        },
        FindingCode::WeakKey => match cert {
            Some(cert) => format!(
                "Algorithm constraints check failed on keysize limits: {} {} bit key used with certificate: {}",
                cert.key.algorithm,
                cert.key.bits,
                java_name(&cert.subject)
            ),
            None => "Algorithm constraints check failed on keysize limits".into(),
        },
        FindingCode::Revoked => "Certificate has been revoked".into(),
        // Everything else ends path building without a valid path; listed so that a new code
        // needs a decision here.
        FindingCode::SelfSigned
        | FindingCode::UntrustedRoot
        | FindingCode::UnknownIssuer
        | FindingCode::IncompleteChain
        | FindingCode::HostnameMismatch
        | FindingCode::ExpiringSoon
        | FindingCode::ChainOrder
        | FindingCode::LongValidity
        | FindingCode::UnneededRoot
        | FindingCode::TrustStoreDisagreement
        | FindingCode::MalformedCertificate
        | FindingCode::VerificationFailed
        | FindingCode::KeyMismatch
        | FindingCode::KeyMatches
        | FindingCode::PrivateKeyInFile
        | FindingCode::OcspStale
        | FindingCode::OcspMismatch
        | FindingCode::InterceptionSuspected => no_path(),
    }
}

/// Whether certificate `index` was issued (by name) by another presented certificate.
fn issuer_is_presented(ctx: &Context<'_>, index: Option<usize>) -> bool {
    let Some(cert) = index
        .and_then(|i| ctx.chain.certs.get(i))
        .and_then(|c| c.info())
    else {
        return false;
    };
    ctx.chain
        .parsed()
        .any(|(i, c)| Some(i) != index && c.subject_raw == cert.issuer_raw)
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

/// Java's name of a signature algorithm, by OID.
fn java_algorithm(oid: &str) -> &'static str {
    match oid {
        "1.2.840.113549.1.1.4" | "1.3.14.3.2.3" => "MD5withRSA",
        "1.2.840.113549.1.1.2" => "MD2withRSA",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1withRSA",
        "1.2.840.10045.4.1" => "SHA1withECDSA",
        "1.2.840.10040.4.3" => "SHA1withDSA",
        _ => "the certificate's signature algorithm",
    }
}

/// A name mismatch in Java's words (`HostnameChecker`).
pub fn hostname_message(name: &str, asked: Option<&Host>) -> String {
    match asked {
        Some(Host::Ip(_)) => {
            format!("No subject alternative names matching IP address {name} found")
        }
        _ => format!("No subject alternative DNS name matching {name} found."),
    }
}
