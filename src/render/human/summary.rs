//! The summary of several targets: one row each, worst first, and the counts by status.

use std::io::{self, Write};

use comfy_table::Cell;

use super::{Labels, days_phrase, not_checked, status_cell, table_with_header};
use crate::render::Style;
use crate::report::{Report, Status, TargetReport};

/// At most this many rows of the summary table, worst first: a fleet's table is for finding what
/// to fix first, and the first lines (or `--jsonl`) list every target.
const SUMMARY_ROWS: usize = 100;

/// Writes the summary table and the line of counts.
pub(super) fn write_summary(
    report: &Report,
    labels: &Labels,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut summary = table_with_header(
        style,
        ["Target", "Status", "Expires", "Most severe finding"],
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
    let shown = order.len().min(SUMMARY_ROWS);
    for result in order.iter().take(SUMMARY_ROWS) {
        summary.add_row(vec![
            Cell::new(labels.of(result)),
            status_cell(result, style),
            Cell::new(expires(result)),
            Cell::new(main_finding(result)),
        ]);
    }
    writeln!(out, "{summary}")?;
    if order.len() > shown {
        writeln!(
            out,
            "The {shown} worst of {} targets are shown; the first lines above and --jsonl list every one.",
            order.len()
        )?;
    }
    let checked = || report.results.iter().filter(|r| !not_checked(r));
    let count = |status| checked().filter(|r| r.status == status).count();
    let unchecked = report.results.len() - checked().count();
    write!(
        out,
        "{} targets: {} ok, {} with warnings, {} with errors",
        report.results.len(),
        count(Status::Ok),
        count(Status::Warning),
        count(Status::Error)
    )?;
    if unchecked > 0 {
        write!(out, ", {unchecked} could not be checked")?;
    }
    writeln!(out, ".")?;
    if !report.results.is_empty() {
        writeln!(
            out,
            "(`--verbose` shows every report in full, `--json` everything.)"
        )?;
    }
    Ok(())
}

/// The first finding that holds under the primary store, or the connection error when nothing
/// was presented.
fn main_finding(result: &TargetReport) -> String {
    let first = result.primary_findings().next();
    match (&result.connection_error, first) {
        (Some(error), _) if result.chain.is_empty() => {
            format!("{}: {}", error.code, error.message)
        }
        (_, Some(finding)) => format!("{}: {}", finding.code, finding.message),
        (Some(error), None) => format!("{}: {}", error.code, error.message),
        (None, None) => "no problems found".into(),
    }
}

/// The target's expiry and the days left (or since), `-` when it has none.
fn expires(result: &TargetReport) -> String {
    match (&result.expires_at, result.days_remaining) {
        (Some(at), Some(days)) => format!("{at}\n{}", days_phrase(days)),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ConnectionErrorReport, ErrorCode, Origin};

    #[test]
    fn a_large_fleet_shows_its_worst_rows_and_says_how_many_there_are() {
        let results = (0..150)
            .map(|i| {
                TargetReport::failed(
                    Origin::file(format!("t{i}.pem"), None),
                    ConnectionErrorReport {
                        code: ErrorCode::File,
                        message: format!("t{i}.pem: cannot be read"),
                    },
                )
            })
            .collect();
        let report = Report {
            version: "test".into(),
            checked_at: "2030-01-01T00:00:00Z".into(),
            results,
        };
        let mut out = Vec::new();
        write_summary(&report, &Labels::new(&report), Style::plain(100), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows = text.lines().filter(|l| l.contains("not checked")).count();
        assert_eq!(rows, SUMMARY_ROWS, "{text}");
        assert!(text.contains(
            "The 100 worst of 150 targets are shown; the first lines above and --jsonl list every one."
        ));
        assert!(text.contains(
            "150 targets: 0 ok, 0 with warnings, 0 with errors, 150 could not be checked."
        ));
    }
}
