//! OpenJDK 17's verification of a server chain (`HttpsURLConnection`, the default
//! `X509TrustManager`), modelled on certcheck's parsed chain under Java's truststore.
//!
//! Source: openjdk/jdk17u, in the order a handshake runs them:
//! - `sun.security.ssl.X509TrustManagerImpl.checkTrusted`: the validator, then the endpoint
//!   identity (`HTTPS`, which `HttpsClient` sets) with `sun.security.util.HostnameChecker`.
//! - `sun.security.validator.PKIXValidator.engineValidate`: when the chain is in order and one of
//!   its certificates is trusted (the same certificate, or the same subject and key), the path
//!   below it is validated against the truststore (a partial chain: any certificate of the
//!   truststore is an anchor); a leaf that is itself trusted is returned as it is, unchecked. A
//!   chain in order whose last certificate names a trusted subject as its issuer is validated
//!   as it is; anything else goes to `SunCertPathBuilder` (`doBuild`), whose failures all read
//!   `unable to find valid certification path to requested target`. `toArray` then checks the
//!   anchor (`verifyTrustAnchor`: cA=TRUE and keyCertSign, unless a v1 certificate).
//! - `sun.security.provider.certpath.PKIXCertPathValidator`: the anchors named as the top
//!   certificate's issuer whose subject key identifier its authority key identifier allows
//!   (`AdaptableX509CertSelector`), each tried in turn; the anchor's own dates and extensions are
//!   never checked. `PKIXMasterCertPathValidator` runs, for each certificate from the top down,
//!   `UntrustedChecker` (`lib/security/blocked.certs`), `AlgorithmChecker`
//!   (`jdk.certpath.disabledAlgorithms` as 17.0.15 ships it: `MD2, MD5, SHA1 jdkCA & usage
//!   TLSServer, RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224`), `KeyChecker`
//!   (keyCertSign on CAs), `ConstraintsChecker` (basicConstraints and pathLenConstraint, name
//!   constraints), `PolicyChecker`, `BasicChecker` (signature, validity, name chaining), then
//!   fails on a critical extension none of them handled.
//! - `sun.security.validator.EndEntityChecker.checkTLSServer`: keyUsage digitalSignature (the
//!   signing key exchanges: TLS 1.3 and ECDHE), extendedKeyUsage serverAuth (or anyEKU, or the
//!   Server-Gated-Cryptography OIDs).
//!
//! `SHA1 jdkCA` applies to a chain whose anchor is one of the JDK's own `cacerts`
//! (`AnchorCertificates`): modelled as any anchor of a store that is not a `--ca-file`. Not
//! modelled: revocation (off by default), certificate policies, Netscape cert-type, IP and
//! directory-name constraints, the public-suffix rule on wildcards.

use time::OffsetDateTime;

use super::*;
use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, DnsConstraint, Fingerprint, KeyKind, NameConstraintsInfo};
use crate::diagnose::dns_matches;
use crate::target::Host;
use crate::trust::store::Anchor;
use crate::trust::{StoreKind, TrustStore};

/// The extensions Java's checkers handle: keyUsage, extendedKeyUsage, subjectAltName
/// (`KeyChecker`), basicConstraints, nameConstraints (`ConstraintsChecker`), certificatePolicies,
/// policyMappings, policyConstraints, inhibitAnyPolicy (`PolicyChecker`).
const HANDLED: [&str; 9] = [
    "2.5.29.15",
    "2.5.29.37",
    "2.5.29.17",
    "2.5.29.19",
    "2.5.29.30",
    "2.5.29.32",
    "2.5.29.33",
    "2.5.29.36",
    "2.5.29.54",
];

/// Server-Gated-Cryptography, which `EndEntityChecker` still takes for serverAuth (Microsoft's
/// and Netscape's).
const SGC: [&str; 2] = ["1.3.6.1.4.1.311.10.3.3", "2.16.840.1.113730.4.1"];

/// At most this many certificates in a path the builder tries (`PKIXBuilderParameters`'s
/// maxPathLength is 5 intermediates).
const MAX_PATH: usize = 6;

