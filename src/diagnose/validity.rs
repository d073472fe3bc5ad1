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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pki::{Authority, Spec};
    use crate::diagnose::Severity;
    use crate::diagnose::testkit::{Case, NOW, Pki, days, only, store};
    use crate::trust::StoreKind;

    #[test]
    fn expired_leaf_names_its_date_and_age() {
        let pki = Pki::new();
        let leaf = pki.leaf_with(Spec::leaf(&["expired.test"], NOW).valid(days(-148), days(-58)));
        let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
        let findings = dates(&case.ctx());
        let finding = only(&findings, FindingCode::Expired);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.severity, Severity::Error);
        assert_eq!(finding.scope, Scope::AllStores);
        assert_eq!(
            finding.message,
            "certificate 0 (CN=expired.test) expired on 2029-11-04T00:00:00Z, 58 days ago"
        );
        assert!(
            finding.hint.starts_with("Renew the certificate"),
            "{}",
            finding.hint
        );
        // An expired certificate is not also "expiring soon".
        assert_eq!(findings.len(), 1, "{findings:#?}");
    }

    #[test]
    fn expired_intermediate_is_reported_on_its_index() {
        let pki = Pki::new();
        let inter = pki
            .root
            .intermediate(&Spec::ca("Old Intermediate", NOW).valid(days(-400), days(-10)))
            .expect("intermediate");
        let leaf = inter.leaf(&Spec::leaf(&["old.test"], NOW)).expect("leaf");
        let case = Case::new(&[leaf.der, inter.der()], vec![pki.custom()]);
        let findings = dates(&case.ctx());
        let finding = only(&findings, FindingCode::Expired);
        assert_eq!(finding.certificate, Some(1));
        assert_eq!(
            finding.message,
            "certificate 1 (CN=Old Intermediate) expired on 2029-12-22T00:00:00Z, 10 days ago"
        );
        assert!(finding.hint.contains("intermediate"), "{}", finding.hint);
    }

    #[test]
    fn not_yet_valid_leaf_names_its_start() {
        let pki = Pki::new();
        let leaf = pki.leaf_with(Spec::leaf(&["future.test"], NOW).valid(days(3), days(93)));
        let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
        let findings = dates(&case.ctx());
        let finding = only(&findings, FindingCode::NotYetValid);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(
            finding.message,
            "certificate 0 (CN=future.test) is not valid until 2030-01-04T00:00:00Z, in 3 days"
        );
        assert!(
            finding.hint.starts_with("Check the clocks"),
            "{}",
            finding.hint
        );
    }

    #[test]
    fn a_certificate_on_no_path_is_left_to_the_shape_check() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["ok.test"]);
        let stray = Authority::root(&Spec::ca("Stray Root", NOW).valid(days(-900), days(-5)))
            .expect("root");
        let case = Case::new(
            &[leaf.der.clone(), pki.inter.der(), stray.der()],
            vec![pki.custom()],
        );
        assert_eq!(case.ctx().stores_using(2), Vec::<usize>::new());
        assert!(dates(&case.ctx()).is_empty());
    }

    #[test]
    fn expiring_soon_follows_warn_days_and_fail_days() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["soon.test"]);
        let chain = pki.chain(&leaf);
        // The leaf expires 45 days from now, before the intermediate.
        let case = Case::new(&chain, vec![pki.custom()]).thresholds(60, None);
        let findings = dates(&case.ctx());
        let finding = only(&findings, FindingCode::ExpiringSoon);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.severity, Severity::Warning);
        assert_eq!(finding.scope, Scope::Stores(vec![0]));
        assert_eq!(
            finding.message,
            "certificate 0 (CN=soon.test) expires on 2030-02-15T00:00:00Z, in 45 days (within --warn-days 60); it is the earliest expiry on the path"
        );

        // --fail-days uses the same code, as an error.
        let case = Case::new(&chain, vec![pki.custom()]).thresholds(60, Some(50));
        let findings = dates(&case.ctx());
        let finding = only(&findings, FindingCode::ExpiringSoon);
        assert_eq!(finding.severity, Severity::Error);
        assert_eq!(finding.certificate, Some(0));
        assert!(
            finding.message.contains("(within --fail-days 50)"),
            "{}",
            finding.message
        );

        // Outside both windows, nothing.
        let case = Case::new(&chain, vec![pki.custom()]).thresholds(30, Some(10));
        assert!(dates(&case.ctx()).is_empty());
    }

    #[test]
    fn expiring_soon_names_an_intermediate_that_was_not_presented() {
        let pki = Pki::new();
        let inter = pki
            .root
            .intermediate(&Spec::ca("Short Intermediate", NOW).valid(days(-1), days(20)))
            .expect("intermediate");
        let leaf = inter.leaf(&Spec::leaf(&["pool.test"], NOW)).expect("leaf");
        let case = Case::new(&[leaf.der], vec![pki.custom()]).pool(&[inter.der()]);
        let findings = dates(&case.ctx());
        let finding = only(&findings, FindingCode::ExpiringSoon);
        assert_eq!(finding.certificate, None);
        assert_eq!(
            finding.message,
            "the certificate CN=Short Intermediate (not presented) expires on 2030-01-21T00:00:00Z, in 20 days (within --warn-days 30); it is the earliest expiry on the path"
        );
    }

    #[test]
    fn expired_anchor_is_reported_per_store() {
        let pki = Pki::new();
        let old_root = Authority::root(&Spec::ca("Expired Root", NOW).valid(days(-4000), days(-2)))
            .expect("root");
        let inter = old_root
            .intermediate(&Spec::ca("Inter Under Expired Root", NOW))
            .expect("inter");
        let leaf = inter
            .leaf(&Spec::leaf(&["anchor.test"], NOW))
            .expect("leaf");
        let stores = vec![
            store(StoreKind::System, "system.pem", &[pki.root.der()]),
            store(StoreKind::Custom, "old-root.pem", &[old_root.der()]),
        ];
        let case = Case::new(&[leaf.der.clone(), inter.der()], stores);
        let findings = anchor_dates(&case.ctx());
        let finding = only(&findings, FindingCode::Expired);
        assert_eq!(finding.certificate, None, "the anchor was not presented");
        assert_eq!(finding.scope, Scope::Stores(vec![1]));
        assert_eq!(
            finding.message,
            "the trust anchor CN=Expired Root in {stores} expired on 2029-12-30T00:00:00Z, 2 days ago; OpenSSL-based clients (Python, curl, Node) reject the chain for it, rustls and Java do not"
        );
        // Through the whole diagnosis the store is named.
        let diagnosis = case.diagnose();
        let finding = only(&diagnosis.findings, FindingCode::Expired);
        assert!(
            finding.message.starts_with(
                "the trust anchor CN=Expired Root in store custom (old-root.pem) expired on"
            ),
            "{}",
            finding.message
        );

        // When the server also sends the root, the finding points at the copy it sent.
        let stores = vec![store(StoreKind::Custom, "old-root.pem", &[old_root.der()])];
        let case = Case::new(&[leaf.der, inter.der(), old_root.der()], stores);
        let findings = anchor_dates(&case.ctx());
        assert_eq!(only(&findings, FindingCode::Expired).certificate, Some(2));
    }

    #[test]
    fn anchor_not_yet_valid() {
        let early =
            Authority::root(&Spec::ca("Early Root", NOW).valid(days(2), days(4000))).expect("root");
        let leaf = early.leaf(&Spec::leaf(&["early.test"], NOW)).expect("leaf");
        let stores = vec![store(StoreKind::Custom, "early.pem", &[early.der()])];
        let case = Case::new(&[leaf.der], stores);
        let findings = anchor_dates(&case.ctx());
        let finding = only(&findings, FindingCode::NotYetValid);
        assert_eq!(
            finding.message,
            "the trust anchor CN=Early Root in {stores} is not valid until 2030-01-03T00:00:00Z, in 2 days; OpenSSL-based clients (Python, curl, Node) reject the chain for it, rustls and Java do not"
        );
    }
}
