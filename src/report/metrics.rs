//! What the Prometheus exposition says about one target, taken from its report: a few numbers
//! per target, so a fleet's metrics can be kept until the end of a run (the exposition format
//! groups each metric's samples together) at a small fraction of the full reports' size.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{TargetReport, primary_kind};
use crate::clients::Client;
use crate::diagnose::Severity;

/// One target's metrics: every value the `certcheck_*` metrics carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetMetrics {
    /// The `target` label: the target as typed.
    pub target: String,
    /// `certcheck_check_success`: the server presented a chain and the primary store could
    /// judge it (a chain that fails validation is still a successful check).
    pub success: bool,
    /// `certcheck_not_after_seconds`: the earliest notAfter on the path (the report's
    /// `expires_at`), in Unix seconds.
    pub not_after: Option<i64>,
    /// `certcheck_days_left`: the report's `days_remaining`.
    pub days_left: Option<i64>,
    /// `certcheck_client_accepts`: each client profile that decides (`--client`, all by default)
    /// and whether it would accept.
    pub clients: Vec<(Client, bool)>,
    /// `certcheck_findings`: findings under the primary store, by severity (error, warning, info).
    pub findings: [u32; 3],
}

/// The severities in the order of [`TargetMetrics::findings`].
pub const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

impl TargetMetrics {
    /// The metrics of one target's report.
    pub fn of(result: &TargetReport) -> TargetMetrics {
        let primary = primary_kind(&result.trust);
        let judged = !result
            .trust
            .iter()
            .any(|t| t.store == primary && t.unavailable());
        let mut findings = [0u32; 3];
        for finding in result.primary_findings() {
            if let Some(slot) = SEVERITIES.iter().position(|s| *s == finding.severity) {
                findings[slot] = findings[slot].saturating_add(1);
            }
        }
        TargetMetrics {
            target: result.target.clone(),
            success: !result.chain.is_empty() && judged,
            not_after: result
                .expires_at
                .as_deref()
                .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
                .map(OffsetDateTime::unix_timestamp),
            days_left: result.days_remaining,
            clients: result
                .clients
                .iter()
                .filter(|c| c.decides)
                .map(|c| (c.client, c.accepted))
                .collect(),
            findings,
        }
    }
}

/// The counters `certcheck serve` reports on `/metrics` about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerMetrics {
    /// Probes answered with metrics.
    pub probes: u64,
    /// Of those, probes whose target could not be checked.
    pub failed: u64,
    /// Requests refused with a 4xx or 5xx answer.
    pub rejected: u64,
    /// Seconds spent answering probes, in total.
    pub duration_seconds: f64,
    /// Probes running now.
    pub in_flight: u64,
}
