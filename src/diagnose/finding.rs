//! Findings: one documented code per condition, with the exact values already in the sentences.

use serde::{Deserialize, Serialize};

/// Every finding code of the contract, in contract order, plus certcheck's own additions at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// A certificate's notAfter is before now (X509_V_ERR_CERT_HAS_EXPIRED).
    Expired,
    /// notBefore is after now (CERT_NOT_YET_VALID).
    NotYetValid,
    /// The leaf does not cover the name asked for (HOSTNAME_MISMATCH).
    HostnameMismatch,
    /// The leaf is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT).
    SelfSigned,
    /// The chain ends in a self-signed root the store does not hold (SELF_SIGNED_CERT_IN_CHAIN).
    UntrustedRoot,
    /// The last certificate's issuer is neither presented nor in the store.
    UnknownIssuer,
    /// As unknown-issuer, and the missing certificate is an intermediate.
    IncompleteChain,
    /// A signature does not verify with its issuer's key.
    BadSignature,
    /// The leaf's EKU excludes TLS server authentication.
    InvalidPurpose,
    /// An issuing certificate is not a CA.
    NotACa,
    /// A pathLenConstraint is violated.
    PathLengthExceeded,
    /// A name is outside an issuer's name constraints.
    NameConstraintViolation,
    /// A critical extension the verifier does not understand.
    UnsupportedCriticalExtension,
    /// SHA-1 or MD5 signature on a non-root certificate.
    WeakSignatureAlgorithm,
    /// RSA below 2048 bits, or an EC curve below 256 bits.
    WeakKey,
    /// Revoked according to OCSP or a CRL.
    Revoked,
    /// Valid, but expires within `--warn-days`.
    ExpiringSoon,
    /// Presented certificates are out of order or include unrelated ones.
    ChainOrder,
    /// A leaf valid for longer than browsers accept.
    LongValidity,
    /// The server sends the root itself.
    UnneededRoot,
    /// The stores reach different verdicts.
    TrustStoreDisagreement,
    /// A presented certificate cannot be parsed at all (certcheck addition).
    MalformedCertificate,
    /// The verifier rejected the chain for a reason no other code describes (certcheck addition).
    VerificationFailed,
    /// `inspect --key`: the private key does not belong to the leaf (certcheck addition).
    KeyMismatch,
    /// A private key inside a certificate file was ignored (certcheck addition).
    PrivateKeyInFile,
    /// The stapled OCSP response is expired or not yet valid (certcheck addition).
    OcspStale,
    /// The stapled OCSP response cannot be used for the leaf: it cannot be parsed, covers another
    /// certificate, answers "unknown", or its signature does not verify (certcheck addition).
    OcspMismatch,
    /// A public-looking name chains only to an anchor the Mozilla set lacks: a TLS-inspecting
    /// proxy or a private CA is probably in the way (certcheck addition).
    InterceptionSuspected,
}

impl FindingCode {
    /// Every code, in order.
    pub const ALL: [FindingCode; 28] = [
        FindingCode::Expired,
        FindingCode::NotYetValid,
        FindingCode::HostnameMismatch,
        FindingCode::SelfSigned,
        FindingCode::UntrustedRoot,
        FindingCode::UnknownIssuer,
        FindingCode::IncompleteChain,
        FindingCode::BadSignature,
        FindingCode::InvalidPurpose,
        FindingCode::NotACa,
        FindingCode::PathLengthExceeded,
        FindingCode::NameConstraintViolation,
        FindingCode::UnsupportedCriticalExtension,
        FindingCode::WeakSignatureAlgorithm,
        FindingCode::WeakKey,
        FindingCode::Revoked,
        FindingCode::ExpiringSoon,
        FindingCode::ChainOrder,
        FindingCode::LongValidity,
        FindingCode::UnneededRoot,
        FindingCode::TrustStoreDisagreement,
        FindingCode::MalformedCertificate,
        FindingCode::VerificationFailed,
        FindingCode::KeyMismatch,
        FindingCode::PrivateKeyInFile,
        FindingCode::OcspStale,
        FindingCode::OcspMismatch,
        FindingCode::InterceptionSuspected,
    ];

