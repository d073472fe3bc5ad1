//! Firefox (mozilla::pkix through PSM's `NSSCertDBTrustDomain`), Firefox ESR 153: the path
//! search and checks of `BuildCertChain` modelled on certcheck's parsed chain, with Firefox's
//! error codes (the `errorCodeString` that about:certerror shows as "Error code: ...").
//!
//! Sources: nss-dev/nss `lib/mozpkix/lib/pkixbuild.cpp` (`BuildForward`: an end-entity's own
//! errors are deferred until a path is found; `PathBuildingStep::Check`: name constraints, the
//! issuer's own path, then the signature; `RecordResult`: an issuer's EXPIRED / NOT_YET_VALID
//! are renamed to the `_ISSUER_` codes and candidates failing differently give
//! `SEC_ERROR_UNKNOWN_ISSUER`; at most 6 sub-CAs), `pkixcheck.cpp`
//! (`CheckIssuerIndependentProperties`: key, key usage, basicConstraints, extended key usage,
//! and the validity last), `pkixder.cpp`/`pkixtypes.h` (`Input` holds at most 65535 bytes:
//! `SEC_ERROR_BAD_DER`); mozilla-firefox/firefox `security/certverifier/CertVerifier.cpp`
//! (`VerifySSLServerCert`: a self-signed leaf's UNKNOWN_ISSUER, BAD_SIGNATURE or
//! INADEQUATE_KEY_USAGE becomes `MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT`; after an expired or not
//! yet valid leaf the host name is checked first; no Common Name fallback; RSA keys of 1024 to
//! 2047 bits only under roots that are not built in), `NSSCertDBTrustDomain.cpp` (SHA-1 and
//! unknown digests `SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED`; curves P-256/384/521 only; no
//! AIA fetching: issuers come from the built-in roots, the handshake, the cert DB and the
//! preloaded intermediates). `../shared/design/client-rules.md` section 3 collects them; every
//! code and the order were checked against firefox-esr 153.8.0esr by the conformance suite.

use time::OffsetDateTime;

use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, DnsConstraint, KeyKind, usage};
use crate::diagnose::names::covers;
use crate::target::Host;
use crate::trust::store::CaFileState;
use crate::trust::{StoreKind, TrustStore};

/// mozilla::pkix's `MAX_SUBCA_COUNT`: intermediates below the anchor.
const MAX_SUB_CAS: usize = 6;
/// mozilla::pkix's `Input` length limit: a longer certificate does not parse.
const MAX_CERT_BYTES: usize = 0xffff;
/// `VerifySSLServerCert`'s first pass requires RSA-2048; the fallback pass, 1024, which is
/// refused under a built-in root.
const STRONG_RSA_BITS: u32 = 2048;
/// `NSSCertDBTrustDomain::CheckRSAPublicKeyModulusSizeInBits` in the fallback pass.
const MIN_RSA_BITS: u32 = 1024;

/// The words Firefox adds when a missing intermediate might be one of its preloaded ones.
pub const PRELOADED_NOTE: &str = " (unless the missing intermediate is publicly disclosed: Firefox then takes it from its preloaded intermediates, which certcheck cannot confirm offline; Firefox never fetches AIA)";

/// A certificate Firefox may take as an issuer: from its stores or from the handshake.
#[derive(Clone, Copy)]
struct Candidate<'a> {
    /// The parsed certificate (webpki-roots' built-in roots have only name and key).
    info: Option<&'a CertInfo>,
    subject_raw: &'a [u8],
    spki_der: &'a [u8],
    /// In the cert DB with trust `C,,`, or a built-in root: a trust anchor.
    anchor: bool,
    /// A built-in root (the Mozilla set).
    built_in: bool,
}

