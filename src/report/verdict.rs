//! A result's status and its verdict in words: the clients `--client` selects decide, each rule
//! written once.

use super::build::{primary_kind, primary_trusted};
use super::{ClientPrediction, ConnectionErrorReport, FindingReport, Status, TrustReport};
use crate::diagnose::{FindingCode, Severity};

/// The verdict in words, from the clients that decide: `works in a, b; FAILS in c (why)`.
/// Without client predictions (`inspect --each`, no stores), the most severe finding under the
/// primary store says it.
pub fn verdict(
    clients: &[ClientPrediction],
    findings: &[FindingReport],
    trust: &[TrustReport],
    status: Status,
) -> String {
    let deciding: Vec<&ClientPrediction> = clients.iter().filter(|c| c.decides).collect();
    if deciding.is_empty() {
        let primary = primary_kind(trust);
        let first = findings
            .iter()
            .find(|f| f.holds_under(primary) && f.severity != Severity::Info);
        return match (status, first) {
            (Status::Ok, _) | (_, None) => "no problem found".into(),
            (_, Some(finding)) => format!("{}: {}", finding.code, finding.message),
        };
    }
    let names = |list: &[&&ClientPrediction]| {
        list.iter()
            .map(|c| c.client.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let working: Vec<&&ClientPrediction> = deciding.iter().filter(|c| c.accepted).collect();
    let failing: Vec<&&ClientPrediction> = deciding.iter().filter(|c| !c.accepted).collect();
    let why = failing
        .first()
        .and_then(|c| c.error.as_deref())
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    match (working.is_empty(), failing.is_empty()) {
        (_, true) if status == Status::Error => {
            format!("works in {}, but has errors", names(&working))
        }
        (_, true) => format!("works in {}", names(&working)),
        (true, false) => format!("FAILS in {}{why}", names(&failing)),
        (false, false) => format!(
            "works in {}; FAILS in {}{why}",
            names(&working),
            names(&failing)
        ),
    }
}

/// The status of a result, given everything else in the report.
///
/// The clients that decide (`--client`) decide: `error` when one of them would fail, or when a
/// finding no client can see applies (an expiry within `--fail-days`, a private key that does
/// not match, a broken entry of the input file); `warning` when a warning holds under the
/// primary store; `ok` otherwise. Without predictions the primary store's verdict and its
/// findings decide. Never `ok` unless something validated the chain: no store at all, or a
/// store that could not be loaded, is an error.
pub fn status(
    trust: &[TrustReport],
    findings: &[FindingReport],
    clients: &[ClientPrediction],
    connection_error: Option<&ConnectionErrorReport>,
    has_chain: bool,
) -> Status {
    if connection_error.is_some() || !has_chain {
        return Status::Error;
    }
    let primary = primary_kind(trust);
    let under_primary = || findings.iter().filter(move |f| f.holds_under(primary));
    let deciding: Vec<&ClientPrediction> = clients.iter().filter(|c| c.decides).collect();
    if deciding.is_empty() {
        if !primary_trusted(trust) {
            return Status::Error;
        }
        return findings_status(under_primary());
    }
    if deciding.iter().any(|c| !c.accepted) || under_primary().any(decides_alone) {
        return Status::Error;
    }
    if under_primary().any(|f| f.severity == Severity::Warning) {
        Status::Warning
    } else {
        Status::Ok
    }
}

/// An error finding that no client sees but that fails the check all the same: an expiry within
/// `--fail-days` (the CI gate), a private key that does not belong to the leaf, a broken entry of
/// the input file.
fn decides_alone(finding: &FindingReport) -> bool {
    finding.severity == Severity::Error
        && match finding.code {
            FindingCode::ExpiringSoon | FindingCode::KeyMismatch => true,
            FindingCode::MalformedCertificate => finding.certificate.is_none(),
            _ => false,
        }
}

/// The status of `inspect --each`, which builds no path on purpose: the findings alone decide.
pub fn pathless_status(findings: &[FindingReport], has_chain: bool) -> Status {
    if !has_chain {
        return Status::Error;
    }
    findings_status(findings.iter())
}

fn findings_status<'a>(findings: impl Iterator<Item = &'a FindingReport> + Clone) -> Status {
    if findings.clone().any(|f| f.severity == Severity::Error) {
        Status::Error
    } else if findings.clone().any(|f| f.severity == Severity::Warning) {
        Status::Warning
    } else {
        Status::Ok
    }
}
