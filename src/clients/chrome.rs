//! Chromium's certificate verifier (the Chrome Certificate Verifier, `CertVerifyProcBuiltin` on
//! BoringSSL's `pki/` path builder) modelled on certcheck's parsed chain, with Chromium's net
//! error codes as it prints them (`net::ERR_CERT_AUTHORITY_INVALID`).
//!
//! Sources (collected in `../shared/design/client-rules.md`, section 2): chromium
//! `net/cert/cert_verify_proc_builtin.cc` (`TryBuildPath` adds `CertIssuerSourceAia`, so a
//! missing intermediate is fetched from its caIssuers URL; `MapPathBuilderErrorsToCertStatus`:
//! dates on any certificate of the path give DATE_INVALID, an unacceptable key WEAK_KEY, no
//! issuer or a bad signature AUTHORITY_INVALID, every other path error INVALID),
//! `net/cert/cert_verify_proc.cc` (the name check with no Common Name fallback, `IsWeakKey`,
//! `HasTooLongValidity` for roots of its own store only), `net/cert/cert_status_flags.cc`
//! (`MapCertStatusToNetError`, the order of [`Status`]), `net/base/net_error_list.h` (the codes),
//! BoringSSL `pki/verify_certificate_chain.cc` and `pki/simple_path_builder_delegate.cc` (RSA
//! keys of 1024 bits and more, curves P-256, P-384 and P-521 only; SHA-1 and MD5 signatures are
//! not accepted, which Chromium 156 reports as `ERR_CERT_INVALID`), and
//! GoogleChrome/CertificateTransparency `ct_policy.md` (the SCT counts). The conformance suite
//! checks every rule it can show on loopback against Debian's chromium 156.
//!
//! Certificate Transparency and the 398-day limit apply only to chains that end at a root of the
//! Chrome Root Store (`is_issued_by_known_root`), never to a root the user imported into the NSS
//! database; CT is enforced only by Google-branded builds (`CertificateTransparencyAskBeforeEnabling`
//! defaults on for `GOOGLE_CHROME_BRANDING` only, `chrome/browser/net/system_network_context_manager.cc`),
//! so Debian's chromium, which the `chrome` profile stands for, does not enforce it.

use time::{Duration, OffsetDateTime, macros::datetime};

use crate::chain::signature::{SigCheck, verify_cert_signature};
use crate::chain::{CertInfo, Chain, DnsConstraint, KeyKind, usage};
use crate::diagnose::names::covers;
use crate::target::Host;
use crate::trust::TrustStore;
use crate::trust::store::CaFileState;

/// How the Chromium build verifies, beyond the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Google-branded Chrome: Certificate Transparency is enforced for chains to roots of the
    /// Chrome Root Store. Debian's chromium: it is not.
    pub google_branded: bool,
}

/// A certificate status flag, in `MapCertStatusToNetError`'s order (the first one set wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// `CERT_STATUS_INVALID`: every path error without a flag of its own.
    Invalid,
    /// `CERT_STATUS_REVOKED`: the stapled OCSP response says the leaf is revoked (the builtin
    /// verifier checks a staple on a path it built; measured: `ocsp-staple-revoked` gives
    /// `net::ERR_CERT_REVOKED`).
    Revoked,
    /// No path to a trusted root, or a bad signature on the way.
    AuthorityInvalid,
    /// The leaf does not cover the name.
    CommonNameInvalid,
    /// Not enough SCTs (Google-branded builds, Chrome Root Store roots).
    CtRequired,
    /// An unacceptable key (RSA below 1024 bits, a curve other than P-256/384/521, Ed25519...).
    WeakKey,
    /// A certificate of the path is expired or not yet valid.
    DateInvalid,
    /// A leaf valid for more than 398 days under a Chrome Root Store root.
    ValidityTooLong,
}

impl Status {
    /// The net error Chromium prints for it.
    pub fn net_error(self) -> &'static str {
        match self {
            Status::Invalid => "net::ERR_CERT_INVALID",
            Status::Revoked => "net::ERR_CERT_REVOKED",
            Status::AuthorityInvalid => "net::ERR_CERT_AUTHORITY_INVALID",
            Status::CommonNameInvalid => "net::ERR_CERT_COMMON_NAME_INVALID",
            Status::CtRequired => "net::ERR_CERTIFICATE_TRANSPARENCY_REQUIRED",
            Status::WeakKey => "net::ERR_CERT_WEAK_KEY",
            Status::DateInvalid => "net::ERR_CERT_DATE_INVALID",
            Status::ValidityTooLong => "net::ERR_CERT_VALIDITY_TOO_LONG",
        }
    }
}

