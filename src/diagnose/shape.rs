//! The shape of what was presented: `chain-order`, `unneeded-root` and `long-validity`.

use time::{Date, Month, OffsetDateTime};

use super::paths::walk;
use super::text::{date, label};
use super::{Context, Finding, FindingCode, Scope};
use crate::trust::PathCert;

/// Out-of-order, duplicate and unrelated certificates.
pub fn order(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let path: Vec<usize> = walk(ctx.chain, &[], |_| false)
        .into_iter()
        .filter_map(|n| match n {
            PathCert::Presented(i) => Some(i),
            PathCert::Pool(_) => None,
        })
        .collect();
    let mut duplicates = Vec::new();
    for (index, cert) in ctx.chain.certs.iter().enumerate() {
        if let Some(first) = ctx.chain.certs[..index]
            .iter()
            .position(|c| c.der() == cert.der())
        {
            duplicates.push(index);
            out.push(Finding::new(
                FindingCode::ChainOrder,
                Some(index),
                Scope::AllStores,
                format!("certificate {index} is a duplicate of certificate {first}"),
                "Send each certificate once: the leaf, then each intermediate in order.",
            ));
        }
    }
    for (position, index) in path.iter().enumerate() {
        if position == *index {
            continue;
        }
        let Some(cert) = ctx.chain.certs.get(*index).and_then(|c| c.info()) else {
            continue;
        };
        let child = path[position - 1];
        out.push(Finding::new(
            FindingCode::ChainOrder,
            Some(*index),
            Scope::AllStores,
            format!(
                "{} issued certificate {child} and belongs at index {position}, right after it; the server sends it at index {index}",
                label(*index, cert)
            ),
            "Send the leaf first, then each issuer in order (leaf, intermediate, ...); some clients (older OpenSSL, Java, embedded stacks) do not reorder.",
        ));
    }
    for (index, cert) in ctx.chain.parsed() {
        if path.contains(&index)
            || duplicates.contains(&index)
            || !ctx.stores_using(index).is_empty()
        {
            continue;
        }
        let expired = if cert.not_after < ctx.now {
            format!("; it also expired on {}", date(cert.not_after))
        } else {
            String::new()
        };
        out.push(Finding::new(
            FindingCode::ChainOrder,
            Some(index),
            Scope::AllStores,
            format!(
                "{} is not part of the chain from the leaf: no certificate in it was issued by it{expired}",
                label(index, cert)
            ),
            "Remove the unrelated certificate from the served chain.",
        ));
    }
    out
}

/// The server sends the self-signed root.
pub fn unneeded_root(ctx: &Context<'_>) -> Vec<Finding> {
    let path = walk(ctx.chain, &[], |_| false);
    let Some(PathCert::Presented(index)) = path.last().copied() else {
        return Vec::new();
    };
    match ctx.chain.certs.get(index).and_then(|c| c.info()) {
        Some(root) if index > 0 && root.self_signed => vec![Finding::new(
            FindingCode::UnneededRoot,
            Some(index),
            Scope::AllStores,
            format!(
                "the server sends the self-signed root {}; clients only trust their own copy, so sending it adds bytes to every handshake",
                label(index, root)
            ),
            "Remove the root from the served chain (serve the leaf and intermediates only).",
        )],
        _ => Vec::new(),
    }
}

/// The longest validity the CA/Browser Forum Baseline Requirements allow a server certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxValidity {
    /// At most this many days (825 from 2018-03-01, 398 from 2020-09-01, then 200/100/47).
    Days(i64),
    /// At most this many calendar months (60 from 2012-07-01, 39 from 2015-04-01).
    Months(u8),
}

/// The rule in force for a certificate issued on `issued`, and the date it took effect; `None`
/// before the first Baseline Requirements limit (2012-07-01).
///
/// Source: CA/Browser Forum Baseline Requirements 1.0 §9.4 (60 months), ballot 193 (39 months →
/// 825 days), ballot SC31 / Apple's 398-day rule adopted as BR 6.3.2 (398 days), ballot SC-081
/// (200/100/47 days from 2026-03-15/2027-03-15/2029-03-15).
pub fn max_validity(issued: Date) -> Option<(Date, MaxValidity)> {
    let from = |y, m, d| Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN);
    let schedule = [
        (from(2029, Month::March, 15), MaxValidity::Days(47)),
        (from(2027, Month::March, 15), MaxValidity::Days(100)),
        (from(2026, Month::March, 15), MaxValidity::Days(200)),
        (from(2020, Month::September, 1), MaxValidity::Days(398)),
        (from(2018, Month::March, 1), MaxValidity::Days(825)),
        (from(2015, Month::April, 1), MaxValidity::Months(39)),
        (from(2012, Month::July, 1), MaxValidity::Months(60)),
    ];
    schedule.into_iter().find(|(since, _)| issued >= *since)
}

