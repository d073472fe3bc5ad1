//! The serde model that *is* the JSON contract. No formatting happens here: every field, sentence
//! and status is computed before rendering.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::chain::{AlgorithmName, BundleCert, CertInfo, Chain, ChainCert, Fingerprint, KeyInfo};
use crate::diagnose::text::{date, write_date};
use crate::diagnose::{Diagnosis, Finding, FindingCode, Scope, Severity};
use crate::trust::{StoreKind, TrustStore};

/// The whole run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// certcheck's version.
    pub version: String,
    /// The instant of validation (`--at` when given), RFC 3339.
    pub checked_at: String,
    /// One result per target, in input order.
    pub results: Vec<TargetReport>,
}

/// Where a result's certificates came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A live TLS handshake.
    Tls,
    /// A local file.
    File,
}

/// The overall outcome of one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Trusted, nothing expiring.
    Ok,
    /// Trusted, with warnings.
    Warning,
    /// A client would fail, or the target could not be evaluated.
    Error,
}

/// A failure to obtain or evaluate the certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionErrorReport {
    /// `dns`, `refused`, `timeout`, `not-tls`, `tls-alert`, `io` or `file`.
    pub code: String,
    /// A sentence.
    pub message: String,
}

/// The negotiated session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsReport {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// Negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// Whether the server stapled an OCSP response.
    pub ocsp_stapled: bool,
    /// Whether the server asked for a client certificate (certcheck addition): clients without
    /// one are refused after the handshake, whatever the chain.
    pub client_certificate_requested: bool,
}

/// A public key, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyReport {
    /// `RSA`, `EC`, `Ed25519`...
    pub algorithm: AlgorithmName,
    /// Key size in bits.
    pub bits: u32,
}

/// One presented certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertReport {
    /// Position in the presented chain.
    pub index: usize,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: CertDate,
    /// notAfter, RFC 3339.
    pub not_after: CertDate,
    /// Whole days until notAfter, negative once expired.
    pub days_remaining: i64,
    /// subjectAltName DNS names.
    pub dns_names: Vec<String>,
    /// subjectAltName IP addresses.
    pub ip_addresses: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Issued by itself: subject = issuer and the signature verifies with its own key. Under
    /// `inspect --each`, which builds no path, subject = issuer and matching key identifiers.
    pub self_signed: bool,
    /// The public key.
    pub key: KeyReport,
    /// e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: AlgorithmName,
    /// SHA-256 fingerprint of the DER, hex.
    pub sha256: Fingerprint,
    /// Why the certificate could not be parsed (certcheck addition; null when it parsed).
    pub parse_error: Option<String>,
}

/// A certificate's notBefore or notAfter, written as RFC 3339 (`2026-10-01T00:00:00Z`) and empty
/// for a certificate that could not be parsed. Kept as a time until the report is written, as a
/// bundle of thousands is mostly shown in part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertDate(pub Option<OffsetDateTime>);

impl std::fmt::Display for CertDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(at) => write_date(at, f),
            None => Ok(()),
        }
    }
}

impl Serialize for CertDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CertDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        if text.is_empty() {
            return Ok(CertDate(None));
        }
        OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .map(|at| CertDate(Some(at)))
            .map_err(serde::de::Error::custom)
    }
}

/// A fingerprint is 64 lower-case hex digits in JSON.
impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_hex(|hex| serializer.serialize_str(hex))
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let digit = |c: u8| char::from(c).to_digit(16);
        let mut out = [0u8; 32];
        if text.len() != 64 {
            return Err(serde::de::Error::custom(
                "a SHA-256 fingerprint has 64 hex digits",
            ));
        }
        for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(high), Some(low)) => *byte = (high * 16 + low) as u8,
                _ => return Err(serde::de::Error::custom("a fingerprint is written in hex")),
            }
        }
        Ok(Fingerprint(out))
    }
}

