//! Prometheus text exposition (format 0.0.4) of the `certcheck_*` metrics, for a textfile
//! collector, a pushgateway or a `certcheck serve` probe; named in the style of
//! blackbox_exporter's `probe_ssl_*` metrics. Reads [`Metrics`] and computes nothing.

use std::io::{self, Write};

use crate::report::metrics::{Metrics, SEVERITIES, ServerMetrics};

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes every target's metrics, each metric's samples together under its `# HELP` and
/// `# TYPE` lines, as the format requires. Nothing is written for no targets.
pub fn write(metrics: &Metrics, out: &mut dyn Write) -> io::Result<()> {
    if metrics.is_empty() {
        return out.flush();
    }
    family(
        out,
        "certcheck_check_success",
        "Whether the target presented a certificate chain that certcheck evaluated (1) or could not be checked (0).",
    )?;
    for (target, m) in metrics.iter() {
        sample(
            out,
            "certcheck_check_success",
            target,
            None,
            i64::from(m.success),
        )?;
    }
    family(
        out,
        "certcheck_not_after_seconds",
        "The earliest notAfter on the validated path (else in the presented chain), in Unix time.",
    )?;
    for (target, m) in metrics.iter() {
        if let Some(at) = m.not_after {
            sample(out, "certcheck_not_after_seconds", target, None, at)?;
        }
    }
    family(
        out,
        "certcheck_days_left",
        "Whole days from the check to certcheck_not_after_seconds, negative once it has passed.",
    )?;
    for (target, m) in metrics.iter() {
        if let Some(days) = m.days_left {
            sample(out, "certcheck_days_left", target, None, days)?;
        }
    }
    family(
        out,
        "certcheck_client_accepts",
        "Whether this client (certcheck's model of it) would accept the chain (1) or fail (0).",
    )?;
    for (target, m) in metrics.iter() {
        for (client, accepted) in m.clients.iter() {
            let label = ("client", client.as_str());
            sample(
                out,
                "certcheck_client_accepts",
                target,
                Some(label),
                i64::from(accepted),
            )?;
        }
    }
    family(
        out,
        "certcheck_findings",
        "How many findings of this severity hold under the primary trust store.",
    )?;
    for (target, m) in metrics.iter() {
        for (severity, count) in SEVERITIES.iter().zip(m.findings) {
            let label = ("severity", severity_name(*severity));
            sample(
                out,
                "certcheck_findings",
                target,
                Some(label),
                i64::from(count),
            )?;
        }
    }
    out.flush()
}

/// Writes the `/metrics` of `certcheck serve`: its own counters.
pub fn write_server(server: &ServerMetrics, out: &mut dyn Write) -> io::Result<()> {
    counter(
        out,
        "certcheck_probes_total",
        "Probes answered with metrics since the server started.",
        server.probes,
    )?;
    counter(
        out,
        "certcheck_probe_failures_total",
        "Probes whose target could not be checked (certcheck_check_success 0).",
        server.failed,
    )?;
    counter(
        out,
        "certcheck_probe_rejected_total",
        "Requests refused with a 4xx or 5xx answer (malformed, not allowed, busy or too slow).",
        server.rejected,
    )?;
    writeln!(
        out,
        "# HELP certcheck_probe_duration_seconds Time spent answering probes.\n\
         # TYPE certcheck_probe_duration_seconds summary\n\
         certcheck_probe_duration_seconds_sum {}\n\
         certcheck_probe_duration_seconds_count {}",
        server.duration_seconds, server.probes
    )?;
    writeln!(
        out,
        "# HELP certcheck_probes_in_flight Probes running now.\n\
         # TYPE certcheck_probes_in_flight gauge\n\
         certcheck_probes_in_flight {}",
        server.in_flight
    )?;
    out.flush()
}

fn family(out: &mut dyn Write, name: &str, help: &str) -> io::Result<()> {
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge")
}

