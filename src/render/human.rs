//! Tables for people (comfy-table): per target the chain, the stores and the findings with hints.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Style;
use crate::diagnose::Severity;
use crate::report::{Report, Status, TargetReport, primary_kind};

/// Chains longer than this show only the certificates that findings refer to.
const LARGE_CHAIN: usize = 20;
/// At most this many rows of a large chain are shown.
const LARGE_CHAIN_ROWS: usize = 200;

/// Writes the tables of each target (with several targets, only those that are not ok unless
/// `verbose`), then a summary when there are several targets.
pub fn write(report: &Report, style: Style, verbose: bool, out: &mut dyn Write) -> io::Result<()> {
    let several = report.results.len() > 1;
    let mut first = true;
    for result in &report.results {
        if several && !verbose && result.status == Status::Ok {
            continue;
        }
        if !first {
            writeln!(out)?;
        }
        first = false;
        write_target(result, style, out)?;
    }
    if several {
        if !first {
            writeln!(out)?;
        }
        write_summary(report, style, out)?;
    }
    out.flush()
}

fn table(style: Style) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width);
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

fn paint(cell: Cell, color: Color, style: Style) -> Cell {
    if style.color { cell.fg(color) } else { cell }
}

fn bold(cell: Cell, style: Style) -> Cell {
    if style.color {
        cell.add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

fn status_cell(status: Status, style: Style) -> Cell {
    match status {
        Status::Ok => paint(Cell::new("ok"), Color::Green, style),
        Status::Warning => paint(Cell::new("warning"), Color::Yellow, style),
        Status::Error => paint(Cell::new("error"), Color::Red, style),
    }
}

fn severity_cell(severity: Severity, style: Style) -> Cell {
    match severity {
        Severity::Error => paint(Cell::new("error"), Color::Red, style),
        Severity::Warning => paint(Cell::new("warning"), Color::Yellow, style),
        Severity::Info => paint(Cell::new("info"), Color::Cyan, style),
    }
}

fn headline(result: &TargetReport) -> String {
    let mut parts = Vec::new();
    if let Some(address) = &result.address {
        parts.push(address.clone());
    }
    if let Some(name) = &result.server_name {
        parts.push(format!("name {name}"));
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
        if tls.client_certificate_requested {
            parts.push("asks for a client certificate".into());
        }
    }
    parts.join(", ")
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "OK",
        Status::Warning => "WARNING",
        Status::Error => "ERROR",
    }
}

fn write_target(result: &TargetReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let word = status_word(result.status);
    let word = if style.color {
        let code = match result.status {
            Status::Ok => "32",
            Status::Warning => "33",
            Status::Error => "31",
        };
        format!("\x1b[1;{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    let detail = headline(result);
    if detail.is_empty() {
        writeln!(out, "{}: {word}", result.target)?;
    } else {
        writeln!(out, "{}: {word} ({detail})", result.target)?;
    }
    if let Some(error) = &result.connection_error {
        writeln!(out, "{} error: {}", error.code, error.message)?;
    }

    if !result.chain.is_empty() {
        let mut chain = table(style);
        chain.set_header(
            ["#", "Subject", "Issuer", "Valid until", "Key", "Signature"]
                .into_iter()
                .map(|h| bold(Cell::new(h), style)),
        );
        // A whole bundle (`inspect --each`) shows the certificates with findings, not thousands of rows.
        let mut referenced = vec![false; result.chain.len()];
        for index in result.findings.iter().filter_map(|f| f.certificate) {
            if let Some(slot) = referenced.get_mut(index) {
                *slot = true;
            }
        }
        let large = result.chain.len() > LARGE_CHAIN;
        let mut hidden = 0;
        for cert in &result.chain {
            let shown = referenced.get(cert.index).copied().unwrap_or(false);
            if large && (!shown || chain.row_count() >= LARGE_CHAIN_ROWS) {
                hidden += 1;
                continue;
            }
            if let Some(error) = &cert.parse_error {
                chain.add_row(vec![
                    Cell::new(cert.index),
                    paint(Cell::new(format!("unparsable: {error}")), Color::Red, style),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                ]);
                continue;
            }
            let days = cert.days_remaining;
            let until = if days < 0 {
                format!("{}\nexpired {} days ago", cert.not_after, -days)
            } else {
                format!("{}\n{} days left", cert.not_after, days)
            };
            let until_cell = if days < 0 {
                paint(Cell::new(until), Color::Red, style)
            } else if days < 30 {
                paint(Cell::new(until), Color::Yellow, style)
            } else {
                Cell::new(until)
            };
            let mut subject = cert.subject.clone();
            let names: Vec<&str> = cert
                .dns_names
                .iter()
                .chain(&cert.ip_addresses)
                .map(String::as_str)
                .collect();
            if !names.is_empty() {
                subject.push_str(&format!("\nnames: {}", names.join(", ")));
            }
            if cert.self_signed {
                subject.push_str("\n(self-signed)");
            }
            chain.add_row(vec![
                Cell::new(cert.index),
                Cell::new(subject),
                Cell::new(&cert.issuer),
                until_cell,
                Cell::new(format!("{} {}", cert.key.algorithm, cert.key.bits)),
                Cell::new(&cert.signature_algorithm),
            ]);
        }
        writeln!(out, "{chain}")?;
        if hidden > 0 {
            writeln!(
                out,
                "{} certificates in all; {hidden} without findings are not shown (--json lists every one).",
                result.chain.len()
            )?;
        }
    }

    if !result.trust.is_empty() {
        let mut stores = table(style);
        stores.set_header(
            ["Store", "Source", "Verdict", "Anchor / reason"]
                .into_iter()
                .map(|h| bold(Cell::new(h), style)),
        );
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
        writeln!(out, "{stores}")?;
    }

    if !result.clients.is_empty() {
        let mut clients = table(style);
        clients.set_header(
            [
                "Client",
                "Store it uses",
                "Verdict",
                "What it prints / what to change",
            ]
            .into_iter()
            .map(|h| bold(Cell::new(h), style)),
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
            clients.add_row(vec![
                Cell::new(prediction.client.as_str()),
                Cell::new(&prediction.store),
                verdict,
                Cell::new(detail),
            ]);
        }
        writeln!(out, "{clients}")?;
    }

    if !result.findings.is_empty() {
        let mut findings = table(style);
        findings.set_header(
            ["Severity", "Finding", "Cert", "Details"]
                .into_iter()
                .map(|h| bold(Cell::new(h), style)),
        );
        for finding in result.findings.iter().take(LARGE_CHAIN_ROWS) {
            let cert = finding
                .certificate
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into());
            let mut code = finding.code.to_string();
            if let Some(stores) = &finding.stores {
                let names: Vec<&str> = stores.iter().map(|s| s.as_str()).collect();
                code.push_str(&format!("\n({})", names.join(", ")));
            }
            findings.add_row(vec![
                severity_cell(finding.severity, style),
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
    } else if result.connection_error.is_none() {
        writeln!(out, "No problems found.")?;
    }
    Ok(())
}

fn write_summary(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut summary = table(style);
    summary.set_header(
        ["Target", "Status", "Expires", "Most severe finding"]
            .into_iter()
            .map(|h| bold(Cell::new(h), style)),
    );
    // Worst first: errors, then warnings, then ok; the soonest expiry first within each.
    let mut order: Vec<&TargetReport> = report.results.iter().collect();
    order.sort_by(|a, b| {
        b.status.cmp(&a.status).then(
            a.days_remaining
                .unwrap_or(i64::MAX)
                .cmp(&b.days_remaining.unwrap_or(i64::MAX)),
        )
    });
    for result in order {
        let primary = primary_kind(&result.trust);
        let first = result
            .findings
            .iter()
            .find(|f| f.stores.as_ref().is_none_or(|s| s.contains(&primary)));
        let main = match (&result.connection_error, first) {
            (Some(error), _) if result.chain.is_empty() => {
                format!("{}: {}", error.code, error.message)
            }
            (_, Some(finding)) => format!("{}: {}", finding.code, finding.message),
            (Some(error), None) => format!("{}: {}", error.code, error.message),
            (None, None) => "no problems found".into(),
        };
        let expires = match (&result.expires_at, result.days_remaining) {
            (Some(at), Some(days)) if days < 0 => format!("{at}\nexpired {} days ago", -days),
            (Some(at), Some(days)) => format!("{at}\n{days} days left"),
            _ => "-".into(),
        };
        summary.add_row(vec![
            Cell::new(&result.target),
            status_cell(result.status, style),
            Cell::new(expires),
            Cell::new(main),
        ]);
    }
    writeln!(out, "{summary}")?;
    let count = |status| report.results.iter().filter(|r| r.status == status).count();
    writeln!(
        out,
        "{} targets: {} ok, {} with warnings, {} with errors.",
        report.results.len(),
        count(Status::Ok),
        count(Status::Warning),
        count(Status::Error)
    )
}

/// The demo's verdict table: what each case had to be diagnosed as, and what it got.
pub fn write_demo(
    outcomes: &[crate::demo::CaseOutcome],
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut table = table(style);
    table.set_header(
        ["Demo case", "Expected", "Diagnosed", ""]
            .into_iter()
            .map(|h| bold(Cell::new(h), style)),
    );
    for outcome in outcomes {
        let mark = if outcome.passed {
            paint(Cell::new("as expected"), Color::Green, style)
        } else {
            paint(Cell::new("MISMATCH"), Color::Red, style)
        };
        table.add_row(vec![
            Cell::new(outcome.name),
            Cell::new(&outcome.expected),
            Cell::new(&outcome.got),
            mark,
        ]);
    }
    writeln!(out)?;
    writeln!(out, "{table}")?;
    let passed = outcomes.iter().filter(|o| o.passed).count();
    writeln!(
        out,
        "{passed} of {} demo cases got their expected diagnosis.",
        outcomes.len()
    )?;
    out.flush()
}

/// The `certcheck stores` tables.
pub fn write_stores(
    report: &crate::report::StoresReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut stores = table(style);
    stores.set_header(
        ["Store", "Source", "Read from", "Certificates", "Failed"]
            .into_iter()
            .map(|h| bold(Cell::new(h), style)),
    );
    for store in &report.stores {
        let mut read: Vec<String> = store
            .files
            .iter()
            .map(|f| format!("file {f}"))
            .chain(store.directories.iter().map(|d| format!("directory {d}")))
            .collect();
        if store.from_environment {
            read.push("(set by SSL_CERT_FILE/SSL_CERT_DIR)".into());
        }
        let failed = if store.failed.is_empty() {
            "0".to_string()
        } else {
            format!("{}\n{}", store.failed.len(), store.failed.join("\n"))
        };
        stores.add_row(vec![
            Cell::new(store.store.as_str()),
            Cell::new(&store.source),
            Cell::new(read.join("\n")),
            Cell::new(store.certificates),
            Cell::new(failed),
        ]);
    }
    writeln!(out, "{stores}")?;
    let mut clients = table(style);
    clients.set_header(
        ["Client", "Store it uses, and why"]
            .into_iter()
            .map(|h| bold(Cell::new(h), style)),
    );
    for client in &report.clients {
        clients.add_row(vec![
            Cell::new(client.client.as_str()),
            Cell::new(&client.store),
        ]);
    }
    writeln!(out, "{clients}")?;
    writeln!(out, "Client predictions assume: {}", report.assumptions)?;
    out.flush()
}
