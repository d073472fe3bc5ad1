//! The chain table: one row per presented certificate, with its names, expiry, key and signature.

use std::io::{self, Write};

use comfy_table::{Cell, Color};

use super::{LARGE_CHAIN_ROWS, paint, table_with_header};
use crate::render::Style;
use crate::report::{CertReport, FindingReport, TargetReport};

/// Chains longer than this show only the certificates that findings refer to.
const LARGE_CHAIN: usize = 20;

/// Writes the chain table of `result` (nothing when no certificate was presented).
///
/// A whole bundle (`inspect --each`) shows the certificates with findings, not thousands of rows,
/// and says how many it left out.
pub(super) fn write_chain(
    result: &TargetReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if result.chain.is_empty() {
        return Ok(());
    }
    let mut chain = table_with_header(
        style,
        ["#", "Subject", "Issuer", "Valid until", "Key", "Signature"],
    );
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
        chain.add_row(row(cert, &result.findings, style));
    }
    writeln!(out, "{chain}")?;
    if hidden > 0 {
        writeln!(
            out,
            "{} certificates in all; {hidden} without findings are not shown (--json lists every one).",
            result.chain.len()
        )?;
    }
    Ok(())
}

/// The row of one certificate.
fn row(cert: &CertReport, findings: &[FindingReport], style: Style) -> Vec<Cell> {
    if let Some(error) = &cert.parse_error {
        return vec![
            Cell::new(cert.index),
            paint(Cell::new(format!("unparsable: {error}")), Color::Red, style),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
        ];
    }
    let days = cert.days_remaining;
    let until = if days < 0 {
        format!("{}\nexpired {} days ago", cert.not_after, -days)
    } else {
        format!("{}\n{} days left", cert.not_after, days)
    };
    let until_cell = match expiry_color(cert, findings) {
        Some(color) => paint(Cell::new(until), color, style),
        None => Cell::new(until),
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
    vec![
        Cell::new(cert.index),
        Cell::new(subject),
        Cell::new(&cert.issuer),
        until_cell,
        Cell::new(format!("{} {}", cert.key.algorithm, cert.key.bits)),
        Cell::new(&cert.signature_algorithm),
    ]
}

/// The colour of a certificate's "Valid until" cell: red once expired, yellow within 30 days.
fn expiry_color(cert: &CertReport, _findings: &[FindingReport]) -> Option<Color> {
    if cert.days_remaining < 0 {
        Some(Color::Red)
    } else if cert.days_remaining < 30 {
        Some(Color::Yellow)
    } else {
        None
    }
}