fn counter(out: &mut dyn Write, name: &str, help: &str, value: u64) -> io::Result<()> {
    writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    )
}

fn sample(
    out: &mut dyn Write,
    name: &str,
    target: &str,
    label: Option<(&str, &str)>,
    value: i64,
) -> io::Result<()> {
    write!(out, "{name}{{target=\"")?;
    escape(target, out)?;
    if let Some((key, text)) = label {
        write!(out, "\",{key}=\"")?;
        escape(text, out)?;
    }
    writeln!(out, "\"}} {value}")
}

/// Writes a label value escaped as the exposition format requires: `\` as `\\`, `"` as `\"`
/// and a line feed as `\n`.
fn escape(value: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut rest = value;
    while let Some(at) = rest.find(['\\', '"', '\n']) {
        out.write_all(&rest.as_bytes()[..at])?;
        out.write_all(match rest.as_bytes()[at] {
            b'\\' => b"\\\\",
            b'"' => b"\\\"",
            _ => b"\\n",
        })?;
        rest = &rest[at + 1..];
    }
    out.write_all(rest.as_bytes())
}

fn severity_name(severity: crate::diagnose::Severity) -> &'static str {
    use crate::diagnose::Severity;
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Client;
    use crate::report::metrics::{ClientVerdicts, MetricsRow};

    fn text(metrics: &Metrics) -> String {
        let mut out = Vec::new();
        write(metrics, &mut out).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Vec::new();
        escape("a\\b\"c\nd", &mut out).expect("writes");
        assert_eq!(String::from_utf8(out).unwrap(), "a\\\\b\\\"c\\nd");
    }

    #[test]
    fn each_metric_is_one_group_and_absent_values_are_left_out() {
        let mut clients = ClientVerdicts::default();
        clients.set(Client::Java, false);
        clients.set(Client::Curl, true);
        let mut metrics = Metrics::new();
        metrics.push_row(
            "a.test:443",
            MetricsRow {
                success: true,
                not_after: Some(1_900_000_000),
                days_left: Some(12),
                clients,
                findings: [1, 0, 2],
            },
        );
        metrics.push_row(
            "b\"x",
            MetricsRow {
                success: false,
                not_after: None,
                days_left: None,
                clients: ClientVerdicts::default(),
                findings: [0, 0, 0],
            },
        );
        insta::assert_snapshot!(text(&metrics), @r#"
        # HELP certcheck_check_success Whether the target presented a certificate chain that certcheck evaluated (1) or could not be checked (0).
        # TYPE certcheck_check_success gauge
        certcheck_check_success{target="a.test:443"} 1
        certcheck_check_success{target="b\"x"} 0
        # HELP certcheck_not_after_seconds The earliest notAfter on the validated path (else in the presented chain), in Unix time.
        # TYPE certcheck_not_after_seconds gauge
        certcheck_not_after_seconds{target="a.test:443"} 1900000000
        # HELP certcheck_days_left Whole days from the check to certcheck_not_after_seconds, negative once it has passed.
        # TYPE certcheck_days_left gauge
        certcheck_days_left{target="a.test:443"} 12
        # HELP certcheck_client_accepts Whether this client (certcheck's model of it) would accept the chain (1) or fail (0).
        # TYPE certcheck_client_accepts gauge
        certcheck_client_accepts{target="a.test:443",client="curl"} 1
        certcheck_client_accepts{target="a.test:443",client="java"} 0
        # HELP certcheck_findings How many findings of this severity hold under the primary trust store.
        # TYPE certcheck_findings gauge
        certcheck_findings{target="a.test:443",severity="error"} 1
        certcheck_findings{target="a.test:443",severity="warning"} 0
        certcheck_findings{target="a.test:443",severity="info"} 2
        certcheck_findings{target="b\"x",severity="error"} 0
        certcheck_findings{target="b\"x",severity="warning"} 0
        certcheck_findings{target="b\"x",severity="info"} 0
        "#);
    }
}
