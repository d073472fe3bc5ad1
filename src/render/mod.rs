//! Render: report → bytes. Each format is a pure function of the report; nothing is computed here.

pub mod human;
pub mod json;
pub mod prometheus;

use std::io::{self, Write};

use crate::config::Format;
use crate::report::Report;

/// How human output looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
}

impl Style {
    /// Width of the terminal when stdout is one, else 120 columns; colour as decided by the config.
    pub fn detect(color: bool) -> Style {
        use std::io::IsTerminal;
        let width = if io::stdout().is_terminal() {
            crossterm_width().unwrap_or(120)
        } else {
            120
        };
        Style { color, width }
    }
}

fn crossterm_width() -> Option<u16> {
    comfy_table::Table::new().width()
}

/// Writes the report in `format`.
///
/// `verbose` shows the full report of every target; otherwise, with several targets, only those
/// that are not ok get one (the summary lists them all).
pub fn render(
    report: &Report,
    format: Format,
    style: Style,
    verbose: bool,
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
        Format::Human => human::write(report, style, verbose, out),
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
