//! What lies behind "unknown issuer": `self-signed`, `untrusted-root`, `unknown-issuer` and
//! `incomplete-chain`, told apart per store.

use super::paths::{Node, anchor_for, walk};
use super::text::label;
use super::{Context, Finding, FindingCode, STORES, Scope};
use crate::chain::{CertInfo, colon_hex};

/// Classifies the missing link under each store where no anchor was reached.
pub fn issuers(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, result) in ctx.results.iter().enumerate() {
        let path = &ctx.paths[store];
        if result.path.is_ok() {
            if !path.pool.is_empty() {
                out.extend(completed_by_pool(ctx, store));
            }
            continue;
        }
        if path.anchor.is_some() || ctx.stores.get(store).is_some_and(|s| s.unusable()) {
            continue;
        }
        out.extend(classify(ctx, store));
    }
    out
}

fn node_cert<'c>(ctx: &'c Context<'_>, node: Node) -> Option<(Option<usize>, &'c CertInfo)> {
    match node {
        Node::Presented(i) => ctx.chain.certs.get(i)?.info().map(|c| (Some(i), c)),
        Node::Pool(i) => ctx.pool.get(i).map(|c| (None, c)),
    }
}

fn describe(index: Option<usize>, cert: &CertInfo) -> String {
    match index {
        Some(i) => label(i, cert),
        None => format!("the --untrusted certificate {}", cert.subject),
    }
}

fn holders(ctx: &Context<'_>, cert: &CertInfo, except: usize) -> Vec<String> {
    ctx.stores
        .iter()
        .enumerate()
        .filter(|(i, s)| *i != except && s.holds(&cert.subject_raw, &cert.spki_der))
        .map(|(i, _)| ctx.store_label(i))
        .collect()
}

fn issuer_holders(ctx: &Context<'_>, cert: &CertInfo, except: usize) -> Vec<String> {
    ctx.stores
        .iter()
        .enumerate()
        .filter(|(i, s)| *i != except && anchor_for(s, cert).is_some())
        .map(|(i, _)| ctx.store_label(i))
        .collect()
}

