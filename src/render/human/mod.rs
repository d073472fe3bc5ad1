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

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Style;
use crate::diagnose::Severity;
use crate::report::{Report, Status};

pub use demo::write_demo;
pub use stores::write_stores;

/// At most this many rows of a large chain, and of findings, are shown.
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
        target::write_target(result, style, out)?;
    }
    if several {
        if !first {
            writeln!(out)?;
        }
        summary::write_summary(report, style, out)?;
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

fn status_cell(status: Status, style: Style) -> Cell {
    match status {
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
