//! Building the report: chain, trust and finding entries, the status, the earliest expiry and the
//! primary-store rule, each written once. Everything a renderer shows is decided here.

use time::OffsetDateTime;

use super::{
    CertDate, CertReport, ClientPrediction, ConnectionErrorReport, ErrorCode, FindingReport,
    KeyReport, Source, StarttlsReport, Status, TargetReport, TlsReport, TrustReport,
};
use crate::chain::{AlgorithmName, BundleCert, CertInfo, Chain, ChainCert, Fingerprint, KeyInfo};
use crate::clients::{Prediction, Selection};
use crate::connect::ConnectError;
use crate::diagnose::text::date;
use crate::diagnose::{Diagnosis, Finding, Scope};
use crate::trust::{StoreKind, TrustStore};

/// Where a result's certificates came from: the part of a [`TargetReport`] that is known before
/// (or without) any evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// What the user typed (or the file path).
    pub target: String,
    /// The host (null for a file without `--host`).
    pub host: Option<String>,
    /// The port (null for files).
    pub port: Option<u16>,
    /// The name sent as SNI and verified.
    pub server_name: Option<String>,
    /// The peer address that answered.
    pub address: Option<String>,
    /// `tls` or `file`.
    pub source: Source,
    /// The negotiated session, when a handshake completed.
    pub tls: Option<TlsReport>,
    /// The STARTTLS protocol spoken before TLS, when one was.
    pub starttls: Option<StarttlsReport>,
}

impl Origin {
    /// A local file, checked for `host` when given (`inspect --host`).
    pub fn file(target: impl Into<String>, host: Option<&crate::target::Host>) -> Origin {
        let host = host.map(|h| h.to_string());
        Origin {
            target: target.into(),
            server_name: host.clone(),
            host,
            port: None,
            address: None,
            source: Source::File,
            tls: None,
            starttls: None,
        }
    }
}

/// What evaluating a chain decided, to be joined with its [`Origin`] by [`assemble`].
#[derive(Clone, Debug)]
pub struct Assessment {
    /// The outcome.
    pub status: Status,
    /// The verdict in words.
    pub verdict: String,
    /// The date this target breaks.
    pub expires_at: Option<OffsetDateTime>,
    /// Why the target could not be (fully) evaluated.
    pub connection_error: Option<ConnectionErrorReport>,
    /// The presented certificates.
    pub chain: Vec<CertReport>,
    /// One entry per store.
    pub trust: Vec<TrustReport>,
    /// Every finding, most severe first.
    pub findings: Vec<FindingReport>,
    /// One entry per client profile.
    pub clients: Vec<ClientPrediction>,
}

/// The one place a [`TargetReport`] is put together.
pub fn assemble(origin: Origin, assessment: Assessment, now: OffsetDateTime) -> TargetReport {
    TargetReport {
        target: origin.target,
        host: origin.host,
        port: origin.port,
        server_name: origin.server_name,
        address: origin.address,
        source: origin.source,
        status: assessment.status,
        verdict: assessment.verdict,
        expires_at: assessment.expires_at.map(date),
        days_remaining: assessment.expires_at.map(|at| days_until(at, now)),
        connection_error: assessment.connection_error,
        tls: origin.tls,
        starttls: origin.starttls,
        chain: assessment.chain,
        trust: assessment.trust,
        findings: assessment.findings,
        clients: assessment.clients,
    }
}

impl TargetReport {
    /// A target whose certificates could not be obtained or read: where it came from and why.
    pub fn failed(origin: Origin, error: ConnectionErrorReport) -> TargetReport {
        let verdict = format!("could not be checked: {}", error.message);
        let assessment = Assessment {
            status: Status::Error,
            verdict,
            expires_at: None,
            connection_error: Some(error),
            chain: Vec::new(),
            trust: Vec::new(),
            findings: Vec::new(),
            clients: Vec::new(),
        };
        // No date is written without an expiry, so the instant does not matter.
        assemble(origin, assessment, OffsetDateTime::UNIX_EPOCH)
    }

    /// The findings that hold under the store that decides `status`.
    pub fn primary_findings(&self) -> impl Iterator<Item = &FindingReport> {
        let primary = primary_kind(&self.trust);
        self.findings.iter().filter(move |f| f.holds_under(primary))
    }
}

impl FindingReport {
    /// Whether the finding holds under stores of `kind` (a finding without stores holds under all).
    pub fn holds_under(&self, kind: StoreKind) -> bool {
        self.stores.as_ref().is_none_or(|list| list.contains(&kind))
    }
}

impl ConnectionErrorReport {
    /// A failure of the given kind.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ConnectionErrorReport {
        ConnectionErrorReport {
            code,
            message: message.into(),
        }
    }
}

impl From<&ConnectError> for ConnectionErrorReport {
    fn from(error: &ConnectError) -> ConnectionErrorReport {
        let code = match error {
            ConnectError::Dns { .. } => ErrorCode::Dns,
            ConnectError::Refused { .. } => ErrorCode::Refused,
            ConnectError::Timeout { .. } => ErrorCode::Timeout,
            ConnectError::NotTls { .. } | ConnectError::Garbled { .. } => ErrorCode::NotTls,
            ConnectError::TlsAlert(_) => ErrorCode::TlsAlert,
            ConnectError::Io(_) => ErrorCode::Io,
            ConnectError::Starttls { .. } => ErrorCode::Starttls,
        };
        ConnectionErrorReport::new(code, error.to_string())
    }
}

/// The client predictions as the report carries them; `deciding` marks those that decide.
pub fn client_reports(predictions: Vec<Prediction>, deciding: Selection) -> Vec<ClientPrediction> {
    predictions
        .into_iter()
        .map(|p| ClientPrediction {
            decides: deciding.contains(p.client),
            client: p.client,
            store: p.store,
            accepted: p.accepted,
            error: p.error,
            hint: p.hint,
        })
        .collect()
}

/// The store kind that decides `status` among `kinds`: `custom` when any `--ca-file` was given,
/// otherwise `system`. The one statement of the primary-store rule.
pub fn primary_of(kinds: impl IntoIterator<Item = StoreKind>) -> StoreKind {
    if kinds.into_iter().any(|k| k == StoreKind::Custom) {
        StoreKind::Custom
    } else {
        StoreKind::System
    }
}

/// The stores that decide `status`: the `custom` ones when present, otherwise `system`.
pub fn primary_kind(trust: &[TrustReport]) -> StoreKind {
    primary_of(trust.iter().map(|t| t.store))
}

/// A primary store that could not be loaded at all means the target cannot be evaluated.
pub fn store_failure(stores: &[TrustStore]) -> Option<ConnectionErrorReport> {
    let primary = primary_of(stores.iter().map(|s| s.kind));
    let failed: Vec<String> = stores
        .iter()
        .filter(|s| s.kind == primary && s.unusable())
        .flat_map(|s| s.errors.iter().cloned())
        .collect();
    if failed.is_empty() {
        return None;
    }
    let what = if primary == StoreKind::Custom {
        "--ca-file"
    } else {
        "the system trust store"
    };
    Some(ConnectionErrorReport::new(
        ErrorCode::File,
        format!("{what} could not be loaded: {}", failed.join("; ")),
    ))
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
