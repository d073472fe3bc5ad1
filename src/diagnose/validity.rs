//! Dates: `expired`, `not-yet-valid` and `expiring-soon`, for presented certificates and anchors.

use super::paths::anchor_info;
use super::text::{date, label, relative};
use super::{Context, Finding, FindingCode, STORES, Scope};
use crate::chain::CertInfo;

/// Expired and not-yet-valid presented certificates, and the earliest expiry of each path.
pub fn dates(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, cert) in ctx.chain.parsed() {
        let using = ctx.stores_using(index);
        let expired = cert.not_after < ctx.now;
        let early = cert.not_before > ctx.now;
        if !expired && !early {
            continue;
        }
        let (code, what) = if expired {
            (
                FindingCode::Expired,
                format!(
                    "expired on {}, {}",
                    date(cert.not_after),
                    relative(cert.not_after, ctx.now)
                ),
            )
        } else {
            (
                FindingCode::NotYetValid,
                format!(
                    "is not valid until {}, {}",
                    date(cert.not_before),
                    relative(cert.not_before, ctx.now)
                ),
            )
        };
        if using.is_empty() {
            // Not on any path: the shape check reports it as unrelated.
            continue;
        }
        let hint = if code == FindingCode::NotYetValid {
            "Check the clocks of this machine and of the server; if both are right, the certificate was issued with a future start date: wait for it or reissue it."
        } else if index == 0 {
            "Renew the certificate (for example `certbot renew`) and reload the server."
        } else {
            "Install the CA's current intermediate certificate in the served chain (download the new chain from the CA)."
        };
        out.push(Finding::new(
            code,
            Some(index),
            ctx.scope(using),
            format!("{} {what}", label(index, cert)),
            hint,
        ));
    }
    out.extend(expiring_soon(ctx));
    out
}

fn expiring_soon(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, path) in ctx.paths.iter().enumerate() {
        let presented = path.presented.iter().filter_map(|i| {
            let cert = ctx.chain.certs.get(*i)?.info()?;
            Some((Some(*i), cert))
        });
        let pooled = path
            .pool
            .iter()
            .filter_map(|i| Some((None, ctx.pool.get(*i)?)));
        let anchor = path
            .anchor
            .and_then(|a| anchor_info(ctx.stores.get(store)?, a))
            .map(|c| (None, c));
        let earliest = presented
            .chain(pooled)
            .chain(anchor)
            .filter(|(_, c)| c.not_after >= ctx.now)
            .min_by_key(|(_, c)| c.not_after);
        let Some((index, cert)) = earliest else {
            continue;
        };
        let Some((severity, within)) = super::expiry_severity(&ctx.deadlines(), cert.not_after)
        else {
            continue;
        };
        let who = match index {
            Some(i) => label(i, cert),
            None => format!("the certificate {} (not presented)", cert.subject),
        };
        let mut finding = Finding::new(
            FindingCode::ExpiringSoon,
            index,
            Scope::Stores(vec![store]),
            format!(
                "{who} expires on {}, {} ({within}); it is the earliest expiry on the path",
                date(cert.not_after),
                relative(cert.not_after, ctx.now),
            ),
            "Renew it before that date and install the new chain on the server.",
        );
        finding.severity = severity;
        out.push(finding);
    }
    out
}

/// An anchor a store reaches that is expired or not yet valid (webpki does not look at anchor dates;
/// OpenSSL does).
pub fn anchor_dates(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store_index, path) in ctx.paths.iter().enumerate() {
        let Some(anchor_index) = path.anchor else {
            continue;
        };
        let Some(store) = ctx.stores.get(store_index) else {
            continue;
        };
        let Some(anchor) = anchor_info(store, anchor_index) else {
            continue;
        };
        let presented = presented_copy(ctx, anchor);
        let (code, what) = if anchor.not_after < ctx.now {
            (
                FindingCode::Expired,
                format!(
                    "expired on {}, {}",
                    date(anchor.not_after),
                    relative(anchor.not_after, ctx.now)
                ),
            )
        } else if anchor.not_before > ctx.now {
            (
                FindingCode::NotYetValid,
                format!(
                    "is not valid until {}, {}",
                    date(anchor.not_before),
                    relative(anchor.not_before, ctx.now)
                ),
            )
        } else {
            continue;
        };
        out.push(Finding::new(
            code,
            presented,
            Scope::Stores(vec![store_index]),
            format!(
                "the trust anchor {} in {STORES} {what}; OpenSSL-based clients (Python, curl, Node) reject the chain for it, rustls and Java do not",
                anchor.subject,
            ),
            "Update the clients' CA bundle (update-ca-certificates, certifi) and serve a chain that leads to a current root.",
        ));
    }
    out
}

fn presented_copy(ctx: &Context<'_>, anchor: &CertInfo) -> Option<usize> {
    ctx.chain
        .parsed()
        .find(|(_, c)| c.der == anchor.der)
        .map(|(i, _)| i)
}
