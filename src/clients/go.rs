//! Go's `crypto/x509` and `crypto/tls` (Docker, kubectl, Terraform, Helm, Prometheus), Go 1.27:
//! `Certificate.Verify` modelled on certcheck's parsed chain, with Go's words.
//!
//! Source: golang/go `src/crypto/x509/verify.go` (`Verify`: unhandled critical extensions, the
//! leaf's `isValid`, `VerifyHostname`, `buildChains`, then the extended key usage), `x509.go`
//! (`CheckSignatureFrom`, `InsecureAlgorithmError`, `ConstraintViolationError`), `crypto/tls`
//! (`tls: failed to verify certificate: ...`); the order and texts were checked against Go 1.27.3
//! by the conformance suite. In `buildChains` a candidate issuer whose signature does not check
//! only leaves a hint, while one that fails `isValid` (its dates, path length) is the error.

use time::OffsetDateTime;

use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, DnsConstraint, KeyKind, usage};
use crate::diagnose::dns_matches;
use crate::target::Host;
use crate::trust::TrustStore;
use crate::trust::store::CaFileState;

/// What Go says of the chain under `store` for `name`: `None` when it accepts.
pub fn verify(
    chain: &Chain,
    store: &TrustStore,
    name: Option<&Host>,
    now: OffsetDateTime,
) -> Option<String> {
    let leaf = chain.leaf()?;
    // A program reads its CA file with os.ReadFile and x509.CertPool.AppendCertsFromPEM.
    let mut roots: Option<&TrustStore> = Some(store);
    if let Some(file) = &store.file {
        match file.state {
            CaFileState::Missing => {
                return Some(format!(
                    "open {}: no such file or directory",
                    file.path.display()
                ));
            }
            CaFileState::Unreadable => {
                return Some(format!("read {}: is a directory", file.path.display()));
            }
            CaFileState::NoPemCertificate => roots = None,
            CaFileState::Pem => {}
        }
    }
    let failed = |why: String| Some(format!("tls: failed to verify certificate: x509: {why}"));
    if leaf.extensions.iter().any(|e| e.critical && !e.known) {
        return failed("unhandled critical extension".into());
    }
    if let Some(why) = time_error(leaf, now) {
        return failed(why);
    }
    if let Some(host) = name
        && let Some(why) = hostname_error(leaf, host)
    {
        return failed(why);
    }
    let intermediates: Vec<&CertInfo> = chain.parsed().skip(1).map(|(_, c)| c).collect();
    let in_roots = roots.is_some_and(|r| r.holds(&leaf.subject_raw, &leaf.spki_der));
    if !in_roots {
        let mut search = Search {
            roots,
            intermediates: &intermediates,
            now,
            hint: None,
            found: false,
        };
        let error = search.build(leaf, &mut vec![leaf]);
        if !search.found {
            let why = error.unwrap_or_else(|| match &search.hint {
                Some((hint, cert)) => format!(
                    "certificate signed by unknown authority (possibly because of {hint:?} while trying to verify candidate authority certificate {:?})",
                    display_name(cert)
                ),
                None => "certificate signed by unknown authority".into(),
            });
            return failed(why);
        }
    }
    if leaf.ext_key_usage.is_some()
        && !leaf.has_ext_key_usage(usage::SERVER_AUTH)
        && !leaf.has_ext_key_usage(usage::ANY)
    {
        return failed("certificate specifies an incompatible key usage".into());
    }
    // The chain verified; the handshake signature by the leaf's key comes next.
    if leaf.key.kind() == KeyKind::Rsa && leaf.key.bits < 1024 {
        return Some(format!(
            "tls: invalid signature by the server certificate: {}",
            rsa_too_small(leaf.key.bits)
        ));
    }
    None
}

/// Go's path search over the roots and the intermediates the server sent.
struct Search<'a> {
    /// The pool of roots; only the certificates named as an issuer are ever parsed.
    roots: Option<&'a TrustStore>,
    intermediates: &'a [&'a CertInfo],
    now: OffsetDateTime,
    /// The first candidate's failure, for `possibly because of ...`.
    hint: Option<(String, &'a CertInfo)>,
    found: bool,
}

impl<'a> Search<'a> {
    /// `buildChains` from `cert`: the error an `isValid` of a candidate left, if any.
    fn build(&mut self, cert: &'a CertInfo, current: &mut Vec<&'a CertInfo>) -> Option<String> {
        let mut error = None;
        // `findPotentialParents`: every certificate with the issuer's name, those whose key
        // identifier matches the child's authority key identifier first.
        let roots = self
            .roots
            .into_iter()
            .flat_map(|r| r.anchors_named(&cert.issuer_raw))
            .filter_map(|a| a.info())
            .map(|c| (c, true));
        let mut candidates = roots
            .chain(
                self.intermediates
                    .iter()
                    .filter(|c| c.subject_raw == cert.issuer_raw)
                    .map(|c| (*c, false)),
            )
            .collect::<Vec<_>>();
        candidates.sort_by_key(|(c, is_root)| (!cert.key_ids_allow_issuer(c), !is_root));
        for (candidate, is_root) in candidates {
            if current
                .iter()
                .any(|c| c.subject_raw == candidate.subject_raw && c.spki_der == candidate.spki_der)
            {
                continue;
            }
            if let Some(why) = signature_error(cert, candidate) {
                if self.hint.is_none() {
                    self.hint = Some((why, candidate));
                }
                continue;
            }
            if let Some(why) = candidate_error(candidate, current, self.now) {
                if self.hint.is_none() {
                    self.hint = Some((why.clone(), candidate));
                }
                error = Some(why);
                continue;
            }
            if is_root {
                self.found = true;
                return None;
            }
            if current.len() > 16 {
                continue;
            }
            current.push(candidate);
            error = self.build(candidate, current);
            current.pop();
            if self.found {
                return None;
            }
        }
        error
    }
}