/// The longest leaf validity Chrome accepts under a root of its own store: 398 days
/// (`HasTooLongValidity`, since 2020-09-01; older limits no longer matter, every certificate
/// issued under them has expired).
pub const MAX_VALIDITY_DAYS: i64 = 398;

/// What Chromium says of the chain under `store` for `name`: `None` when it accepts. `fetched`
/// are the intermediates certcheck fetched from AIA caIssuers URLs (Chromium fetches them too);
/// `known_roots` says the store is the Chrome Root Store (not roots imported into NSS);
/// `stapled_revoked` that the server stapled an OCSP response saying the leaf is revoked.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    chain: &Chain,
    store: &TrustStore,
    fetched: &[&CertInfo],
    name: Option<&Host>,
    now: OffsetDateTime,
    known_roots: bool,
    settings: Settings,
    stapled_revoked: bool,
) -> Option<String> {
    if let Some(words) = chain.leaf().and_then(handshake_refusal) {
        return Some(words.into());
    }
    let mut statuses = statuses(chain, store, fetched, name, now, known_roots, settings);
    // Revocation is checked on a path that was built.
    if stapled_revoked && !statuses.contains(&Status::AuthorityInvalid) {
        statuses.push(Status::Revoked);
    }
    statuses
        .into_iter()
        .min()
        .map(|status| status.net_error().to_string())
        .or_else(|| chain.leaf().and_then(key_usage_refusal).map(Into::into))
}

/// What BoringSSL refuses in the handshake for the leaf's key before the certificate is
/// verified: Chromium offers RSA and ECDSA signature schemes only, so an Ed25519, Ed448 or DSA
/// leaf leaves no common scheme (measured: `ed25519-leaf` gives
/// `net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH`).
fn handshake_refusal(leaf: &CertInfo) -> Option<&'static str> {
    matches!(leaf.key.kind(), KeyKind::Other | KeyKind::Dsa)
        .then_some("net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH")
}

/// A leaf whose keyUsage does not allow the handshake signature (no digitalSignature): BoringSSL
/// checks it (`ssl_cert_check_key_usage`, RSA enforced since Chrome 124) once the chain verified
/// (measured: `leaf-ku-keyencipherment-only` gives `net::ERR_SSL_KEY_USAGE_INCOMPATIBLE`).
fn key_usage_refusal(leaf: &CertInfo) -> Option<&'static str> {
    (leaf.key_usage.is_some() && !leaf.has_key_usage("digitalSignature"))
        .then_some("net::ERR_SSL_KEY_USAGE_INCOMPATIBLE")
}

/// Every status flag Chromium sets for the chain (empty when it accepts).
pub fn statuses(
    chain: &Chain,
    store: &TrustStore,
    fetched: &[&CertInfo],
    name: Option<&Host>,
    now: OffsetDateTime,
    known_roots: bool,
    settings: Settings,
) -> Vec<Status> {
    let Some(leaf) = chain.leaf() else {
        return vec![Status::AuthorityInvalid];
    };
    // A CA file that is missing or holds no certificate imports nothing into the NSS database.
    let trusts_nothing = store
        .file
        .as_ref()
        .is_some_and(|f| matches!(f.state, CaFileState::Missing | CaFileState::Unreadable));
    let mut pool: Vec<&CertInfo> = chain.parsed().skip(1).map(|(_, c)| c).collect();
    pool.extend(fetched.iter().copied());
    let mut statuses = Vec::new();
    let path = if trusts_nothing {
        None
    } else {
        best_path(leaf, &pool, store, now)
    };
    match &path {
        None => statuses.push(Status::AuthorityInvalid),
        Some(path) => statuses.extend(path_errors(path, now, known_roots)),
    }
    if let Some(host) = name
        && !covers(leaf, host)
    {
        statuses.push(Status::CommonNameInvalid);
    }
    if path.is_some() && known_roots {
        if leaf.not_after - leaf.not_before > Duration::days(MAX_VALIDITY_DAYS) {
            statuses.push(Status::ValidityTooLong);
        }
        if settings.google_branded && ct_policy(leaf).is_err() {
            statuses.push(Status::CtRequired);
        }
    }
    statuses.sort();
    statuses.dedup();
    statuses
}

