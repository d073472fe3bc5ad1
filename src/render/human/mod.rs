//! Tables for people (comfy-table): per target the chain, the stores and the findings with hints.
//!
//! One function per table: the target's tables in `target` and `chain`, the summary of several
//! targets in `summary`, the demo's verdicts in `demo` and `certcheck stores` in `stores`.
//! This module holds what they share: the table style and the coloured cells.

mod chain;
mod demo;
mod stores;
mod summary;
mod target;

use std::collections::HashSet;
use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Style;
use crate::config::Detail;
use crate::diagnose::Severity;
use crate::report::{Report, Status, TargetReport};

pub use demo::write_demo;
pub use stores::write_stores;

/// At most this many rows of a large chain, and of findings, are shown.
const LARGE_CHAIN_ROWS: usize = 200;

/// Writes the report for people.
///
/// One target: its first line, then its tables. Several: the first line of each in input order,
/// then (with `--verbose`) every report in full, then the summary table and the counts, so a
/// fleet's first screen is one line per target. `--quiet` writes the first lines only.
pub fn write(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let labels = Labels::new(report);
    for result in &report.results {
        let label = labels.of(result);
        target::write_first_line(&label, result, &report.checked_at, style, out)?;
    }
    if style.detail == Detail::Quiet {
        return out.flush();
    }
    let several = report.results.len() > 1;
    if !several || style.detail == Detail::Verbose {
        for result in &report.results {
            writeln!(out)?;
            target::write_details(&labels.of(result), result, style, out)?;
            if style.detail == Detail::Verbose && result.chain.iter().any(|c| c.details.is_some()) {
                crate::render::show::write_certificates(result, out)?;
            }
        }
    }
    if several {
        writeln!(out)?;
        summary::write_summary(report, &labels, style, out)?;
    }
    out.flush()
}

/// An empty table in the house style, `style.width` wide, styled only when colour is on.
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

/// A table with `headers` as its bold header row.
fn table_with_header<const N: usize>(style: Style, headers: [&str; N]) -> Table {
    let mut table = table(style);
    table.set_header(headers.into_iter().map(|h| bold(Cell::new(h), style)));
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

/// How each result is named: what the user typed, plus the server name and the `--connect-to`
/// address for a target that appears more than once, so rows that differ only in `--sni` or
/// `--connect-to` can be told apart.
struct Labels<'a> {
    repeated: HashSet<&'a str>,
}

impl<'a> Labels<'a> {
    fn new(report: &'a Report) -> Labels<'a> {
        let mut seen = HashSet::new();
        let repeated = report
            .results
            .iter()
            .map(|r| r.target.as_str())
            .filter(|target| !seen.insert(*target))
            .collect();
        Labels { repeated }
    }

    fn of(&self, result: &TargetReport) -> String {
        let mut label = result.target.clone();
        if !self.repeated.contains(result.target.as_str()) {
            return label;
        }
        if let Some(name) = &result.server_name {
            label.push_str(&format!(" (SNI {name})"));
        }
        if let Some(to) = &result.connect_to {
            label.push_str(&format!(" via {to}"));
        }
        label
    }
}

/// Whether nothing was checked: no certificate was obtained.
fn not_checked(result: &TargetReport) -> bool {
    result.connection_error.is_some() && result.chain.is_empty()
}

fn status_cell(result: &TargetReport, style: Style) -> Cell {
    if not_checked(result) {
        return paint(Cell::new("not checked"), Color::Magenta, style);
    }
    match result.status {
        Status::Ok => paint(Cell::new("ok"), Color::Green, style),
        Status::Warning => paint(Cell::new("warning"), Color::Yellow, style),
        Status::Error => paint(Cell::new("error"), Color::Red, style),
    }
}

/// `45 days left`, `expired 58 days ago` from a report's `days_remaining` (which rounds down, so
/// `-1` is "within the last day" and `0` "within a day"), in the words of the findings' sentences.
fn days_phrase(days: i64) -> String {
    match days {
        0 => "expires within a day".into(),
        1 => "1 day left".into(),
        -1 => "expired within the last day".into(),
        d if d < 0 => format!("expired {} days ago", -d),
        d => format!("{d} days left"),
    }
}

fn severity_cell(severity: Severity, style: Style) -> Cell {
    match severity {
        Severity::Error => paint(Cell::new("error"), Color::Red, style),
        Severity::Warning => paint(Cell::new("warning"), Color::Yellow, style),
        Severity::Info => paint(Cell::new("info"), Color::Cyan, style),
    }
}
