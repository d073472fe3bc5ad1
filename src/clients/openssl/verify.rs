//! OpenSSL 3.0's `X509_verify_cert`, modelled on certcheck's parsed chain: the path OpenSSL builds
//! over a client's store and every verify error it raises, in the order it raises them.
//!
//! Source: openssl/openssl `crypto/x509/x509_vfy.c` (`x509_verify_x509`, `build_chain`,
//! `verify_chain`, `check_extensions`, `check_auth_level`, `check_id`, `internal_verify`,
//! `check_name_constraints`), `crypto/x509/v3_purp.c` (`X509_check_ca`, the SSL server purpose),
//! `crypto/x509/x509_txt.c` (the texts). The order is: the leaf's key level; building the chain
//! (trusted certificates first); per certificate from the leaf up, critical extensions, CA-ness,
//! purpose and path length; issuer key and signature-digest levels; the host name; signatures and
//! validity from the top down; name constraints. A client that aborts on the first error (Python,
//! curl, `s_client -verify_return_error`) reports the first; one whose callback lets
//! verification go on (Node) reports the last.

use time::OffsetDateTime;

use super::checks::{check_ca, key_security_bits, server_purpose, signature_security_bits};
use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, DnsConstraint, usage};
use crate::diagnose::names::covers_or_common_name;
use crate::target::Host;
use crate::trust::TrustStore;
use crate::trust::store::Anchor;

/// An `X509_V_ERR_*` raised at a depth of the built chain (0 is the leaf).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raised {
    /// The error number.
    pub number: u32,
    /// The depth of the certificate it is about.
    pub depth: usize,
    /// A signature that failed was checked with an RSA key: OpenSSL's RSA code queues its own
    /// reason first, which is what curl reports.
    pub rsa_failure: Option<RsaFailure>,
}

/// Why OpenSSL's RSA code refused a certificate signature (`crypto/rsa/rsa_ossl.c`,
/// `rsa_pk1.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaFailure {
    /// The signature, as a number, is not below the modulus: `data too large for modulus`.
    DataTooLarge,
    /// It decrypts to something that is not a PKCS#1 padding: `invalid padding`.
    InvalidPadding,
}

impl Raised {
    fn at(number: u32, depth: usize) -> Raised {
        Raised {
            number,
            depth,
            rsa_failure: None,
        }
    }
}

/// How the client set OpenSSL up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The security level (`@SECLEVEL`): 2 on Debian's system OpenSSL, 1 in Node.
    pub level: u8,
    /// `X509_V_FLAG_PARTIAL_CHAIN`: a non-self-signed certificate of the store is an anchor.
    pub partial_chain: bool,
    /// Whether OpenSSL itself checks the host name (`X509_VERIFY_PARAM_set1_host`), and if so
    /// whether the Common Name counts when there is no DNS subjectAltName.
    pub host: HostCheck,
}

/// Who checks the name asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCheck {
    /// Not OpenSSL: curl and Node check it themselves once verification passed.
    Application {
        /// The Common Name counts when the certificate has no DNS or IP subjectAltName.
        common_name: bool,
    },
    /// OpenSSL's `check_id`, with or without the Common Name fallback.
    Openssl {
        /// `X509_CHECK_FLAG_NEVER_CHECK_SUBJECT` is not set.
        common_name: bool,
    },
}

/// One certificate of the built chain: presented by the server, or from the client's store.
#[derive(Clone, Copy)]
struct Link<'a> {
    /// Parsed, when known (an anchor of webpki-roots has only a name and a key).
    info: Option<&'a CertInfo>,
    subject_raw: &'a [u8],
    spki_der: &'a [u8],
    /// From the store.
    trusted: bool,
}

