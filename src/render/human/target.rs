//! One target: the headline, then its chain, trust-store, client and findings tables.

use std::io::{self, Write};

use comfy_table::{Cell, Color};

use super::chain::write_chain;
use super::{LARGE_CHAIN_ROWS, not_checked, paint, severity_cell, table_with_header};
use crate::render::Style;
use crate::report::{Status, TargetReport};

/// The first line of a target's report, the one that answers the question: the target (as of
/// `--at` when given), the verdict in words, and what to do first.
pub(super) fn write_first_line(
    label: &str,
    result: &TargetReport,
    checked_at: &str,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut line = label.to_string();
    if style.as_of {
        line.push_str(&format!(" (as of {checked_at})"));
    }
    let verdict = if not_checked(result) {
        match &result.connection_error {
            Some(error) => format!("could not check ({}): {}", error.code, error.message),
            None => result.verdict.clone(),
        }
    } else {
        result.verdict.clone()
    };
    let verdict = if style.color {
        format!("\x1b[1;{}m{verdict}\x1b[0m", ansi_colour(result))
    } else {
        verdict
    };
    match &result.hint {
        Some(hint) => writeln!(out, "{line}: {verdict} → {hint}"),
        None => writeln!(out, "{line}: {verdict}"),
    }
}

/// Every table of one target, after a line with its status and session.
pub(super) fn write_details(
    label: &str,
    result: &TargetReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_headline(label, result, style, out)?;
    write_chain(result, style, out)?;
    write_fetched(result, out)?;
    write_trust(result, style, out)?;
    write_clients(result, style, out)?;
    write_findings(result, style, out)
}

/// `STATUS (address, name, protocol, …)`, then the connection error if there is one.
fn write_headline(
    label: &str,
    result: &TargetReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let word = if not_checked(result) {
        "COULD NOT CHECK"
    } else {
        status_word(result.status)
    };
    let word = if style.color {
        format!("\x1b[1;{}m{word}\x1b[0m", ansi_colour(result))
    } else {
        word.to_string()
    };
    let detail = headline(result);
    if detail.is_empty() {
        writeln!(out, "{label} {word}")?;
    } else {
        writeln!(out, "{label} {word} ({detail})")?;
    }
    if let Some(route) = &result.route_summary {
        writeln!(out, "route: {route}")?;
    }
    if let Some(error) = result
        .connection_error
        .as_ref()
        .filter(|_| !not_checked(result))
    {
        writeln!(out, "{} error: {}", error.code, error.message)?;
    }
    Ok(())
}

fn headline(result: &TargetReport) -> String {
    let mut parts = Vec::new();
    if let Some(address) = &result.address {
        parts.push(address.clone());
    }
    if let Some(name) = &result.server_name {
        parts.push(format!("name {name}"));
    }
    if let Some(starttls) = &result.starttls {
        let port = result.port.map(|p| p.to_string()).unwrap_or_default();
        if starttls.inferred_from_port {
            parts.push(format!(
                "STARTTLS {} (chosen by port {port}; --starttls none to turn it off)",
                starttls.protocol
            ));
        } else {
            parts.push(format!("STARTTLS {}", starttls.protocol));
        }
    }
    if let Some(tls) = &result.tls {
        parts.push(tls.version.clone());
        parts.push(tls.cipher_suite.clone());
        if let Some(alpn) = &tls.alpn {
            parts.push(format!("ALPN {alpn}"));
        }
        if tls.ocsp_stapled {
            parts.push("OCSP stapled".into());
        }
        if tls.client_certificate_sent {
            parts.push("asked for a client certificate, got --cert's".into());
        } else if tls.client_certificate_requested {
            parts.push("asks for a client certificate".into());
        }
        if let Some(bytes) = tls.certificate_message_bytes {
            parts.push(format!("Certificate message {bytes} bytes"));
        }
        if !tls.handshake_completed {
            parts.push(
                "chain read by certcheck's own TLS 1.2 ClientHello, handshake not completed".into(),
            );
        }
    }
    parts.join(", ")
}

/// The ANSI colour of a result's verdict: magenta when nothing was checked, else by status.
fn ansi_colour(result: &TargetReport) -> &'static str {
    match (not_checked(result), result.status) {
        (true, _) => "35",
        (false, Status::Ok) => "32",
        (false, Status::Warning) => "33",
        (false, Status::Error) => "31",
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "OK",
        Status::Warning => "WARNING",
        Status::Error => "ERROR",
    }
}

