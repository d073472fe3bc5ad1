//! Revocation, from the OCSP response the server staples: `revoked`, and `ocsp-stale` or
//! `ocsp-mismatch` for a staple that is out of date or cannot be used for the leaf; and, with
//! `--check-revocation`, from the OCSP responses and CRLs certcheck fetched for each presented
//! certificate (`run` fetches them, [`StatusResponse`]): the same checks for OCSP, and for a CRL
//! `revoked`, `crl-stale` or `crl-unusable`.
//!
//! A staple covers the leaf only (a server staples the status of its own certificate); nothing
//! is fetched here: without a staple or a fetched status there is no finding. The response is decoded with `x509-ocsp`; the
//! CertID hashes are computed with ring, and the response's signature is checked with the key of
//! the leaf's issuer, or of a delegated responder certificate included in the response that the
//! issuer signed for OCSPSigning.

mod crl;
mod ocsp;

use time::OffsetDateTime;
use x509_ocsp::{CertStatus, OcspGeneralizedTime, RevokedInfo, SingleResponse};

use super::text::{date, label, relative};
use super::{Context, Finding, FindingCode, Scope};
use crate::chain::CertInfo;
use crate::diagnose::text::generic_hint;
use ocsp::{Signer, check_signature, decode, find_single, issuers};

/// The hint of `revoked`.
const REVOKED_HINT: &str = "Replace the certificate with a newly issued one (with a new key if the key was compromised) and install it; then clear the server's OCSP stapling cache (or restart it) so that it staples the status of the new certificate, not this response.";

/// The hint of `revoked` from a fetched OCSP response or CRL.
const FETCHED_REVOKED_HINT: &str = "Replace the certificate with a newly issued one (with a new key if the key was compromised) and install it: the CA has revoked this one, and clients that check revocation refuse it.";

/// The clock skew allowed on an OCSP response's thisUpdate and nextUpdate and a CRL's
/// thisUpdate: 5 minutes, as OpenSSL's `OCSP_check_validity` is called by curl and `openssl ocsp`
/// (`nsec` 300). A responder dates a fresh response at its own now, which may be a moment after
/// certcheck's (read once, to the whole second).
const LEEWAY: time::Duration = time::Duration::minutes(5);

/// Which kind of revocation status certcheck fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    /// An `OCSPResponse` (RFC 6960) from the certificate's AIA OCSP URL.
    Ocsp,
    /// A CRL (RFC 5280) from the certificate's CRL distribution point.
    Crl,
}

/// A revocation status certcheck fetched for a presented certificate (`--check-revocation`):
/// the body as served, judged here like a staple (decoded, matched, its signature checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusResponse {
    /// The presented certificate it is for.
    pub index: usize,
    /// The URL it came from.
    pub url: String,
    /// OCSP or CRL.
    pub kind: StatusKind,
    /// The body, as served.
    pub body: Vec<u8>,
}

/// The server stapled an OCSP response that says the leaf is revoked (the `revoked` finding):
/// what a client that reads staples (GnuTLS, wget) refuses the chain for.
pub fn staple_says_revoked(ctx: &Context<'_>) -> bool {
    *ctx.stapled_revoked.get_or_init(|| {
        ctx.ocsp.is_some() && stapled(ctx).iter().any(|f| f.code == FindingCode::Revoked)
    })
}

/// Where an OCSP response came from, for the sentences about it.
enum From<'u> {
    /// The server stapled it.
    Staple,
    /// certcheck fetched it from this URL (`--check-revocation`).
    Url(&'u str),
}

/// The findings from the stapled OCSP response, if the server stapled one.
pub fn stapled(ctx: &Context<'_>) -> Vec<Finding> {
    let (Some(bytes), Some(leaf)) = (ctx.ocsp, ctx.chain.leaf()) else {
        return Vec::new();
    };
    ocsp_findings(ctx, 0, leaf, bytes, From::Staple)
}

