//! The clients still predicted from certcheck's diagnosis (Java): the findings under the
//! client's store, minus the refusals it does not share ([`Tolerance`]), plus the few it adds.

use super::outcome::Outcome;
use super::{Profile, java};
use crate::chain::{CertInfo, KeyKind, usage};
use crate::diagnose::{
    Context, Diagnosis, Finding, FindingCode, Severity, anchor_info, dns_matches,
};
use crate::target::Host;
use crate::trust::StoreKind;

/// A refusal of rustls-webpki or certcheck that a client does not share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tolerance {
    /// A leaf without DNS/IP subjectAltName whose Common Name matches the name is accepted.
    CommonNameFallback,
    /// The trust anchor's own dates are not checked (Java).
    AnchorDates,
    /// RSA keys from 1024 bits are accepted anywhere in the chain (Java's
    /// `jdk.certpath.disabledAlgorithms` refuses only `RSA keySize < 1024`).
    Rsa1024,
    /// SHA-1 signatures are accepted on chains to a `--ca-file` root (Java refuses SHA-1 only on
    /// chains to its own default CAs: `SHA1 jdkCA & usage TLSServer`); MD5 never.
    Sha1UnderPrivateRoot,
    /// A leaf with keyUsage keyCertSign but no cA=TRUE is accepted (Java checks no such rule).
    KeyCertSignLeaf,
    /// A CA certificate (cA=TRUE) as the server certificate, with serverAuth or no EKU, is
    /// accepted (only rustls refuses it).
    CaAsEndEntity,
}

/// What the rules need to know about the chain under one store.
pub(super) struct Facts<'c> {
    chain: &'c crate::chain::Chain,
    leaf: Option<&'c CertInfo>,
    /// The leaf has no DNS/IP subjectAltName and its Common Name matches the name asked for.
    cn_only_match: bool,
    /// The anchor reached is an intermediate (not self-signed): OpenSSL needs PARTIAL_CHAIN.
    anchor_is_intermediate: bool,
    /// The store is a `--ca-file`.
    custom_store: bool,
    /// A certificate of the chain, or an anchor that issued one, has an RSA key of 1024 to 2047
    /// bits, whose signatures rustls-webpki (ring) cannot check.
    legacy_rsa: bool,
}

pub(super) fn facts<'c>(ctx: &'c Context<'_>, store: usize) -> Facts<'c> {
    let leaf = ctx.chain.leaf();
    let cn_only_match = match (leaf, ctx.name) {
        (Some(leaf), Some(Host::Dns(name))) => {
            leaf.dns_names.is_empty()
                && leaf.ip_addresses.is_empty()
                && leaf.common_names.iter().any(|cn| dns_matches(cn, name))
        }
        _ => false,
    };
    let anchor_is_intermediate = ctx
        .paths
        .get(store)
        .filter(|p| p.validated)
        .and_then(|p| p.anchor)
        .and_then(|a| anchor_info(ctx.stores.get(store)?, a))
        .is_some_and(|anchor| !anchor.self_signed);
    let legacy = |key: &crate::chain::KeyInfo| {
        key.kind() == KeyKind::Rsa && (1024..2048).contains(&key.bits)
    };
    let legacy_rsa = ctx.chain.parsed().any(|(_, c)| {
        legacy(&c.key)
            || ctx.stores.get(store).is_some_and(|s| {
                s.anchors_named(&c.issuer_raw)
                    .filter_map(|a| a.info())
                    .any(|a| legacy(&a.key))
            })
    });
    Facts {
        legacy_rsa,
        chain: ctx.chain,
        leaf,
        cn_only_match,
        anchor_is_intermediate,
        custom_store: ctx
            .stores
            .get(store)
            .is_some_and(|s| s.kind == StoreKind::Custom),
    }
}

impl Tolerance {
    /// Whether this tolerance lets `finding` pass.
    fn covers(self, finding: &Finding, facts: &Facts<'_>) -> bool {
        match (self, finding.code) {
            (Tolerance::CommonNameFallback, FindingCode::HostnameMismatch) => facts.cn_only_match,
            (Tolerance::AnchorDates, FindingCode::Expired | FindingCode::NotYetValid) => {
                finding.certificate.is_none()
            }
            (Tolerance::Rsa1024, FindingCode::WeakKey) => match finding.certificate {
                Some(index) => facts
                    .chain
                    .certs
                    .get(index)
                    .and_then(|c| c.info())
                    .is_some_and(|c| c.key.kind() == KeyKind::Rsa && c.key.bits >= 1024),
                // The anchor's key: certcheck names it in the message only.
                None => true,
            },
            // rustls-webpki (ring) cannot check a signature by an RSA key under 2048 bits; its
            // refusal, which certcheck's own check does not share, carries no certificate.
            (Tolerance::Rsa1024, FindingCode::BadSignature) => {
                finding.certificate.is_none() && facts.legacy_rsa
            }
            (Tolerance::Sha1UnderPrivateRoot, FindingCode::WeakSignatureAlgorithm) => {
                facts.custom_store
                    && finding.certificate.is_some_and(|i| {
                        facts
                            .chain
                            .certs
                            .get(i)
                            .and_then(|c| c.info())
                            .is_some_and(|c| {
                                crate::chain::oid::weak_signature(&c.signature_algorithm_oid)
                                    .is_some_and(|w| w.contains("SHA-1"))
                            })
                    })
            }
            (Tolerance::KeyCertSignLeaf, FindingCode::InvalidPurpose) => {
                finding.certificate == Some(0)
                    && facts
                        .leaf
                        .is_some_and(|leaf| !leaf.is_ca && leaf.has_key_usage(usage::KEY_CERT_SIGN))
            }
            (Tolerance::CaAsEndEntity, FindingCode::InvalidPurpose) => {
                finding.certificate == Some(0)
                    && facts.leaf.is_some_and(|leaf| {
                        leaf.is_ca
                            && (leaf.ext_key_usage.is_none()
                                || leaf.has_ext_key_usage(usage::SERVER_AUTH)
                                || leaf.has_ext_key_usage(usage::ANY))
                    })
            }
            _ => false,
        }
    }
}

