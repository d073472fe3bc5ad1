//! Findings: one documented code per condition, with the exact values already in the sentences.

use serde::{Deserialize, Serialize};

/// Declares [`FindingCode`] from one table: for each code its doc, contract string, severity and
/// generic hint. A code cannot be added without all four, and every lookup is generated from the
/// same rows, so the compiler proves the table complete.
macro_rules! finding_codes {
    ($($(#[$doc:meta])* $code:ident => ($name:literal, $severity:ident, $hint:literal),)+) => {
        /// Every finding code of the contract, in contract order, plus certcheck's own additions
        /// at the end.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum FindingCode {
            $($(#[$doc])* $code,)+
        }

        impl FindingCode {
            /// Every code, in order.
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$code,)+];

            /// The contract string, e.g. `hostname-mismatch`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingCode::$code => $name,)+
                }
            }

            /// The severity the contract gives this code.
            pub fn severity(self) -> Severity {
                match self {
                    $(FindingCode::$code => Severity::$severity,)+
                }
            }

            /// What to do about it, in general; checks that know more write their own hint.
            pub fn hint(self) -> &'static str {
                match self {
                    $(FindingCode::$code => $hint,)+
                }
            }
        }
    };
}

finding_codes! {
    /// A certificate's notAfter is before now (X509_V_ERR_CERT_HAS_EXPIRED).
    Expired => ("expired", Error, "Renew the expired certificate and install it on the server."),
    /// notBefore is after now (CERT_NOT_YET_VALID).
    NotYetValid => ("not-yet-valid", Error, "Check the clocks of this machine and of the server; otherwise wait until the certificate's start date or reissue it."),
    /// The leaf does not cover the name asked for (HOSTNAME_MISMATCH).
    HostnameMismatch => ("hostname-mismatch", Error, "Use a certificate whose subjectAltName covers the name clients connect to."),
    /// The leaf is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT).
    SelfSigned => ("self-signed", Error, "Serve a chain that leads to a root the clients trust, or add your private root to their trust store."),
    /// The chain ends in a self-signed root the store does not hold (SELF_SIGNED_CERT_IN_CHAIN).
    UntrustedRoot => ("untrusted-root", Error, "Serve a chain that leads to a root the clients trust, or add your private root to their trust store."),
    /// The last certificate's issuer is neither presented nor in the store.
    UnknownIssuer => ("unknown-issuer", Error, "Serve a chain that leads to a root the clients trust, or add your private root to their trust store."),
    /// As unknown-issuer, and the missing certificate is an intermediate.
    IncompleteChain => ("incomplete-chain", Error, "Configure the server to send the full chain (for example fullchain.pem, not cert.pem)."),
    /// A signature does not verify with its issuer's key.
    BadSignature => ("bad-signature", Error, "The certificate was altered or was not issued by the certificate presented as its issuer; reinstall the chain the CA delivered."),
    /// The leaf's EKU excludes TLS server authentication.
    InvalidPurpose => ("invalid-purpose", Error, "Reissue the certificate with extendedKeyUsage serverAuth (TLS Web Server Authentication)."),
    /// An issuing certificate is not a CA.
    NotACa => ("not-a-ca", Error, "An issuing certificate must carry basicConstraints cA=TRUE; reissue the chain from a proper CA certificate."),
    /// A pathLenConstraint is violated.
    PathLengthExceeded => ("path-length-exceeded", Error, "Shorten the chain or reissue the constrained CA with a larger pathLenConstraint."),
    /// A name is outside an issuer's name constraints.
    NameConstraintViolation => ("name-constraint-violation", Error, "Use a name within the issuing CA's name constraints, or a CA without them."),
    /// A critical extension the verifier does not understand.
    UnsupportedCriticalExtension => ("unsupported-critical-extension", Error, "Reissue the certificate without the unknown critical extension (or mark it non-critical)."),
    /// SHA-1 or MD5 signature on a non-root certificate.
    WeakSignatureAlgorithm => ("weak-signature-algorithm", Error, "Reissue the certificate with a SHA-256 (or stronger) signature."),
    /// RSA below 2048 bits, or an EC curve below 256 bits.
    WeakKey => ("weak-key", Error, "Reissue with an RSA key of at least 2048 bits or an EC P-256 key."),
    /// Revoked according to OCSP or a CRL.
    Revoked => ("revoked", Error, "Replace the revoked certificate with a newly issued one."),
    /// Valid, but expires within `--warn-days`.
    ExpiringSoon => ("expiring-soon", Warning, "Renew the certificate before it expires."),
    /// Presented certificates are out of order or include unrelated ones.
    ChainOrder => ("chain-order", Warning, "Send the leaf first, then each issuer in order, and nothing else."),
    /// A leaf valid for longer than browsers accept.
    LongValidity => ("long-validity", Warning, "Reissue with a validity period browsers accept."),
    /// The server sends the root itself.
    UnneededRoot => ("unneeded-root", Info, "Remove the root from the served chain; clients use their own copy."),
    /// The stores reach different verdicts.
    TrustStoreDisagreement => ("trust-store-disagreement", Info, "Clients that use the stores that do not trust this chain will fail; serve a chain to a root all of them hold."),
    /// A presented certificate cannot be parsed at all (certcheck addition).
    MalformedCertificate => ("malformed-certificate", Error, "Replace the malformed certificate."),
    /// The verifier rejected the chain for a reason no other code describes (certcheck addition).
    VerificationFailed => ("verification-failed", Error, "Inspect the chain with the details above; reissue the offending certificate."),
    /// `inspect --key`: the private key does not belong to the leaf (certcheck addition).
    KeyMismatch => ("key-mismatch", Error, "Install the private key that was generated with this certificate's request, or reissue the certificate for this key."),
    /// `inspect --key`: the private key belongs to the leaf, confirmed (certcheck addition).
    KeyMatches => ("key-matches", Info, "Nothing to do: install this key with this certificate."),
    /// A private key inside a certificate file was ignored (certcheck addition).
    PrivateKeyInFile => ("private-key-in-file", Info, "Keep private keys out of certificate bundles that are shared or committed."),
    /// The stapled OCSP response is expired or not yet valid (certcheck addition).
    OcspStale => ("ocsp-stale", Warning, "Make the server refresh its OCSP staple (for example restart it or clear its stapling cache) and check that it can reach the CA's OCSP responder."),
    /// The stapled OCSP response cannot be used for the leaf: it cannot be parsed, covers another
    /// certificate, answers "unknown", or its signature does not verify (certcheck addition).
    OcspMismatch => ("ocsp-mismatch", Warning, "Make the server fetch a fresh OCSP response for the certificate it serves (for example restart it or clear its stapling cache), or turn stapling off."),
    /// A public-looking name chains only to an anchor the Mozilla set lacks: a TLS-inspecting
    /// proxy or a private CA is probably in the way (certcheck addition).
    InterceptionSuspected => ("interception-suspected", Info, "If this is your organisation's TLS-inspecting proxy, give clients its root (REQUESTS_CA_BUNDLE or truststore for Python, NODE_EXTRA_CA_CERTS for Node, a Java truststore); otherwise do not trust this connection."),
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

    #[test]
    fn the_table_matches_the_contract_and_the_readme() {
        let root = env!("CARGO_MANIFEST_DIR");
        let Ok(contract) = std::fs::read_to_string(format!("{root}/../shared/design/contract.md"))
        else {
            eprintln!(
                "../shared/design/contract.md is not beside the repository: compared with the README only"
            );
            return;
        };
        // The contract's table rows: | `code` | severity | meaning |
        let rows: Vec<(String, String)> = contract
            .lines()
            .filter_map(|line| {
                let mut cells = line.split('|').map(str::trim).skip(1);
                let code = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
                let severity = cells.next()?;
                ["error", "warning", "info"]
                    .contains(&severity)
                    .then(|| (code.to_string(), severity.to_string()))
            })
            .collect();
        assert!(
            rows.len() >= 21,
            "the contract's table of codes was not found"
        );
        for (code, (name, severity)) in FindingCode::ALL.iter().zip(&rows) {
            assert_eq!(code.as_str(), name, "contract order");
            let ours = serde_json::to_value(code.severity()).unwrap();
            assert_eq!(ours, severity.as_str(), "{name}");
        }
        // certcheck's own codes follow the contract's and are documented in the README.
        let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
        for code in &FindingCode::ALL[rows.len()..] {
            assert!(
                readme.contains(&format!("`{}`", code.as_str())),
                "{code} is not documented in the README"
            );
        }
    }

    #[test]
    fn every_code_has_a_hint_and_a_distinct_name() {
        let mut names: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FindingCode::ALL.len());
        assert!(FindingCode::ALL.iter().all(|c| c.hint().ends_with('.')));
    }
}
