//! Diagnose: certcheck's own checks on the parsed chain, independent of webpki's first error, so
//! every problem is reported at once; then the per-store verdicts that follow from them.
//!
//! Adding a check is adding one function to [`CHECKS`]: it receives the [`Context`] and returns
//! findings.

mod constraints;
mod crypto;
pub mod each;
pub mod finding;
pub mod input;
mod issuers;
pub mod names;
pub mod paths;
mod revocation;
pub use revocation::{StatusKind, StatusResponse, fetched_says_revoked, staple_says_revoked};
mod shape;
mod stores;
#[cfg(test)]
pub(crate) mod testkit;
pub mod text;
mod validity;
pub mod webpki;

use time::OffsetDateTime;

pub use finding::{Finding, FindingCode, Scope, Severity};
pub use names::dns_matches;
pub use paths::{StorePath, anchor_info};

use crate::chain::{CertInfo, Chain, ChainCert};
use crate::target::Host;
use crate::trust::{TrustResult, TrustStore};

pub use crate::config::Deadlines;

/// Whether an expiry at `at` falls within `--fail-days` (then an error) or `--warn-days`, and the
/// flag that says so; `None` when neither.
pub fn expiry_severity(deadlines: &Deadlines, at: OffsetDateTime) -> Option<(Severity, String)> {
    if at < deadlines.now {
        return None;
    }
    // A horizon past the end of the calendar covers every date.
    let within = |days: i64| {
        deadlines
            .now
            .checked_add(time::Duration::days(days))
            .is_none_or(|horizon| at <= horizon)
    };
    if let Some(days) = deadlines.fail_days.filter(|d| within(*d)) {
        return Some((Severity::Error, format!("within --fail-days {days}")));
    }
    if deadlines.warn_days > 0 && within(deadlines.warn_days) {
        return Some((
            Severity::Warning,
            format!("within --warn-days {}", deadlines.warn_days),
        ));
    }
    None
}

/// Everything a check may look at. No sockets, no clock: `now` is given.
pub struct Context<'a> {
    /// The presented chain.
    pub chain: &'a Chain,
    /// Extra intermediates (`inspect --untrusted`), parsed.
    pub pool: &'a [CertInfo],
    /// The configured stores.
    pub stores: &'a [TrustStore],
    /// webpki's verdict per store (same order as `stores`).
    pub results: &'a [TrustResult],
    /// The name asked for, if any.
    pub name: Option<&'a Host>,
    /// The instant of validation.
    pub now: OffsetDateTime,
    /// `--warn-days`.
    pub warn_days: i64,
    /// `--fail-days`.
    pub fail_days: Option<i64>,
    /// The certificates in play per store (same order as `stores`).
    pub paths: Vec<StorePath>,
    /// The OCSP response the server stapled (DER), if any; `None` for files.
    pub ocsp: Option<&'a [u8]>,
    /// The OCSP responses and CRLs certcheck fetched for presented certificates
    /// (`--check-revocation`); empty otherwise.
    pub statuses: &'a [StatusResponse],
    /// The chain was read from a file, not sent by a server (it changes the words only).
    pub from_file: bool,
    /// The HTTP proxy the chain was fetched through (no credentials), if any.
    pub proxy: Option<&'a str>,
    /// What certcheck fetched to complete the chain (AIA caIssuers), and what it completes;
    /// `None` when nothing was fetched.
    pub completion: Option<&'a Completion>,
    /// [`staple_says_revoked`], decoded and checked once per context however many clients
    /// ask (GnuTLS, wget, Chrome and Firefox read staples).
    stapled_revoked: std::sync::OnceLock<bool>,
}

/// The certificates certcheck fetched from AIA caIssuers URLs for issuers the server did not
/// send, and the path each store builds with them: what `incomplete-chain` says a client that
/// fetches (a browser) would see. Of the client predictions only Chrome's uses it (Chromium
/// fetches caIssuers itself); the rest are given what the server sent.
#[derive(Clone, Debug, Default)]
pub struct Completion {
    /// Each fetched certificate with the URL it came from, in fetch order.
    pub certs: Vec<(String, CertInfo)>,
    /// Per store (the order of `Context::stores`): the anchor the chain reaches with the fetched
    /// certificates, `None` when it still reaches none.
    pub anchors: Vec<Option<String>>,
    /// Each URL whose fetch failed, with its outcome and detail (`timeout: no whole answer ...`).
    pub failures: Vec<(String, String)>,
}

