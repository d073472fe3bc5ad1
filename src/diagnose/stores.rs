//! `trust-store-disagreement`: which stores trust the chain, which do not, and the anchor that makes
//! the difference; and the stores that could not be loaded, which validated nothing.

use super::{Context, Finding, FindingCode, Scope, StoreVerdict};
use crate::trust::PathCert;

/// One error finding per store that failed to load and holds nothing, so that a store is never
/// untrusted (or silently absent) without a finding that says why.
pub fn unusable(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.stores
        .iter()
        .enumerate()
        .filter(|(_, store)| store.unusable())
        .map(|(index, store)| {
            Finding::new(
                FindingCode::VerificationFailed,
                None,
                Scope::Stores(vec![index]),
                format!(
                    "store {} could not be loaded, so it validated nothing: {}",
                    ctx.store_label(index),
                    store.errors.join("; ")
                ),
                "Fix the store's file or directory (the error names it); until then clients that use this store fail.",
            )
        })
        .collect()
}

/// One error finding per certificate a store blocks when that store found no path: the
/// certificate, the store and the list it is on (Windows' disallowed list, Java's
/// `blocked.certs`).
pub fn blocked(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, result) in ctx.results.iter().enumerate() {
        if result.path.is_ok() {
            continue;
        }
        let Some(store) = ctx.stores.get(index) else {
            continue;
        };
        for at in &result.blocked {
            let (certificate, info, what) = match *at {
                PathCert::Presented(i) => (
                    Some(i),
                    ctx.chain.certs.get(i).and_then(|c| c.info()),
                    format!("certificate {i}"),
                ),
                PathCert::Pool(i) => (
                    None,
                    ctx.pool.get(i),
                    format!("--untrusted certificate {i}"),
                ),
            };
            let Some(info) = info else { continue };
            let role = if *at == PathCert::Presented(0) {
                "so it refuses the leaf itself"
            } else {
                "so it builds no path through it and finds no other to a root it trusts"
            };
            out.push(Finding::new(
                FindingCode::BlockedCertificate,
                certificate,
                Scope::Stores(vec![index]),
                format!(
                    "{what} ({}, SHA-256 {}) is on the blocked list of store {} ({}), {role}",
                    info.subject,
                    info.sha256,
                    ctx.store_label(index),
                    store.source
                ),
                crate::diagnose::text::generic_hint(FindingCode::BlockedCertificate),
            ));
        }
    }
    out
}

