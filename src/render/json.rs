//! The contract's JSON document.

use std::io::{self, Write};

use crate::report::Report;

/// Writes the report as pretty-printed JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes one result as a single line of JSON (`--jsonl`).
pub fn write_line(result: &crate::report::TargetReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, result).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}
