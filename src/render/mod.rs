//! Render: report → bytes. Each format is a pure function of the report; nothing is computed here.

pub mod docs;
pub mod explain;
pub mod human;
pub mod json;
pub mod prometheus;
pub mod show;

use std::io::{self, Write};

use crate::config::{Config, Detail, Format};
use crate::report::Report;

/// How human output looks, as the configuration decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
    /// How much of each report to show.
    pub detail: Detail,
    /// Say the instant of validation in each first line (`--at` was given).
    pub as_of: bool,
}

impl Style {
    /// No colour, `width` columns, the default detail: for tests and harnesses.
    pub fn plain(width: u16) -> Style {
        Style {
            color: false,
            width,
            detail: Detail::Normal,
            as_of: false,
        }
    }

    /// The style the configuration asks for.
    pub fn of(config: &Config) -> Style {
        Style {
            color: config.color,
            width: config.width,
            detail: config.detail,
            as_of: config.at_given,
        }
    }
}

/// Writes the report in `format`.
///
/// At the default detail every target gets its first line, and its tables unless there are
/// several targets and it is ok (the summary lists them all); `--verbose` shows every report in
/// full, `--quiet` only the first lines.
pub fn render(
    report: &Report,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        // Lines were streamed as each result completed.
        Format::Jsonl => Ok(()),
        Format::Prometheus => {
            let mut metrics = crate::report::metrics::Metrics::new();
            report.results.iter().for_each(|r| metrics.push(r));
            prometheus::write(&metrics, out)
        }
        Format::Human => human::write(report, style, out),
    }
}

/// Writes the `certcheck stores` report.
pub fn render_stores(
    report: &crate::report::StoresReport,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl | Format::Prometheus => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
            out.flush()
        }
        Format::Human => human::write_stores(report, style, out),
    }
}