    /// The contract string, e.g. `hostname-mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::Expired => "expired",
            FindingCode::NotYetValid => "not-yet-valid",
            FindingCode::HostnameMismatch => "hostname-mismatch",
            FindingCode::SelfSigned => "self-signed",
            FindingCode::UntrustedRoot => "untrusted-root",
            FindingCode::UnknownIssuer => "unknown-issuer",
            FindingCode::IncompleteChain => "incomplete-chain",
            FindingCode::BadSignature => "bad-signature",
            FindingCode::InvalidPurpose => "invalid-purpose",
            FindingCode::NotACa => "not-a-ca",
            FindingCode::PathLengthExceeded => "path-length-exceeded",
            FindingCode::NameConstraintViolation => "name-constraint-violation",
            FindingCode::UnsupportedCriticalExtension => "unsupported-critical-extension",
            FindingCode::WeakSignatureAlgorithm => "weak-signature-algorithm",
            FindingCode::WeakKey => "weak-key",
            FindingCode::Revoked => "revoked",
            FindingCode::ExpiringSoon => "expiring-soon",
            FindingCode::ChainOrder => "chain-order",
            FindingCode::LongValidity => "long-validity",
            FindingCode::UnneededRoot => "unneeded-root",
            FindingCode::TrustStoreDisagreement => "trust-store-disagreement",
            FindingCode::MalformedCertificate => "malformed-certificate",
            FindingCode::VerificationFailed => "verification-failed",
            FindingCode::KeyMismatch => "key-mismatch",
            FindingCode::PrivateKeyInFile => "private-key-in-file",
            FindingCode::OcspStale => "ocsp-stale",
            FindingCode::OcspMismatch => "ocsp-mismatch",
            FindingCode::InterceptionSuspected => "interception-suspected",
        }
    }

    /// The severity the contract gives this code.
    pub fn severity(self) -> Severity {
        match self {
            FindingCode::ExpiringSoon
            | FindingCode::ChainOrder
            | FindingCode::LongValidity
            | FindingCode::OcspStale
            | FindingCode::OcspMismatch => Severity::Warning,
            FindingCode::UnneededRoot
            | FindingCode::TrustStoreDisagreement
            | FindingCode::PrivateKeyInFile
            | FindingCode::InterceptionSuspected => Severity::Info,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is; ordered so that `Error` is the greatest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, changes nothing.
    Info,
    /// Will become a problem, or some clients object.
    Warning,
    /// A client would fail.
    Error,
}

/// Which stores a finding holds under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Whatever the store.
    AllStores,
    /// Only under these stores (indexes into the configured store list).
    Stores(Vec<usize>),
}

impl Scope {
    /// Whether the finding holds under store `index`.
    pub fn includes(&self, index: usize) -> bool {
        match self {
            Scope::AllStores => true,
            Scope::Stores(list) => list.contains(&index),
        }
    }
}

/// One problem or observation, with the exact values and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The code.
    pub code: FindingCode,
    /// Its severity (normally the code's own).
    pub severity: Severity,
    /// Index in the presented chain, or `None` for the chain as a whole.
    pub certificate: Option<usize>,
    /// The stores it holds under.
    pub scope: Scope,
    /// A sentence with the exact values.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Finding {
    /// A finding with the code's own severity.
    pub fn new(
        code: FindingCode,
        certificate: Option<usize>,
        scope: Scope,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            certificate,
            scope,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_contract_string() {
        for code in FindingCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        let contract = [
            "expired",
            "not-yet-valid",
            "hostname-mismatch",
            "self-signed",
            "untrusted-root",
            "unknown-issuer",
            "incomplete-chain",
            "bad-signature",
            "invalid-purpose",
            "not-a-ca",
            "path-length-exceeded",
            "name-constraint-violation",
            "unsupported-critical-extension",
            "weak-signature-algorithm",
            "weak-key",
            "revoked",
            "expiring-soon",
            "chain-order",
            "long-validity",
            "unneeded-root",
            "trust-store-disagreement",
        ];
        for (code, name) in FindingCode::ALL.iter().zip(contract) {
            assert_eq!(code.as_str(), name);
        }
    }
}