impl<'a> Link<'a> {
    fn presented(info: &'a CertInfo) -> Link<'a> {
        Link {
            info: Some(info),
            subject_raw: &info.subject_raw,
            spki_der: &info.spki_der,
            trusted: false,
        }
    }

    fn anchor(anchor: &'a Anchor) -> Link<'a> {
        Link {
            info: anchor.info(),
            subject_raw: &anchor.subject_raw,
            spki_der: &anchor.spki_der,
            trusted: true,
        }
    }

    /// `EXFLAG_SS` as OpenSSL 3 sets it (`ossl_x509v3_cache_extensions`): self-issued, and its
    /// authority key identifier (if any) names its own key; the signature is not checked. An
    /// anchor known only by name and key counts as self-signed, as the roots of webpki-roots are.
    fn self_signed(&self) -> bool {
        match self.info {
            Some(info) => info.subject_raw == info.issuer_raw && info.key_ids_allow_issuer(info),
            None => true,
        }
    }

    fn same(&self, other: &Link<'_>) -> bool {
        self.subject_raw == other.subject_raw && self.spki_der == other.spki_der
    }
}

/// `ossl_x509_likely_issued`: names match and the key identifiers do not contradict it.
fn likely_issued(issuer: &Link<'_>, child: &CertInfo) -> bool {
    issuer.subject_raw == child.issuer_raw.as_slice()
        && issuer
            .info
            .is_none_or(|info| child.key_ids_allow_issuer(info))
}

/// The chain OpenSSL builds: leaf first, trusted certificates (if any) at the end.
struct Built<'a> {
    links: Vec<Link<'a>>,
}

/// `build_chain`, trusted issuers first: returns the chain and the error it ends with, if any.
fn build<'a>(
    chain: &'a Chain,
    stores: &[&'a TrustStore],
    params: &Params,
    now: OffsetDateTime,
) -> Option<(Built<'a>, Option<Raised>)> {
    let leaf = chain.leaf()?;
    let presented: Vec<&CertInfo> = chain.parsed().map(|(_, c)| c).collect();
    let mut links = vec![Link::presented(leaf)];
    // The leaf itself in the store: trusted when self-signed, or as a partial chain.
    let leaf_link = links[0];
    // Compared by name and key first, so that only the matching anchor is ever parsed.
    let in_store = stores
        .iter()
        .flat_map(|s| s.anchors.iter())
        .find(|a| a.subject_raw == leaf_link.subject_raw && a.spki_der == leaf_link.spki_der)
        .map(Link::anchor);
    if let Some(anchor) = in_store
        && (leaf_link.self_signed() || params.partial_chain)
    {
        return Some((
            Built {
                links: vec![anchor],
            },
            None,
        ));
    }
    let mut used = vec![0usize];
    while let Some(&current) = links.last() {
        if current.trusted && (current.self_signed() || params.partial_chain) {
            break;
        }
        if !current.trusted && links.len() > 1 && current.self_signed() {
            break;
        }
        let Some(child) = current.info else { break };
        // The store first (prefer one valid now), then what the server sent.
        let from_store = best(
            stores
                .iter()
                .flat_map(|s| s.anchors_named(&child.issuer_raw))
                .map(Link::anchor)
                .filter(|a| likely_issued(a, child) && !links.iter().any(|l| l.same(a))),
            now,
        );
        if let Some(issuer) = from_store {
            links.push(issuer);
            continue;
        }
        if current.trusted {
            break; // a trusted certificate's issuer comes from the store only
        }
        let from_server = presented
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(i, c)| (i, Link::presented(c)))
            .find(|(_, l)| {
                likely_issued(l, child) && !(child.subject_raw == l.subject_raw && l.same(&current))
            });
        match from_server {
            Some((index, issuer)) => {
                used.push(index);
                links.push(issuer);
            }
            None => break,
        }
        if links.len() > 64 {
            break;
        }
    }
    let top = links[links.len() - 1];
    let trusted = top.trusted && (top.self_signed() || params.partial_chain);
    let error = (!trusted).then(|| {
        let depth = links.len() - 1;
        let number = if !top.trusted && top.self_signed() {
            if depth == 0 { 18 } else { 19 }
        } else if links.iter().any(|l| l.trusted) {
            2
        } else {
            20
        };
        Raised::at(number, depth)
    });
    Some((Built { links }, error))
}

