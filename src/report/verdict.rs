//! A result's status and its verdict in words: the clients `--client` selects decide, each rule
//! written once.

use super::build::{primary_kind, primary_trusted};
use super::{ClientPrediction, ConnectionErrorReport, FindingReport, Status, TrustReport};
use crate::diagnose::{FindingCode, Severity};

/// What a failed handshake's message says after the failure when the server presented its
/// chain before failing: the chain's verdict follows.
pub const DIAGNOSED_BELOW: &str =
    " (after the server presented its certificates, which are diagnosed below)";

/// The verdict in words, from the clients that decide: `works in a, b; FAILS in c: why`, where
/// `why` is [`reason`]'s sentence. Without client predictions (`inspect --each`, no stores), the
/// most severe finding under the primary store says it. `failed`, a handshake that failed after
/// the chain arrived, comes first, so that "works" never reads as "connects".
pub fn verdict(
    clients: &[ClientPrediction],
    findings: &[FindingReport],
    trust: &[TrustReport],
    status: Status,
    failed: Option<&ConnectionErrorReport>,
) -> Verdict {
    let why = reason(clients, findings, trust, status);
    let mut words = words(clients, why.as_ref(), status);
    if let Some(failed) = failed {
        let message = failed
            .message
            .strip_suffix(DIAGNOSED_BELOW)
            .unwrap_or(&failed.message);
        words = format!("the handshake failed: {message}; the chain it presented: {words}");
    }
    Verdict {
        hint: why.as_ref().and_then(Reason::hint),
        words,
    }
}

/// The verdict of a chain that clients meet only after an obsolete protocol version or an
/// oversized Certificate message: `first` (what they do before the certificate, and what to
/// change on the server) is the reason when a deciding client fails; the chain's own findings
/// follow in the report.
pub fn handshake_verdict(
    clients: &[ClientPrediction],
    status: Status,
    first: (String, String),
) -> Verdict {
    let (sentence, hint) = first;
    let failing = clients.iter().any(|c| c.decides && !c.accepted);
    if !failing {
        return Verdict {
            words: words(clients, None, status),
            hint: None,
        };
    }
    let why = Reason::Handshake(&sentence, &hint);
    Verdict {
        hint: why.hint(),
        words: words(clients, Some(&why), status),
    }
}

/// A result's verdict: the sentence, and what to do first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// `works in a, b; FAILS in c: why`.
    pub words: String,
    /// The hint that goes with the reason the words give, when something needs doing.
    pub hint: Option<String>,
}

