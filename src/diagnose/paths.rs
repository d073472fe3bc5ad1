//! Which certificates are in play under each store: webpki's path when it found one, otherwise the
//! path certcheck builds itself from the presented certificates by name and signature.

use time::OffsetDateTime;

use super::Context;
use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, MAX_CHAIN_CERTS};
use crate::trust::store::Anchor;
use crate::trust::{PathCert, TrustResult, TrustStore};

/// The certificates in play under one store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorePath {
    /// The path in order, leaf first, anchor excluded.
    pub nodes: Vec<PathCert>,
    /// Presented certificates on the path, leaf first.
    pub presented: Vec<usize>,
    /// `--untrusted` pool certificates on the path.
    pub pool: Vec<usize>,
    /// The anchor reached (index into the store), if any.
    pub anchor: Option<usize>,
    /// Whether webpki validated this path.
    pub validated: bool,
}

impl StorePath {
    /// The certificates on the path (presented, then pool), leaf first.
    pub fn certs<'c>(&self, ctx: &'c Context<'_>) -> Vec<&'c CertInfo> {
        self.presented
            .iter()
            .filter_map(|i| ctx.chain.certs.get(*i).and_then(|c| c.info()))
            .chain(self.pool.iter().filter_map(|i| ctx.pool.get(*i)))
            .collect()
    }

    /// The certificates on the path in order, leaf first, with their presented index.
    pub fn ordered<'c>(&self, ctx: &'c Context<'_>) -> Vec<(Option<usize>, &'c CertInfo)> {
        self.nodes
            .iter()
            .filter_map(|node| match node {
                PathCert::Presented(i) => ctx.chain.certs.get(*i)?.info().map(|c| (Some(*i), c)),
                PathCert::Pool(i) => ctx.pool.get(*i).map(|c| (None, c)),
            })
            .collect()
    }

    fn from_nodes(nodes: Vec<PathCert>, anchor: Option<usize>, validated: bool) -> StorePath {
        let presented = nodes
            .iter()
            .filter_map(|n| match n {
                PathCert::Presented(i) => Some(*i),
                PathCert::Pool(_) => None,
            })
            .collect();
        let pool = nodes
            .iter()
            .filter_map(|n| match n {
                PathCert::Pool(i) => Some(*i),
                PathCert::Presented(_) => None,
            })
            .collect();
        StorePath {
            nodes,
            presented,
            pool,
            anchor,
            validated,
        }
    }

    /// The earliest notAfter along the path, anchor included when the store has its certificate.
    pub fn expires_at(&self, ctx: &Context<'_>, store: usize) -> Option<OffsetDateTime> {
        let anchor = self
            .anchor
            .and_then(|a| anchor_info(ctx.stores.get(store)?, a))
            .map(|c| c.not_after);
        self.certs(ctx)
            .iter()
            .map(|c| c.not_after)
            .chain(anchor)
            .min()
    }
}

/// Whether `issuer` (by name and key) issued `child`; an unsupported algorithm counts as a
/// name match so that the path is still followed and the algorithm reported elsewhere.
pub fn signed_by(child: &CertInfo, issuer_subject_raw: &[u8], issuer_spki: &[u8]) -> bool {
    child.issuer_raw == issuer_subject_raw
        && !matches!(
            verify_cert_signature(&child.der, issuer_spki),
            SigCheck::Invalid
        )
}

/// An anchor of `store` that issued `cert`, if any.
pub fn anchor_for<'s>(store: &'s TrustStore, cert: &CertInfo) -> Option<(usize, &'s Anchor)> {
    store
        .anchors
        .iter()
        .enumerate()
        .find(|(_, a)| signed_by(cert, &a.subject_raw, &a.spki_der))
}

/// The parsed certificate of anchor `index`, when the store has the whole certificate.
pub fn anchor_info(store: &TrustStore, index: usize) -> Option<&CertInfo> {
    store.anchors.get(index)?.info()
}

