//! The contract's JSON document.

use std::io::{self, Write};

use crate::report::Report;

/// Writes the report as pretty-printed JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // The serializer writes a few bytes at a time: a buffer it can reach without dynamic dispatch
    // makes writing the megabytes of a large bundle's document several times faster.
    let mut buffered = io::BufWriter::with_capacity(1 << 16, &mut *out);
    serde_json::to_writer_pretty(&mut buffered, report).map_err(io::Error::from)?;
    buffered.write_all(b"\n")?;
    buffered.flush()?;
    drop(buffered);
    out.flush()
}

/// Writes one result as a single line of JSON (`--jsonl`), with the run's `version` and
/// `checked_at` so that each line stands alone.
pub fn write_line(
    result: &crate::report::TargetReport,
    version: &str,
    checked_at: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let line = crate::report::ResultLine {
        version,
        checked_at,
        result,
    };
    serde_json::to_writer(&mut *out, &line).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}
