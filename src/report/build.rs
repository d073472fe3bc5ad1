//! Building the report: chain, trust and finding entries, the status, the earliest expiry and the
//! primary-store rule, each written once. Everything a renderer shows is decided here.

use time::OffsetDateTime;

use super::{
    CertDate, CertReport, ClientPrediction, ConnectionErrorReport, ErrorCode, FindingReport,
    KeyReport, Source, StarttlsReport, Status, TargetReport, TlsReport, TrustReport, Verdict,
};
use crate::chain::days_until;
use crate::chain::{AlgorithmName, BundleCert, CertInfo, Chain, ChainCert, Fingerprint, KeyInfo};
use crate::clients::{Prediction, Selection};
use crate::config::Keep;
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
    /// `--connect-to` as given, when it was.
    pub connect_to: Option<String>,
    /// `direct` or the proxy (no credentials); `None` for files.
    pub route: Option<String>,
    /// Why that route.
    pub route_reason: Option<String>,
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
            connect_to: None,
            route: None,
            route_reason: None,
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
    /// The verdict in words, and what to do first.
    pub verdict: Verdict,
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
    let route_summary = route_summary(&origin, &assessment.clients);
    TargetReport {
        route_summary,
        target: origin.target,
        host: origin.host,
        port: origin.port,
        server_name: origin.server_name,
        address: origin.address,
        connect_to: origin.connect_to,
        route: origin.route,
        route_reason: origin.route_reason,
        source: origin.source,
        status: assessment.status,
        verdict: assessment.verdict.words,
        hint: assessment.verdict.hint,
        expires_at: assessment.expires_at.map(date),
        days_remaining: assessment.expires_at.map(|at| days_until(at, now)),
        connection_error: assessment.connection_error,
        tls: origin.tls,
        starttls: origin.starttls,
        chain: assessment.chain,
        trust: assessment.trust,
        findings: assessment.findings,
        clients: assessment.clients,
        fetched: Vec::new(),
    }
}

impl TargetReport {
    /// A target whose certificates could not be obtained or read: where it came from and why.
    pub fn failed(origin: Origin, error: ConnectionErrorReport) -> TargetReport {
        let verdict = Verdict {
            words: format!("could not be checked: {}", error.message),
            hint: None,
        };
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

    /// What a fleet's first line and summary row need of this result, and no more: the verdict,
    /// the hint, the expiry, the connection error, the trust verdicts (which decide the primary
    /// store), the most severe finding under the primary store and the
    /// leaf. A fleet of any size is then kept in about a kilobyte per target.
    pub fn summary_only(mut self) -> TargetReport {
        let primary = primary_kind(&self.trust);
        let top = self
            .findings
            .iter()
            .position(|f| f.holds_under(primary))
            .map(|i| self.findings.swap_remove(i));
        self.findings = top.into_iter().collect();
        self.chain.truncate(1);
        for cert in &mut self.chain {
            cert.details = None;
            cert.pem = None;
        }
        self.clients = Vec::new();
        self.route_summary = None;
        self.fetched = Vec::new();
        self
    }

    /// The findings that hold only under stores other than the one that decides `status`: the
    /// store comparison, not the verdict.
    pub fn other_store_findings(&self) -> impl Iterator<Item = &FindingReport> {
        let primary = primary_kind(&self.trust);
        self.findings
            .iter()
            .filter(move |f| !f.holds_under(primary))
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
            ConnectError::Proxy(_) => ErrorCode::Proxy,
            ConnectError::Starttls { .. } => ErrorCode::Starttls,
        };
        ConnectionErrorReport::new(code, error.to_string())
    }
}

/// The routes in words, when certcheck or a client goes through a proxy: certcheck's route
/// first, then the clients grouped by theirs ("python-requests, curl go through it too and see
/// what certcheck saw; node, java connect directly").
pub fn route_summary(origin: &Origin, clients: &[ClientPrediction]) -> Option<String> {
    let own = origin.route.as_deref()?;
    let reason = origin.route_reason.as_deref().unwrap_or("");
    let proxied = |route: &str| route != "direct";
    let any_client_proxy = clients
        .iter()
        .any(|c| c.route.as_deref().is_some_and(proxied));
    if !proxied(own) && !any_client_proxy {
        return None;
    }
    let mut parts = vec![if proxied(own) {
        format!("certcheck went through the proxy {own} ({reason})")
    } else {
        format!("certcheck connected directly ({reason})")
    }];
    let mut routes: Vec<&str> = Vec::new();
    for route in clients.iter().filter_map(|c| c.route.as_deref()) {
        if !routes.contains(&route) {
            routes.push(route);
        }
    }
    for route in routes {
        let names: Vec<&str> = clients
            .iter()
            .filter(|c| c.route.as_deref() == Some(route))
            .map(|c| c.client.as_str())
            .collect();
        // "curl goes", "curl, wget go".
        let one = names.len() == 1;
        let (go, connect, see) = if one {
            ("goes", "connects", "sees")
        } else {
            ("go", "connect", "see")
        };
        let names = names.join(", ");
        parts.push(match (route == own, proxied(route)) {
            (true, true) => format!("{names} {go} through it too and {see} what certcheck saw"),
            (false, true) if proxied(own) => format!(
                "{names} {go} through {route} instead, which may present another chain"
            ),
            (false, true) => format!(
                "{names} {go} through the proxy {route}, which may present another chain (check with --proxy {route})"
            ),
            (_, false) if proxied(own) => format!(
                "{names} {connect} directly and may see another chain than the proxy's"
            ),
            (_, false) => format!("{names} {connect} directly too"),
        });
    }
    Some(parts.join("; "))
}

