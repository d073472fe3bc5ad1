//! The demo's verdict table.

use std::io::{self, Write};

use comfy_table::{Cell, Color};

use super::{paint, table_with_header};
use crate::render::Style;
use crate::report::CaseOutcome;

/// The demo's verdict table: what each case had to be diagnosed as, and what it got.
pub fn write_demo(outcomes: &[CaseOutcome], style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut table = table_with_header(style, ["Demo case", "Expected", "Diagnosed", ""]);
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