/// What Firefox says of the chain under `stores` (its trust domain: built-in roots and the
/// profile's cert DB, into which a `--ca-file`'s PEM certificates are imported as trusted CAs)
/// for `name`: `None` when it accepts.
pub fn verify(
    chain: &Chain,
    stores: &[&TrustStore],
    name: Option<&Host>,
    now: OffsetDateTime,
) -> Option<String> {
    let leaf = chain.leaf()?;
    // Firefox does not offer Ed25519 in signature_algorithms: the handshake fails first.
    if leaf.key.kind() == KeyKind::Other {
        return Some("SSL_ERROR_NO_CYPHER_OVERLAP".into());
    }
    if leaf.der.len() > MAX_CERT_BYTES {
        return Some("SEC_ERROR_BAD_DER".into());
    }
    if leaf.extensions.iter().any(|e| e.critical && !e.known) {
        return Some("SEC_ERROR_UNKNOWN_CRITICAL_EXTENSION".into());
    }
    // A CA file that is missing, empty or not PEM imports nothing.
    let stores: Vec<&TrustStore> = stores
        .iter()
        .copied()
        .filter(|s| s.file.as_ref().is_none_or(|f| f.state == CaFileState::Pem))
        .collect();
    let handshake: Vec<&CertInfo> = chain
        .parsed()
        .skip(1)
        .map(|(_, c)| c)
        .filter(|c| c.der.len() <= MAX_CERT_BYTES)
        .collect();
    let search = Search {
        stores: &stores,
        handshake: &handshake,
        now,
    };
    let subject = search.as_candidate(leaf);
    let mut path = vec![leaf];
    let result = search.forward(subject, true, 0, &mut path);
    let error = match result {
        Ok(built_in) => {
            // The fallback pass at RSA-1024 passed: refused under a built-in root.
            let weak = built_in && weak_rsa_in_path(leaf, &handshake, &stores);
            // Certificate Transparency, for built-in roots only, once the path is built and
            // before the name (`VerifyCertificateTransparencyPolicy`, enforced since Firefox 135
            // on desktop; the policy mirrors Chrome's, so Chrome's counts are reused; log
            // operators are not checked, there is no log list).
            let no_ct = built_in && super::chrome::ct_policy(leaf).is_err();
            if weak {
                Some("MOZILLA_PKIX_ERROR_INADEQUATE_KEY_SIZE")
            } else {
                no_ct.then_some("MOZILLA_PKIX_ERROR_INSUFFICIENT_CERTIFICATE_TRANSPARENCY")
            }
        }
        Err(code) => Some(code),
    };
    let date_error = matches!(
        error,
        Some("SEC_ERROR_EXPIRED_CERTIFICATE" | "MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE")
    );
    let name_ok = name.is_none_or(|host| covers(leaf, host));
    match error {
        _ if date_error && !name_ok => Some("SSL_ERROR_BAD_CERT_DOMAIN".into()),
        Some(
            "SEC_ERROR_UNKNOWN_ISSUER"
            | "SEC_ERROR_BAD_SIGNATURE"
            | "SEC_ERROR_INADEQUATE_KEY_USAGE",
        ) if self_signed(leaf) => Some("MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT".into()),
        // The server sent no issuer of the leaf and Firefox has only its built-in roots: a
        // publicly disclosed intermediate would come from its preloaded list.
        Some("SEC_ERROR_UNKNOWN_ISSUER")
            if !stores.is_empty()
                && stores.iter().all(|s| s.kind == StoreKind::Bundled)
                && leaf.subject_raw != leaf.issuer_raw
                && !handshake.iter().any(|c| c.subject_raw == leaf.issuer_raw) =>
        {
            Some(format!("SEC_ERROR_UNKNOWN_ISSUER{PRELOADED_NOTE}"))
        }
        Some(code) => Some(code.into()),
        None if !name_ok => Some("SSL_ERROR_BAD_CERT_DOMAIN".into()),
        None => None,
    }
}

/// `CertIsSelfSigned`: the leaf names itself as issuer and its own key signed it.
fn self_signed(leaf: &CertInfo) -> bool {
    leaf.subject_raw == leaf.issuer_raw
        && matches!(
            verify_cert_signature(&leaf.der, &leaf.spki_der),
            SigCheck::Valid
        )
}

/// Whether any RSA key of the leaf, the handshake's certificates or the anchors on the way is
/// below [`STRONG_RSA_BITS`] (the strong pass would have failed).
fn weak_rsa_in_path(leaf: &CertInfo, handshake: &[&CertInfo], stores: &[&TrustStore]) -> bool {
    let weak = |c: &CertInfo| c.key.kind() == KeyKind::Rsa && c.key.bits < STRONG_RSA_BITS;
    weak(leaf)
        || handshake.iter().any(|c| weak(c) && c.issued(leaf))
        || stores
            .iter()
            .flat_map(|s| s.anchors.iter())
            .filter_map(|a| a.info())
            .any(|a| weak(a) && (a.issued(leaf) || handshake.iter().any(|c| a.issued(c))))
}

