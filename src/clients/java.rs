//! Java's words: the `SSLHandshakeException` causes JSSE's PKIX validation prints (OpenJDK 17,
//! `sun.security.provider.certpath` and `sun.security.util.HostnameChecker`).

use crate::diagnose::FindingCode;
use crate::target::Host;

/// A failure in Java's words.
pub fn message(code: FindingCode) -> String {
    let validation = |why: &str| {
        format!("PKIX path validation failed: java.security.cert.CertPathValidatorException: {why}")
    };
    let no_path = || {
        "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target".to_string()
    };
    match code {
        FindingCode::Expired | FindingCode::NotYetValid => validation("validity check failed"),
        FindingCode::BadSignature => validation("signature check failed"),
        FindingCode::NotACa => {
            validation("basic constraints check failed: this is not a CA certificate")
        }
        FindingCode::PathLengthExceeded => validation(
            "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path",
        ),
        FindingCode::NameConstraintViolation => validation("name constraints check failed"),
        FindingCode::UnsupportedCriticalExtension => "Unrecognized critical extension(s)".into(),
        FindingCode::InvalidPurpose => {
            "Extended key usage does not permit use for TLS server authentication".into()
        }
        FindingCode::WeakSignatureAlgorithm | FindingCode::WeakKey => {
            validation("Algorithm constraints check failed on signature algorithm or key size")
        }
        FindingCode::Revoked => validation("Certificate has been revoked"),
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
        | FindingCode::PrivateKeyInFile
        | FindingCode::OcspStale
        | FindingCode::OcspMismatch
        | FindingCode::InterceptionSuspected => no_path(),
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