/// What Java says of the chain under `store` for `name`: `None` when it accepts. `blocked` is the
/// JDK's `blocked.certs`.
pub fn verify(
    chain: &Chain,
    store: &TrustStore,
    blocked: &[Fingerprint],
    name: Option<&Host>,
    now: OffsetDateTime,
) -> Option<String> {
    if store.anchors.is_empty() {
        return Some(NO_ANCHORS.into());
    }
    let presented: Vec<&CertInfo> = chain.parsed().map(|(_, c)| c).collect();
    let Some(&leaf) = presented.first() else {
        return Some(NO_PATH.into());
    };
    let rules = Rules {
        blocked,
        now,
        jdk_ca: store.kind != StoreKind::Custom,
    };
    let checked = match engine_validate(&presented, store, &rules) {
        Ok(checked) => checked,
        Err(words) => return Some(words),
    };
    if checked == Checked::Path
        && let Err(words) = end_entity(leaf)
    {
        return Some(words);
    }
    name.and_then(|host| hostname(leaf, host).err())
}

/// Whether Java's refusal is for want of a trusted anchor (a CA given to it would help).
pub fn is_trust_problem(words: &str) -> bool {
    words == NO_PATH || words == NO_ANCHOR_CHAINS
}

/// What the checkers need besides the path.
struct Rules<'a> {
    blocked: &'a [Fingerprint],
    now: OffsetDateTime,
    /// The anchors are the JDK's own CAs (`SHA1 jdkCA`).
    jdk_ca: bool,
}

/// How the validator ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checked {
    /// The leaf itself is trusted: nothing else is checked (`EndEntityChecker` neither).
    LeafTrusted,
    /// A path to an anchor validated.
    Path,
}

/// `PKIXValidator.engineValidate`.
fn engine_validate(
    presented: &[&CertInfo],
    store: &TrustStore,
    rules: &Rules<'_>,
) -> Result<Checked, String> {
    let mut previous_issuer: Option<&[u8]> = None;
    for (i, cert) in presented.iter().enumerate() {
        if previous_issuer.is_some_and(|issuer| issuer != cert.subject_raw.as_slice()) {
            return build(presented, store, rules);
        }
        if store.holds(&cert.subject_raw, &cert.spki_der) {
            if i == 0 {
                return Ok(Checked::LeafTrusted);
            }
            return validate(&presented[..i], store, rules);
        }
        previous_issuer = Some(&cert.issuer_raw);
    }
    let top = presented.last().map(|c| c.issuer_raw.as_slice());
    if top.is_some_and(|issuer| store.anchors_named(issuer).next().is_some()) {
        return validate(presented, store, rules);
    }
    build(presented, store, rules)
}

/// `PKIXCertPathValidator` on `path` (leaf first), then `toArray`'s anchor check.
fn validate(path: &[&CertInfo], store: &TrustStore, rules: &Rules<'_>) -> Result<Checked, String> {
    let Some(&top) = path.last() else {
        return Err(NO_PATH.into());
    };
    let mut candidates: Vec<&Anchor> = store
        .anchors_named(&top.issuer_raw)
        .filter(|a| selected(top, a))
        .collect();
    if candidates.is_empty() {
        return Err(NO_ANCHOR_CHAINS.into());
    }
    // The anchors are a set; the one whose key signed the top certificate is tried last here, so
    // that its failure is the one reported when none validates.
    candidates.sort_by_key(|a| verify_cert_signature(&top.der, &a.spki_der) == SigCheck::Valid);
    let mut last = None;
    for anchor in candidates {
        match check_path(path, anchor, rules) {
            Ok(()) => return trust_anchor(anchor).map(|()| Checked::Path),
            Err(words) => last = Some(words),
        }
    }
    Err(last.unwrap_or_else(|| NO_ANCHOR_CHAINS.into()))
}

/// `SunCertPathBuilder`, forward from the leaf: the trust anchors first, then the certificates
/// the server sent; the first path that validates wins, and any failure is `NO_PATH`.
fn build(
    presented: &[&CertInfo],
    store: &TrustStore,
    rules: &Rules<'_>,
) -> Result<Checked, String> {
    let mut path = presented[..1].to_vec();
    match search(&mut path, presented, store, rules) {
        Some(anchor) => trust_anchor(anchor).map(|()| Checked::Path),
        None => Err(NO_PATH.into()),
    }
}