/// The first candidate valid at `now`, else the one that expires last (`get0_best_issuer_sk`).
fn best<'a>(candidates: impl Iterator<Item = Link<'a>>, now: OffsetDateTime) -> Option<Link<'a>> {
    let mut fallback: Option<Link<'a>> = None;
    for candidate in candidates {
        match candidate.info {
            None => return Some(candidate),
            Some(info) if info.not_before <= now && now <= info.not_after => {
                return Some(candidate);
            }
            Some(info) => {
                let later = fallback
                    .and_then(|f| f.info)
                    .is_none_or(|f| info.not_after > f.not_after);
                if later {
                    fallback = Some(candidate);
                }
            }
        }
    }
    fallback
}

/// Every verify error OpenSSL raises for this chain under `stores` (one `X509_STORE` made of
/// them all), in order, as if each were let through by the callback.
pub fn verify(
    chain: &Chain,
    stores: &[&TrustStore],
    name: Option<&Host>,
    now: OffsetDateTime,
    params: &Params,
) -> Vec<Raised> {
    let mut raised = Vec::new();
    let Some(leaf) = chain.leaf() else {
        return raised;
    };
    let min_bits = match params.level {
        0 => 0,
        1 => 80,
        2 => 112,
        3 => 128,
        4 => 192,
        _ => 256,
    };
    if key_security_bits(leaf) < min_bits {
        raised.push(Raised::at(66, 0));
    }
    let Some((built, build_error)) = build(chain, stores, params, now) else {
        return raised;
    };
    raised.extend(build_error);
    let links = &built.links;
    let num = links.len();
    // check_extensions
    let mut plen = 0u32;
    for (depth, link) in links.iter().enumerate() {
        let Some(info) = link.info else { continue };
        if info.extensions.iter().any(|e| e.critical && !e.known) {
            raised.push(Raised::at(34, depth));
        }
        if depth > 0 {
            let ca = check_ca(info);
            if ca == 0 || (depth + 1 < num && ca != 1) {
                raised.push(Raised::at(79, depth));
            }
        }
        if !server_purpose(info, depth > 0) {
            raised.push(Raised::at(26, depth));
        }
        if depth > 1 && info.path_len.is_some_and(|max| plen > max) {
            raised.push(Raised::at(25, depth));
        }
        if depth > 0 && info.subject_raw != info.issuer_raw {
            plen += 1;
        }
    }
    // check_auth_level
    for (depth, link) in links.iter().enumerate() {
        let Some(info) = link.info else { continue };
        if depth > 0 && key_security_bits(info) < min_bits {
            raised.push(Raised::at(67, depth));
        }
        if depth + 1 < num && signature_security_bits(info) < min_bits {
            raised.push(Raised::at(68, depth));
        }
    }
    // check_id
    if let (HostCheck::Openssl { common_name }, Some(host)) = (params.host, name)
        && !covers_or_common_name(leaf, host, common_name)
    {
        let number = if matches!(host, Host::Ip(_)) { 64 } else { 62 };
        raised.push(Raised::at(number, 0));
    }
    // internal_verify, from the top down
    let mut n = num - 1;
    let top = links[n];
    let mut issuer = top;
    let mut check_signature = false;
    if !top.self_signed() && !params.partial_chain {
        if n == 0 {
            raised.push(Raised::at(21, 0));
            return raised;
        }
        n -= 1;
        check_signature = true;
    }
    loop {
        let subject = links[n];
        // ossl_x509_signing_allowed: the issuer's keyUsage must allow certificate signing.
        if check_signature
            && issuer
                .info
                .is_some_and(|i| i.key_usage.is_some() && !i.has_key_usage(usage::KEY_CERT_SIGN))
        {
            raised.push(Raised::at(32, n + 1));
        }
        if check_signature
            && let Some(child) = subject.info
            && verify_cert_signature(&child.der, issuer.spki_der) == SigCheck::Invalid
        {
            raised.push(Raised {
                number: 7,
                depth: n,
                rsa_failure: rsa_failure(&child.der, issuer.spki_der),
            });
        }
        if let Some(info) = subject.info {
            if info.not_before > now {
                raised.push(Raised::at(9, n));
            }
            if info.not_after < now {
                raised.push(Raised::at(10, n));
            }
        }
        if n == 0 {
            break;
        }
        check_signature = true;
        issuer = subject;
        n -= 1;
    }
    raised.extend(name_constraints(links, name));
    raised
}

