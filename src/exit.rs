//! Exit codes of the contract, and how several targets combine (worst wins: 1 > 3 > 4 > 0).

use crate::report::{Report, Status, TargetReport, primary_kind};

/// A process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Every target trusted, nothing expiring.
    Ok = 0,
    /// At least one target would cause an SSL error under its primary store.
    Untrusted = 1,
    /// Usage error.
    Usage = 2,
    /// At least one target could not be evaluated.
    Unreachable = 3,
    /// Only warnings.
    Warnings = 4,
}

impl ExitCode {
    fn rank(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Warnings => 1,
            ExitCode::Unreachable => 2,
            ExitCode::Untrusted => 3,
            ExitCode::Usage => 4,
        }
    }

    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

/// The worst of several codes.
pub fn merge(codes: impl IntoIterator<Item = ExitCode>) -> ExitCode {
    codes
        .into_iter()
        .max_by_key(|c| c.rank())
        .unwrap_or(ExitCode::Ok)
}

/// The code for one target: untrusted beats unreachable beats warnings.
///
/// Untrusted (1) when a client that decides would fail, or the status is an error for a reason
/// no client sees; not when the only failure is a primary store that could not be loaded, which
/// is "could not be evaluated" (3).
pub fn for_target(result: &TargetReport) -> ExitCode {
    let has_chain = !result.chain.is_empty();
    let primary = primary_kind(&result.trust);
    let entries: Vec<_> = result.trust.iter().filter(|t| t.store == primary).collect();
    let primary_unavailable = entries.iter().any(|t| t.unavailable());
    let mut codes = Vec::new();
    let deciding: Vec<_> = result.clients.iter().filter(|c| c.decides).collect();
    let untrusted = if !deciding.is_empty() {
        !primary_unavailable
            && (deciding.iter().any(|c| !c.accepted)
                || (result.status == Status::Error && result.connection_error.is_none()))
    } else if result.trust.is_empty() {
        // No path was built (`inspect --each`): an error finding is the failure.
        result.status == Status::Error && result.connection_error.is_none()
    } else {
        entries.is_empty() || entries.iter().any(|t| !t.trusted && !t.unavailable())
    };
    if has_chain && untrusted {
        codes.push(ExitCode::Untrusted);
    }
    if result.connection_error.is_some() || !has_chain || primary_unavailable {
        codes.push(ExitCode::Unreachable);
    }
    if result.status == Status::Warning {
        codes.push(ExitCode::Warnings);
    }
    merge(codes)
}

/// The code for the whole run.
pub fn for_report(report: &Report) -> ExitCode {
    merge(report.results.iter().map(for_target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_wins_in_contract_order() {
        use ExitCode::*;
        assert_eq!(merge([]), Ok);
        assert_eq!(merge([Ok, Warnings]), Warnings);
        assert_eq!(merge([Warnings, Unreachable, Ok]), Unreachable);
        assert_eq!(merge([Unreachable, Untrusted, Warnings]), Untrusted);
        assert_eq!(merge([Untrusted, Ok]), Untrusted);
    }
}