impl<'a> Context<'a> {
    /// The thresholds this context was built with.
    pub fn deadlines(&self) -> Deadlines {
        Deadlines {
            now: self.now,
            warn_days: self.warn_days,
            fail_days: self.fail_days,
        }
    }

    /// Builds the context, including the per-store paths.
    pub fn new(
        chain: &'a Chain,
        pool: &'a [CertInfo],
        stores: &'a [TrustStore],
        results: &'a [TrustResult],
        name: Option<&'a Host>,
        deadlines: Deadlines,
    ) -> Context<'a> {
        let paths = stores
            .iter()
            .zip(results)
            .map(|(store, result)| paths::store_path(chain, pool, store, result))
            .collect();
        Context {
            chain,
            pool,
            stores,
            results,
            name,
            now: deadlines.now,
            warn_days: deadlines.warn_days,
            fail_days: deadlines.fail_days,
            paths,
            ocsp: None,
            statuses: &[],
            proxy: None,
            from_file: false,
            completion: None,
            stapled_revoked: std::sync::OnceLock::new(),
        }
    }

    /// The same context, with what certcheck fetched to complete the chain.
    pub fn with_completion(mut self, completion: Option<&'a Completion>) -> Context<'a> {
        self.completion = completion;
        self
    }

    /// The same context for a chain read from a file (`inspect`).
    pub fn from_file(mut self, from_file: bool) -> Context<'a> {
        self.from_file = from_file;
        self
    }

    /// `the server sent` or, for a file, `the file holds`.
    pub fn sent(&self) -> &'static str {
        if self.from_file {
            "the file holds"
        } else {
            "the server sent"
        }
    }

    /// `the server did not send` or, for a file, `the file does not hold`.
    pub fn did_not_send(&self) -> &'static str {
        if self.from_file {
            "the file does not hold"
        } else {
            "the server did not send"
        }
    }

    /// `was not sent by the server` or, for a file, `is not in the file`.
    pub fn not_sent(&self) -> &'static str {
        if self.from_file {
            "is not in the file"
        } else {
            "was not sent by the server"
        }
    }

    /// The same context, for a chain fetched through the HTTP proxy `proxy`.
    pub fn with_proxy(mut self, proxy: Option<&'a str>) -> Context<'a> {
        self.proxy = proxy;
        self
    }

    /// The same context with the OCSP responses and CRLs certcheck fetched.
    pub fn with_statuses(mut self, statuses: &'a [StatusResponse]) -> Context<'a> {
        self.statuses = statuses;
        self
    }

    /// The same context with the OCSP response the server stapled.
    pub fn with_ocsp(mut self, ocsp: Option<&'a [u8]>) -> Context<'a> {
        self.ocsp = ocsp;
        self
    }

    /// The stores (indexes) under which presented certificate `index` is in play.
    pub fn stores_using(&self, index: usize) -> Vec<usize> {
        self.paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.presented.contains(&index))
            .map(|(i, _)| i)
            .collect()
    }

    /// A scope from a list of store indexes: all stores becomes [`Scope::AllStores`].
    pub fn scope(&self, mut stores: Vec<usize>) -> Scope {
        stores.sort_unstable();
        stores.dedup();
        if stores.len() == self.stores.len() {
            Scope::AllStores
        } else {
            Scope::Stores(stores)
        }
    }

    /// A store's name for sentences: `system`, `bundled` or `custom (path)`.
    pub fn store_label(&self, index: usize) -> String {
        match self.stores.get(index) {
            Some(store) if store.kind == crate::trust::StoreKind::Custom => {
                format!("custom ({})", store.source)
            }
            Some(store) => store.kind.as_str().to_string(),
            None => format!("store {index}"),
        }
    }
}

/// Placeholder in a message for the stores a finding holds under, filled in once identical
/// findings from several stores have been merged.
pub const STORES: &str = "{stores}";

/// One check: reads the context, returns findings.
pub type Check = fn(&Context<'_>) -> Vec<Finding>;

/// The checks, in the order their findings are listed before sorting.
pub const CHECKS: &[Check] = &[
    malformed,
    validity::dates,
    validity::anchor_dates,
    names::hostname,
    issuers::issuers,
    crypto::bad_signatures,
    crypto::weak_signature_algorithms,
    crypto::weak_keys,
    constraints::purpose,
    constraints::not_a_ca,
    constraints::path_length,
    constraints::name_constraints,
    constraints::critical_extensions,
    shape::order,
    shape::unneeded_root,
    shape::long_validity,
    revocation::stapled,
    revocation::fetched,
    stores::unusable,
    stores::blocked,
];

/// The verdict of one store after diagnosis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreVerdict {
    /// webpki accepted the path and name, and no error finding applies under this store.
    pub trusted: bool,
    /// The code that best explains a failure.
    pub error: Option<FindingCode>,
    /// Subject of the anchor reached.
    pub anchor: Option<String>,
    /// Earliest notAfter along the validated path.
    pub expires_at: Option<OffsetDateTime>,
}

/// Findings and verdicts for one chain.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// Sorted: errors first, then warnings, then info; within a severity by certificate.
    pub findings: Vec<Finding>,
    /// One per store, in store order.
    pub verdicts: Vec<StoreVerdict>,
}