/// mozilla::pkix's forward path search over the trust domain and the handshake's certificates.
struct Search<'a> {
    stores: &'a [&'a TrustStore],
    handshake: &'a [&'a CertInfo],
    now: OffsetDateTime,
}

impl<'a> Search<'a> {
    fn as_candidate(&self, cert: &'a CertInfo) -> Candidate<'a> {
        let holder = self
            .stores
            .iter()
            .find(|s| s.holds(&cert.subject_raw, &cert.spki_der));
        Candidate {
            info: Some(cert),
            subject_raw: &cert.subject_raw,
            spki_der: &cert.spki_der,
            anchor: holder.is_some(),
            built_in: holder.is_some_and(|s| s.kind == StoreKind::Bundled),
        }
    }

    /// `FindIssuer`: the trust domain's certificates with the issuer's name, then the
    /// handshake's.
    fn issuers(&self, issuer_raw: &[u8]) -> Vec<Candidate<'a>> {
        let mut found: Vec<Candidate<'a>> = Vec::new();
        for store in self.stores {
            for anchor in store.anchors.iter().filter(|a| a.subject_raw == issuer_raw) {
                found.push(Candidate {
                    info: anchor.info(),
                    subject_raw: &anchor.subject_raw,
                    spki_der: &anchor.spki_der,
                    anchor: true,
                    built_in: store.kind == StoreKind::Bundled,
                });
            }
        }
        for cert in self
            .handshake
            .iter()
            .filter(|c| c.subject_raw == issuer_raw)
        {
            let candidate = self.as_candidate(cert);
            if !found
                .iter()
                .any(|f| f.subject_raw == candidate.subject_raw && f.spki_der == candidate.spki_der)
            {
                found.push(candidate);
            }
        }
        found
    }

    /// `BuildForward` from `subject`: `Ok(built_in)` when a path reaches an anchor (built in or
    /// not), else the error code.
    fn forward(
        &self,
        subject: Candidate<'a>,
        end_entity: bool,
        sub_cas: usize,
        path: &mut Vec<&'a CertInfo>,
    ) -> Result<bool, &'static str> {
        // `BackCert::Init` of an issuer: an unknown critical extension fails it at once.
        if !end_entity
            && subject
                .info
                .is_some_and(|i| i.extensions.iter().any(|e| e.critical && !e.known))
        {
            return Err("SEC_ERROR_UNKNOWN_CRITICAL_EXTENSION");
        }
        let mut deferred = None;
        if let Some(info) = subject.info
            && let Some(code) =
                issuer_independent(info, end_entity, subject.anchor, sub_cas, self.now)
        {
            if !end_entity {
                return Err(code);
            }
            deferred = Some(code);
        }
        if subject.anchor {
            return deferred.map_or(Ok(subject.built_in), Err);
        }
        if sub_cas >= MAX_SUB_CAS {
            return Err("SEC_ERROR_UNKNOWN_ISSUER");
        }
        let Some(child) = subject.info else {
            return Err("SEC_ERROR_UNKNOWN_ISSUER");
        };
        let mut result: Option<Result<bool, &'static str>> = None;
        for issuer in self.issuers(&child.issuer_raw) {
            // Loop prevention: a certificate already on the path (same name and key).
            if path
                .iter()
                .any(|c| c.subject_raw == issuer.subject_raw && c.spki_der == issuer.spki_der)
            {
                continue;
            }
            let step = self.check(child, issuer, sub_cas, path);
            let renamed = step.map_err(|code| match code {
                "SEC_ERROR_EXPIRED_CERTIFICATE" => "SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE",
                "MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE" => {
                    "MOZILLA_PKIX_ERROR_NOT_YET_VALID_ISSUER_CERTIFICATE"
                }
                other => other,
            });
            // `RecordResult`: the first success ends the search; candidates failing
            // differently give UNKNOWN_ISSUER.
            result = Some(match (result, renamed) {
                (_, Ok(built_in)) => {
                    return deferred.map_or(Ok(built_in), Err);
                }
                (Some(Err(before)), Err(now)) if before != now => Err("SEC_ERROR_UNKNOWN_ISSUER"),
                (_, Err(now)) => Err(now),
            });
        }
        Err(match result {
            Some(Err(code)) => code,
            _ => "SEC_ERROR_UNKNOWN_ISSUER",
        })
    }

    /// `PathBuildingStep::Check`: the issuer's name constraints over the names below it, the
    /// issuer's own path, then the child's signature by the issuer's key.
    fn check(
        &self,
        child: &'a CertInfo,
        issuer: Candidate<'a>,
        sub_cas: usize,
        path: &mut Vec<&'a CertInfo>,
    ) -> Result<bool, &'static str> {
        if let (Some(constraints), Some(leaf)) = (
            issuer.info.and_then(|i| i.name_constraints.as_ref()),
            path.first(),
        ) && leaf
            .dns_names
            .iter()
            .any(|n| constraints.check_dns(n) != DnsConstraint::Permitted)
        {
            return Err("SEC_ERROR_CERT_NOT_IN_NAME_SPACE");
        }
        let self_issued = child.subject_raw == child.issuer_raw;
        let below = if path.len() == 1 || self_issued {
            sub_cas
        } else {
            sub_cas + 1
        };
        let pushed = issuer.info.map(|info| path.push(info)).is_some();
        let upward = self.forward(issuer, false, below, path);
        if pushed {
            path.pop();
        }
        let built_in = upward?;
        if let Some(code) = digest_error(&child.signature_algorithm_oid) {
            return Err(code);
        }
        match verify_cert_signature(&child.der, issuer.spki_der) {
            SigCheck::Invalid => Err("SEC_ERROR_BAD_SIGNATURE"),
            SigCheck::Valid | SigCheck::Unsupported(_) => Ok(built_in),
        }
    }
}

