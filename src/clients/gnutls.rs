//! GnuTLS 3.7 (gnutls-cli and apt on Debian) and wget built on it: the verification status
//! flags `gnutls_x509_trust_list_verify_crt2` sets for the chain, worded as
//! `gnutls_certificate_verification_status_print` (gnutls-cli, apt) or wget's
//! `ssl_check_certificate` print them.
//!
//! Source: gnutls/gnutls 3.7.9 `lib/x509/verify.c` (the flags), `lib/cert-session.c` (their
//! texts), GNU wget 1.21 `src/gnutls.c`; the order in which the texts combine and the rules below
//! were checked against gnutls-cli 3.7.9 and wget 1.21.3 by the conformance suite. GnuTLS accepts
//! a path that ends at any certificate of its trust list (partial chains), checks the anchor's
//! dates and keyUsage but not its basicConstraints, falls back to the Common Name, refuses SHA-1 and MD5
//! signatures and RSA keys under 1024 bits; wget does not check the extended key usage and adds
//! `--ca-certificate` to the system bundle.

use time::OffsetDateTime;

use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, DnsConstraint, KeyKind, usage};
use crate::diagnose::names::covers_or_common_name;
use crate::target::Host;
use crate::trust::TrustStore;
use crate::trust::store::{CaFile, CaFileState};

/// The `gnutls_certificate_status_t` flags certcheck derives, in the order GnuTLS prints them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Status {
    revoked: bool,
    signer_not_found: bool,
    signer_not_ca: bool,
    signer_constraints: bool,
    insecure_algorithm: bool,
    not_activated: bool,
    expired: bool,
    signature_failure: bool,
    purpose_mismatch: bool,
    unexpected_owner: bool,
    unknown_critical_extension: bool,
}

impl Status {
    /// `GNUTLS_CERT_INVALID`: any flag but the name and purpose ones, which the application
    /// checks.
    fn invalid(&self) -> bool {
        self.revoked
            || self.signer_not_found
            || self.signer_not_ca
            || self.signer_constraints
            || self.insecure_algorithm
            || self.not_activated
            || self.expired
            || self.signature_failure
            || self.unknown_critical_extension
    }
}

/// What gnutls-cli says of the chain under `store` (given as `--x509cafile`): `None` when it
/// accepts. `revoked`: the server stapled an OCSP response that says the leaf is revoked, which
/// GnuTLS checks by default (`check_ocsp_response`, lib/cert-session.c; measured with gnutls-cli
/// 3.7.9: "The certificate is NOT trusted. The certificate chain is revoked.").
pub fn gnutls_cli(
    chain: &Chain,
    store: &TrustStore,
    name: Option<&Host>,
    now: OffsetDateTime,
    revoked: bool,
) -> Option<String> {
    let leaf = chain.leaf()?;
    match store.file.as_ref().map(|f| f.state) {
        Some(CaFileState::Missing | CaFileState::Unreadable) => {
            return Some("Error setting the x509 trust file: Error while reading file.".into());
        }
        Some(CaFileState::NoPemCertificate) => {
            return Some("Error setting the x509 trust file: No certificate was found.".into());
        }
        _ => {}
    }
    let mut status = verify(chain, &[store], now);
    status.revoked = revoked;
    status.purpose_mismatch = leaf.ext_key_usage.is_some()
        && !leaf.has_ext_key_usage(usage::SERVER_AUTH)
        && !leaf.has_ext_key_usage(usage::ANY);
    status.unexpected_owner = name.is_some_and(|host| !covers_or_common_name(leaf, host, true));
    let texts = [
        (status.revoked, "The certificate chain is revoked."),
        (
            status.signer_not_found,
            "The certificate issuer is unknown.",
        ),
        (status.signer_not_ca, "The certificate issuer is not a CA."),
        (
            status.signer_constraints,
            "The certificate chain violates the signer's constraints.",
        ),
        (
            status.insecure_algorithm,
            "The certificate chain uses insecure algorithm.",
        ),
        (
            status.not_activated,
            "The certificate chain uses not yet valid certificate.",
        ),
        (
            status.expired,
            "The certificate chain uses expired certificate.",
        ),
        (
            status.signature_failure,
            "The signature in the certificate is invalid.",
        ),
        (
            status.purpose_mismatch,
            "The certificate chain does not match the intended purpose.",
        ),
        (
            status.unexpected_owner,
            "The name in the certificate does not match the expected.",
        ),
        (
            status.unknown_critical_extension,
            "The certificate contains an unknown critical extension.",
        ),
    ];
    let reasons: Vec<&str> = texts
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, t)| *t)
        .collect();
    if !reasons.is_empty() {
        return Some(format!(
            "The certificate is NOT trusted. {}",
            reasons.join(" ")
        ));
    }
    // The chain is trusted; the server's signature in the handshake (TLS 1.3 and ECDHE sign) then
    // needs keyUsage digitalSignature (`_gnutls_check_key_usage_for_sig`, lib/tls-sig.c): measured
    // with gnutls-cli; wget completes that handshake.
    (leaf.key_usage.is_some() && !leaf.has_key_usage("digitalSignature"))
        .then(|| "*** Fatal error: Key usage violation in certificate has been detected.".into())
}