/// Runs every check and derives the store verdicts.
///
/// `extra` are findings from outside the chain (a broken entry in an input file, a private key
/// that does not match) that count towards the verdicts like any other.
pub fn diagnose(ctx: &Context<'_>, extra: Vec<Finding>) -> Diagnosis {
    let mut findings: Vec<Finding> = CHECKS.iter().flat_map(|check| check(ctx)).collect();
    findings.extend(extra);
    findings.extend(unexplained_webpki_errors(ctx, &findings));
    let verdicts = verdicts(ctx, &findings);
    findings.extend(stores::disagreement(ctx, &verdicts));
    findings.extend(stores::interception(ctx, &verdicts));
    findings = merge(findings);
    for finding in &mut findings {
        if matches!(&finding.scope, Scope::Stores(list) if list.len() == ctx.stores.len()) {
            finding.scope = Scope::AllStores;
        }
        if finding.message.contains(STORES) {
            finding.message = finding
                .message
                .replace(STORES, &scope_label(ctx, &finding.scope));
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(
                a.certificate
                    .unwrap_or(usize::MAX)
                    .cmp(&b.certificate.unwrap_or(usize::MAX)),
            )
            .then(a.code.cmp(&b.code))
    });
    Diagnosis { findings, verdicts }
}

/// `store system`, `stores system and bundled`, or `any configured store`.
fn scope_label(ctx: &Context<'_>, scope: &Scope) -> String {
    match scope {
        Scope::AllStores => "any configured store".into(),
        Scope::Stores(list) => {
            let names: Vec<String> = list.iter().map(|i| ctx.store_label(*i)).collect();
            match names.as_slice() {
                [one] => format!("store {one}"),
                [rest @ .., last] => format!("stores {} and {last}", rest.join(", ")),
                [] => "no store".into(),
            }
        }
    }
}

/// Identical findings raised for different stores become one with the union of stores.
fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        let twin = out.iter_mut().find(|f| {
            f.code == finding.code
                && f.certificate == finding.certificate
                && f.message == finding.message
        });
        match twin {
            Some(existing) => {
                existing.scope = match (&existing.scope, &finding.scope) {
                    (Scope::AllStores, _) | (_, Scope::AllStores) => Scope::AllStores,
                    (Scope::Stores(a), Scope::Stores(b)) => {
                        let mut all: Vec<usize> = a.iter().chain(b).copied().collect();
                        all.sort_unstable();
                        all.dedup();
                        Scope::Stores(all)
                    }
                };
            }
            None => out.push(finding),
        }
    }
    out
}

/// The issuer-family codes: one of them explains webpki's `UnknownIssuer`.
const ISSUER_CODES: [FindingCode; 4] = [
    FindingCode::SelfSigned,
    FindingCode::UntrustedRoot,
    FindingCode::UnknownIssuer,
    FindingCode::IncompleteChain,
];