/// `CheckIssuerIndependentProperties` for one certificate, in its order: the key, key usage,
/// basicConstraints and path length, extended key usage, then the validity (last, so that an
/// expired certificate is otherwise valid).
fn issuer_independent(
    cert: &CertInfo,
    end_entity: bool,
    anchor: bool,
    sub_cas: usize,
    now: OffsetDateTime,
) -> Option<&'static str> {
    match cert.key.kind() {
        KeyKind::Rsa if cert.key.bits < MIN_RSA_BITS => {
            return Some("MOZILLA_PKIX_ERROR_INADEQUATE_KEY_SIZE");
        }
        KeyKind::Ec if !matches!(cert.key.curve.as_deref(), Some("P-256" | "P-384" | "P-521")) => {
            return Some("SEC_ERROR_UNSUPPORTED_ELLIPTIC_CURVE");
        }
        KeyKind::Dsa | KeyKind::Other => return Some("SEC_ERROR_UNSUPPORTED_KEYALG"),
        _ => {}
    }
    if !end_entity && cert.key_usage.is_some() && !cert.has_key_usage(usage::KEY_CERT_SIGN) {
        return Some("SEC_ERROR_INADEQUATE_KEY_USAGE");
    }
    // `CheckBasicConstraints`: a v1 certificate without the extension is a CA only as an anchor.
    let is_ca = if cert.has_basic_constraints {
        cert.is_ca
    } else {
        cert.version == 1 && anchor
    };
    if end_entity && is_ca {
        return Some("MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY");
    }
    if !end_entity && !is_ca {
        return Some(if cert.version == 1 {
            "MOZILLA_PKIX_ERROR_V1_CERT_USED_AS_CA"
        } else {
            "SEC_ERROR_CA_CERT_INVALID"
        });
    }
    if !end_entity && cert.path_len.is_some_and(|max| sub_cas > max as usize) {
        return Some("SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID");
    }
    // mozilla::pkix does not honour anyExtendedKeyUsage: an EKU must name serverAuth.
    if cert.ext_key_usage.is_some() && !cert.has_ext_key_usage(usage::SERVER_AUTH) {
        return Some("SEC_ERROR_INADEQUATE_CERT_TYPE");
    }
    if now > cert.not_after {
        return Some("SEC_ERROR_EXPIRED_CERTIFICATE");
    }
    if now < cert.not_before {
        return Some("MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE");
    }
    None
}

/// `NSSCertDBTrustDomain::CheckSignatureDigestAlgorithm` and the algorithms mozilla::pkix does
/// not know (MD5, MD2): both give `SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED`.
fn digest_error(oid: &str) -> Option<&'static str> {
    matches!(
        oid,
        "1.2.840.113549.1.1.5"
            | "1.3.14.3.2.29"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3"
            | "1.2.840.113549.1.1.4"
            | "1.3.14.3.2.3"
            | "1.2.840.113549.1.1.2"
    )
    .then_some("SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED")
}
