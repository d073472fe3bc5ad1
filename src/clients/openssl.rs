//! OpenSSL's words, as Python (`ssl`, requests, urllib), curl and `openssl s_client` print them:
//! the X.509 verify error for each finding code, the TLS-layer refusals of security level 2, and
//! each front end's wrapping.
//!
//! Sources: OpenSSL 3.0 `crypto/x509/x509_txt.c` (verify error texts), `ssl/ssl_cert.c`
//! (`ssl_security_cert`, the security-level checks), curl 7.88 `lib/vtls/openssl.c` (exit 60 vs
//! 35), CPython 3.11 `Modules/_ssl.c` (the `[SSL: ...]` form).

use super::Dialect;
use crate::chain::KeyKind;
use crate::chain::key::{PublicHalf, certificate_public_half};
use crate::diagnose::{Context, FindingCode};

/// An X.509 verify error: OpenSSL's number and text, and the `err.code` Node reports for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// `X509_V_ERR_*` number.
    pub number: u32,
    /// OpenSSL's text for it.
    pub text: &'static str,
    /// Node's `err.code`.
    pub node_code: &'static str,
}

const fn verify(number: u32, text: &'static str, node_code: &'static str) -> VerifyError {
    VerifyError {
        number,
        text,
        node_code,
    }
}

const UNSPECIFIED: VerifyError = verify(
    1,
    "unspecified certificate verification error",
    "UNSPECIFIED",
);

