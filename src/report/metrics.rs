//! What the Prometheus exposition says about each target, taken from its report: a few numbers
//! per target, so a fleet's metrics can be kept until the end of a run (the exposition format
//! groups each metric's samples together) at a small fraction of the full reports' size.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{TargetReport, primary_kind};
use crate::clients::Client;
use crate::diagnose::Severity;

/// One target's metrics but its `target` label: every value the `certcheck_*` metrics carry,
/// in 56 bytes (and its label), so that 100,000 targets' metrics fit in a few MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsRow {
    /// `certcheck_check_success`: the server presented a chain and the primary store could
    /// judge it (a chain that fails validation is still a successful check).
    pub success: bool,
    /// `certcheck_not_after_seconds`: the earliest notAfter on the path (the report's
    /// `expires_at`), in Unix seconds.
    pub not_after: Option<i64>,
    /// `certcheck_days_left`: the report's `days_remaining`.
    pub days_left: Option<i64>,
    /// `certcheck_client_accepts`: each client profile that decides (`--client`, all by
    /// default) and whether it would accept.
    pub clients: ClientVerdicts,
    /// `certcheck_findings`: findings under the primary store, by severity (error, warning, info).
    pub findings: [u32; 3],
}

/// The severities in the order of [`MetricsRow::findings`].
pub const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

/// Which clients were predicted and which of them accept, one bit per client in
/// [`Client::ALL`] order (the report's order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientVerdicts {
    predicted: u16,
    accepted: u16,
}

impl ClientVerdicts {
    /// Records `client`'s verdict.
    pub fn set(&mut self, client: Client, accepted: bool) {
        if let Some(bit) = Client::ALL.iter().position(|c| *c == client) {
            self.predicted |= 1 << bit;
            if accepted {
                self.accepted |= 1 << bit;
            }
        }
    }

    /// Each predicted client and whether it accepts, in report order.
    pub fn iter(self) -> impl Iterator<Item = (Client, bool)> {
        Client::ALL
            .into_iter()
            .enumerate()
            .filter(move |(bit, _)| self.predicted & (1 << bit) != 0)
            .map(move |(bit, client)| (client, self.accepted & (1 << bit) != 0))
    }
}

/// The metrics of many targets, in the order they were added: a row per target and their
/// `target` labels in one text, two allocations however many targets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    labels: String,
    /// Where each target's label ends in `labels`.
    ends: Vec<u32>,
    rows: Vec<MetricsRow>,
}

impl Metrics {
    /// No targets yet.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// The metrics of one report.
    pub fn of(result: &TargetReport) -> Metrics {
        let mut metrics = Metrics::new();
        metrics.push(result);
        metrics
    }

    /// Adds one target's report.
    pub fn push(&mut self, result: &TargetReport) {
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
        let mut clients = ClientVerdicts::default();
        for prediction in result.clients.iter().filter(|c| c.decides) {
            clients.set(prediction.client, prediction.accepted);
        }
        let row = MetricsRow {
            success: !result.chain.is_empty() && judged,
            not_after: result
                .expires_at
                .as_deref()
                .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
                .map(OffsetDateTime::unix_timestamp),
            days_left: result.days_remaining,
            clients,
            findings,
        };
        self.push_row(&result.target, row);
    }

    /// Adds one target's metrics as they are.
    pub fn push_row(&mut self, target: &str, row: MetricsRow) {
        self.labels.push_str(target);
        self.ends
            .push(u32::try_from(self.labels.len()).unwrap_or(u32::MAX));
        self.rows.push(row);
    }

    /// Each target's label and row, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetricsRow)> {
        let mut start = 0usize;
        self.rows.iter().zip(&self.ends).map(move |(row, end)| {
            let end = (*end as usize).min(self.labels.len());
            let label = self.labels.get(start..end).unwrap_or("");
            start = end;
            (label, row)
        })
    }

    /// How many targets.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
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
