//! Cryptography: `bad-signature`, `weak-signature-algorithm` and `weak-key`.

use super::paths::anchor_info;
use super::text::label;
use super::{Context, Finding, FindingCode, STORES, Scope};
use crate::chain::oid::weak_signature;
use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, KeyKind};

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
        if !crate::chain::oid::algorithm_supported(&cert.signature_algorithm_oid) {
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
    match cert.key.kind() {
        KeyKind::Rsa if cert.key.below_minimum() => {
            Some(format!("an RSA key of {} bits", cert.key.bits))
        }
        KeyKind::Ec if cert.key.below_minimum() => Some(format!(
            "an EC key on {} ({} bits)",
            cert.key.curve.as_deref().unwrap_or("an unknown curve"),
            cert.key.bits
        )),
        KeyKind::Dsa => Some(format!("a DSA key of {} bits", cert.key.bits)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pki::{Authority, Spec};
    use crate::diagnose::testkit::{Case, FIXTURES_NOW, NOW, Pki, fixture, info, only, store};
    use crate::trust::StoreKind;

    /// A custom store holding the weak fixtures' RSA-2048 root.
    fn fixtures_root() -> crate::trust::TrustStore {
        store(StoreKind::Custom, "root.pem", &[fixture("root")])
    }

    #[test]
    fn a_sound_chain_has_no_crypto_findings() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["fine.test"]);
        let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
        let ctx = case.ctx();
        assert!(bad_signatures(&ctx).is_empty());
        assert!(weak_signature_algorithms(&ctx).is_empty());
        assert!(weak_keys(&ctx).is_empty());
    }

    #[test]
    fn bad_signature_names_the_presented_issuer() {
        let pki = Pki::new();
        // Same name as the presented intermediate, another key.
        let rekeyed = pki
            .root
            .intermediate(&Spec::ca("Test Intermediate CA", NOW))
            .expect("intermediate");
        let leaf = rekeyed.leaf(&Spec::leaf(&["bad.test"], NOW)).expect("leaf");
        let case = Case::new(&[leaf.der, pki.inter.der()], vec![pki.custom()]);
        let findings = bad_signatures(&case.ctx());
        let finding = only(&findings, FindingCode::BadSignature);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.scope, Scope::AllStores);
        assert_eq!(
            finding.message,
            "the signature of certificate 0 (CN=bad.test) (ecdsa-with-SHA256) does not verify with the key of certificate 1 (CN=Test Intermediate CA), its issuer by name"
        );
    }

    #[test]
    fn bad_signature_names_the_anchor_of_the_same_name() {
        let pki = Pki::new();
        let impostor = Authority::root(&Spec::ca("Test Root CA", NOW)).expect("root");
        let leaf = impostor
            .leaf(&Spec::leaf(&["anchor.test"], NOW))
            .expect("leaf");
        let case = Case::new(&[leaf.der], vec![pki.custom()]);
        let findings = bad_signatures(&case.ctx());
        let finding = only(&findings, FindingCode::BadSignature);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.scope, Scope::Stores(vec![0]));
        assert_eq!(
            finding.message,
            "the signature of certificate 0 (CN=anchor.test) (ecdsa-with-SHA256) does not verify with the key of the trust anchor CN=Test Root CA in {stores}, its issuer by name"
        );
    }

    #[test]
    fn bad_signature_of_a_certificate_that_names_itself() {
        let pki = Pki::new();
        // Issuer and subject are both CN=mirror.test, but another key signed it.
        let signer = Authority::root(&Spec::ca("mirror.test", NOW)).expect("root");
        let leaf = signer
            .leaf(&Spec::leaf(&["mirror.test"], NOW))
            .expect("leaf");
        let cert = info(&leaf.der);
        assert_eq!(cert.subject_raw, cert.issuer_raw);
        assert!(!cert.self_signed);
        let case = Case::new(&[leaf.der], vec![pki.custom()]);
        let findings = bad_signatures(&case.ctx());
        let finding = only(&findings, FindingCode::BadSignature);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(
            finding.message,
            "certificate 0 (CN=mirror.test) names itself as its issuer, but its signature does not verify with its own key"
        );
    }

    #[test]
    fn sha1_and_md5_signatures_are_weak() {
        for (stem, weak, name) in [
            (
                "sha1-leaf",
                "SHA-1 with RSA (sha1WithRSAEncryption)",
                "sha1.test",
            ),
            (
                "md5-leaf",
                "MD5 with RSA (md5WithRSAEncryption)",
                "md5.test",
            ),
        ] {
            let case = Case::new(&[fixture(stem)], vec![fixtures_root()]).at(FIXTURES_NOW);
            let findings = weak_signature_algorithms(&case.ctx());
            let finding = only(&findings, FindingCode::WeakSignatureAlgorithm);
            assert_eq!(finding.certificate, Some(0), "{stem}");
            assert_eq!(finding.scope, Scope::AllStores, "{stem}");
            assert_eq!(
                finding.message,
                format!(
                    "certificate 0 (CN={name}) is signed with {weak}, which current clients reject (OpenSSL: ca md too weak)"
                )
            );
            // The signature itself verifies: it is weak, not bad.
            assert!(bad_signatures(&case.ctx()).is_empty(), "{stem}");
        }
    }

    #[test]
    fn rsa_1024_leaf_key_is_weak() {
        let case = Case::new(&[fixture("rsa1024-leaf")], vec![fixtures_root()]).at(FIXTURES_NOW);
        let findings = weak_keys(&case.ctx());
        let finding = only(&findings, FindingCode::WeakKey);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(
            finding.message,
            "certificate 0 (CN=rsa1024.test) has an RSA key of 1024 bits (OpenSSL at security level 2 (Python, curl): ee key too small)"
        );
    }

    #[test]
    fn rsa_1024_intermediate_key_is_weak_on_its_index() {
        let chain = [fixture("leaf-under-rsa1024"), fixture("ca-rsa1024")];
        let case = Case::new(&chain, vec![fixtures_root()]).at(FIXTURES_NOW);
        let findings = weak_keys(&case.ctx());
        let finding = only(&findings, FindingCode::WeakKey);
        assert_eq!(finding.certificate, Some(1));
        assert_eq!(
            finding.message,
            "certificate 1 (CN=Weak 1024-bit CA) has an RSA key of 1024 bits (OpenSSL: ca key too small; rustls-webpki cannot verify signatures made with it)"
        );
    }

    #[test]
    fn rsa_1024_anchor_key_is_weak() {
        let weak_anchor = store(StoreKind::Custom, "weak-ca.pem", &[fixture("ca-rsa1024")]);
        let case = Case::new(&[fixture("leaf-under-rsa1024")], vec![weak_anchor]).at(FIXTURES_NOW);
        assert_eq!(case.ctx().paths[0].anchor, Some(0));
        let findings = weak_keys(&case.ctx());
        let finding = only(&findings, FindingCode::WeakKey);
        assert_eq!(finding.certificate, None);
        assert_eq!(finding.scope, Scope::Stores(vec![0]));
        assert_eq!(
            finding.message,
            "the trust anchor CN=Weak 1024-bit CA in {stores} has an RSA key of 1024 bits (OpenSSL: ca key too small)"
        );
    }

    #[test]
    fn key_strength_thresholds() {
        let mut cert = info(&fixture("rsa1024-leaf"));
        assert_eq!(
            key_is_weak(&cert).as_deref(),
            Some("an RSA key of 1024 bits")
        );
        cert.key.bits = 2048;
        assert_eq!(key_is_weak(&cert), None);
        let ec = info(&Pki::new().leaf(&["ec.test"]).der);
        assert_eq!(&*ec.key.algorithm, "EC");
        assert_eq!(key_is_weak(&ec), None);
    }
}
