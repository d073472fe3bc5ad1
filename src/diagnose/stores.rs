//! `trust-store-disagreement`: which stores trust the chain, which do not, and the anchor that makes
//! the difference; and the stores that could not be loaded, which validated nothing.

use super::{Context, Finding, FindingCode, Scope, StoreVerdict};

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
        "Clients that use a store that does not trust this chain will fail (Python requests uses the bundled Mozilla set via certifi; curl and OpenSSL use the system store); serve a chain to a root every store holds, or add the root where it is missing.",
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
/// Mozilla set does not hold: a TLS-inspecting proxy or a private CA.
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
        (i != bundled && verdict.trusted && !mozilla_has_it).then(|| (i, anchor.subject()))
    });
    let Some((store, anchor)) = trusting else {
        return Vec::new();
    };
    vec![Finding::new(
        FindingCode::InterceptionSuspected,
        None,
        Scope::AllStores,
        format!(
            "{name} looks like a public name, but its chain ends at {anchor}, which is in {} and not in the Mozilla set: a TLS-inspecting proxy or a private CA is probably in the way",
            ctx.store_label(store)
        ),
        crate::diagnose::text::generic_hint(FindingCode::InterceptionSuspected),
    )]
}