fn words(clients: &[ClientPrediction], why: Option<&Reason<'_>>, status: Status) -> String {
    let deciding: Vec<&ClientPrediction> = clients.iter().filter(|c| c.decides).collect();
    if deciding.is_empty() {
        return match why {
            Some(Reason::Finding(finding)) => format!("{}: {}", finding.code, finding.message),
            _ => "no problem found".into(),
        };
    }
    // Every one of three or more is "all N clients"; otherwise they are named.
    let names = |list: &[&&ClientPrediction]| {
        if list.len() == deciding.len() && list.len() > 2 {
            return format!("all {} clients", list.len());
        }
        list.iter()
            .map(|c| c.client.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let working: Vec<&&ClientPrediction> = deciding.iter().filter(|c| c.accepted).collect();
    let failing: Vec<&&ClientPrediction> = deciding.iter().filter(|c| !c.accepted).collect();
    let code = why_reason(why);
    let sentence = why.map(|r| r.sentence().to_string()).unwrap_or_default();
    let why = why
        .map(|r| format!(": {}", r.sentence()))
        .unwrap_or_default();
    match (working.is_empty(), failing.is_empty()) {
        // Revoked, but no client that decides checks revocation: the diagnosis is that they
        // connect all the same.
        (_, true) if status == Status::Error && code == Some(FindingCode::Revoked) => {
            let them = if working.len() == 1 {
                format!(
                    "{} will still connect (it does not check revocation)",
                    names(&working)
                )
            } else {
                format!(
                    "{} will still connect (none of them checks revocation)",
                    names(&working)
                )
            };
            format!("REVOKED: {sentence}; {them}")
        }
        (_, true) if status == Status::Error => {
            format!("works in {}, but{why}", names(&working))
        }
        (_, true) if status == Status::Warning => {
            format!("works in {}; warning{why}", names(&working))
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

/// The finding code of a reason that is a finding.
fn why_reason(why: Option<&Reason<'_>>) -> Option<FindingCode> {
    match why {
        Some(Reason::Finding(finding)) => Some(finding.code),
        _ => None,
    }
}

/// The one reason that matters most, so the verdict and its hint come from the same place.
enum Reason<'a> {
    /// A finding under the primary store, with its exact values.
    Finding(&'a FindingReport),
    /// A failing client, in its own words.
    Client(&'a ClientPrediction),
    /// What clients meet before the certificate (an obsolete protocol version, an oversized
    /// Certificate message), and what to change on the server.
    Handshake(&'a str, &'a str),
}

impl Reason<'_> {
    fn hint(&self) -> Option<String> {
        match self {
            Reason::Finding(finding) => Some(finding.hint.clone()),
            Reason::Client(client) => client.hint.clone(),
            Reason::Handshake(_, hint) => Some(hint.to_string()),
        }
    }

    fn sentence(&self) -> &str {
        match self {
            Reason::Finding(finding) => &finding.message,
            Reason::Client(client) => client.error.as_deref().unwrap_or("refused"),
            Reason::Handshake(sentence, _) => sentence,
        }
    }
}

/// The reason a result is not ok: when every deciding client fails (or none decides, or all
/// accept but the status is not ok, as with a `--fail-days` expiry), the most severe error or
/// warning under the primary store, which holds for all of them; when only some fail, or no
/// finding explains a failure, the first failing client's own words (a finding may not be what
/// those clients trip on). None for an ok result.
fn reason<'a>(
    clients: &'a [ClientPrediction],
    findings: &'a [FindingReport],
    trust: &[TrustReport],
    status: Status,
) -> Option<Reason<'a>> {
    if status == Status::Ok {
        return None;
    }
    let primary = primary_kind(trust);
    let top = findings
        .iter()
        .find(|f| f.holds_under(primary) && f.severity != Severity::Info);
    let deciding: Vec<&ClientPrediction> = clients.iter().filter(|c| c.decides).collect();
    let first_failing = deciding.iter().find(|c| !c.accepted).copied();
    let all_fail = deciding.iter().all(|c| !c.accepted);
    // When every client accepts, an error that fails the check alone (a revoked certificate, an
    // expiry within --fail-days) is the reason, before any warning listed earlier.
    let alone = findings
        .iter()
        .find(|f| f.holds_under(primary) && decides_alone(f));
    let top = match (alone, first_failing) {
        (Some(finding), None) => Some(finding),
        _ => top,
    };
    match (top, first_failing) {
        (Some(finding), None) => Some(Reason::Finding(finding)),
        (Some(finding), Some(_)) if all_fail && finding.severity == Severity::Error => {
            Some(Reason::Finding(finding))
        }
        (_, Some(client)) => Some(Reason::Client(client)),
        (None, None) => None,
    }
}

/// The status of a result, given everything else in the report.
///
/// The clients that decide (`--client`) decide: `error` when one of them would fail, or when a
/// finding no client can see applies (an expiry within `--fail-days`, a private key that does
/// not match, a broken entry of the input file, a revoked certificate); `warning` when a warning holds under the
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
/// the input file, a certificate its CA has revoked (which most clients do not check).
fn decides_alone(finding: &FindingReport) -> bool {
    finding.severity == Severity::Error
        && match finding.code {
            FindingCode::ExpiringSoon | FindingCode::KeyMismatch | FindingCode::Revoked => true,
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