/// Name constraints of the certificates above each one (`check_name_constraints`), on its DNS
/// subjectAltNames: 47 when outside every permitted subtree, 48 when inside an excluded one.
fn name_constraints(links: &[Link<'_>], _name: Option<&Host>) -> Vec<Raised> {
    let mut out = Vec::new();
    for (depth, link) in links.iter().enumerate().rev() {
        let Some(info) = link.info else { continue };
        if depth != 0 && info.subject_raw == info.issuer_raw {
            continue;
        }
        for above in &links[depth + 1..] {
            let Some(nc) = above.info.and_then(|a| a.name_constraints.as_ref()) else {
                continue;
            };
            for name in &info.dns_names {
                match nc.check_dns(name) {
                    DnsConstraint::Excluded => out.push(Raised::at(48, depth)),
                    DnsConstraint::NotPermitted => out.push(Raised::at(47, depth)),
                    DnsConstraint::Permitted => {}
                }
            }
        }
    }
    out
}

/// The RSA reason for a failed signature on `child_der` by the key in `spki_der`, `None` when
/// the key is not RSA.
fn rsa_failure(child_der: &[u8], spki_der: &[u8]) -> Option<RsaFailure> {
    let Some(crate::chain::key::PublicHalf::Rsa { modulus, .. }) =
        crate::chain::key::certificate_public_half(spki_der)
    else {
        return None;
    };
    let cert = crate::chain::x509::parse_x509(child_der, false).ok()?;
    let signature = cert.signature_value.data.as_ref();
    let significant =
        |bytes: &[u8]| -> Vec<u8> { bytes.iter().copied().skip_while(|b| *b == 0).collect() };
    let (signature, modulus) = (significant(signature), significant(&modulus));
    // Both big-endian: the longer is larger, else compare byte by byte.
    let too_large = (signature.len(), signature.as_slice()) >= (modulus.len(), modulus.as_slice());
    Some(if too_large {
        RsaFailure::DataTooLarge
    } else {
        RsaFailure::InvalidPadding
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::testkit::{fixture, info};

    #[test]
    fn a_bad_rsa_signature_is_too_large_or_badly_padded_by_its_value() {
        let root = info(&fixture("root"));
        let mut leaf = fixture("rsa-issued-leaf");
        let last = leaf.len() - 1;
        // The signature is the last element of the certificate: flipping its last bit keeps it
        // below the modulus, setting its first bytes makes it larger.
        leaf[last] ^= 0x01;
        assert_eq!(
            rsa_failure(&leaf, &root.spki_der),
            Some(RsaFailure::InvalidPadding)
        );
        let signature_len = 256;
        for byte in &mut leaf[last + 1 - signature_len..last + 1 - signature_len + 8] {
            *byte = 0xff;
        }
        assert_eq!(
            rsa_failure(&leaf, &root.spki_der),
            Some(RsaFailure::DataTooLarge)
        );
        let ec = info(&fixture("rsa-issued-leaf"));
        assert_eq!(
            rsa_failure(&leaf, &ec.spki_der),
            None,
            "an EC key is not RSA"
        );
    }
}