/// One path: the leaf first, the trust anchor last (the leaf alone when it is itself trusted).
struct Path<'a> {
    certs: Vec<&'a CertInfo>,
}

/// The path Chromium's builder settles on: the first valid one, else the first that reaches an
/// anchor (its errors are then the verdict); `None` when none reaches an anchor, which is
/// AUTHORITY_INVALID (no issuer found, or only issuers whose signature does not check).
fn best_path<'a>(
    leaf: &'a CertInfo,
    pool: &[&'a CertInfo],
    store: &'a TrustStore,
    now: OffsetDateTime,
) -> Option<Path<'a>> {
    let mut found: Vec<Path<'a>> = Vec::new();
    let mut current = vec![leaf];
    extend(&mut current, pool, store, &mut found);
    // A leaf the user trusted is an anchor itself (NSS trust `C,,` on the leaf): a self-signed
    // one was found above as its own issuer, with the anchor's constraints checked.
    if found.is_empty()
        && let Some(anchor) = anchor_for(store, leaf)
    {
        found.push(Path {
            certs: vec![anchor],
        });
    }
    let first_valid = found
        .iter()
        .position(|p| path_errors(p, now, false).is_empty());
    match first_valid {
        Some(i) => Some(found.swap_remove(i)),
        None => found.into_iter().next(),
    }
}

fn anchor_for<'a>(store: &'a TrustStore, cert: &'a CertInfo) -> Option<&'a CertInfo> {
    store
        .anchors_named(&cert.subject_raw)
        .filter_map(|a| a.info())
        .find(|a| a.spki_der == cert.spki_der)
}

/// Depth-first over the issuers: anchors of the store first, then the pool.
fn extend<'a>(
    current: &mut Vec<&'a CertInfo>,
    pool: &[&'a CertInfo],
    store: &'a TrustStore,
    found: &mut Vec<Path<'a>>,
) {
    if found.len() >= 8 || current.len() > 10 {
        return;
    }
    let Some(&cert) = current.last() else {
        return;
    };
    for anchor in store
        .anchors_named(&cert.issuer_raw)
        .filter_map(|a| a.info())
    {
        if signs(cert, anchor) {
            let mut certs = current.clone();
            certs.push(anchor);
            found.push(Path { certs });
        }
    }
    for &issuer in pool.iter().filter(|c| c.subject_raw == cert.issuer_raw) {
        let seen = current
            .iter()
            .any(|c| c.subject_raw == issuer.subject_raw && c.spki_der == issuer.spki_der);
        if seen || !signs(cert, issuer) {
            continue;
        }
        current.push(issuer);
        extend(current, pool, store, found);
        current.pop();
    }
}

/// The issuer's key verifies the child's signature (an algorithm that cannot be checked here
/// counts as signing: its refusal is a path error, not a missing issuer).
fn signs(child: &CertInfo, issuer: &CertInfo) -> bool {
    child.key_ids_allow_issuer(issuer)
        && !matches!(
            verify_cert_signature(&child.der, &issuer.spki_der),
            SigCheck::Invalid
        )
}

