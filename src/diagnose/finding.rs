//! Findings: one documented code per condition, with the exact values already in the sentences.

use serde::{Deserialize, Serialize};

/// Declares [`FindingCode`] from one table: for each code its doc (what it means), contract
/// string, severity, generic hint and the errors real clients print for it (`certcheck explain`).
/// A code cannot be added without all five, and every lookup is generated from the same rows, so
/// the compiler proves the table complete.
macro_rules! finding_codes {
    ($($(#[doc = $doc:literal])* $code:ident => ($name:literal, $severity:ident, $hint:literal, [$(($who:literal, $says:literal)),* $(,)?]),)+) => {
        /// Every finding code of the contract, in contract order, plus certcheck's own additions
        /// at the end.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum FindingCode {
            $($(#[doc = $doc])* $code,)+
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

            /// What the code means: its doc comment, one line per element.
            pub fn meaning_lines(self) -> &'static [&'static str] {
                match self {
                    $(FindingCode::$code => &[$($doc),*],)+
                }
            }

            /// What clients print for it: (client, error text), for `certcheck explain`.
            pub fn client_errors(self) -> &'static [(&'static str, &'static str)] {
                match self {
                    $(FindingCode::$code => &[$(($who, $says)),*],)+
                }
            }

            /// The code for its contract string, e.g. `incomplete-chain`.
            pub fn parse(name: &str) -> Option<FindingCode> {
                match name {
                    $($name => Some(FindingCode::$code),)+
                    _ => None,
                }
            }
        }
    };
}

finding_codes! {
    /// A certificate's notAfter is before now (X509_V_ERR_CERT_HAS_EXPIRED).
    Expired => ("expired", Error, "Renew the expired certificate and install it on the server.", [
        ("OpenSSL, curl, Python", "certificate has expired (X509_V_ERR_CERT_HAS_EXPIRED, 10); curl: (60) SSL certificate problem: certificate has expired; Python: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired"),
        ("Node", "CERT_HAS_EXPIRED: certificate has expired"),
        ("Java", "sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed (NotAfter: ...)"),
        ("Go", "x509: certificate has expired or is not yet valid: current time ... is after ..."),
        ("GnuTLS", "The certificate chain uses expired certificate."),
        ("Browsers", "Chrome NET::ERR_CERT_DATE_INVALID; Firefox SEC_ERROR_EXPIRED_CERTIFICATE (SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE for a CA)"),
    ]),
    /// notBefore is after now (CERT_NOT_YET_VALID).
    NotYetValid => ("not-yet-valid", Error, "Check the clocks of this machine and of the server; otherwise wait until the certificate's start date or reissue it.", [
        ("OpenSSL, curl, Python", "certificate is not yet valid (X509_V_ERR_CERT_NOT_YET_VALID, 9)"),
        ("Node", "CERT_NOT_YET_VALID: certificate is not yet valid"),
        ("Java", "CertPathValidatorException: validity check failed (NotBefore: ...)"),
        ("Go", "x509: certificate has expired or is not yet valid: current time ... is before ..."),
        ("GnuTLS", "The certificate chain uses not yet valid certificate."),
        ("Browsers", "Chrome NET::ERR_CERT_DATE_INVALID; Firefox MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE"),
    ]),
    /// The leaf does not cover the name asked for (HOSTNAME_MISMATCH).
    HostnameMismatch => ("hostname-mismatch", Error, "Use a certificate whose subjectAltName covers the name clients connect to.", [
        ("OpenSSL, curl, Python", "hostname mismatch (X509_V_ERR_HOSTNAME_MISMATCH, 62); curl: (60) SSL: no alternative certificate subject name matches target host name; Python: certificate verify failed: Hostname mismatch, certificate is not valid for 'NAME'."),
        ("Node", "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames"),
        ("Java", "java.security.cert.CertificateException: No subject alternative DNS name matching NAME found."),
        ("Go", "x509: certificate is valid for A, B, not NAME"),
        ("GnuTLS", "The name in the certificate does not match the expected."),
        ("Browsers", "Chrome NET::ERR_CERT_COMMON_NAME_INVALID; Firefox SSL_ERROR_BAD_CERT_DOMAIN"),
    ]),
    /// The leaf is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT).
    SelfSigned => ("self-signed", Error, "Serve a chain that leads to a root the clients trust, or add your private root to their trust store.", [
        ("OpenSSL, curl, Python", "self-signed certificate (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 18)"),
        ("Node", "DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate"),
        ("Java", "PKIX path building failed: ... unable to find valid certification path to requested target"),
        ("Go", "x509: certificate signed by unknown authority"),
        ("GnuTLS", "The certificate is NOT trusted. The certificate issuer is unknown."),
        ("Browsers", "Chrome NET::ERR_CERT_AUTHORITY_INVALID; Firefox MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT"),
    ]),
    /// The chain ends in a self-signed root the store does not hold (SELF_SIGNED_CERT_IN_CHAIN).
    UntrustedRoot => ("untrusted-root", Error, "Serve a chain that leads to a root the clients trust, or add your private root to their trust store.", [
        ("OpenSSL, curl, Python", "self-signed certificate in certificate chain (X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 19)"),
        ("Node", "SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain"),
        ("Java", "PKIX path building failed: ... unable to find valid certification path to requested target"),
        ("Go", "x509: certificate signed by unknown authority"),
        ("GnuTLS", "The certificate is NOT trusted. The certificate issuer is unknown."),
        ("Browsers", "Chrome NET::ERR_CERT_AUTHORITY_INVALID; Firefox SEC_ERROR_UNKNOWN_ISSUER"),
    ]),
    /// The last certificate's issuer is neither presented nor in the store.
    UnknownIssuer => ("unknown-issuer", Error, "Serve a chain that leads to a root the clients trust, or add your private root to their trust store.", [
        ("OpenSSL, curl, Python", "unable to get local issuer certificate (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 20)"),
        ("Node", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY: unable to get local issuer certificate"),
        ("Java", "PKIX path building failed: ... unable to find valid certification path to requested target"),
        ("Go", "x509: certificate signed by unknown authority"),
        ("GnuTLS", "The certificate is NOT trusted. The certificate issuer is unknown."),
        ("Browsers", "Chrome NET::ERR_CERT_AUTHORITY_INVALID; Firefox SEC_ERROR_UNKNOWN_ISSUER"),
    ]),
    /// As unknown-issuer, and the missing certificate is an intermediate.
    IncompleteChain => ("incomplete-chain", Error, "Configure the server to send the full chain (for example fullchain.pem, not cert.pem).", [
        ("OpenSSL, curl, Python", "unable to get local issuer certificate (20), or unable to verify the first certificate (X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, 21) when only the leaf is sent"),
        ("Node", "UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate"),
        ("Java", "PKIX path building failed: ... unable to find valid certification path to requested target"),
        ("Go", "x509: certificate signed by unknown authority"),
        ("GnuTLS", "The certificate is NOT trusted. The certificate issuer is unknown."),
        ("Browsers", "often none: Chrome, Edge and Safari fetch the missing intermediate (AIA) and Firefox has publicly disclosed intermediates preloaded, so the site works in a browser and fails in scripts; Firefox never fetches AIA, so a private CA's missing intermediate is SEC_ERROR_UNKNOWN_ISSUER"),
    ]),
    /// A signature does not verify with its issuer's key.
    BadSignature => ("bad-signature", Error, "The certificate was altered or was not issued by the certificate presented as its issuer; reinstall the chain the CA delivered.", [
        ("OpenSSL, curl, Python", "certificate signature failure (X509_V_ERR_CERT_SIGNATURE_FAILURE, 7)"),
        ("Node", "CERT_SIGNATURE_FAILURE: certificate signature failure"),
        ("Java", "CertPathValidatorException: Signature does not match."),
        ("Go", "x509: certificate signed by unknown authority (possibly because of \"crypto/rsa: verification error\" while trying to verify candidate authority certificate ...)"),
        ("GnuTLS", "The signature in the certificate is invalid."),
        ("Browsers", "Chrome NET::ERR_CERT_INVALID; Firefox SEC_ERROR_BAD_SIGNATURE"),
    ]),
    /// The leaf's EKU excludes TLS server authentication.
    InvalidPurpose => ("invalid-purpose", Error, "Reissue the certificate with extendedKeyUsage serverAuth (TLS Web Server Authentication).", [
        ("OpenSSL, curl, Python", "unsuitable certificate purpose (X509_V_ERR_INVALID_PURPOSE, 26)"),
        ("Node", "INVALID_PURPOSE: unsuitable certificate purpose"),
        ("Java", "CertificateException: Extended key usage does not permit use for TLS server authentication"),
        ("Go", "x509: certificate specifies an incompatible key usage"),
        ("GnuTLS", "The certificate chain does not match the intended purpose."),
        ("Browsers", "Chrome NET::ERR_CERT_INVALID; Firefox SEC_ERROR_INADEQUATE_CERT_TYPE"),
    ]),
    /// An issuing certificate is not a CA.
    NotACa => ("not-a-ca", Error, "An issuing certificate must carry basicConstraints cA=TRUE; reissue the chain from a proper CA certificate.", [
        ("OpenSSL, curl, Python", "invalid CA certificate (X509_V_ERR_INVALID_CA, 79), or key usage does not include certificate signing (32)"),
        ("Node", "INVALID_CA: invalid CA certificate"),
        ("Java", "CertPathValidatorException: basic constraints check failed: this is not a CA certificate"),
        ("Go", "x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\" ...)"),
        ("GnuTLS", "The certificate issuer is not a CA."),
        ("Browsers", "Chrome NET::ERR_CERT_INVALID; Firefox SEC_ERROR_CA_CERT_INVALID"),
    ]),
    /// A pathLenConstraint is violated.
    PathLengthExceeded => ("path-length-exceeded", Error, "Shorten the chain or reissue the constrained CA with a larger pathLenConstraint.", [
        ("OpenSSL, curl, Python", "path length constraint exceeded (X509_V_ERR_PATH_LENGTH_EXCEEDED, 25)"),
        ("Node", "PATH_LENGTH_EXCEEDED: path length constraint exceeded"),
        ("Java", "CertPathValidatorException: basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path"),
        ("Go", "x509: too many intermediates for path length constraint"),
        ("GnuTLS", "The certificate chain violates the signer's constraints."),
        ("Browsers", "Chrome NET::ERR_CERT_INVALID; Firefox SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID"),
    ]),
    /// A name is outside an issuer's name constraints.
    NameConstraintViolation => ("name-constraint-violation", Error, "Use a name within the issuing CA's name constraints, or a CA without them.", [
        ("OpenSSL, curl, Python", "permitted subtree violation (X509_V_ERR_PERMITTED_VIOLATION, 47) or excluded subtree violation (48)"),
        ("Node", "PERMITTED_VIOLATION: permitted subtree violation"),
        ("Java", "CertPathValidatorException: name constraints check failed"),
        ("Go", "x509: a root or intermediate certificate is not authorized to sign for this name: DNS name \"NAME\" is not permitted by any constraint"),
        ("GnuTLS", "The certificate chain violates the signer's constraints."),
        ("Browsers", "Chrome NET::ERR_CERT_NAME_CONSTRAINT_VIOLATION; Firefox SEC_ERROR_CERT_NOT_IN_NAME_SPACE"),
    ]),
    /// A critical extension the verifier does not understand.
    UnsupportedCriticalExtension => ("unsupported-critical-extension", Error, "Reissue the certificate without the unknown critical extension (or mark it non-critical).", [
        ("OpenSSL, curl, Python", "unhandled critical extension (X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, 34)"),
        ("Node", "UNHANDLED_CRITICAL_EXTENSION: unhandled critical extension"),
        ("Java", "CertPathValidatorException: unrecognized critical extension(s)"),
        ("Go", "x509: unhandled critical extension"),
        ("GnuTLS", "The certificate contains an unknown critical extension."),
        ("Browsers", "Chrome NET::ERR_CERT_INVALID; Firefox SEC_ERROR_UNKNOWN_CRITICAL_EXTENSION"),
    ]),
    /// SHA-1 or MD5 signature on a non-root certificate.
    WeakSignatureAlgorithm => ("weak-signature-algorithm", Error, "Reissue the certificate with a SHA-256 (or stronger) signature.", [
        ("OpenSSL, curl, Python", "CA signature digest algorithm too weak (X509_V_ERR_CA_MD_TOO_WEAK, 68) at security level 1 and above for SHA-1 (Debian's default is level 2)"),
        ("Node", "CA_MD_TOO_WEAK: CA signature digest algorithm too weak"),
        ("Java", "CertPathValidatorException: Algorithm constraints check failed on signature algorithm: SHA1withRSA"),
        ("Go", "x509: cannot verify signature: insecure algorithm SHA1-RSA"),
        ("GnuTLS", "The certificate chain uses insecure algorithm."),
        ("Browsers", "Chrome NET::ERR_CERT_WEAK_SIGNATURE_ALGORITHM; Firefox SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED"),
    ]),
    /// RSA below 2048 bits, or an EC curve below 256 bits.
    WeakKey => ("weak-key", Error, "Reissue with an RSA key of at least 2048 bits or an EC P-256 key.", [
        ("OpenSSL, curl, Python", "EE certificate key too weak (X509_V_ERR_EE_KEY_TOO_SMALL, 66) or CA certificate key too weak (67)"),
        ("Node", "EE_KEY_TOO_SMALL: EE certificate key too weak"),
        ("Java", "CertPathValidatorException: Algorithm constraints check failed on keysize limits: RSA 1024 bit key used with certificate: ..."),
        ("Go", "accepted down to 1024-bit RSA; smaller keys fail the handshake"),
        ("GnuTLS", "The certificate chain uses insecure algorithm."),
        ("Browsers", "Chrome NET::ERR_CERT_WEAK_KEY; Firefox MOZILLA_PKIX_ERROR_INADEQUATE_KEY_SIZE (RSA under 1024 bits, or under 2048 to a built-in root)"),
    ]),
    /// Revoked according to OCSP or a CRL.
    Revoked => ("revoked", Error, "Replace the revoked certificate with a newly issued one.", [
        ("OpenSSL, curl, Python", "certificate revoked (X509_V_ERR_CERT_REVOKED, 23), only where revocation is checked (curl with --cert-status, OpenSSL with -crl_check or -status)"),
        ("Java", "CertPathValidatorException: Certificate has been revoked (with revocation checking enabled)"),
        ("Go", "not checked: Go does not check revocation"),
        ("Browsers", "Chrome NET::ERR_CERT_REVOKED; Firefox SEC_ERROR_REVOKED_CERTIFICATE"),
    ]),
    /// Valid, but expires within `--warn-days`.
    ExpiringSoon => ("expiring-soon", Warning, "Renew the certificate before it expires.", [
        ("every client", "none yet: the certificate still works, and every client fails with the `expired` errors once its notAfter passes"),
    ]),
    /// Presented certificates are out of order or include unrelated ones.
    ChainOrder => ("chain-order", Warning, "Send the leaf first, then each issuer in order, and nothing else.", [
        ("OpenSSL, Go, Java, browsers", "usually none: modern clients build the path from any order"),
        ("older clients", "some older TLS stacks (Java before 8, embedded stacks) fail with the errors of `unknown-issuer`"),
    ]),
    /// A leaf valid for longer than browsers accept.
    LongValidity => ("long-validity", Warning, "Reissue with a validity period browsers accept.", [
        ("Browsers", "Chrome NET::ERR_CERT_VALIDITY_TOO_LONG; Safari refuses it as well"),
        ("OpenSSL, curl, Python, Java, Go", "none: they do not limit validity periods"),
    ]),
    /// The server sends the root itself.
    UnneededRoot => ("unneeded-root", Info, "Remove the root from the served chain; clients use their own copy.", [
        ("every client", "none: clients ignore the sent root and use their own copy; it only costs bytes in every handshake"),
    ]),
    /// The stores reach different verdicts.
    TrustStoreDisagreement => ("trust-store-disagreement", Info, "Clients that use the stores that do not trust this chain will fail; serve a chain to a root all of them hold.", [
        ("depends on the store", "clients on the store that does not trust the chain print the `unknown-issuer` or `untrusted-root` errors; the others work"),
    ]),
    /// A presented certificate cannot be parsed at all (certcheck addition).
    MalformedCertificate => ("malformed-certificate", Error, "Replace the malformed certificate.", [
        ("OpenSSL, curl, Python", "a decoding error such as `[SSL: CERTIFICATE_VERIFY_FAILED]` or `asn1 encoding routines::...`"),
        ("Go", "x509: malformed certificate"),
        ("Browsers", "Chrome NET::ERR_CERT_INVALID; Firefox SEC_ERROR_BAD_DER"),
    ]),
    /// The verifier rejected the chain for a reason no other code describes (certcheck addition).
    VerificationFailed => ("verification-failed", Error, "Inspect the chain with the details above; reissue the offending certificate.", [
        ("OpenSSL", "the message certcheck quotes from the verifier; run `certcheck show` to see the certificate's fields"),
    ]),
    /// `inspect --key`: the private key does not belong to the leaf (certcheck addition).
    KeyMismatch => ("key-mismatch", Error, "Install the private key that was generated with this certificate's request, or reissue the certificate for this key.", [
        ("servers", "nginx: SSL_CTX_use_PrivateKey(...) failed (SSL: error:05800074:x509 certificate routines::key values mismatch); Apache: AH02565: Certificate and private key ... do not match; openssl: key values mismatch"),
    ]),
    /// `inspect --key`: the private key belongs to the leaf, confirmed (certcheck addition).
    KeyMatches => ("key-matches", Info, "Nothing to do: install this key with this certificate.", [
        ("servers", "nginx and Apache load the pair without a key values mismatch; `openssl x509 -noout -pubkey` and `openssl pkey -pubout` print the same key"),
    ]),
    /// A private key inside a certificate file was ignored (certcheck addition).
    PrivateKeyInFile => ("private-key-in-file", Info, "Keep private keys out of certificate bundles that are shared or committed.", [
        ("none", "no client error: certcheck never reads the key, but a shared or committed bundle that contains it leaks it"),
    ]),
    /// The stapled OCSP response is expired or not yet valid (certcheck addition).
    OcspStale => ("ocsp-stale", Warning, "Make the server refresh its OCSP staple (for example restart it or clear its stapling cache) and check that it can reach the CA's OCSP responder.", [
        ("clients that require stapling", "Firefox with OCSP Must-Staple: MOZILLA_PKIX_ERROR_OCSP_RESPONSE_FOR_CERT_MISSING or SEC_ERROR_OCSP_OLD_RESPONSE; curl --cert-status: (91) SSL certificate status verification FAILED"),
    ]),
    /// The stapled OCSP response cannot be used for the leaf: it cannot be parsed, covers another
    /// certificate, answers "unknown", or its signature does not verify (certcheck addition).
    OcspMismatch => ("ocsp-mismatch", Warning, "Make the server fetch a fresh OCSP response for the certificate it serves (for example restart it or clear its stapling cache), or turn stapling off.", [
        ("clients that require stapling", "curl --cert-status: (91) No OCSP response received / SSL certificate status verification FAILED; Firefox SEC_ERROR_OCSP_INVALID_SIGNING_CERT or SEC_ERROR_OCSP_BAD_SIGNATURE"),
    ]),
    /// A CRL fetched with `--check-revocation` is out of date: its nextUpdate has passed, or its
    /// thisUpdate is still to come (certcheck addition).
    CrlStale => ("crl-stale", Warning, "Have the CA publish a current CRL at the certificate's CRL distribution point (its nextUpdate has passed), or check that the URL serves the CRL the CA updates.", [
        ("clients that check CRLs", "OpenSSL with -crl_check: CRL has expired (X509_V_ERR_CRL_HAS_EXPIRED, 12); Java with revocation checking: CertPathValidatorException: Could not determine revocation status"),
    ]),
    /// A CRL fetched with `--check-revocation` cannot be used for the certificate: it does not
    /// parse, names another issuer, or its signature does not verify with the issuer's key
    /// (certcheck addition).
    CrlUnusable => ("crl-unusable", Warning, "Serve, at the certificate's CRL distribution point, the DER CRL signed by the certificate's issuer.", [
        ("clients that check CRLs", "OpenSSL with -crl_check: CRL signature failure (X509_V_ERR_CRL_SIGNATURE_FAILURE, 8) or unable to get certificate CRL (3); Java with revocation checking: CertPathValidatorException: Could not determine revocation status"),
    ]),
    /// A public-looking name chains only to an anchor the Mozilla set lacks: a TLS-inspecting
    /// proxy or a private CA is probably in the way (certcheck addition).
    InterceptionSuspected => ("interception-suspected", Info, "If this is your organisation's TLS-inspecting proxy, give clients its root (REQUESTS_CA_BUNDLE or truststore for Python, NODE_EXTRA_CA_CERTS for Node, a Java truststore); otherwise do not trust this connection.", [
        ("Python requests, Node, Java", "the `unknown-issuer` errors (unable to get local issuer certificate / PKIX path building failed) because they do not read the system store the proxy's root was added to; browsers and curl on the system store work"),
    ]),
    /// A platform store blocks a certificate of the chain (Windows' disallowed list, Java's
    /// `blocked.certs`), so that store does not trust it (certcheck addition).
    BlockedCertificate => ("blocked-certificate", Error, "Replace the blocked certificate: serve a chain through an intermediate and to a root that platform has not blocked (the message names the certificate and the store).", [
        ("Windows (CryptoAPI, Schannel, Edge, Chrome on Windows)", "CERT_E_UNTRUSTEDROOT or TRUST_E_EXPLICIT_DISTRUST: \"A certificate was explicitly revoked by its issuer\" / \"The certificate is explicitly distrusted\""),
        ("Java", "CertificateException: Untrusted certificate: CN=... (sun.security.util.UntrustedCertificates)"),
    ]),
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is; ordered so that `Error` is the greatest.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
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