fn classify(ctx: &Context<'_>, store: usize) -> Option<Finding> {
    let store_ref = ctx.stores.get(store)?;
    let nodes = walk(ctx.chain, ctx.pool, |c| anchor_for(store_ref, c).is_some());
    let (index, last) = node_cert(ctx, *nodes.last()?)?;
    // An anchor that is there by name but did not sign it is a `bad-signature`, not a missing issuer.
    if !last.self_signed && store_ref.anchors_named(&last.issuer_raw).next().is_some() {
        return None;
    }
    let scope = Scope::Stores(vec![store]);

    if last.self_signed {
        let held = holders(ctx, last, store);
        let elsewhere = if held.is_empty() {
            "no configured store holds it".to_string()
        } else {
            format!("it is held by {}", held.join(", "))
        };
        let renamed = if store_ref.anchors_named(&last.subject_raw).next().is_some() {
            format!(
                "; {} holds a different certificate with the same name (another key)",
                ctx.store_label(store)
            )
        } else {
            String::new()
        };
        if index == Some(0) {
            return Some(Finding::new(
                FindingCode::SelfSigned,
                Some(0),
                scope,
                format!(
                    "{} is self-signed (its issuer is itself and its signature verifies with its own key) and is not in {STORES}; {elsewhere}{renamed}",
                    label(0, last)
                ),
                "Use a certificate issued by a CA the clients trust (for example Let's Encrypt), or give the clients this certificate as a trust anchor (--ca-file, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).",
            ));
        }
        return Some(Finding::new(
            FindingCode::UntrustedRoot,
            index,
            scope,
            format!(
                "the chain ends in the self-signed root {}, which is not in {STORES}; {elsewhere}{renamed}",
                describe(index, last)
            ),
            "If this is your private CA, add its root to the clients' trust store (--ca-file, SSL_CERT_FILE, REQUESTS_CA_BUNDLE); otherwise serve a chain issued by a publicly trusted CA.",
        ));
    }

    // The issuer is there, but already on the path: the chain goes round in a circle.
    let looped = nodes.iter().find_map(|node| {
        let (i, cert) = node_cert(ctx, *node)?;
        (cert.subject_raw == last.issuer_raw).then_some((i, cert))
    });
    if let Some((i, issuer)) = looped {
        return Some(Finding::new(
            FindingCode::UnknownIssuer,
            index,
            scope,
            format!(
                "the chain loops: {} was issued by {}, which is already on the path, so it never reaches a root in {STORES}",
                describe(index, last),
                describe(i, issuer)
            ),
            "Serve the leaf and the intermediates up to a root the clients trust; remove the cross-issued certificates that form the loop.",
        ));
    }
    // The issuer may be among the certificates beyond those analysed.
    if ctx.chain.truncated > 0 {
        return Some(Finding::new(
            FindingCode::UnknownIssuer,
            index,
            scope,
            format!(
                "the issuer of {}, {}, is not among the first {} certificates certcheck analyses (the server sent {}), and no root in {STORES} is reached within them",
                describe(index, last),
                last.issuer,
                ctx.chain.certs.len(),
                ctx.chain.certs.len() + ctx.chain.truncated
            ),
            "Send only the leaf and the intermediates that lead to the root (usually 2 to 4 certificates).",
        ));
    }
    let key_id = last
        .authority_key_id
        .as_deref()
        .map(|k| format!(" (key identifier {})", colon_hex(k)))
        .unwrap_or_default();
    if let Some(url) = last.ca_issuer_urls.first() {
        return Some(Finding::new(
            FindingCode::IncompleteChain,
            index,
            scope,
            format!(
                "the server did not send the intermediate {}{key_id} that issued {}, and it is not in {STORES}; the certificate's AIA caIssuers names it at {url}",
                last.issuer,
                describe(index, last)
            ),
            format!(
                "Configure the server to send the full chain (for example fullchain.pem, not cert.pem); the missing certificate is at {url}. Browsers may fetch it, but OpenSSL, Python, curl and Java do not."
            ),
        ));
    }
    let held = issuer_holders(ctx, last, store);
    let elsewhere = if held.is_empty() {
        String::new()
    } else {
        format!("; {} holds it", held.join(", "))
    };
    Some(Finding::new(
        FindingCode::UnknownIssuer,
        index,
        scope,
        format!(
            "the issuer of {}, {}{key_id}, was not sent by the server and is not in {STORES}{elsewhere}",
            describe(index, last),
            last.issuer
        ),
        "If the issuer is an intermediate, configure the server to send it (the full chain); if it is a private root, add it to the clients' trust store (--ca-file, SSL_CERT_FILE, REQUESTS_CA_BUNDLE).",
    ))
}

/// The path validated only thanks to `--untrusted` certificates: the presented chain is incomplete.
///
/// A warning, not an error: the verdict follows `openssl verify -untrusted` (the pool may be used),
/// but a client that does not already hold these intermediates fails.
fn completed_by_pool(ctx: &Context<'_>, store: usize) -> Option<Finding> {
    let path = &ctx.paths[store];
    let last_presented = *path.presented.last()?;
    let cert = ctx.chain.certs.get(last_presented)?.info()?;
    let missing: Vec<String> = path
        .pool
        .iter()
        .filter_map(|i| ctx.pool.get(*i))
        .map(|c| c.subject.clone())
        .collect();
    let anchor = ctx
        .results
        .get(store)?
        .path
        .as_ref()
        .ok()
        .map(|p| p.anchor_subject.clone())
        .unwrap_or_default();
    let mut finding = Finding::new(
        FindingCode::IncompleteChain,
        Some(last_presented),
        Scope::Stores(vec![store]),
        format!(
            "the presented chain stops at {}: its issuer {} was not presented; the --untrusted certificates {} complete the path to {anchor} in {STORES}, so only clients that already hold them succeed",
            label(last_presented, cert),
            cert.issuer,
            missing.join(", "),
        ),
        "Configure the server to send the full chain (for example fullchain.pem, not cert.pem), including the intermediates listed.",
    );
    finding.severity = super::Severity::Warning;
    Some(finding)
}
