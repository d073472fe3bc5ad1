//! `certcheck explain [CODE]`: what a finding code means, what real clients print for it and what
//! to do, all from the one table of finding codes (`diagnose::finding`).

use std::io::{self, Write};

use crate::diagnose::{FindingCode, Severity};

/// `explain` was given a code that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("explain: '{0}' is not a finding code; the codes are: {list}", list = code_list())]
pub struct UnknownCode(pub String);

/// Every code, comma-separated.
fn code_list() -> String {
    FindingCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The contract's word for a severity.
fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// What the code means, in one paragraph.
pub fn meaning(code: FindingCode) -> String {
    code.meaning_lines()
        .iter()
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the explanation of `code`, or the list of every code when `None`.
pub fn write_explain(
    code: Option<&str>,
    out: &mut dyn Write,
) -> Result<io::Result<()>, UnknownCode> {
    let Some(name) = code else {
        return Ok(write_list(out));
    };
    let code = FindingCode::parse(name.trim()).ok_or_else(|| UnknownCode(name.to_string()))?;
    Ok(write_one(code, out))
}

fn write_one(code: FindingCode, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} ({})",
        code.as_str(),
        severity_word(code.severity())
    )?;
    writeln!(out)?;
    writeln!(out, "What it means")?;
    writeln!(out, "  {}", meaning(code))?;
    if !code.client_errors().is_empty() {
        writeln!(out)?;
        writeln!(out, "What clients print")?;
        for (client, says) in code.client_errors() {
            writeln!(out, "  {client}: {says}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "What to do")?;
    writeln!(out, "  {}", code.hint())?;
    out.flush()
}

fn write_list(out: &mut dyn Write) -> io::Result<()> {
    let width = FindingCode::ALL
        .iter()
        .map(|c| c.as_str().len())
        .max()
        .unwrap_or(0);
    for code in FindingCode::ALL {
        writeln!(
            out,
            "{:width$}  {:7}  {}",
            code.as_str(),
            severity_word(code.severity()),
            meaning(*code)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "`certcheck explain CODE` tells what clients print for a code and what to do."
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_meaning_client_errors_and_a_hint() {
        for code in FindingCode::ALL {
            assert!(!meaning(*code).is_empty(), "{code}");
            assert!(!code.client_errors().is_empty(), "{code}");
            assert_eq!(FindingCode::parse(code.as_str()), Some(*code));
            let mut out = Vec::new();
            write_explain(Some(code.as_str()), &mut out)
                .expect("a known code")
                .expect("writes");
            let text = String::from_utf8(out).expect("UTF-8");
            assert!(text.contains(code.hint()), "{text}");
        }
    }

    #[test]
    fn an_unknown_code_lists_the_valid_ones() {
        let err = write_explain(Some("expird"), &mut Vec::new()).expect_err("unknown");
        let text = err.to_string();
        assert!(
            text.starts_with(
                "explain: 'expird' is not a finding code; the codes are: expired, not-yet-valid,"
            ),
            "{text}"
        );
        assert!(text.contains("interception-suspected"), "{text}");
    }
}