/// The client predictions as the report carries them; `deciding` marks those that decide,
/// `routes` says how each would reach the server (empty when not predicted).
pub fn client_reports(
    predictions: Vec<Prediction>,
    deciding: Selection,
    routes: &[(crate::clients::Client, crate::route::Route)],
) -> Vec<ClientPrediction> {
    predictions
        .into_iter()
        .map(|p| {
            let route = routes.iter().find(|(c, _)| *c == p.client).map(|(_, r)| r);
            ClientPrediction {
                decides: deciding.contains(p.client),
                client: p.client,
                assumes: p.assumes.to_string(),
                store: p.store,
                accepted: p.accepted,
                error: p.error,
                hint: p.hint,
                route: route.map(|r| r.proxy.clone().unwrap_or_else(|| "direct".into())),
                route_reason: route.map(|r| r.reason.clone()),
            }
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

/// Adds to each chain entry what `keep` asks for: every field (`show`) and the PEM (`show`,
/// `--showcerts`, `--save-chain`). A certificate that does not parse still gets its PEM.
pub fn keep_certificates(report: &mut TargetReport, chain: &Chain, keep: Keep) {
    for (entry, cert) in report.chain.iter_mut().zip(&chain.certs) {
        if keep.details {
            entry.details = crate::chain::details::describe(cert.der())
                .ok()
                .map(Box::new);
        }
        if keep.pem {
            entry.pem = Some(pem::encode_config(
                &pem::Pem::new("CERTIFICATE", cert.der().to_vec()),
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            ));
        }
    }
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
                scts: Vec::new(),
                details: None,
                pem: None,
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
        scts: Vec::new(),
        details: None,
        pem: None,
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
        scts: info.scts.clone(),
        details: None,
        pem: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_summary_groups_clients_by_route_and_says_nothing_when_all_go_direct() {
        use crate::clients::Client;
        let prediction = |client: Client, route: &str| ClientPrediction {
            client,
            assumes: String::new(),
            store: String::new(),
            accepted: true,
            error: None,
            hint: None,
            decides: true,
            route: Some(route.into()),
            route_reason: None,
        };
        let mut origin = Origin::file("a.test:443", None);
        origin.route = Some("direct".into());
        origin.route_reason = Some("NO_PROXY entry 'a.test' matches a.test".into());
        let clients = vec![
            prediction(Client::Curl, "direct"),
            prediction(Client::Go, "direct"),
            prediction(Client::Wget, "http://p:3128"),
        ];
        assert_eq!(
            route_summary(&origin, &clients).as_deref(),
            Some(
                "certcheck connected directly (NO_PROXY entry 'a.test' matches a.test); curl, go connect directly too; wget goes through the proxy http://p:3128, which may present another chain (check with --proxy http://p:3128)"
            )
        );
        assert_eq!(route_summary(&origin, &clients[..2]), None);
        assert_eq!(route_summary(&Origin::file("f.pem", None), &clients), None);
    }

    #[test]
    fn each_chain_entry_lists_its_embedded_scts() {
        use crate::demo::pki::Spec;
        use crate::diagnose::testkit::{NOW, Pki, sct_extension};
        let pki = Pki::new();
        let mut spec = Spec::leaf(&["sct.test"], NOW);
        spec.extensions.push(sct_extension(&[0xa1, 0xb2]));
        let leaf = pki.leaf_with(spec);
        let chain = crate::chain::parse_chain(&pki.chain(&leaf));
        let json = serde_json::to_value(chain_reports(&chain, NOW)).expect("serialises");
        assert_eq!(json[0]["scts"].as_array().map(Vec::len), Some(2));
        assert_eq!(json[0]["scts"][1]["log_id"], "b2".repeat(32));
        assert_eq!(json[0]["scts"][1]["timestamp"], "2030-01-01T00:00:00Z");
        assert_eq!(json[0]["scts"][1]["version"], 1);
        assert_eq!(json[1]["scts"], serde_json::json!([]));
    }

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