fn explains(finding: &Finding, code: FindingCode, store: usize) -> bool {
    let same = finding.code == code
        || (code == FindingCode::UnknownIssuer && ISSUER_CODES.contains(&finding.code));
    same && finding.scope.includes(store)
}

/// Every webpki rejection is explained by some finding; where no check explained it, webpki's own
/// words become the finding, so a store is never untrusted without a reason.
fn unexplained_webpki_errors(ctx: &Context<'_>, findings: &[Finding]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, result) in ctx.results.iter().enumerate() {
        if ctx.stores.get(index).is_some_and(|s| s.unusable()) {
            continue;
        }
        // A blocked certificate explains the store's refusal (`stores::blocked`).
        let blocked = !result.blocked.is_empty();
        let errors = [
            result.path.as_ref().err().filter(|_| !blocked),
            result.name.as_ref().and_then(|n| n.as_ref().err()),
        ];
        for error in errors.into_iter().flatten() {
            let code = webpki::finding_code(error);
            if findings
                .iter()
                .chain(&out)
                .any(|f| explains(f, code, index))
            {
                continue;
            }
            out.push(Finding::new(
                code,
                None,
                Scope::Stores(vec![index]),
                format!(
                    "rustls-webpki rejects the chain under {STORES}: {}",
                    webpki::describe(error)
                ),
                text::generic_hint(code),
            ));
        }
    }
    out
}

fn verdicts(ctx: &Context<'_>, findings: &[Finding]) -> Vec<StoreVerdict> {
    ctx.results
        .iter()
        .enumerate()
        .map(|(index, result)| {
            let store_error = findings
                .iter()
                .filter(|f| f.severity == Severity::Error && f.scope.includes(index))
                .map(|f| f.code)
                .min();
            let error = match (&result.path, &result.name) {
                (Err(_), _) if !result.blocked.is_empty() => Some(FindingCode::BlockedCertificate),
                (Err(webpki_error), _) => {
                    let code = webpki::finding_code(webpki_error);
                    if code == FindingCode::UnknownIssuer {
                        findings
                            .iter()
                            .find(|f| ISSUER_CODES.contains(&f.code) && f.scope.includes(index))
                            .map(|f| f.code)
                            .or(Some(code))
                    } else {
                        Some(code)
                    }
                }
                (Ok(_), Some(Err(name_error))) => Some(webpki::finding_code(name_error)),
                (Ok(_), _) => store_error,
            };
            let path = &ctx.paths[index];
            if ctx.stores.get(index).is_some_and(|s| s.unusable()) {
                return StoreVerdict {
                    trusted: false,
                    error: None,
                    anchor: None,
                    expires_at: None,
                };
            }
            StoreVerdict {
                trusted: error.is_none() && store_error.is_none(),
                error: error.or(store_error),
                anchor: result.path.as_ref().ok().map(|p| p.anchor_subject.clone()),
                expires_at: result
                    .path
                    .as_ref()
                    .ok()
                    .and_then(|_| path.expires_at(ctx, index)),
            }
        })
        .collect()
}

fn malformed(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = ctx
        .chain
        .certs
        .iter()
        .enumerate()
        .filter_map(|(index, cert)| match cert {
            ChainCert::Unparsable { error, sha256, .. } => Some(Finding::new(
                FindingCode::MalformedCertificate,
                Some(index),
                Scope::AllStores,
                format!("certificate {index} (SHA-256 {sha256}) cannot be parsed: {error}"),
                "Replace it with a well-formed certificate; every client will reject this one.",
            )),
            ChainCert::Parsed(_) => None,
        })
        .collect();
    if ctx.chain.truncated > 0 {
        out.push(Finding::new(
            FindingCode::ChainOrder,
            None,
            Scope::AllStores,
            format!(
                "{} {} certificates; certcheck analyses the first {} and ignored {}",
                ctx.sent(),
                ctx.chain.certs.len() + ctx.chain.truncated,
                ctx.chain.certs.len(),
                ctx.chain.truncated
            ),
            "Send only the leaf and the intermediates that lead to the root (usually 2 to 4 certificates).",
        ));
    }
    out
}