/// The findings from the OCSP responses and CRLs certcheck fetched (`--check-revocation`), for
/// each certificate they were fetched for.
pub fn fetched(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for status in ctx.statuses {
        let Some(cert) = ctx.chain.certs.get(status.index).and_then(|c| c.info()) else {
            continue;
        };
        match status.kind {
            StatusKind::Ocsp => out.extend(ocsp_findings(
                ctx,
                status.index,
                cert,
                &status.body,
                From::Url(&status.url),
            )),
            StatusKind::Crl => out.extend(crl::findings(
                ctx,
                status.index,
                cert,
                &status.body,
                &status.url,
            )),
        }
    }
    out
}

/// An OCSP response or CRL certcheck fetched says a presented certificate is revoked: what no
/// client profile notices, since none fetches either by default.
pub fn fetched_says_revoked(ctx: &Context<'_>) -> bool {
    !ctx.statuses.is_empty() && fetched(ctx).iter().any(|f| f.code == FindingCode::Revoked)
}

/// The findings from one OCSP response for certificate `index`.
fn ocsp_findings(
    ctx: &Context<'_>,
    index: usize,
    cert: &CertInfo,
    bytes: &[u8],
    from: From<'_>,
) -> Vec<Finding> {
    let mismatch = |message: String| {
        Finding::new(
            FindingCode::OcspMismatch,
            Some(index),
            Scope::AllStores,
            message,
            generic_hint(FindingCode::OcspMismatch),
        )
    };
    let basic = match decode(bytes) {
        Ok(basic) => basic,
        Err(why) => {
            return vec![mismatch(match from {
                From::Staple => format!(
                    "the server staples an OCSP response for {} that cannot be used: {why}",
                    label(index, cert)
                ),
                From::Url(url) => format!(
                    "the OCSP response from {url} for {} cannot be used: {why}",
                    label(index, cert)
                ),
            })];
        }
    };
    let issuers = issuers(ctx, cert);
    let (single, issuer) = match find_single(&basic.response, cert, &issuers) {
        Ok(found) => found,
        Err(why) => {
            let what = match from {
                From::Staple => "the stapled OCSP response".to_string(),
                From::Url(url) => format!("the OCSP response from {url}"),
            };
            return vec![mismatch(format!(
                "{what} does not cover {} (serial {}): {why}",
                label(index, cert),
                cert.serial
            ))];
        }
    };
    let (signer, unchecked) = match check_signature(ctx, &basic, issuer, index) {
        Signer::Verified(who) => (Some(who), String::new()),
        Signer::Unchecked(why) => (None, format!("; its signature could not be checked: {why}")),
        Signer::Failed(why) => {
            let what = match from {
                From::Staple => "the stapled OCSP response".to_string(),
                From::Url(url) => format!("the OCSP response from {url}"),
            };
            return vec![mismatch(format!(
                "{what} for {} ({}) cannot be trusted: {why}",
                label(index, cert),
                status_words(&single.cert_status)
            ))];
        }
    };
    let mut out = Vec::new();
    out.extend(staleness(ctx, index, cert, single, &from));
    let produced = to_time(&basic.response.tbs_response_data.produced_at)
        .map(|t| format!("produced {}", date(t)))
        .unwrap_or_else(|| "produced at an unreadable time".into());
    let response = match from {
        From::Staple => "the OCSP response the server staples".to_string(),
        From::Url(url) => format!("the OCSP response from {url}"),
    };
    let source = match &signer {
        Some(who) => format!("{response} ({produced}, signed by {who})"),
        None => format!("{response} ({produced}{unchecked})"),
    };
    match &single.cert_status {
        CertStatus::Good(_) => {}
        CertStatus::Revoked(info) => out.push(Finding::new(
            FindingCode::Revoked,
            Some(index),
            Scope::AllStores,
            format!(
                "{} was revoked on {} ({}), according to {source}",
                label(index, cert),
                revocation_time(info),
                reason(info)
            ),
            match from {
                From::Staple => REVOKED_HINT,
                From::Url(_) => FETCHED_REVOKED_HINT,
            },
        )),
        CertStatus::Unknown(_) => out.push(mismatch(match from {
            From::Staple => format!(
                "the responder answers \"unknown\" for {} in {source}: it does not know this certificate, so the staple says nothing about its revocation",
                label(index, cert)
            ),
            From::Url(_) => format!(
                "the responder answers \"unknown\" for {} in {source}: it does not know this certificate, so the response says nothing about its revocation",
                label(index, cert)
            ),
        })),
    }
    out
}