/// The errors BoringSSL's `VerifyCertificateChain` and Chromium's post-checks find on `path`,
/// as status flags. `known_root`: the anchor is a Chrome Root Store root, whose expiry is not
/// enforced; an anchor imported into NSS has its dates checked.
fn path_errors(path: &Path<'_>, now: OffsetDateTime, known_root: bool) -> Vec<Status> {
    let mut errors = Vec::new();
    let last = path.certs.len() - 1;
    for (i, cert) in path.certs.iter().enumerate() {
        let anchor = i == last;
        if (!anchor || !known_root) && (now < cert.not_before || now > cert.not_after) {
            errors.push(Status::DateInvalid);
        }
        if !acceptable_key(cert) {
            errors.push(Status::WeakKey);
        }
        if anchor && i > 0 {
            // Chromium enforces the constraints of an anchor the user imported into NSS: if it
            // has basicConstraints it must be a CA, if it has keyUsage it must sign certificates
            // (measured: a self-signed CA:FALSE leaf or a root without keyCertSign imported
            // with `C,,` gives ERR_CERT_INVALID; a v3 root without extensions passes).
            let not_ca = (cert.has_basic_constraints && !cert.is_ca)
                || (cert.key_usage.is_some() && !cert.has_key_usage(usage::KEY_CERT_SIGN));
            if !known_root && not_ca {
                errors.push(Status::Invalid);
            }
            continue;
        }
        if cert.extensions.iter().any(|e| e.critical && !e.known) {
            errors.push(Status::Invalid);
        }
        if unacceptable_signature(&cert.signature_algorithm_oid) && !(anchor && cert.self_signed) {
            errors.push(Status::Invalid);
        }
        if i == 0 {
            if cert.ext_key_usage.is_some()
                && !cert.has_ext_key_usage(usage::SERVER_AUTH)
                && !cert.has_ext_key_usage(usage::ANY)
            {
                errors.push(Status::Invalid);
            }
            continue;
        }
        // An intermediate: a CA allowed to sign, within its path length and name constraints.
        let not_ca = !cert.has_basic_constraints
            || !cert.is_ca
            || (cert.key_usage.is_some() && !cert.has_key_usage(usage::KEY_CERT_SIGN));
        if not_ca {
            errors.push(Status::Invalid);
        }
        let below = i.saturating_sub(1);
        if cert.path_len.is_some_and(|max| below > max as usize) {
            errors.push(Status::Invalid);
        }
        if let Some(constraints) = &cert.name_constraints
            && path.certs[0]
                .dns_names
                .iter()
                .any(|n| constraints.check_dns(n) != DnsConstraint::Permitted)
        {
            errors.push(Status::Invalid);
        }
    }
    errors
}

/// `SimplePathBuilderDelegate::IsPublicKeyAcceptable` with a 1024-bit RSA minimum: RSA of 1024
/// bits or more, or ECDSA on P-256, P-384 or P-521; nothing else.
fn acceptable_key(cert: &CertInfo) -> bool {
    match cert.key.kind() {
        KeyKind::Rsa => cert.key.bits >= 1024,
        KeyKind::Ec => cert
            .key
            .curve
            .as_ref()
            .is_some_and(|c| matches!(c.as_ref(), "P-256" | "P-384" | "P-521")),
        KeyKind::Dsa | KeyKind::Other => false,
    }
}

/// Signature algorithms BoringSSL's path builder does not accept (MD2, MD5, SHA-1).
fn unacceptable_signature(oid: &str) -> bool {
    matches!(
        oid,
        "1.2.840.113549.1.1.2"
            | "1.2.840.113549.1.1.4"
            | "1.3.14.3.2.3"
            | "1.2.840.113549.1.1.5"
            | "1.3.14.3.2.29"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3"
    )
}

/// Chrome's CT policy for embedded SCTs of certificates issued on or after 2022-04-15
/// (`ct_policy.md`): SCTs from 2 distinct logs when the certificate is valid for 180 days or
/// less, 3 when longer; before that date, 2 to 5 by months of validity. The policy also asks for
/// 2 distinct log operators and usable logs: without Chrome's log list certcheck cannot name the
/// operators, so only the count is checked (and the words say so). `Err` says what is missing.
pub fn ct_policy(leaf: &CertInfo) -> Result<(), String> {
    let lifetime = leaf.not_after - leaf.not_before;
    let needed = if leaf.not_before >= datetime!(2022-04-15 0:00 UTC) {
        if lifetime <= Duration::days(180) {
            2
        } else {
            3
        }
    } else {
        let months = lifetime.whole_days() * 12 / 365;
        match months {
            m if m < 15 => 2,
            m if m <= 27 => 3,
            m if m <= 39 => 4,
            _ => 5,
        }
    };
    let mut logs: Vec<&str> = leaf.scts.iter().map(|s| s.log_id.as_str()).collect();
    logs.sort();
    logs.dedup();
    if logs.len() >= needed {
        return Ok(());
    }
    Err(format!(
        "{} embedded SCT(s) from {} distinct log(s); Chrome's policy asks for {needed} for a validity of {} days (log operators not checked: no CT log list)",
        leaf.sct_count,
        logs.len(),
        lifetime.whole_days()
    ))
}