/// `CheckSignatureFrom`: the parent must be a CA allowed to sign certificates, the algorithm
/// must not be insecure, and the signature must check.
fn signature_error(child: &CertInfo, parent: &CertInfo) -> Option<String> {
    let not_ca = (parent.version == 3 && !parent.has_basic_constraints)
        || (parent.has_basic_constraints && !parent.is_ca)
        || (parent.key_usage.is_some() && !parent.has_key_usage(usage::KEY_CERT_SIGN));
    if not_ca {
        return Some(
            "x509: invalid signature: parent certificate cannot sign this kind of certificate"
                .into(),
        );
    }
    if let Some(name) = insecure_algorithm(&child.signature_algorithm_oid) {
        return Some(format!(
            "x509: cannot verify signature: insecure algorithm {name}"
        ));
    }
    if parent.key.kind() == KeyKind::Rsa && parent.key.bits < 1024 {
        return Some(rsa_too_small(parent.key.bits));
    }
    match verify_cert_signature(&child.der, &parent.spki_der) {
        SigCheck::Invalid => Some(match parent.key.kind() {
            KeyKind::Rsa => "crypto/rsa: verification error".into(),
            KeyKind::Ec => "x509: ECDSA verification failure".into(),
            _ => "x509: Ed25519 verification failure".into(),
        }),
        SigCheck::Valid | SigCheck::Unsupported(_) => None,
    }
}

/// A candidate issuer's `isValid`: its dates and its path length.
fn candidate_error(
    candidate: &CertInfo,
    current: &[&CertInfo],
    now: OffsetDateTime,
) -> Option<String> {
    if let Some(why) = time_error(candidate, now) {
        return Some(why);
    }
    if let (Some(leaf), Some(constraints)) = (current.first(), &candidate.name_constraints)
        && let Some(name) = leaf
            .dns_names
            .iter()
            .find(|n| constraints.check_dns(n) != DnsConstraint::Permitted)
    {
        return Some(format!(
            "a root or intermediate certificate is not authorized to sign for this name: DNS name {name:?} is not permitted by any constraint"
        ));
    }
    let intermediates_below = current.len().saturating_sub(1);
    if candidate
        .path_len
        .is_some_and(|max| intermediates_below > max as usize)
    {
        return Some("too many intermediates for path length constraint".into());
    }
    None
}

fn time_error(cert: &CertInfo, now: OffsetDateTime) -> Option<String> {
    let at = crate::diagnose::text::date;
    if now < cert.not_before {
        return Some(format!(
            "certificate has expired or is not yet valid: current time {} is before {}",
            at(now),
            at(cert.not_before)
        ));
    }
    if now > cert.not_after {
        return Some(format!(
            "certificate has expired or is not yet valid: current time {} is after {}",
            at(now),
            at(cert.not_after)
        ));
    }
    None
}

/// `VerifyHostname`: subjectAltName only (never the Common Name since Go 1.17).
fn hostname_error(leaf: &CertInfo, host: &Host) -> Option<String> {
    match host {
        Host::Ip(ip) => {
            if leaf.ip_addresses.is_empty() {
                return Some(format!(
                    "cannot validate certificate for {ip} because it doesn't contain any IP SANs"
                ));
            }
            let matches = leaf
                .ip_addresses
                .iter()
                .any(|a| a.parse::<std::net::IpAddr>().is_ok_and(|a| a == *ip));
            (!matches).then(|| {
                format!(
                    "certificate is valid for {}, not {ip}",
                    leaf.ip_addresses.join(", ")
                )
            })
        }
        Host::Dns(name) => {
            if leaf.dns_names.iter().any(|p| dns_matches(p, name)) {
                return None;
            }
            if leaf.dns_names.is_empty() {
                if leaf.common_names.iter().any(|cn| looks_like_hostname(cn)) {
                    return Some(
                        "certificate relies on legacy Common Name field, use SANs instead".into(),
                    );
                }
                return Some(format!(
                    "certificate is not valid for any names, but wanted to match {name}"
                ));
            }
            Some(format!(
                "certificate is valid for {}, not {name}",
                leaf.dns_names.join(", ")
            ))
        }
    }
}

/// Go's `validHostname` test for a Common Name, loosely: labels of letters, digits, `-`, `_`.
fn looks_like_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')
        })
}

/// Go's names of the signature algorithms it refuses (`InsecureAlgorithmError`).
fn insecure_algorithm(oid: &str) -> Option<&'static str> {
    match oid {
        "1.2.840.113549.1.1.4" | "1.3.14.3.2.3" => Some("MD5-RSA"),
        "1.2.840.113549.1.1.2" => Some("MD2-RSA"),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => Some("SHA1-RSA"),
        "1.2.840.10045.4.1" => Some("ECDSA-SHA1"),
        "1.2.840.10040.4.3" => Some("DSA-SHA1"),
        _ => None,
    }
}

fn rsa_too_small(bits: u32) -> String {
    format!(
        "crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"
    )
}

/// The name Go gives a certificate in its hint: the Common Name, else the organisation.
fn display_name(cert: &CertInfo) -> String {
    cert.common_names.first().cloned().unwrap_or_else(|| {
        cert.subject
            .split(", ")
            .find_map(|p| p.strip_prefix("O=").map(str::to_string))
            .unwrap_or_default()
    })
}