fn search<'a>(
    path: &mut Vec<&'a CertInfo>,
    presented: &[&'a CertInfo],
    store: &'a TrustStore,
    rules: &Rules<'_>,
) -> Option<&'a Anchor> {
    let top = *path.last()?;
    if let Some(anchor) = store
        .anchors_named(&top.issuer_raw)
        .filter(|a| selected(top, a))
        .find(|a| check_path(path, a, rules).is_ok())
    {
        return Some(anchor);
    }
    if path.len() >= MAX_PATH {
        return None;
    }
    for &candidate in presented {
        let used = path
            .iter()
            .any(|c| c.subject_raw == candidate.subject_raw && c.spki_der == candidate.spki_der);
        if used || candidate.subject_raw != top.issuer_raw || !top.key_ids_allow_issuer(candidate) {
            continue;
        }
        path.push(candidate);
        let found = search(path, presented, store, rules);
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// `AdaptableX509CertSelector`: the anchor's subject key identifier, when both are there, is the
/// one the certificate's authority key identifier names.
fn selected(cert: &CertInfo, anchor: &Anchor) -> bool {
    anchor.info().is_none_or(|a| cert.key_ids_allow_issuer(a))
}

/// `PKIXValidator.verifyTrustAnchor`: a v3 anchor must be a CA and, with a keyUsage, assert
/// keyCertSign. An anchor known by name and key only passes.
fn trust_anchor(anchor: &Anchor) -> Result<(), String> {
    let Some(info) = anchor.info() else {
        return Ok(());
    };
    if info.version < 3 {
        return Ok(());
    }
    if !info.is_ca {
        return Err(anchor_not_ca(info));
    }
    if info.key_usage.is_some() && !info.has_key_usage(crate::chain::usage::KEY_CERT_SIGN) {
        return Err(anchor_without_key_cert_sign(info));
    }
    Ok(())
}

/// `PKIXMasterCertPathValidator`: every checker on each certificate of `path` (leaf first), from
/// the one `anchor` issued down to the leaf.
fn check_path(path: &[&CertInfo], anchor: &Anchor, rules: &Rules<'_>) -> Result<(), String> {
    if let Some(info) = anchor.info()
        && rules.blocked.contains(&info.sha256)
    {
        return Err(blocked(info));
    }
    let n = path.len();
    let mut issuer_key = anchor.info().map(|a| &a.key);
    let mut issuer_spki: &[u8] = &anchor.spki_der;
    let mut issuer_subject: &[u8] = &anchor.subject_raw;
    let mut max_path = n;
    let mut constraints: Vec<&NameConstraintsInfo> = Vec::new();
    for (k, &cert) in path.iter().rev().enumerate() {
        let last = k + 1 == n;
        let self_issued = cert.subject_raw == cert.issuer_raw;
        // UntrustedChecker
        if rules.blocked.contains(&cert.sha256) {
            return Err(blocked(cert));
        }
        algorithm_checker(cert, issuer_key, rules)?;
        // KeyChecker
        if !last
            && cert.key_usage.is_some()
            && !cert.has_key_usage(crate::chain::usage::KEY_CERT_SIGN)
        {
            return Err(CA_KEY_USAGE.into());
        }
        // ConstraintsChecker: basic constraints, then name constraints.
        if !last {
            let path_len = if cert.version < 3 {
                (k == 0 && self_issued).then_some(usize::MAX)
            } else if cert.is_ca {
                Some(cert.path_len.map_or(usize::MAX, |p| p as usize))
            } else {
                None
            };
            let Some(path_len) = path_len else {
                return Err(NOT_A_CA.into());
            };
            if !self_issued {
                if max_path == 0 {
                    return Err(PATH_LENGTH.into());
                }
                max_path -= 1;
            }
            max_path = max_path.min(path_len);
        }
        if (last || !self_issued) && constraints.iter().any(|nc| !permits(nc, cert)) {
            return Err(NAME_CONSTRAINTS.into());
        }
        constraints.extend(&cert.name_constraints);
        // BasicChecker: signature, validity, name chaining.
        if verify_cert_signature(&cert.der, issuer_spki) == SigCheck::Invalid {
            return Err(BAD_SIGNATURE.into());
        }
        if rules.now < cert.not_before {
            return Err(not_yet_valid(cert));
        }
        if rules.now > cert.not_after {
            return Err(expired(cert));
        }
        if cert.issuer_raw != issuer_subject {
            return Err(NAME_CHAINING.into());
        }
        if cert
            .extensions
            .iter()
            .any(|e| e.critical && !HANDLED.contains(&e.oid.as_str()))
        {
            return Err(UNKNOWN_CRITICAL.into());
        }
        issuer_key = Some(&cert.key);
        issuer_spki = &cert.spki_der;
        issuer_subject = &cert.subject_raw;
    }
    Ok(())
}

/// `AlgorithmChecker` with `jdk.certpath.disabledAlgorithms`: the signature algorithm disabled
/// outright, `SHA1 jdkCA & usage TLSServer`, the certificate's key size, then the issuer's key
/// that checks the signature.
fn algorithm_checker(
    cert: &CertInfo,
    issuer_key: Option<&crate::chain::KeyInfo>,
    rules: &Rules<'_>,
) -> Result<(), String> {
    match digest_of(&cert.signature_algorithm_oid) {
        Some("MD2" | "MD5") => return Err(disabled_signature(cert)),
        Some("SHA1") if rules.jdk_ca => return Err(sha1_under_jdk_ca(cert)),
        _ => {}
    }
    if too_small(&cert.key) {
        return Err(key_too_small(cert));
    }
    if issuer_key.is_some_and(too_small) {
        return Err(disabled_signature(cert));
    }
    Ok(())
}

/// `RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224`.
fn too_small(key: &crate::chain::KeyInfo) -> bool {
    match key.kind() {
        KeyKind::Rsa | KeyKind::Dsa => key.bits < 1024,
        KeyKind::Ec => key.bits < 224,
        KeyKind::Other => false,
    }
}

/// `NameConstraintsExtension.verify` for DNS names: each DNS subjectAltName, or the Common Name
/// when there is no DNS or IP subjectAltName.
fn permits(constraints: &NameConstraintsInfo, cert: &CertInfo) -> bool {
    let allowed = |name: &str| constraints.check_dns(name) == DnsConstraint::Permitted;
    if cert.dns_names.is_empty() && cert.ip_addresses.is_empty() {
        return cert
            .common_names
            .iter()
            .last()
            .filter(|cn| cn.parse::<std::net::IpAddr>().is_err())
            .is_none_or(|cn| allowed(cn));
    }
    cert.dns_names.iter().all(|n| allowed(n))
}

/// `EndEntityChecker.checkTLSServer` for a signing key exchange.
fn end_entity(leaf: &CertInfo) -> Result<(), String> {
    if leaf.key_usage.is_some() && !leaf.has_key_usage("digitalSignature") {
        return Err(NO_DIGITAL_SIGNATURE.into());
    }
    let server = |eku: &Vec<String>| {
        eku.iter().any(|p| {
            p == crate::chain::usage::SERVER_AUTH
                || p == crate::chain::usage::ANY
                || SGC.contains(&p.as_str())
        })
    };
    if leaf.ext_key_usage.as_ref().is_some_and(|eku| !server(eku)) {
        return Err(NOT_SERVER_AUTH.into());
    }
    Ok(())
}

/// `HostnameChecker.match` (`TYPE_TLS`): an IP address against the IP subjectAltNames only; a
/// name against the DNS subjectAltNames, or, when there is none, the most specific Common Name.
fn hostname(leaf: &CertInfo, host: &Host) -> Result<(), String> {
    match host {
        Host::Ip(ip) => {
            if !leaf.has_san {
                return Err(NO_SAN.into());
            }
            let matches = leaf
                .ip_addresses
                .iter()
                .any(|a| a.parse::<std::net::IpAddr>().is_ok_and(|a| a == *ip));
            if matches {
                Ok(())
            } else {
                Err(no_ip(&ip.to_string()))
            }
        }
        Host::Dns(name) => {
            if leaf.dns_names.iter().any(|p| dns_matches(p, name)) {
                return Ok(());
            }
            if !leaf.dns_names.is_empty() {
                return Err(no_dns_name(name));
            }
            if leaf
                .common_names
                .last()
                .is_some_and(|cn| dns_matches(cn, name))
            {
                return Ok(());
            }
            Err(no_name(name))
        }
    }
}
