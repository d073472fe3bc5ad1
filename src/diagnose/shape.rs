//! The shape of what was presented: `chain-order`, `unneeded-root` and `long-validity`.

use time::{Date, Month};

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

/// The CA/Browser Forum maximum leaf validity, in days, for a certificate issued on `issued`.
pub fn max_validity_days(issued: Date) -> i64 {
    let from = |y, m, d| Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN);
    if issued >= from(2029, Month::March, 15) {
        47
    } else if issued >= from(2027, Month::March, 15) {
        100
    } else if issued >= from(2026, Month::March, 15) {
        200
    } else {
        398
    }
}

/// A leaf valid for longer than browsers accept for its issuance date.
pub fn long_validity(ctx: &Context<'_>) -> Vec<Finding> {
    let Some(leaf) = ctx.chain.leaf() else {
        return Vec::new();
    };
    if leaf.is_ca {
        return Vec::new();
    }
    let limit = max_validity_days(leaf.not_before.date());
    let seconds = (leaf.not_after - leaf.not_before).whole_seconds();
    if seconds <= limit * 86_400 {
        return Vec::new();
    }
    let days = seconds as f64 / 86_400.0;
    vec![Finding::new(
        FindingCode::LongValidity,
        Some(0),
        Scope::AllStores,
        format!(
            "{} is valid for {days:.0} days ({} to {}); for certificates issued from {} browsers accept at most {limit} days",
            label(0, leaf),
            date(leaf.not_before),
            date(leaf.not_after),
            leaf.not_before.date()
        ),
        format!(
            "Reissue the certificate with a validity of at most {limit} days (ACME clients such as certbot do this by default)."
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cab_forum_schedule() {
        let d = |y, m, day| Date::from_calendar_date(y, m, day).unwrap();
        assert_eq!(max_validity_days(d(2025, Month::January, 1)), 398);
        assert_eq!(max_validity_days(d(2026, Month::March, 14)), 398);
        assert_eq!(max_validity_days(d(2026, Month::March, 15)), 200);
        assert_eq!(max_validity_days(d(2027, Month::March, 15)), 100);
        assert_eq!(max_validity_days(d(2029, Month::March, 15)), 47);
    }
}