/// One store's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustReport {
    /// `system`, `bundled` or `custom`.
    pub store: StoreKind,
    /// Path or description.
    pub source: String,
    /// Whether a client using this store would accept the chain for this name.
    pub trusted: bool,
    /// The finding code that explains a failure.
    pub error: Option<FindingCode>,
    /// Subject of the anchor reached.
    pub anchor: Option<String>,
    /// Earliest notAfter along the validated path: the date the chain breaks in this store.
    pub expires_at: Option<String>,
    /// Entries of the store that failed to load (certcheck addition).
    pub load_errors: Vec<String>,
}

impl TrustReport {
    /// The store could not be loaded at all, so it gave no verdict.
    pub fn unavailable(&self) -> bool {
        !self.trusted
            && self.error.is_none()
            && self.anchor.is_none()
            && !self.load_errors.is_empty()
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingReport {
    /// The code.
    pub code: FindingCode,
    /// Its severity.
    pub severity: Severity,
    /// Index in `chain`, or null for the chain as a whole.
    pub certificate: Option<usize>,
    /// Null when it holds whatever the store, else the stores it holds under.
    pub stores: Option<Vec<StoreKind>>,
    /// A sentence with the exact values.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The result for one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetReport {
    /// What the user typed (or the file path).
    pub target: String,
    /// The host (null for a file without `--host`).
    pub host: Option<String>,
    /// The port (null for files).
    pub port: Option<u16>,
    /// The name sent as SNI and verified (null when no name is checked).
    pub server_name: Option<String>,
    /// The peer address.
    pub address: Option<String>,
    /// `tls` or `file`.
    pub source: Source,
    /// The outcome under the primary store.
    pub status: Status,
    /// The earliest notAfter on the path the primary store validated, else in the chain
    /// (certcheck addition): the date this target breaks.
    pub expires_at: Option<String>,
    /// Whole days from `checked_at` to `expires_at`, negative once passed (certcheck addition).
    pub days_remaining: Option<i64>,
    /// Why the target could not be (fully) evaluated.
    pub connection_error: Option<ConnectionErrorReport>,
    /// The negotiated session.
    pub tls: Option<TlsReport>,
    /// The presented certificates.
    pub chain: Vec<CertReport>,
    /// One entry per store.
    pub trust: Vec<TrustReport>,
    /// Every finding, most severe first.
    pub findings: Vec<FindingReport>,
    /// What each client profile would do with this chain (empty when nothing was evaluated).
    pub clients: Vec<crate::clients::ClientPrediction>,
}

/// The stores that decide `status`: the `custom` ones when present, otherwise `system`.
pub fn primary_kind(trust: &[TrustReport]) -> StoreKind {
    if trust.iter().any(|t| t.store == StoreKind::Custom) {
        StoreKind::Custom
    } else {
        StoreKind::System
    }
}

/// Whether every primary store trusts the chain (false when there is none).
pub fn primary_trusted(trust: &[TrustReport]) -> bool {
    let primary = primary_kind(trust);
    let mut entries = trust.iter().filter(|t| t.store == primary).peekable();
    entries.peek().is_some() && entries.all(|t| t.trusted)
}

/// Builds the chain entries.
pub fn chain_reports(chain: &Chain, now: OffsetDateTime) -> Vec<CertReport> {
    chain
        .certs
        .iter()
        .enumerate()
        .map(|(index, cert)| match cert {
            ChainCert::Parsed(info) => cert_report(index, info, now),
            ChainCert::Unparsable { sha256, error, .. } => {
                unparsable_report(index, *sha256, error.clone())
            }
        })
        .collect()
}

/// The chain entries of `inspect --each`, moving each summary into its entry (an entry is the size
/// of a summary, so the list is reused in place). `self_signed` is the summary's self-issued test
/// there, as no signature is checked without a path.
pub fn bundle_reports(certs: Vec<BundleCert>, now: OffsetDateTime) -> Vec<CertReport> {
    certs
        .into_iter()
        .enumerate()
        .map(|(index, cert)| match cert {
            BundleCert::Parsed(summary) => CertReport {
                index,
                days_remaining: days_until(summary.not_after, now),
                not_before: CertDate(Some(summary.not_before)),
                not_after: CertDate(Some(summary.not_after)),
                subject: summary.subject,
                issuer: summary.issuer,
                serial: summary.serial,
                dns_names: summary.dns_names,
                ip_addresses: summary.ip_addresses,
                is_ca: summary.is_ca,
                self_signed: summary.self_issued,
                key: key_report(&summary.key),
                signature_algorithm: summary.signature_algorithm,
                sha256: summary.sha256,
                parse_error: None,
            },
            BundleCert::Unparsable { sha256, error } => unparsable_report(index, sha256, error),
        })
        .collect()
}

fn unparsable_report(index: usize, sha256: Fingerprint, error: String) -> CertReport {
    CertReport {
        index,
        subject: String::new(),
        issuer: String::new(),
        serial: String::new(),
        not_before: CertDate(None),
        not_after: CertDate(None),
        days_remaining: 0,
        dns_names: Vec::new(),
        ip_addresses: Vec::new(),
        is_ca: false,
        self_signed: false,
        key: KeyReport {
            algorithm: AlgorithmName::Borrowed(""),
            bits: 0,
        },
        signature_algorithm: AlgorithmName::Borrowed(""),
        sha256,
        parse_error: Some(error),
    }
}

fn key_report(key: &KeyInfo) -> KeyReport {
    KeyReport {
        algorithm: match &key.curve {
            Some(_) => AlgorithmName::Borrowed("EC"),
            None => key.algorithm.clone(),
        },
        bits: key.bits,
    }
}

fn cert_report(index: usize, info: &CertInfo, now: OffsetDateTime) -> CertReport {
    CertReport {
        index,
        subject: info.subject.clone(),
        issuer: info.issuer.clone(),
        serial: info.serial.clone(),
        not_before: CertDate(Some(info.not_before)),
        not_after: CertDate(Some(info.not_after)),
        days_remaining: info.days_remaining(now),
        dns_names: info.dns_names.clone(),
        ip_addresses: info.ip_addresses.clone(),
        is_ca: info.is_ca,
        self_signed: info.self_signed,
        key: key_report(&info.key),
        signature_algorithm: info.signature_algorithm.clone(),
        sha256: info.sha256,
        parse_error: None,
    }
}

/// Builds the trust entries from the stores and the diagnosis.
pub fn trust_reports(stores: &[TrustStore], diagnosis: &Diagnosis) -> Vec<TrustReport> {
    stores
        .iter()
        .zip(&diagnosis.verdicts)
        .map(|(store, verdict)| TrustReport {
            store: store.kind,
            source: store.source.clone(),
            trusted: verdict.trusted,
            error: verdict.error,
            anchor: verdict.anchor.clone(),
            expires_at: verdict.expires_at.map(date),
            load_errors: store.errors.clone(),
        })
        .collect()
}

/// Builds the finding entries.
pub fn finding_reports(stores: &[TrustStore], findings: &[Finding]) -> Vec<FindingReport> {
    findings
        .iter()
        .map(|f| FindingReport {
            code: f.code,
            severity: f.severity,
            certificate: f.certificate,
            stores: match &f.scope {
                Scope::AllStores => None,
                Scope::Stores(list) => {
                    let mut kinds: Vec<StoreKind> = list
                        .iter()
                        .filter_map(|i| stores.get(*i).map(|s| s.kind))
                        .collect();
                    kinds.dedup();
                    Some(kinds)
                }
            },
            message: f.message.clone(),
            hint: f.hint.clone(),
        })
        .collect()
}

/// The status under the primary store, given everything else in the report.
pub fn status(
    trust: &[TrustReport],
    findings: &[FindingReport],
    connection_error: Option<&ConnectionErrorReport>,
    has_chain: bool,
) -> Status {
    // No stores means no path was built (`inspect --each`): the findings alone decide.
    if connection_error.is_some() || !has_chain || (!trust.is_empty() && !primary_trusted(trust)) {
        return Status::Error;
    }
    let primary = primary_kind(trust);
    let applies = |f: &&FindingReport| match &f.stores {
        None => true,
        Some(list) => list.contains(&primary),
    };
    if findings
        .iter()
        .filter(applies)
        .any(|f| f.severity == Severity::Error)
    {
        Status::Error
    } else if findings
        .iter()
        .filter(applies)
        .any(|f| f.severity == Severity::Warning)
    {
        Status::Warning
    } else {
        Status::Ok
    }
}

/// The earliest expiry of a result: along the primary store's validated path when there is one,
/// else the earliest notAfter of the chain.
pub fn earliest_expiry(
    trust: &[TrustReport],
    diagnosis: Option<&Diagnosis>,
    chain: &Chain,
) -> Option<OffsetDateTime> {
    let primary = primary_kind(trust);
    let validated = diagnosis.and_then(|d| {
        trust
            .iter()
            .zip(&d.verdicts)
            .filter(|(t, _)| t.store == primary)
            .filter_map(|(_, v)| v.expires_at)
            .min()
    });
    validated.or_else(|| chain.parsed().map(|(_, c)| c.not_after).min())
}

/// Whole days from `now` to `at`, rounded down.
pub fn days_until(at: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (at - now).whole_seconds().div_euclid(86_400)
}

/// `certcheck stores`: where each trust store comes from and which store each client uses.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoresReport {
    /// certcheck's version.
    pub version: String,
    /// One entry per store: `system`, `bundled`, then each `--ca-file`.
    pub stores: Vec<StoreSummary>,
    /// The store each client profile would use and why.
    pub clients: Vec<ClientStoreSummary>,
    /// The client versions and settings the predictions assume.
    pub assumptions: String,
}

/// One store, as loaded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoreSummary {
    /// `system`, `bundled` or `custom`.
    pub store: StoreKind,
    /// Description.
    pub source: String,
    /// Files read.
    pub files: Vec<String>,
    /// Directories read.
    pub directories: Vec<String>,
    /// Whether `SSL_CERT_FILE`/`SSL_CERT_DIR` decided the system store.
    pub from_environment: bool,
    /// Certificates usable as trust anchors.
    pub certificates: usize,
    /// Entries that failed to load, each with why.
    pub failed: Vec<String>,
}