/// Walks from the leaf to issuers among the presented certificates, then the pool, stopping at a
/// self-signed certificate, at a certificate whose issuer `stop` accepts, or when no issuer is found.
///
/// An issuer whose signature verifies is preferred; failing that, one that only matches by name is
/// followed, so that a bad signature is reported where it is and not as a missing issuer.
pub fn walk(chain: &Chain, pool: &[CertInfo], stop: impl Fn(&CertInfo) -> bool) -> Vec<PathCert> {
    let Some(leaf) = chain.leaf() else {
        return Vec::new();
    };
    let mut nodes = vec![PathCert::Presented(0)];
    let mut on_path: Vec<&[u8]> = vec![leaf.der.as_slice()];
    let mut current = leaf;
    while nodes.len() < MAX_CHAIN_CERTS {
        if current.self_signed || stop(current) {
            break;
        }
        let candidates: Vec<(PathCert, &CertInfo)> = chain
            .parsed()
            .map(|(i, c)| (PathCert::Presented(i), c))
            .chain(pool.iter().enumerate().map(|(i, c)| (PathCert::Pool(i), c)))
            .filter(|(node, c)| !nodes.contains(node) && c.subject_raw == current.issuer_raw)
            // The same certificate sent twice is one step, so a loop is walked round only once.
            .filter(|(_, c)| !on_path.contains(&c.der.as_slice()))
            .collect();
        let next = candidates
            .iter()
            .find(|(_, c)| signed_by(current, &c.subject_raw, &c.spki_der))
            .or_else(|| candidates.first())
            .copied();
        match next {
            Some((node, cert)) => {
                nodes.push(node);
                on_path.push(cert.der.as_slice());
                current = cert;
            }
            None => break,
        }
    }
    nodes
}

