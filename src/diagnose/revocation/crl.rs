//! A CRL certcheck fetched for a presented certificate (`--check-revocation`): parsed with
//! x509-parser, its issuer name matched against the certificate's issuer (indirect CRLs are not
//! read), its signature checked with the key of a certificate that issued the certificate, its
//! thisUpdate and nextUpdate against `now`, and the certificate's serial looked up.

use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate, X509Error};
use x509_parser::revocation_list::CertificateRevocationList;

use super::super::text::{date, label, relative};
use super::super::{Context, Finding, FindingCode, Scope};
use super::ocsp::{issuers, same_serial};
use super::{FETCHED_REVOKED_HINT, LEEWAY};
use crate::chain::CertInfo;
use crate::diagnose::text::generic_hint;

/// The findings from the CRL `body` fetched from `url` for presented certificate `index`.
pub(super) fn findings(
    ctx: &Context<'_>,
    index: usize,
    cert: &CertInfo,
    body: &[u8],
    url: &str,
) -> Vec<Finding> {
    let unusable = |message: String| {
        Finding::new(
            FindingCode::CrlUnusable,
            Some(index),
            Scope::AllStores,
            message,
            generic_hint(FindingCode::CrlUnusable),
        )
    };
    let pem;
    let der = if body.starts_with(b"-----BEGIN") {
        match x509_parser::pem::parse_x509_pem(body) {
            Ok((_, block)) => {
                pem = block;
                pem.contents.as_slice()
            }
            Err(e) => {
                return vec![unusable(format!(
                    "the CRL from {url} for {} cannot be used: it is not a valid PEM CRL ({e})",
                    label(index, cert)
                ))];
            }
        }
    } else {
        body
    };
    let crl = match CertificateRevocationList::from_der(der) {
        Ok((_, crl)) => crl,
        Err(e) => {
            return vec![unusable(format!(
                "the CRL from {url} for {} cannot be used: it is not a valid DER CRL ({e})",
                label(index, cert)
            ))];
        }
    };
    if crl.tbs_cert_list.issuer.as_raw() != cert.issuer_raw.as_slice() {
        return vec![unusable(format!(
            "the CRL from {url} for {} cannot be used: it is issued by {}, not by {}, the issuer of the certificate (certcheck does not read indirect CRLs)",
            label(index, cert),
            crl.tbs_cert_list.issuer,
            cert.issuer
        ))];
    }
    let serial = X509Certificate::from_der(&cert.der)
        .map(|(_, c)| c.tbs_certificate.raw_serial().to_vec())
        .unwrap_or_default();
    let entry = crl
        .iter_revoked_certificates()
        .find(|e| same_serial(e.raw_serial(), &serial));
    let listed = entry.map(|e| {
        let reason = e
            .reason_code()
            .map(|(_, code)| format!("reason: {}", reason_name(code.0)))
            .unwrap_or_else(|| "no reason given".into());
        (date(e.revocation_date.to_datetime()), reason)
    });
    let this_update = crl.last_update().to_datetime();
    let signer = match signed_by(ctx, &crl, cert) {
        Ok(signer) => signer,
        Err(why) => {
            let claim = match &listed {
                Some((at, _)) => format!("it lists the certificate as revoked on {at}"),
                None => "it does not list the certificate".into(),
            };
            return vec![unusable(format!(
                "the CRL from {url} for {} ({claim}) cannot be trusted: {why}",
                label(index, cert)
            ))];
        }
    };
    let mut out = Vec::new();
    out.extend(staleness(ctx, index, cert, &crl, url));
    if let Some((at, reason)) = listed {
        let signed = match signer {
            Some(who) => format!(", signed by {who}"),
            None => format!(
                "; its signature could not be checked: the issuer of certificate {index} is not available to certcheck"
            ),
        };
        out.push(Finding::new(
            FindingCode::Revoked,
            Some(index),
            Scope::AllStores,
            format!(
                "{} was revoked on {at} ({reason}), according to the CRL from {url} (thisUpdate {}{signed})",
                label(index, cert),
                date(this_update)
            ),
            FETCHED_REVOKED_HINT,
        ));
    }
    out
}

/// Who signed the CRL: `Ok(Some(label))` for an issuer of `cert` whose key verifies it,
/// `Ok(None)` when no issuer is known, `Err(why)` when none of the known issuers' keys verifies it.
fn signed_by(
    ctx: &Context<'_>,
    crl: &CertificateRevocationList<'_>,
    cert: &CertInfo,
) -> Result<Option<String>, String> {
    let known = issuers(ctx, cert);
    if known.is_empty() {
        return Ok(None);
    }
    for issuer in &known {
        let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(&issuer.spki_der) else {
            continue;
        };
        match crl.verify_signature(&spki) {
            Ok(()) => return Ok(Some(issuer.label.clone())),
            Err(X509Error::SignatureUnsupportedAlgorithm) => {
                return Err(format!(
                    "its signature algorithm {} is not supported",
                    crate::chain::oid::oid_name(&crl.signature_algorithm.algorithm)
                ));
            }
            Err(_) => {}
        }
    }
    Err(format!(
        "its signature does not verify with the key of {}",
        known
            .iter()
            .map(|i| i.label.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    ))
}

/// `crl-stale`: thisUpdate after now, or nextUpdate before now.
fn staleness(
    ctx: &Context<'_>,
    index: usize,
    cert: &CertInfo,
    crl: &CertificateRevocationList<'_>,
    url: &str,
) -> Option<Finding> {
    let this_update: OffsetDateTime = crl.last_update().to_datetime();
    let next_update = crl.next_update().map(|t| t.to_datetime());
    let what = if this_update > ctx.now + LEEWAY {
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
        FindingCode::CrlStale,
        Some(index),
        Scope::AllStores,
        format!(
            "the CRL from {url} for {} {what}; a client that checks CRLs cannot use it",
            label(index, cert)
        ),
        generic_hint(FindingCode::CrlStale),
    ))
}

/// RFC 5280 §5.3.1 names of the CRLReason values.
fn reason_name(code: u8) -> String {
    match code {
        0 => "unspecified".into(),
        1 => "keyCompromise".into(),
        2 => "cACompromise".into(),
        3 => "affiliationChanged".into(),
        4 => "superseded".into(),
        5 => "cessationOfOperation".into(),
        6 => "certificateHold".into(),
        8 => "removeFromCRL".into(),
        9 => "privilegeWithdrawn".into(),
        10 => "aACompromise".into(),
        other => format!("unknown reason {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_use_rfc_5280_names() {
        assert_eq!(reason_name(1), "keyCompromise");
        assert_eq!(reason_name(7), "unknown reason 7");
    }
}
