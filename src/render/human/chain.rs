//! The chain table: one row per presented certificate, with its names, expiry, key and signature.

use std::io::{self, Write};

use comfy_table::{Cell, Color};

use super::{LARGE_CHAIN_ROWS, days_phrase, paint, table_with_header};
use crate::diagnose::FindingCode;
use crate::render::Style;
use crate::report::{CertReport, FindingReport, TargetReport};

/// Chains longer than this show only the certificates that findings refer to.
const LARGE_CHAIN: usize = 20;

/// Writes the chain table of `result` (nothing when no certificate was presented).
///
/// A whole bundle (`inspect --each`) shows the certificates with findings, not thousands of rows,
/// and says how many it left out.
pub(super) fn write_chain(
    result: &TargetReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if result.chain.is_empty() {
        return Ok(());
    }
    let mut chain = table_with_header(
        style,
        ["#", "Subject", "Issuer", "Valid until", "Key", "Signature"],
    );
    let mut referenced = vec![false; result.chain.len()];
    for index in result.findings.iter().filter_map(|f| f.certificate) {
        if let Some(slot) = referenced.get_mut(index) {
            *slot = true;
        }
    }
    let large = result.chain.len() > LARGE_CHAIN;
    let mut hidden = 0;
    for cert in &result.chain {
        let shown = referenced.get(cert.index).copied().unwrap_or(false);
        if large && (!shown || chain.row_count() >= LARGE_CHAIN_ROWS) {
            hidden += 1;
            continue;
        }
        chain.add_row(row(cert, &result.findings, style));
    }
    writeln!(out, "{chain}")?;
    if hidden > 0 {
        writeln!(
            out,
            "{} certificates in all; {hidden} without findings are not shown (--json lists every one).",
            result.chain.len()
        )?;
    }
    Ok(())
}

/// The row of one certificate.
fn row(cert: &CertReport, findings: &[FindingReport], style: Style) -> Vec<Cell> {
    if let Some(error) = &cert.parse_error {
        return vec![
            Cell::new(cert.index),
            paint(Cell::new(format!("unparsable: {error}")), Color::Red, style),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
        ];
    }
    let until = format!("{}\n{}", cert.not_after, days_phrase(cert.days_remaining));
    let until_cell = match expiry_color(cert, findings) {
        Some(color) => paint(Cell::new(until), color, style),
        None => Cell::new(until),
    };
    let mut subject = cert.subject.clone();
    let names: Vec<&str> = cert
        .dns_names
        .iter()
        .chain(&cert.ip_addresses)
        .map(String::as_str)
        .collect();
    if !names.is_empty() {
        subject.push_str(&format!("\nnames: {}", names.join(", ")));
    }
    if cert.self_signed {
        subject.push_str("\n(self-signed)");
    }
    vec![
        Cell::new(cert.index),
        Cell::new(subject),
        Cell::new(&cert.issuer),
        until_cell,
        Cell::new(format!("{} {}", cert.key.algorithm, cert.key.bits)),
        Cell::new(&cert.signature_algorithm),
    ]
}

/// The colour of a certificate's "Valid until" cell, read from the report, never from a threshold
/// of render's own: red once it has expired (`days_remaining < 0`), yellow when the report has an
/// `expiring-soon` finding for this certificate index, whatever its severity (a warning within
/// `--warn-days`, an error within `--fail-days`: both carry that code), otherwise none.
///
/// `expiring-soon` names the earliest expiry of each store's path, so a certificate the findings
/// do not name is not painted even if it also falls within `--warn-days`.
fn expiry_color(cert: &CertReport, findings: &[FindingReport]) -> Option<Color> {
    if cert.days_remaining < 0 {
        return Some(Color::Red);
    }
    findings
        .iter()
        .any(|f| f.code == FindingCode::ExpiringSoon && f.certificate == Some(cert.index))
        .then_some(Color::Yellow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::demo::pki::{Authority, Spec};
    use crate::diagnose::Severity;
    use crate::evaluate::{Evidence, Stores, evaluate};
    use crate::report::Origin;
    use crate::target::Host;
    use crate::trust::{StoreKind, TrustStore};
    use time::Duration;
    use time::macros::datetime;

    const NOW: time::OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

    /// The report of root → intermediate → a leaf valid until `leaf_days` from [`NOW`], with these
    /// thresholds.
    fn report(leaf_days: i64, warn_days: i64, fail_days: Option<i64>) -> TargetReport {
        let root = Authority::root(&Spec::ca("Colour Root", NOW)).expect("root");
        let inter = root
            .intermediate(&Spec::ca("Colour Intermediate", NOW))
            .expect("intermediate");
        let leaf = inter
            .leaf(
                &Spec::leaf(&["colour.test"], NOW)
                    .valid(NOW - Duration::days(100), NOW + Duration::days(leaf_days)),
            )
            .expect("leaf");
        let stores = vec![TrustStore::from_ders(
            StoreKind::Custom,
            "root.pem".into(),
            vec![(root.der(), "root.pem".into())],
        )];
        let chain = crate::chain::parse_chain(&[leaf.der, inter.der()]);
        let settings = Settings {
            now: NOW,
            warn_days,
            fail_days,
            timeout: std::time::Duration::from_secs(10),
            concurrency: 1,
            deciding: crate::clients::Selection::ALL,
            client_identity: None,
            fetch: false,
            check_revocation: false,
        };
        let host = Host::Dns("colour.test".into());
        let evidence = Evidence::new(Origin::file("colour.test:443", Some(&host)), &chain)
            .with_name(Some(&host));
        evaluate(
            &evidence,
            &Stores::without_clients(stores),
            &settings.policy(),
        )
    }

    fn colors(result: &TargetReport) -> Vec<Option<Color>> {
        result
            .chain
            .iter()
            .map(|cert| expiry_color(cert, &result.findings))
            .collect()
    }

    #[test]
    fn yellow_follows_warn_days_not_a_threshold_of_its_own() {
        // 45 days left is within --warn-days 60: the leaf is yellow, the intermediate is not.
        let result = report(45, 60, None);
        assert_eq!(result.chain[0].days_remaining, 45);
        assert_eq!(colors(&result), vec![Some(Color::Yellow), None]);
        // 20 days left is outside --warn-days 10: no finding, no colour (the old rule said < 30).
        let result = report(20, 10, None);
        assert!(
            result
                .findings
                .iter()
                .all(|f| f.code != FindingCode::ExpiringSoon)
        );
        assert_eq!(colors(&result), vec![None, None]);
    }

    #[test]
    fn fail_days_is_yellow_too() {
        let result = report(45, 0, Some(50));
        let soon = result
            .findings
            .iter()
            .find(|f| f.code == FindingCode::ExpiringSoon)
            .expect("expiring-soon");
        assert_eq!(soon.severity, Severity::Error);
        assert_eq!(soon.certificate, Some(0));
        assert_eq!(colors(&result), vec![Some(Color::Yellow), None]);
    }

    #[test]
    fn expired_is_red() {
        let result = report(-3, 30, None);
        assert_eq!(result.chain[0].days_remaining, -3);
        assert_eq!(colors(&result), vec![Some(Color::Red), None]);
    }

    #[test]
    fn no_colour_without_a_terminal() {
        let result = report(45, 60, None);
        let plain = Style::plain(120);
        let cells = row(&result.chain[0], &result.findings, plain);
        let until = Cell::new(format!("{}\n45 days left", result.chain[0].not_after));
        assert_eq!(cells[3], until);
        let coloured = Style {
            color: true,
            ..plain
        };
        assert_ne!(row(&result.chain[0], &result.findings, coloured)[3], until);
    }
}