/// `not_before` plus `months` calendar months (clamped to the month's last day).
fn add_months(not_before: OffsetDateTime, months: u8) -> OffsetDateTime {
    let date = not_before.date();
    let total = date.year() * 12 + i32::from(date.month() as u8 - 1) + i32::from(months);
    let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(month).unwrap_or(Month::December);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day)
        .map(|d| not_before.replace_date(d))
        .unwrap_or(OffsetDateTime::new_utc(Date::MAX, time::Time::MIDNIGHT))
}

/// A leaf valid for longer than the Baseline Requirements allowed on its issuance date.
pub fn long_validity(ctx: &Context<'_>) -> Vec<Finding> {
    let Some(leaf) = ctx.chain.leaf() else {
        return Vec::new();
    };
    if leaf.is_ca {
        return Vec::new();
    }
    let Some((since, limit)) = max_validity(leaf.not_before.date()) else {
        return Vec::new();
    };
    let (latest, allowed) = match limit {
        MaxValidity::Days(days) => (
            leaf.not_before + time::Duration::days(days),
            format!("{days} days"),
        ),
        MaxValidity::Months(months) => (
            add_months(leaf.not_before, months),
            format!("{months} months"),
        ),
    };
    if leaf.not_after <= latest {
        return Vec::new();
    }
    let days = (leaf.not_after - leaf.not_before).whole_seconds() as f64 / 86_400.0;
    vec![Finding::new(
        FindingCode::LongValidity,
        Some(0),
        Scope::AllStores,
        format!(
            "{} is valid for {days:.0} days ({} to {}); for certificates issued from {since} on, the CA/Browser Forum allows at most {allowed}",
            label(0, leaf),
            date(leaf.not_before),
            date(leaf.not_after),
        ),
        format!(
            "Reissue the certificate with a validity of at most {allowed} (ACME clients such as certbot do this by default)."
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cab_forum_schedule() {
        let d = |y, m, day| Date::from_calendar_date(y, m, day).unwrap();
        let limit = |date| max_validity(date).map(|(_, limit)| limit);
        assert_eq!(limit(d(2012, Month::June, 30)), None);
        assert_eq!(
            limit(d(2012, Month::July, 1)),
            Some(MaxValidity::Months(60))
        );
        assert_eq!(
            limit(d(2015, Month::April, 1)),
            Some(MaxValidity::Months(39))
        );
        assert_eq!(
            limit(d(2018, Month::February, 28)),
            Some(MaxValidity::Months(39))
        );
        assert_eq!(
            limit(d(2018, Month::March, 1)),
            Some(MaxValidity::Days(825))
        );
        assert_eq!(
            limit(d(2020, Month::August, 31)),
            Some(MaxValidity::Days(825))
        );
        assert_eq!(
            limit(d(2020, Month::September, 1)),
            Some(MaxValidity::Days(398))
        );
        assert_eq!(
            limit(d(2026, Month::March, 14)),
            Some(MaxValidity::Days(398))
        );
        assert_eq!(
            limit(d(2026, Month::March, 15)),
            Some(MaxValidity::Days(200))
        );
        assert_eq!(
            limit(d(2027, Month::March, 15)),
            Some(MaxValidity::Days(100))
        );
        assert_eq!(
            limit(d(2029, Month::March, 15)),
            Some(MaxValidity::Days(47))
        );
    }

    #[test]
    fn months_are_calendar_months() {
        let at = time::macros::datetime!(2016-01-31 12:00 UTC);
        assert_eq!(
            add_months(at, 39),
            time::macros::datetime!(2019-04-30 12:00 UTC)
        );
        assert_eq!(
            add_months(at, 1),
            time::macros::datetime!(2016-02-29 12:00 UTC)
        );
    }
}