/// What wget says of the chain given `--ca-certificate` (the file of `store`, added to the
/// `system` bundle): `None` when it accepts. Lines are joined with ` / `. `revoked` as for
/// [`gnutls_cli`] (measured with wget 1.21.3: "The certificate of ‘HOST’ has been revoked.").
pub fn wget(
    chain: &Chain,
    store: &TrustStore,
    system: Option<&TrustStore>,
    name: Option<&Host>,
    now: OffsetDateTime,
    revoked: bool,
) -> Option<String> {
    let leaf = chain.leaf()?;
    let host = name.map(|h| h.to_string()).unwrap_or_default();
    let mut lines = Vec::new();
    let mut stores: Vec<&TrustStore> = system.into_iter().collect();
    match &store.file {
        Some(CaFile {
            path,
            state: CaFileState::Missing | CaFileState::Unreadable,
        }) => lines.push(format!("Failed to open cert {}: (-64).", path.display())),
        Some(CaFile {
            path,
            state: CaFileState::NoPemCertificate,
        }) => lines.push(format!("Failed to open cert {}: (0).", path.display())),
        _ => stores.push(store),
    }
    let mut status = verify(chain, &stores, now);
    status.revoked = revoked;
    if status.invalid() {
        let of = |what: &str| format!("The certificate of ‘{host}’ {what}");
        lines.push(of("is not trusted."));
        if status.signer_not_found {
            lines.push(of("doesn't have a known issuer."));
        }
        if status.revoked {
            lines.push(of("has been revoked."));
        }
        if status.signer_not_ca {
            lines.push(format!("The certificate signer of ‘{host}’ was not a CA."));
        }
        if status.insecure_algorithm {
            lines.push(of("was signed using an insecure algorithm."));
        }
        if status.not_activated {
            lines.push(of("is not yet activated."));
        }
        if status.expired {
            lines.push(of("has expired."));
        }
        return Some(lines.join(" / "));
    }
    if let Some(host_name) = name
        && !covers_or_common_name(leaf, host_name, true)
    {
        lines.push(format!(
            "The certificate's owner does not match hostname ‘{host}’"
        ));
        return Some(lines.join(" / "));
    }
    None
}

/// The status flags of the chain as sent under `stores`: the path from the leaf through the
/// presented certificates (in any order) to a certificate of the trust list.
fn verify(chain: &Chain, stores: &[&TrustStore], now: OffsetDateTime) -> Status {
    let mut status = Status::default();
    let Some(leaf) = chain.leaf() else {
        return status;
    };
    // Only the anchors named as an issuer are ever parsed.
    let trusted_named = |name: &[u8]| -> Vec<&CertInfo> {
        stores
            .iter()
            .flat_map(|s| s.anchors.iter())
            .filter(|a| a.subject_raw == name)
            .filter_map(|a| a.info())
            .collect()
    };
    let presented: Vec<&CertInfo> = chain.parsed().map(|(_, c)| c).collect();
    let is_trusted = |c: &CertInfo| stores.iter().any(|s| s.holds(&c.subject_raw, &c.spki_der));
    let mut path: Vec<&CertInfo> = vec![leaf];
    let mut anchor: Option<&CertInfo> = None;
    let mut used = vec![0usize];
    loop {
        let current = path[path.len() - 1];
        if is_trusted(current) {
            break;
        }
        let signed_by = |issuer: &CertInfo| {
            verify_cert_signature(&current.der, &issuer.spki_der) != SigCheck::Invalid
        };
        if let Some(found) = trusted_named(&current.issuer_raw)
            .into_iter()
            .find(|t| signed_by(t))
        {
            anchor = Some(found);
            break;
        }
        if current.subject_raw == current.issuer_raw {
            status.signer_not_found = true;
            break;
        }
        let next = presented
            .iter()
            .enumerate()
            .find(|(i, c)| !used.contains(i) && c.subject_raw == current.issuer_raw);
        match next {
            Some((index, issuer)) => {
                if !signed_by(issuer) {
                    status.signature_failure = true;
                }
                used.push(index);
                path.push(issuer);
            }
            None => {
                status.signer_not_found = true;
                break;
            }
        }
    }
    // Every certificate of the path and the anchor reached.
    for cert in path.iter().copied().chain(anchor) {
        if cert.not_before > now {
            status.not_activated = true;
        }
        if cert.not_after < now {
            status.expired = true;
        }
        if cert.key.kind() == KeyKind::Rsa && cert.key.bits < 1024 {
            status.insecure_algorithm = true;
        }
    }
    for cert in &path {
        if cert.extensions.iter().any(|e| e.critical && !e.known) {
            status.unknown_critical_extension = true;
        }
        // A self-signed certificate's own signature is not checked.
        let self_signed = cert.subject_raw == cert.issuer_raw;
        if !self_signed
            && crate::chain::oid::weak_signature(&cert.signature_algorithm_oid).is_some()
        {
            status.insecure_algorithm = true;
        }
    }
    // The issuers the server sent: CA flags, key usage, path length, name constraints.
    for (depth, issuer) in path.iter().enumerate().skip(1) {
        if !issuer.is_ca {
            status.signer_not_ca = true;
        }
        if issuer.key_usage.is_some() && !issuer.has_key_usage(usage::KEY_CERT_SIGN) {
            status.signer_constraints = true;
        }
        if issuer.path_len.is_some_and(|max| depth - 1 > max as usize) {
            status.signer_constraints = true;
        }
    }
    // The anchor's key usage is checked too (its basicConstraints are not).
    if anchor.is_some_and(|a| a.key_usage.is_some() && !a.has_key_usage(usage::KEY_CERT_SIGN)) {
        status.signer_constraints = true;
    }
    let constrained = path.iter().skip(1).copied().chain(anchor);
    for issuer in constrained {
        let Some(nc) = &issuer.name_constraints else {
            continue;
        };
        if leaf
            .dns_names
            .iter()
            .any(|n| nc.check_dns(n) != DnsConstraint::Permitted)
        {
            status.signer_constraints = true;
        }
    }
    status
}
