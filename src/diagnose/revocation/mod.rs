//! Revocation, from the OCSP response the server staples: `revoked`, and `ocsp-stale` or
//! `ocsp-mismatch` for a staple that is out of date or cannot be used for the leaf.
//!
//! Only the leaf is checked (a server staples the status of its own certificate), and nothing is
//! fetched: without a staple there is no finding. The response is decoded with `x509-ocsp`; the
//! CertID hashes are computed with ring, and the response's signature is checked with the key of
//! the leaf's issuer, or of a delegated responder certificate included in the response that the
//! issuer signed for OCSPSigning.

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

/// The server stapled an OCSP response that says the leaf is revoked (the `revoked` finding):
/// what a client that reads staples (GnuTLS, wget) refuses the chain for.
pub fn staple_says_revoked(ctx: &Context<'_>) -> bool {
    ctx.ocsp.is_some() && stapled(ctx).iter().any(|f| f.code == FindingCode::Revoked)
}

/// The findings from the stapled OCSP response, if the server stapled one.
pub fn stapled(ctx: &Context<'_>) -> Vec<Finding> {
    let (Some(bytes), Some(leaf)) = (ctx.ocsp, ctx.chain.leaf()) else {
        return Vec::new();
    };
    let basic = match decode(bytes) {
        Ok(basic) => basic,
        Err(why) => {
            return vec![mismatch(format!(
                "the server staples an OCSP response for {} that cannot be used: {why}",
                label(0, leaf)
            ))];
        }
    };
    let issuers = issuers(ctx, leaf);
    let (single, issuer) = match find_single(&basic.response, leaf, &issuers) {
        Ok(found) => found,
        Err(why) => {
            return vec![mismatch(format!(
                "the stapled OCSP response does not cover {} (serial {}): {why}",
                label(0, leaf),
                leaf.serial
            ))];
        }
    };
    let (signer, unchecked) = match check_signature(ctx, &basic, issuer) {
        Signer::Verified(who) => (Some(who), String::new()),
        Signer::Unchecked(why) => (None, format!("; its signature could not be checked: {why}")),
        Signer::Failed(why) => {
            return vec![mismatch(format!(
                "the stapled OCSP response for {} ({}) cannot be trusted: {why}",
                label(0, leaf),
                status_words(&single.cert_status)
            ))];
        }
    };
    let mut out = Vec::new();
    out.extend(staleness(ctx, leaf, single));
    let produced = to_time(&basic.response.tbs_response_data.produced_at)
        .map(|t| format!("produced {}", date(t)))
        .unwrap_or_else(|| "produced at an unreadable time".into());
    let source = match &signer {
        Some(who) => format!("the OCSP response the server staples ({produced}, signed by {who})"),
        None => format!("the OCSP response the server staples ({produced}{unchecked})"),
    };
    match &single.cert_status {
        CertStatus::Good(_) => {}
        CertStatus::Revoked(info) => out.push(Finding::new(
            FindingCode::Revoked,
            Some(0),
            Scope::AllStores,
            format!(
                "{} was revoked on {} ({}), according to {source}",
                label(0, leaf),
                revocation_time(info),
                reason(info)
            ),
            REVOKED_HINT,
        )),
        CertStatus::Unknown(_) => out.push(mismatch(format!(
            "the responder answers \"unknown\" for {} in {source}: it does not know this certificate, so the staple says nothing about its revocation",
            label(0, leaf)
        ))),
    }
    out
}

/// An `ocsp-mismatch` finding on the leaf.
fn mismatch(message: String) -> Finding {
    Finding::new(
        FindingCode::OcspMismatch,
        Some(0),
        Scope::AllStores,
        message,
        generic_hint(FindingCode::OcspMismatch),
    )
}

/// The decoded basic response and the exact DER of its signed part.
/// `ocsp-stale`: thisUpdate after now, or nextUpdate before now.
fn staleness(ctx: &Context<'_>, leaf: &CertInfo, single: &SingleResponse) -> Option<Finding> {
    let this_update = to_time(&single.this_update)?;
    let next_update = single.next_update.as_ref().and_then(to_time);
    let what = if this_update > ctx.now {
        format!(
            "is not valid until its thisUpdate {}, {}",
            date(this_update),
            relative(this_update, ctx.now)
        )
    } else if let Some(next) = next_update.filter(|n| *n < ctx.now) {
        format!(
            "expired at its nextUpdate {}, {} (thisUpdate {})",
            date(next),
            relative(next, ctx.now),
            date(this_update)
        )
    } else {
        return None;
    };
    Some(Finding::new(
        FindingCode::OcspStale,
        Some(0),
        Scope::AllStores,
        format!(
            "the OCSP response the server staples for {} {what}; clients that check stapled responses ignore it or reject the connection",
            label(0, leaf)
        ),
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