/// OpenSSL's verify error for a finding code on certificate `index` (`partial`: the path ended at
/// an intermediate of the store, which OpenSSL without PARTIAL_CHAIN does not accept).
pub fn verify_error(
    code: FindingCode,
    index: Option<usize>,
    partial: bool,
    ctx: &Context<'_>,
) -> VerifyError {
    let leaf_only = ctx.chain.certs.len() <= 1;
    match code {
        FindingCode::Expired => verify(10, "certificate has expired", "CERT_HAS_EXPIRED"),
        FindingCode::NotYetValid => verify(9, "certificate is not yet valid", "CERT_NOT_YET_VALID"),
        FindingCode::SelfSigned => {
            verify(18, "self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT")
        }
        FindingCode::UntrustedRoot => verify(
            19,
            "self-signed certificate in certificate chain",
            "SELF_SIGNED_CERT_IN_CHAIN",
        ),
        FindingCode::UnknownIssuer if partial => verify(
            2,
            "unable to get issuer certificate",
            "UNABLE_TO_GET_ISSUER_CERT",
        ),
        FindingCode::UnknownIssuer | FindingCode::IncompleteChain if leaf_only => verify(
            20,
            "unable to get local issuer certificate",
            "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        ),
        FindingCode::UnknownIssuer | FindingCode::IncompleteChain => verify(
            20,
            "unable to get local issuer certificate",
            "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        ),
        FindingCode::BadSignature => {
            verify(7, "certificate signature failure", "CERT_SIGNATURE_FAILURE")
        }
        FindingCode::InvalidPurpose => {
            verify(26, "unsupported certificate purpose", "INVALID_PURPOSE")
        }
        FindingCode::NotACa => verify(24, "invalid CA certificate", "INVALID_CA"),
        FindingCode::PathLengthExceeded => verify(
            25,
            "path length constraint exceeded",
            "PATH_LENGTH_EXCEEDED",
        ),
        FindingCode::NameConstraintViolation => {
            verify(47, "permitted subtree violation", "UNSPECIFIED")
        }
        FindingCode::UnsupportedCriticalExtension => {
            verify(34, "unhandled critical extension", "UNSPECIFIED")
        }
        FindingCode::WeakSignatureAlgorithm => {
            verify(68, "CA signature digest algorithm too weak", "UNSPECIFIED")
        }
        FindingCode::WeakKey if index == Some(0) => {
            verify(66, "EE certificate key too weak", "UNSPECIFIED")
        }
        FindingCode::WeakKey => verify(67, "CA certificate key too weak", "UNSPECIFIED"),
        FindingCode::Revoked => verify(23, "certificate revoked", "CERT_REVOKED"),
        // Codes OpenSSL has no verify error of its own for; listed so that a new code needs a
        // decision here.
        FindingCode::HostnameMismatch
        | FindingCode::ExpiringSoon
        | FindingCode::ChainOrder
        | FindingCode::LongValidity
        | FindingCode::UnneededRoot
        | FindingCode::TrustStoreDisagreement
        | FindingCode::MalformedCertificate
        | FindingCode::VerificationFailed
        | FindingCode::KeyMismatch
        | FindingCode::PrivateKeyInFile
        | FindingCode::OcspStale
        | FindingCode::OcspMismatch
        | FindingCode::InterceptionSuspected => UNSPECIFIED,
    }
}

/// At security level 2 OpenSSL's TLS layer refuses weak keys and digests in the peer's chain with
/// its own reason, before certificate verification reports anything: (reason, text).
pub fn security_refusal(
    code: FindingCode,
    index: Option<usize>,
) -> Option<(&'static str, &'static str)> {
    match code {
        FindingCode::WeakKey if index == Some(0) => Some(("EE_KEY_TOO_SMALL", "ee key too small")),
        FindingCode::WeakKey => Some(("CA_KEY_TOO_SMALL", "ca key too small")),
        FindingCode::WeakSignatureAlgorithm => Some(("CA_MD_TOO_WEAK", "ca md too weak")),
        _ => None,
    }
}

/// A failure in the words of an OpenSSL-based front end (`dialect` is Python, curl or s_client).
pub fn message(
    dialect: Dialect,
    code: FindingCode,
    index: Option<usize>,
    partial: bool,
    ctx: &Context<'_>,
) -> String {
    if let Some((reason, text)) = security_refusal(code, index) {
        return match dialect {
            Dialect::Python { urllib } => wrap_python(urllib, &format!("[SSL: {reason}] {text}")),
            Dialect::Curl => format!("(35) OpenSSL SSL_connect: SSL routines::{text}"),
            _ => format!("SSL routines::{text}"),
        };
    }
    let error = verify_error(code, index, partial, ctx);
    match dialect {
        Dialect::Python { urllib } => wrap_python(
            urllib,
            &format!(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {}",
                error.text
            ),
        ),
        Dialect::Curl if code == FindingCode::BadSignature && index.is_some_and(|i| issuer_is_rsa(ctx, i)) => {
            "(35) OpenSSL SSL_connect: rsa routines::invalid padding (the handshake fails before verification ends, so curl exits 35, not 60)".into()
        }
        Dialect::Curl => format!("(60) SSL certificate problem: {}", error.text),
        _ => format!("verify error:num={}:{}", error.number, error.text),
    }
}

/// A name mismatch in the words of an OpenSSL-based front end.
pub fn hostname_message(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Python { urllib } => wrap_python(
            urllib,
            &format!(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '{name}'."
            ),
        ),
        Dialect::Curl => format!(
            "(60) SSL: no alternative certificate subject name matches target host name '{name}'"
        ),
        _ => "verify error:num=62:hostname mismatch".into(),
    }
}

/// urllib wraps the `ssl` error in its own `URLError`.
fn wrap_python(urllib: bool, text: &str) -> String {
    if urllib {
        format!("<urlopen error {text}>")
    } else {
        text.to_string()
    }
}

/// Whether the issuer (by name, presented or in a store) of certificate `index` has an RSA key:
/// a bad RSA signature fails in OpenSSL's padding check, during the handshake.
fn issuer_is_rsa(ctx: &Context<'_>, index: usize) -> bool {
    let Some(cert) = ctx.chain.certs.get(index).and_then(|c| c.info()) else {
        return false;
    };
    let presented = ctx
        .chain
        .parsed()
        .find(|(i, c)| *i != index && c.subject_raw == cert.issuer_raw)
        .map(|(_, c)| c.key.kind() == KeyKind::Rsa);
    presented.unwrap_or_else(|| {
        ctx.stores.iter().any(|store| {
            store.anchors_named(&cert.issuer_raw).any(|anchor| {
                matches!(
                    certificate_public_half(&anchor.spki_der),
                    Some(PublicHalf::Rsa { .. })
                )
            })
        })
    })
}
