//! `trust-store-disagreement`: which stores trust the chain, which do not, and the anchor that makes
//! the difference.

use super::{Context, Finding, FindingCode, Scope, StoreVerdict};

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
    let anchors: Vec<String> = trusting
        .iter()
        .filter_map(|i| verdicts[*i].anchor.clone())
        .collect();
    if let Some(anchor) = anchors.first() {
        let lacking: Vec<String> = refusing
            .iter()
            .filter(|i| {
                ctx.stores
                    .get(**i)
                    .is_some_and(|s| !s.anchors.iter().any(|a| a.subject() == *anchor))
            })
            .map(|i| ctx.store_label(*i))
            .collect();
        message.push_str(&format!("; the anchor {anchor} is in {}", names(&trusting)));
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