/// The trust-store table: each store's verdict, anchor or reason, and load errors.
fn write_trust(result: &TargetReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if result.trust.is_empty() {
        return Ok(());
    }
    let mut stores = table_with_header(style, ["Store", "Source", "Verdict", "Anchor / reason"]);
    for entry in &result.trust {
        let verdict = if entry.trusted {
            paint(Cell::new("trusted"), Color::Green, style)
        } else if entry.unavailable() {
            paint(Cell::new("not loaded"), Color::Red, style)
        } else {
            paint(Cell::new("NOT trusted"), Color::Red, style)
        };
        let mut detail = match (&entry.anchor, entry.error) {
            (Some(anchor), None) => anchor.clone(),
            (Some(anchor), Some(code)) => format!("{code} (anchor {anchor})"),
            (None, Some(code)) => code.to_string(),
            (None, None) => String::new(),
        };
        if let Some(expires) = &entry.expires_at {
            detail.push_str(&format!("\npath valid until {expires}"));
        }
        for error in &entry.load_errors {
            detail.push_str(&format!("\nload error: {error}"));
        }
        stores.add_row(vec![
            Cell::new(entry.store.as_str()),
            Cell::new(&entry.source),
            verdict,
            Cell::new(detail),
        ]);
    }
    writeln!(out, "{stores}")
}

/// The client table: what each client profile would do and print, with the fix.
fn write_clients(result: &TargetReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if result.clients.is_empty() {
        return Ok(());
    }
    let mut clients = table_with_header(
        style,
        [
            "Client",
            "Store it uses",
            "Verdict",
            "What it prints / what to change",
        ],
    );
    for prediction in &result.clients {
        let verdict = if prediction.accepted {
            paint(Cell::new("accepts"), Color::Green, style)
        } else {
            paint(Cell::new("FAILS"), Color::Red, style)
        };
        let mut detail = prediction.error.clone().unwrap_or_default();
        if let Some(hint) = &prediction.hint {
            detail.push_str(&format!("\n→ {hint}"));
        }
        let mut store = prediction.store.clone();
        if let Some(route) = prediction.route.as_deref().filter(|r| *r != "direct") {
            store.push_str(&format!("\nvia {route}"));
        }
        clients.add_row(vec![
            Cell::new(prediction.client.as_str()),
            Cell::new(store),
            verdict,
            Cell::new(detail),
        ]);
    }
    writeln!(out, "{clients}")
}

/// One line per fetch certcheck made (nothing when it fetched nothing).
fn write_fetched(result: &TargetReport, out: &mut dyn Write) -> io::Result<()> {
    for fetch in &result.fetched {
        let purpose = match fetch.purpose {
            crate::connect::fetch::FetchPurpose::Aia => "AIA caIssuers",
            crate::connect::fetch::FetchPurpose::Ocsp => "OCSP",
            crate::connect::fetch::FetchPurpose::Crl => "CRL",
        };
        let gave = fetch
            .subject
            .as_deref()
            .map(|s| format!(" → {s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "fetched ({purpose}): {} {}{gave} ({} bytes, {} ms): {}",
            fetch.url,
            fetch.outcome.as_str(),
            fetch.bytes,
            fetch.milliseconds,
            fetch.detail
        )?;
    }
    Ok(())
}

/// The findings table with hints, or "No problems found." when there are none and the target
/// was evaluated.
fn write_findings(result: &TargetReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if result.findings.is_empty() {
        if result.connection_error.is_none() {
            writeln!(out, "No problems found.")?;
        }
        return Ok(());
    }
    let mut findings = table_with_header(style, ["Severity", "Finding", "Cert", "Details"]);
    // What decides the verdict first; findings that hold only under other stores after, marked
    // as such, so a trusted result never opens with an error-looking row.
    let ordered = result
        .primary_findings()
        .map(|f| (f, true))
        .chain(result.other_store_findings().map(|f| (f, false)));
    for (finding, decides) in ordered.take(LARGE_CHAIN_ROWS) {
        let cert = finding
            .certificate
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let mut code = finding.code.to_string();
        if let Some(stores) = &finding.stores {
            let names: Vec<&str> = stores.iter().map(|s| s.as_str()).collect();
            let only = if decides { "" } else { "only " };
            code.push_str(&format!("\n({only}{})", names.join(", ")));
        }
        let severity = if decides {
            severity_cell(finding.severity, style)
        } else {
            paint(Cell::new("other store"), Color::Cyan, style)
        };
        findings.add_row(vec![
            severity,
            Cell::new(code),
            Cell::new(cert),
            Cell::new(format!("{}\n→ {}", finding.message, finding.hint)),
        ]);
    }
    writeln!(out, "{findings}")?;
    if result.findings.len() > LARGE_CHAIN_ROWS {
        writeln!(
            out,
            "{} findings in all; the first {LARGE_CHAIN_ROWS} are shown (--json lists every one).",
            result.findings.len()
        )?;
    }
    Ok(())
}