/// `ocsp-stale`: thisUpdate after now, or nextUpdate before now.
fn staleness(
    ctx: &Context<'_>,
    index: usize,
    leaf: &CertInfo,
    single: &SingleResponse,
    from: &From<'_>,
) -> Option<Finding> {
    let this_update = to_time(&single.this_update)?;
    let next_update = single.next_update.as_ref().and_then(to_time);
    let what = if this_update > ctx.now + LEEWAY {
        format!(
            "is not valid until its thisUpdate {}, {}",
            date(this_update),
            relative(this_update, ctx.now)
        )
    } else if let Some(next) = next_update.filter(|n| *n + LEEWAY < ctx.now) {
        format!(
            "expired at its nextUpdate {}, {} (thisUpdate {})",
            date(next),
            relative(next, ctx.now),
            date(this_update)
        )
    } else {
        return None;
    };
    let message = match from {
        From::Staple => format!(
            "the OCSP response the server staples for {} {what}; clients that check stapled responses ignore it or reject the connection",
            label(index, leaf)
        ),
        From::Url(url) => format!(
            "the OCSP response from {url} for {} {what}; a client that fetches it cannot use it",
            label(index, leaf)
        ),
    };
    Some(Finding::new(
        FindingCode::OcspStale,
        Some(index),
        Scope::AllStores,
        message,
        generic_hint(FindingCode::OcspStale),
    ))
}

/// An OCSP time as an instant.
fn to_time(at: &OcspGeneralizedTime) -> Option<OffsetDateTime> {
    let seconds = i64::try_from(at.0.to_unix_duration().as_secs()).ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

fn revocation_time(info: &RevokedInfo) -> String {
    to_time(&info.revocation_time)
        .map(date)
        .unwrap_or_else(|| "an unreadable time".into())
}

/// `reason: keyCompromise`, or `no reason given`.
fn reason(info: &RevokedInfo) -> String {
    use x509_cert::ext::pkix::CrlReason;
    let Some(reason) = info.revocation_reason else {
        return "no reason given".into();
    };
    let name = match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    };
    format!("reason: {name}")
}

/// What a status claims, for sentences about a response that cannot be trusted.
fn status_words(status: &CertStatus) -> String {
    match status {
        CertStatus::Good(_) => "status good".into(),
        CertStatus::Revoked(info) => format!(
            "status revoked on {}, {}",
            revocation_time(info),
            reason(info)
        ),
        CertStatus::Unknown(_) => "status unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_use_rfc_5280_names() {
        use x509_cert::ext::pkix::CrlReason;
        let at = OcspGeneralizedTime(
            x509_cert::der::asn1::GeneralizedTime::from_unix_duration(
                std::time::Duration::from_secs(1_893_456_000),
            )
            .unwrap_or_else(|_| unreachable!()),
        );
        let info = RevokedInfo {
            revocation_time: at,
            revocation_reason: Some(CrlReason::KeyCompromise),
        };
        assert_eq!(reason(&info), "reason: keyCompromise");
        assert_eq!(revocation_time(&info), "2030-01-01T00:00:00Z");
        let info = RevokedInfo {
            revocation_reason: None,
            ..info
        };
        assert_eq!(reason(&info), "no reason given");
    }
}