/// A client profile's store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientStoreSummary {
    /// The client profile.
    pub client: crate::clients::Client,
    /// Which store and why (the environment variables that decided it).
    pub store: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_fingerprints_are_strings_in_json_and_read_back() {
        let at = time::macros::datetime!(2026-10-01 12:30:05 UTC);
        let fingerprint = Fingerprint([0xab; 32]);
        let parsed = unparsable_report(0, fingerprint, "bad".into());
        let dated = CertReport {
            not_before: CertDate(Some(at)),
            not_after: CertDate(Some(at)),
            ..parsed.clone()
        };
        let json = serde_json::to_value(&dated).expect("serialises");
        assert_eq!(json["not_before"], "2026-10-01T12:30:05Z");
        assert_eq!(json["sha256"], "ab".repeat(32));
        assert_eq!(
            serde_json::to_value(&parsed).expect("serialises")["not_after"],
            ""
        );
        for report in [dated, parsed] {
            let text = serde_json::to_string(&report).expect("serialises");
            let back: CertReport = serde_json::from_str(&text).expect("reads back");
            assert_eq!(back, report);
        }
        let short = serde_json::from_str::<Fingerprint>("\"abcd\"");
        assert!(short.is_err());
        let not_hex = serde_json::from_str::<Fingerprint>(&format!("\"{}\"", "zz".repeat(32)));
        assert!(not_hex.is_err());
    }
}
