//! Cryptography: `bad-signature`, `weak-signature-algorithm` and `weak-key`.

use super::paths::anchor_info;
use super::text::label;
use super::{Context, Finding, FindingCode, STORES, Scope};
use crate::chain::CertInfo;
use crate::chain::signature::{SigCheck, verify_cert_signature, weak_signature};

/// A candidate issuer: where it is, its name and key.
struct Candidate<'a> {
    what: String,
    spki: &'a [u8],
    scope: Option<usize>,
}

fn candidates<'a>(ctx: &'a Context<'_>, index: usize, cert: &'a CertInfo) -> Vec<Candidate<'a>> {
    let mut out = Vec::new();
    for (i, c) in ctx.chain.parsed() {
        if i != index && c.subject_raw == cert.issuer_raw {
            out.push(Candidate {
                what: label(i, c),
                spki: &c.spki_der,
                scope: None,
            });
        }
    }
    for c in ctx.pool.iter().filter(|c| c.subject_raw == cert.issuer_raw) {
        out.push(Candidate {
            what: format!("the --untrusted certificate {}", c.subject),
            spki: &c.spki_der,
            scope: None,
        });
    }
    for (s, store) in ctx.stores.iter().enumerate() {
        for anchor in store.anchors_named(&cert.issuer_raw) {
            out.push(Candidate {
                what: format!("the trust anchor {} in {STORES}", anchor.subject()),
                spki: &anchor.spki_der,
                scope: Some(s),
            });
        }
    }
    out
}

/// Certificates whose issuer, found by name, did not sign them.
pub fn bad_signatures(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, cert) in ctx.chain.parsed() {
        if cert.self_signed || ctx.stores_using(index).is_empty() {
            continue;
        }
        let candidates = candidates(ctx, index, cert);
        let checks: Vec<SigCheck> = candidates
            .iter()
            .map(|c| verify_cert_signature(&cert.der, c.spki))
            .collect();
        if checks.iter().any(|c| *c != SigCheck::Invalid) {
            continue;
        }
        if cert.subject_raw == cert.issuer_raw && candidates.is_empty() {
            out.push(Finding::new(
                FindingCode::BadSignature,
                Some(index),
                Scope::AllStores,
                format!(
                    "{} names itself as its issuer, but its signature does not verify with its own key",
                    label(index, cert)
                ),
                "The certificate is corrupt or was altered; reissue it.",
            ));
            continue;
        }
        for candidate in &candidates {
            let scope = match candidate.scope {
                Some(store) => Scope::Stores(vec![store]),
                None => ctx.scope(ctx.stores_using(index)),
            };
            out.push(Finding::new(
                FindingCode::BadSignature,
                Some(index),
                scope,
                format!(
                    "the signature of {} ({}) does not verify with the key of {}, its issuer by name",
                    label(index, cert),
                    cert.signature_algorithm,
                    candidate.what
                ),
                "The certificate was not issued by that key: the issuer was re-keyed or the certificate was altered. Install the chain exactly as the CA delivered it.",
            ));
        }
    }
    out
}

/// SHA-1 or MD5 signatures on certificates that are not self-signed roots, and algorithms the
/// verifier cannot check at all.
pub fn weak_signature_algorithms(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, cert) in ctx.chain.parsed() {
        if cert.self_signed {
            continue;
        }
        let using = ctx.stores_using(index);
        if using.is_empty() {
            continue;
        }
        if let Some(weak) = weak_signature(&cert.signature_algorithm_oid) {
            out.push(Finding::new(
                FindingCode::WeakSignatureAlgorithm,
                Some(index),
                ctx.scope(using),
                format!(
                    "{} is signed with {weak} ({}), which current clients reject (OpenSSL: ca md too weak)",
                    label(index, cert),
                    cert.signature_algorithm
                ),
                "Reissue the certificate with a SHA-256 (or stronger) signature.",
            ));
            continue;
        }
        if !crate::chain::signature::algorithm_supported(&cert.signature_algorithm_oid) {
            out.push(Finding::new(
                FindingCode::WeakSignatureAlgorithm,
                Some(index),
                ctx.scope(using),
                format!(
                    "{} is signed with {} ({}), an algorithm rustls-webpki does not support, so no client built on it can verify it",
                    label(index, cert),
                    cert.signature_algorithm,
                    cert.signature_algorithm_oid
                ),
                "Reissue the certificate with ECDSA P-256/SHA-256, RSA PKCS#1 or PSS with SHA-256, or Ed25519.",
            ));
        }
    }
    out
}

fn key_is_weak(cert: &CertInfo) -> Option<String> {
    match &*cert.key.algorithm {
        "RSA" if cert.key.bits < 2048 => Some(format!("an RSA key of {} bits", cert.key.bits)),
        "EC" if cert.key.bits < 256 => Some(format!(
            "an EC key on {} ({} bits)",
            cert.key.curve.as_deref().unwrap_or("an unknown curve"),
            cert.key.bits
        )),
        "DSA" => Some(format!("a DSA key of {} bits", cert.key.bits)),
        _ => None,
    }
}

/// RSA below 2048 bits, EC below 256 bits (and DSA), on presented certificates in play and on the
/// anchor each store reaches.
pub fn weak_keys(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, cert) in ctx.chain.parsed() {
        let using = ctx.stores_using(index);
        if using.is_empty() {
            continue;
        }
        let Some(weak) = key_is_weak(cert) else {
            continue;
        };
        let role = if index == 0 {
            "OpenSSL at security level 2 (Python, curl): ee key too small"
        } else {
            "OpenSSL: ca key too small; rustls-webpki cannot verify signatures made with it"
        };
        out.push(Finding::new(
            FindingCode::WeakKey,
            Some(index),
            ctx.scope(using),
            format!("{} has {weak} ({role})", label(index, cert)),
            "Reissue with an RSA key of at least 2048 bits or an EC P-256 (or larger) key.",
        ));
    }
    for (store_index, path) in ctx.paths.iter().enumerate() {
        let Some(anchor) = path
            .anchor
            .and_then(|a| anchor_info(ctx.stores.get(store_index)?, a))
        else {
            continue;
        };
        if ctx.chain.parsed().any(|(_, c)| c.der == anchor.der) {
            continue;
        }
        if let Some(weak) = key_is_weak(anchor) {
            out.push(Finding::new(
                FindingCode::WeakKey,
                None,
                Scope::Stores(vec![store_index]),
                format!(
                    "the trust anchor {} in {STORES} has {weak} (OpenSSL: ca key too small)",
                    anchor.subject
                ),
                "Serve a chain that leads to a root with a 2048-bit (or larger) RSA or P-256 key.",
            ));
        }
    }
    out
}