/// The rules of a client modelled from the diagnosis.
pub(super) struct DiagnosisRules<'b> {
    /// The refusals the client does not share.
    pub(super) tolerates: &'static [Tolerance],
    /// It accepts a path that ends at an intermediate of its store.
    pub(super) partial_chain: bool,
    /// It refuses an anchor that is not a CA.
    pub(super) anchor_must_be_ca: bool,
    /// Certificates it refuses whatever the store (Java's `blocked.certs`).
    pub(super) blocked: &'b [crate::chain::Fingerprint],
}

/// The first failure a client modelled from the diagnosis would hit.
pub(super) enum Failure<'c> {
    /// A finding it shares: its code and certificate.
    Finding(FindingCode, Option<usize>),
    /// Its store holds no anchor at all.
    NoAnchors,
    /// The anchor reached is not a CA certificate.
    AnchorNotCa(&'c CertInfo),
    /// A certificate of the chain is on the client's block list.
    Blocked(&'c CertInfo),
}

pub(super) fn first_failure<'c>(
    rules: &DiagnosisRules,
    ctx: &'c Context<'_>,
    diagnosis: &Diagnosis,
    indexes: &[usize],
) -> Option<Failure<'c>> {
    if indexes.is_empty() {
        return Some(Failure::NoAnchors);
    }
    if let Some((_, cert)) = ctx
        .chain
        .parsed()
        .find(|(_, c)| rules.blocked.contains(&c.sha256))
    {
        return Some(Failure::Blocked(cert));
    }
    for &store in indexes {
        if ctx.stores.get(store).is_some_and(|s| s.anchors.is_empty()) {
            return Some(Failure::NoAnchors);
        }
        let facts = facts(ctx, store);
        let mut remaining: Vec<&Finding> = diagnosis
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.scope.includes(store))
            .filter(|f| !rules.tolerates.iter().any(|t| t.covers(f, &facts)))
            .collect();
        // The store verdict's own code first: it is what the verifier hits first.
        let verdict = diagnosis.verdicts.get(store).and_then(|v| v.error);
        remaining.sort_by_key(|f| (Some(f.code) != verdict, f.code));
        if let Some(first) = remaining.first() {
            return Some(Failure::Finding(first.code, first.certificate));
        }
        let anchor = ctx
            .paths
            .get(store)
            .filter(|p| p.validated)
            .and_then(|p| p.anchor)
            .and_then(|a| anchor_info(ctx.stores.get(store)?, a));
        let leaf_is_anchor = |a: &CertInfo| {
            ctx.chain
                .leaf()
                .is_some_and(|l| l.subject_raw == a.subject_raw && l.spki_der == a.spki_der)
        };
        if let Some(anchor) =
            anchor.filter(|a| rules.anchor_must_be_ca && !a.is_ca && !leaf_is_anchor(a))
        {
            return Some(Failure::AnchorNotCa(anchor));
        }
        if facts.anchor_is_intermediate && !rules.partial_chain {
            return Some(Failure::Finding(FindingCode::UnknownIssuer, None));
        }
    }
    None
}

/// The client's verdict from certcheck's diagnosis, minus the refusals it does not share (the
/// model of the clients without a verifier of their own here).
pub(super) fn diagnosis_outcome(
    profile: &Profile,
    rules: &DiagnosisRules,
    ctx: &Context<'_>,
    diagnosis: &Diagnosis,
    indexes: &[usize],
) -> Outcome {
    let Some(failure) = first_failure(rules, ctx, diagnosis, indexes) else {
        return Outcome::Accepted;
    };
    let trust_problem = matches!(
        failure,
        Failure::Finding(
            FindingCode::UnknownIssuer
                | FindingCode::UntrustedRoot
                | FindingCode::SelfSigned
                | FindingCode::IncompleteChain,
            _
        )
    );
    let words = match (profile.dialect, failure) {
        (_, Failure::NoAnchors) => java::NO_ANCHORS.to_string(),
        (_, Failure::AnchorNotCa(anchor)) => java::anchor_not_ca(anchor),
        (_, Failure::Blocked(cert)) => java::blocked(cert),
        (_, Failure::Finding(FindingCode::HostnameMismatch, _)) => {
            let name = ctx.name.map(|h| h.to_string()).unwrap_or_default();
            java::hostname_message(&name, ctx.name)
        }
        (_, Failure::Finding(code, index)) => java::message(code, index, ctx),
    };
    Outcome::Refused {
        words,
        trust_problem,
    }
}