/// One info finding when the stores disagree.
pub fn disagreement(ctx: &Context<'_>, verdicts: &[StoreVerdict]) -> Vec<Finding> {
    let trusting: Vec<usize> = (0..verdicts.len())
        .filter(|i| verdicts[*i].trusted)
        .collect();
    let refusing: Vec<usize> = (0..verdicts.len())
        .filter(|i| !verdicts[*i].trusted)
        .collect();
    if trusting.is_empty() || refusing.is_empty() {
        return Vec::new();
    }
    let names = |list: &[usize]| {
        list.iter()
            .map(|i| ctx.store_label(*i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut message = format!(
        "trusted under {}; not under {}",
        names(&trusting),
        names(&refusing)
    );
    // The anchor of the first trusting store, and the refusing stores that lack it.
    let reached = trusting.iter().find_map(|i| {
        let anchor = ctx.paths.get(*i)?.anchor?;
        ctx.stores.get(*i)?.anchors.get(anchor)
    });
    if let Some(anchor) = reached {
        let lacking: Vec<String> = refusing
            .iter()
            .filter(|i| {
                ctx.stores
                    .get(**i)
                    .is_some_and(|s| !s.holds(&anchor.subject_raw, &anchor.spki_der))
            })
            .map(|i| ctx.store_label(*i))
            .collect();
        message.push_str(&format!(
            "; the anchor {} is in {}",
            anchor.subject(),
            names(&trusting)
        ));
        if !lacking.is_empty() {
            message.push_str(&format!(" but not in {}", lacking.join(", ")));
        }
    }
    for i in &refusing {
        if let Some(code) = verdicts[*i].error {
            message.push_str(&format!("; {} fails with {code}", ctx.store_label(*i)));
        }
    }
    vec![Finding::new(
        FindingCode::TrustStoreDisagreement,
        None,
        Scope::AllStores,
        message,
        "A client fails only if the store it uses does not trust this chain (the client table says which store each one uses; without --ca-file, Python requests uses the bundled Mozilla set via certifi, curl and OpenSSL the system store); to work everywhere, serve a chain to a root every store holds, or add the root where it is missing.",
    )]
}

/// Top-level domains that are never public: names under them cannot be intercepted traffic.
const PRIVATE_SUFFIXES: [&str; 12] = [
    "test",
    "example",
    "invalid",
    "localhost",
    "local",
    "internal",
    "intranet",
    "corp",
    "lan",
    "home",
    "private",
    "arpa",
];

/// Whether a name looks public (a dotted DNS name under a public-looking top-level domain).
fn looks_public(name: &crate::target::Host) -> bool {
    match name {
        crate::target::Host::Ip(_) => false,
        crate::target::Host::Dns(dns) => dns
            .rsplit_once('.')
            .is_some_and(|(_, tld)| !PRIVATE_SUFFIXES.contains(&tld.to_ascii_lowercase().as_str())),
    }
}

/// A public-looking name that only a system or custom store trusts, through an anchor the
/// Mozilla set does not hold: a TLS-inspecting proxy or a private CA. Through an HTTP proxy,
/// also a chain that no store trusts and whose issuer the Mozilla set does not know: the proxy
/// re-signing the server's certificate with a CA of its own.
pub fn interception(ctx: &Context<'_>, verdicts: &[StoreVerdict]) -> Vec<Finding> {
    let Some(name) = ctx.name.filter(|n| looks_public(n)) else {
        return Vec::new();
    };
    let bundled = ctx
        .stores
        .iter()
        .position(|s| s.kind == crate::trust::StoreKind::Bundled);
    let Some(bundled) = bundled else {
        return Vec::new();
    };
    if verdicts.get(bundled).is_none_or(|v| v.trusted) {
        return Vec::new();
    }
    let trusting = ctx.stores.iter().enumerate().find_map(|(i, store)| {
        let verdict = verdicts.get(i)?;
        let anchor = ctx
            .paths
            .get(i)?
            .anchor
            .and_then(|a| store.anchors.get(a))?;
        let mozilla_has_it = ctx.stores[bundled].holds(&anchor.subject_raw, &anchor.spki_der);
        (i != bundled && !store.kind.is_platform() && verdict.trusted && !mozilla_has_it)
            .then(|| (i, anchor.subject()))
    });
    let through = ctx
        .proxy
        .map(|proxy| format!(" (certcheck fetched it through the proxy {proxy})"))
        .unwrap_or_default();
    let message = match (trusting, ctx.proxy) {
        (Some((store, anchor)), _) => format!(
            "{name} looks like a public name, but its chain ends at {anchor}, which is in {holder} and not in Mozilla's current set (the bundled store): clients that use certifi or webpki-roots (Python requests, rustls) fail where those that use {holder} work. Either it is a root that Mozilla has removed but this store still ships, or a private CA or a TLS-inspecting proxy is in the way (if nobody here installed it, suspect interception){through}",
            holder = ctx.store_label(store)
        ),
        (None, Some(proxy)) => {
            // A proxy re-signs the server's leaf with its own CA: a self-issued leaf is the
            // server's own doing, not the proxy's.
            let (Some(leaf), Some(top)) = (
                ctx.chain.leaf(),
                ctx.chain.certs.iter().rev().find_map(|c| c.info()),
            ) else {
                return Vec::new();
            };
            let mozilla = &ctx.stores[bundled];
            if leaf.issuer_raw == leaf.subject_raw
                || mozilla.anchors_named(&top.issuer_raw).next().is_some()
                || mozilla.holds(&top.subject_raw, &top.spki_der)
            {
                return Vec::new();
            }
            format!(
                "through the proxy {proxy}, {name} presents a chain issued by {}, which is not in the Mozilla set: the proxy is probably intercepting TLS, re-signing the server's certificate with its own CA",
                top.issuer
            )
        }
        (None, None) => return Vec::new(),
    };
    vec![Finding::new(
        FindingCode::InterceptionSuspected,
        None,
        Scope::AllStores,
        message,
        crate::diagnose::text::generic_hint(FindingCode::InterceptionSuspected),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pki::{Authority, Spec};
    use crate::diagnose::testkit::{Case, NOW, Pki, only, store};
    use crate::target::Host;
    use crate::trust::StoreKind;

    /// A leaf for `name` under the test PKI, checked against `stores` (in that order) for `name`.
    fn case(pki: &Pki, name: &str, stores: Vec<crate::trust::TrustStore>) -> Case {
        let leaf = pki.leaf(&[name]);
        Case::new(&pki.chain(&leaf), stores).name(name)
    }

    /// Runs `check` on the verdicts the diagnosis gives.
    fn run(case: &Case, check: fn(&Context<'_>, &[StoreVerdict]) -> Vec<Finding>) -> Vec<Finding> {
        let ctx = case.ctx();
        let diagnosis = super::super::diagnose(&ctx, Vec::new());
        check(&ctx, &diagnosis.verdicts)
    }

    #[test]
    fn disagreement_names_the_stores_the_anchor_and_the_failures() {
        let pki = Pki::new();
        let other = Authority::root(&Spec::ca("Unrelated System Root", NOW)).expect("root");
        let stores = vec![
            store(StoreKind::System, "system.pem", &[other.der()]),
            pki.custom(),
        ];
        let case = case(&pki, "split.test", stores);
        let findings = run(&case, disagreement);
        let finding = only(&findings, FindingCode::TrustStoreDisagreement);
        assert_eq!(finding.certificate, None);
        assert_eq!(finding.scope, Scope::AllStores);
        assert_eq!(
            finding.message,
            "trusted under custom (root.pem); not under system; the anchor CN=Test Root CA is in custom (root.pem) but not in system; system fails with unknown-issuer"
        );
    }

    #[test]
    fn no_disagreement_when_the_stores_agree() {
        let pki = Pki::new();
        let stores = vec![
            store(StoreKind::System, "system.pem", &[pki.root.der()]),
            pki.custom(),
        ];
        assert!(run(&case(&pki, "agree.test", stores), disagreement).is_empty());
        let other = Authority::root(&Spec::ca("Unrelated Root", NOW)).expect("root");
        let stores = vec![
            store(StoreKind::System, "system.pem", &[other.der()]),
            store(StoreKind::Custom, "other.pem", &[other.der()]),
        ];
        assert!(run(&case(&pki, "refused.test", stores), disagreement).is_empty());
    }

    #[test]
    fn interception_of_a_public_name_through_a_private_anchor() {
        let pki = Pki::new();
        let mozilla = Authority::root(&Spec::ca("Public Root", NOW)).expect("root");
        let stores = vec![
            store(StoreKind::System, "system.pem", &[pki.root.der()]),
            store(StoreKind::Bundled, "mozilla.pem", &[mozilla.der()]),
        ];
        let case = case(&pki, "www.bank.com", stores);
        let findings = run(&case, interception);
        let finding = only(&findings, FindingCode::InterceptionSuspected);
        assert_eq!(finding.certificate, None);
        assert_eq!(
            finding.message,
            "www.bank.com looks like a public name, but its chain ends at CN=Test Root CA, which is in system and not in Mozilla's current set (the bundled store): clients that use certifi or webpki-roots (Python requests, rustls) fail where those that use system work. Either it is a root that Mozilla has removed but this store still ships, or a private CA or a TLS-inspecting proxy is in the way (if nobody here installed it, suspect interception)"
        );
    }

    #[test]
    fn through_a_proxy_a_chain_nothing_trusts_under_an_unknown_issuer_is_interception() {
        let pki = Pki::new();
        let mozilla = Authority::root(&Spec::ca("Public Root", NOW)).expect("root");
        let stores = || {
            vec![
                store(StoreKind::System, "system.pem", &[mozilla.der()]),
                store(StoreKind::Bundled, "mozilla.pem", &[mozilla.der()]),
            ]
        };
        let through = |case: &Case| {
            let ctx = case.ctx().with_proxy(Some("http://proxy.corp:3128"));
            let diagnosis = super::super::diagnose(&ctx, Vec::new());
            interception(&ctx, &diagnosis.verdicts)
        };
        let proxied = case(&pki, "www.bank.com", stores());
        let findings = through(&proxied);
        assert_eq!(
            only(&findings, FindingCode::InterceptionSuspected).message,
            "through the proxy http://proxy.corp:3128, www.bank.com presents a chain issued by CN=Test Root CA, which is not in the Mozilla set: the proxy is probably intercepting TLS, re-signing the server's certificate with its own CA"
        );
        // Directly, an untrusted chain is just untrusted.
        assert!(run(&proxied, interception).is_empty());
        // A self-issued leaf is the server's own doing, even through a proxy.
        let own = Authority::root(&Spec::ca("www.bank.com", NOW)).expect("self-signed");
        let selfie = Case::new(&[own.der()], stores()).name("www.bank.com");
        assert!(through(&selfie).is_empty());
    }

    #[test]
    fn no_interception_for_private_names_or_without_the_mozilla_set() {
        let pki = Pki::new();
        let mozilla = Authority::root(&Spec::ca("Public Root", NOW)).expect("root");
        let stores = || {
            vec![
                store(StoreKind::System, "system.pem", &[pki.root.der()]),
                store(StoreKind::Bundled, "mozilla.pem", &[mozilla.der()]),
            ]
        };
        assert!(run(&case(&pki, "intranet.corp", stores()), interception).is_empty());
        // The Mozilla set trusts it too: nothing is in the way.
        let both = vec![
            store(StoreKind::System, "system.pem", &[pki.root.der()]),
            store(StoreKind::Bundled, "mozilla.pem", &[pki.root.der()]),
        ];
        assert!(run(&case(&pki, "www.bank.com", both), interception).is_empty());
        // No bundled store to compare with.
        let alone = vec![store(StoreKind::System, "system.pem", &[pki.root.der()])];
        assert!(run(&case(&pki, "www.bank.com", alone), interception).is_empty());
    }

    #[test]
    fn public_names_are_dotted_names_under_public_suffixes() {
        let dns = |name: &str| Host::Dns(name.into());
        assert!(looks_public(&dns("www.example.com")));
        assert!(looks_public(&dns("bank.DE")));
        assert!(!looks_public(&dns("localhost")));
        assert!(!looks_public(&dns("printer.LAN")));
        assert!(!looks_public(&dns("api.test")));
        assert!(!looks_public(&Host::Ip(
            "93.184.216.34".parse().expect("ip")
        )));
    }

    /// A platform store (test fixture) that holds the root but blocks `blocked`.
    fn blocking(pki: &Pki, blocked: &[u8]) -> crate::trust::TrustStore {
        let mut windows = store(StoreKind::Windows, "windows-fixture", &[pki.root.der()]);
        windows.blocked = vec![crate::chain::Fingerprint::of(blocked).0];
        windows
    }

    #[test]
    fn a_blocked_intermediate_makes_the_chain_untrusted_in_that_store_only() {
        let pki = Pki::new();
        let inter = pki.inter.der();
        let stores = vec![pki.custom(), blocking(&pki, &inter)];
        let case = case(&pki, "blocked.test", stores);
        let ctx = case.ctx();
        let diagnosis = super::super::diagnose(&ctx, Vec::new());
        assert!(diagnosis.verdicts[0].trusted);
        assert!(!diagnosis.verdicts[1].trusted);
        assert_eq!(
            diagnosis.verdicts[1].error,
            Some(FindingCode::BlockedCertificate)
        );
        let finding = only(&diagnosis.findings, FindingCode::BlockedCertificate);
        assert_eq!(finding.certificate, Some(1));
        assert_eq!(finding.scope, Scope::Stores(vec![1]));
        assert_eq!(
            finding.message,
            format!(
                "certificate 1 (CN=Test Intermediate CA, SHA-256 {}) is on the blocked list of store windows (windows-fixture), so it builds no path through it and finds no other to a root it trusts",
                crate::chain::Fingerprint::of(&inter)
            )
        );
        // webpki's own refusal is explained by the blocked finding, not repeated.
        assert!(
            !diagnosis
                .findings
                .iter()
                .any(|f| f.scope.includes(1) && f.code == FindingCode::UnknownIssuer)
        );
        let disagreement = only(&diagnosis.findings, FindingCode::TrustStoreDisagreement);
        assert!(
            disagreement
                .message
                .ends_with("; windows fails with blocked-certificate"),
            "{}",
            disagreement.message
        );
    }

    #[test]
    fn a_blocked_leaf_is_refused_and_an_unrelated_block_changes_nothing() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["leaf.test"]);
        let stores = vec![pki.custom(), blocking(&pki, &leaf.der)];
        let ctx_case = Case::new(&pki.chain(&leaf), stores).name("leaf.test");
        let ctx = ctx_case.ctx();
        let diagnosis = super::super::diagnose(&ctx, Vec::new());
        let finding = only(&diagnosis.findings, FindingCode::BlockedCertificate);
        assert_eq!(finding.certificate, Some(0));
        assert!(finding.message.ends_with("so it refuses the leaf itself"));
        assert!(!diagnosis.verdicts[1].trusted);
        // A blocked certificate that is not in the chain: the store trusts it.
        let other = Authority::root(&Spec::ca("Blocked Elsewhere", NOW)).expect("root");
        let stores = vec![pki.custom(), blocking(&pki, &other.der())];
        let case = case(&pki, "fine.test", stores);
        let ctx = case.ctx();
        let diagnosis = super::super::diagnose(&ctx, Vec::new());
        assert!(diagnosis.verdicts[1].trusted);
        assert!(
            !diagnosis
                .findings
                .iter()
                .any(|f| f.code == FindingCode::BlockedCertificate)
        );
    }
}