/// The certificates in play under `store`.
pub fn store_path(
    chain: &Chain,
    pool: &[CertInfo],
    store: &TrustStore,
    result: &TrustResult,
) -> StorePath {
    if let Ok(verified) = &result.path {
        // Overflow certificates (beyond the analysed ones) have no model and are left out.
        let nodes = std::iter::once(PathCert::Presented(0))
            .chain(verified.intermediates.iter().filter_map(|cert| match cert {
                PathCert::Presented(i) if *i < chain.certs.len() => Some(PathCert::Presented(*i)),
                PathCert::Presented(_) => None,
                PathCert::Pool(i) => Some(PathCert::Pool(*i)),
            }))
            .collect();
        return StorePath::from_nodes(nodes, Some(verified.anchor), true);
    }
    let nodes = walk(chain, pool, |cert| anchor_for(store, cert).is_some());
    let last = nodes.last().and_then(|node| match node {
        PathCert::Presented(i) => chain.certs.get(*i).and_then(|c| c.info()),
        PathCert::Pool(i) => pool.get(*i),
    });
    let anchor = last.and_then(|c| anchor_for(store, c)).map(|(i, _)| i);
    StorePath::from_nodes(nodes, anchor, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::parse_chain;
    use crate::demo::pki::Spec;
    use crate::diagnose::testkit::{Case, NOW, Pki, days, info, store};
    use crate::trust::StoreKind;

    use PathCert::{Pool, Presented};

    #[test]
    fn walk_follows_issuers_in_any_order_and_stops_at_the_root() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["walk.test"]);
        let chain = parse_chain(&[leaf.der.clone(), pki.inter.der(), pki.root.der()]);
        assert_eq!(
            walk(&chain, &[], |_| false),
            vec![Presented(0), Presented(1), Presented(2)]
        );
        let shuffled = parse_chain(&[leaf.der, pki.root.der(), pki.inter.der()]);
        assert_eq!(
            walk(&shuffled, &[], |_| false),
            vec![Presented(0), Presented(2), Presented(1)]
        );
    }

    #[test]
    fn walk_takes_pool_certificates_and_stops_where_asked() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["pool.test"]);
        let chain = parse_chain(std::slice::from_ref(&leaf.der));
        let pool = [info(&pki.inter.der())];
        assert_eq!(walk(&chain, &pool, |_| false), vec![Presented(0), Pool(0)]);
        let store = store(StoreKind::Custom, "inter.pem", &[pki.inter.der()]);
        assert_eq!(
            walk(&chain, &pool, |c| anchor_for(&store, c).is_some()),
            vec![Presented(0)]
        );
    }

    #[test]
    fn walk_prefers_the_issuer_whose_signature_verifies() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["twins.test"]);
        let twin = pki
            .root
            .intermediate(&Spec::ca("Test Intermediate CA", NOW))
            .expect("same name, other key");
        let chain = parse_chain(&[leaf.der.clone(), twin.der(), pki.inter.der()]);
        assert_eq!(
            walk(&chain, &[], |_| false)[..2],
            [Presented(0), Presented(2)]
        );
        // With only the twin, the name match is followed so the bad signature is found there.
        let chain = parse_chain(&[leaf.der, twin.der()]);
        assert_eq!(
            walk(&chain, &[], |_| false)[..2],
            [Presented(0), Presented(1)]
        );
    }

    #[test]
    fn walk_counts_a_certificate_sent_twice_once() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["twice.test"]);
        let chain = parse_chain(&[leaf.der, pki.inter.der(), pki.inter.der()]);
        assert_eq!(
            walk(&chain, &[], |_| false),
            vec![Presented(0), Presented(1)]
        );
    }

    #[test]
    fn signed_by_checks_name_and_key() {
        let pki = Pki::new();
        let leaf = info(&pki.leaf(&["signed.test"]).der);
        let inter = info(&pki.inter.der());
        let root = info(&pki.root.der());
        assert!(signed_by(&leaf, &inter.subject_raw, &inter.spki_der));
        assert!(!signed_by(&leaf, &inter.subject_raw, &root.spki_der));
        assert!(!signed_by(&leaf, &root.subject_raw, &root.spki_der));
        let custom = pki.custom();
        assert_eq!(anchor_for(&custom, &inter).map(|(i, _)| i), Some(0));
        assert!(anchor_for(&custom, &leaf).is_none());
        assert_eq!(
            anchor_info(&custom, 0)
                .map(|c| c.subject.clone())
                .as_deref(),
            Some("CN=Test Root CA")
        );
        assert!(anchor_info(&custom, 1).is_none());
    }

    #[test]
    fn store_path_of_a_validated_chain() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["valid.test"]);
        let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
        let ctx = case.ctx();
        let path = &ctx.paths[0];
        assert_eq!(
            *path,
            StorePath {
                nodes: vec![Presented(0), Presented(1)],
                presented: vec![0, 1],
                pool: Vec::new(),
                anchor: Some(0),
                validated: true,
            }
        );
        // The leaf expires first: 45 days from now.
        assert_eq!(path.expires_at(&ctx, 0), Some(days(45)));
        let subjects: Vec<&str> = path.certs(&ctx).iter().map(|c| &*c.subject).collect();
        assert_eq!(subjects, ["CN=valid.test", "CN=Test Intermediate CA"]);
    }

    #[test]
    fn store_path_of_a_rejected_chain_is_built_by_name_and_signature() {
        let pki = Pki::new();
        let leaf = pki.leaf_with(Spec::leaf(&["old.test"], NOW).valid(days(-90), days(-1)));
        let case = Case::new(&[leaf.der], vec![pki.custom()]).pool(&[pki.inter.der()]);
        assert!(case.results[0].path.is_err());
        let ctx = case.ctx();
        let path = &ctx.paths[0];
        assert_eq!(
            *path,
            StorePath {
                nodes: vec![Presented(0), Pool(0)],
                presented: vec![0],
                pool: vec![0],
                anchor: Some(0),
                validated: false,
            }
        );
        let ordered: Vec<Option<usize>> = path.ordered(&ctx).iter().map(|(i, _)| *i).collect();
        assert_eq!(ordered, [Some(0), None]);
        assert_eq!(path.expires_at(&ctx, 0), Some(days(-1)));
    }

    #[test]
    fn store_path_without_an_anchor() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["nowhere.test"]);
        let other = store(StoreKind::System, "empty.pem", &[]);
        let case = Case::new(&pki.chain(&leaf), vec![other]);
        let path = &case.ctx().paths[0];
        assert_eq!(path.nodes, [Presented(0), Presented(1)]);
        assert_eq!(path.anchor, None);
        assert!(!path.validated);
    }
}
