//! Revocation, from the OCSP response the server staples: `revoked`, and `ocsp-stale` or
//! `ocsp-mismatch` for a staple that is out of date or cannot be used for the leaf.
//!
//! Only the leaf is checked (a server staples the status of its own certificate), and nothing is
//! fetched: without a staple there is no finding. The response is decoded with `x509-ocsp`; the
//! CertID hashes are computed with ring, and the response's signature is checked with the key of
//! the leaf's issuer, or of a delegated responder certificate included in the response that the
//! issuer signed for OCSPSigning.

use ring::digest;
use time::OffsetDateTime;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspResponse, OcspResponseStatus,
    RevokedInfo, SingleResponse,
};
use x509_parser::prelude::{
    AlgorithmIdentifier, FromDer, SubjectPublicKeyInfo, X509Certificate, X509Error,
};

use super::paths::signed_by;
use super::text::{date, label, relative};
use super::{Context, Finding, FindingCode, Scope};
use crate::chain::signature::SigCheck;
use crate::chain::{CertInfo, hex, usage};
use crate::diagnose::text::generic_hint;

/// The hint of `revoked`.
const REVOKED_HINT: &str = "Replace the certificate with a newly issued one (with a new key if the key was compromised) and install it; then clear the server's OCSP stapling cache (or restart it) so that it staples the status of the new certificate, not this response.";

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
struct Decoded {
    response: BasicOcspResponse,
    tbs: Vec<u8>,
}

/// Decodes an `OCSPResponse` down to its basic response, or says why it cannot be used.
fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    let response = OcspResponse::from_der(bytes)
        .map_err(|e| format!("it is not a valid DER OCSPResponse ({e})"))?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(format!(
            "its responseStatus is {} and it carries no certificate status",
            response_status(response.response_status)
        ));
    }
    let Some(body) = response.response_bytes else {
        return Err("its responseStatus is successful but it carries no responseBytes".into());
    };
    if body.response_type != BasicOcspResponse::OID {
        return Err(format!(
            "its responseType is {}, not id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1)",
            body.response_type
        ));
    }
    let inner = body.response.as_bytes();
    let basic = BasicOcspResponse::from_der(inner)
        .map_err(|e| format!("its BasicOCSPResponse is not valid DER ({e})"))?;
    // The signature covers the tbsResponseData exactly as sent: those bytes, not a re-encoding.
    let tbs = first_element(inner)
        .map_err(|e| format!("its BasicOCSPResponse is not valid DER ({e})"))?
        .to_vec();
    Ok(Decoded {
        response: basic,
        tbs,
    })
}

/// The complete DER of the first element of the SEQUENCE `bytes`.
fn first_element(bytes: &[u8]) -> x509_cert::der::Result<&[u8]> {
    let mut reader = SliceReader::new(bytes)?;
    let header = x509_cert::der::Header::decode(&mut reader)?;
    header.tag.assert_eq(x509_cert::der::Tag::Sequence)?;
    reader.tlv_bytes()
}

/// RFC 6960 names of the response statuses.
fn response_status(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}

/// A certificate that may have issued the leaf: the leaf's CertID is computed from its name and
/// key, and it signs the response (or the delegated responder's certificate).
struct Issuer {
    /// For sentences: `certificate 1 (CN=...)`, `the trust anchor CN=... in store system`.
    label: String,
    subject_raw: Vec<u8>,
    spki_der: Vec<u8>,
}

/// Every certificate known here that issued the leaf (by name and signature): presented,
/// `--untrusted`, or an anchor of a store. Distinct keys only.
fn issuers(ctx: &Context<'_>, leaf: &CertInfo) -> Vec<Issuer> {
    let mut out: Vec<Issuer> = Vec::new();
    let presented = ctx.chain.parsed().map(|(index, cert)| Issuer {
        label: label(index, cert),
        subject_raw: cert.subject_raw.clone(),
        spki_der: cert.spki_der.clone(),
    });
    let pooled = ctx.pool.iter().map(|cert| Issuer {
        label: format!("the --untrusted certificate {}", cert.subject),
        subject_raw: cert.subject_raw.clone(),
        spki_der: cert.spki_der.clone(),
    });
    let anchors = ctx.stores.iter().enumerate().flat_map(|(store, s)| {
        s.anchors.iter().map(move |anchor| Issuer {
            label: format!(
                "the trust anchor {} of store {}",
                anchor.subject(),
                ctx.store_label(store)
            ),
            subject_raw: anchor.subject_raw.clone(),
            spki_der: anchor.spki_der.clone(),
        })
    });
    for candidate in presented.chain(pooled).chain(anchors) {
        if out.iter().any(|i| i.spki_der == candidate.spki_der) {
            continue;
        }
        if signed_by(leaf, &candidate.subject_raw, &candidate.spki_der) {
            out.push(candidate);
        }
    }
    out
}

/// The hash a CertID names, by OID.
fn hash_algorithm(cert_id: &CertId) -> Option<&'static digest::Algorithm> {
    match cert_id.hash_algorithm.oid.to_string().as_str() {
        "1.3.14.3.2.26" => Some(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        "2.16.840.1.101.3.4.2.1" => Some(&digest::SHA256),
        "2.16.840.1.101.3.4.2.2" => Some(&digest::SHA384),
        "2.16.840.1.101.3.4.2.3" => Some(&digest::SHA512),
        _ => None,
    }
}

/// The subjectPublicKey bits of a SubjectPublicKeyInfo (what a CertID's issuerKeyHash hashes).
fn key_bits(spki_der: &[u8]) -> Option<Vec<u8>> {
    SubjectPublicKeyInfo::from_der(spki_der)
        .ok()
        .map(|(_, spki)| spki.subject_public_key.data.to_vec())
}

/// Serial numbers compare as integers: leading zero octets do not count.
fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let strip = |s: &[u8]| -> Vec<u8> { s.iter().copied().skip_while(|b| *b == 0).collect() };
    strip(a) == strip(b)
}

/// The SingleResponse for the leaf, with the issuer its CertID names (when the issuer is known),
/// or why none is.
fn find_single<'r, 'i>(
    basic: &'r BasicOcspResponse,
    leaf: &CertInfo,
    issuers: &'i [Issuer],
) -> Result<(&'r SingleResponse, Option<&'i Issuer>), String> {
    let leaf_serial = X509Certificate::from_der(&leaf.der)
        .map(|(_, cert)| cert.tbs_certificate.raw_serial().to_vec())
        .unwrap_or_default();
    let mut reasons = Vec::new();
    for single in &basic.tbs_response_data.responses {
        let id = &single.cert_id;
        let serial = hex(id.serial_number.as_bytes());
        let Some(algorithm) = hash_algorithm(id) else {
            reasons.push(format!(
                "serial {serial} with a CertID hashed with {}, which certcheck cannot compute",
                id.hash_algorithm.oid
            ));
            continue;
        };
        if !same_serial(id.serial_number.as_bytes(), &leaf_serial) {
            reasons.push(format!("serial {serial}"));
            continue;
        }
        let name_hash = digest::digest(algorithm, &leaf.issuer_raw);
        if id.issuer_name_hash.as_bytes() != name_hash.as_ref() {
            reasons.push(format!(
                "serial {serial} of another issuer (its issuerNameHash is not the hash of {})",
                leaf.issuer
            ));
            continue;
        }
        if issuers.is_empty() {
            return Ok((single, None));
        }
        let by_key = issuers.iter().find(|issuer| {
            key_bits(&issuer.spki_der).is_some_and(|bits| {
                digest::digest(algorithm, &bits).as_ref() == id.issuer_key_hash.as_bytes()
            })
        });
        match by_key {
            Some(issuer) => return Ok((single, Some(issuer))),
            None => reasons.push(format!(
                "serial {serial} of another issuer (its issuerKeyHash is not the hash of the key of {})",
                issuers
                    .iter()
                    .map(|i| i.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }
    if reasons.is_empty() {
        return Err("it contains no certificate status at all".into());
    }
    Err(format!("it answers for {}", reasons.join("; ")))
}

/// Who signed the response.
enum Signer {
    /// The signature verifies with this certificate's key, which may sign for the leaf.
    Verified(String),
    /// The signature does not verify, or its signer may not sign for the leaf.
    Failed(String),
    /// Nothing is known (the issuer is not available, or the algorithm is not supported).
    Unchecked(String),
}

/// Checks the response's signature: by the leaf's issuer, or by a responder certificate included
/// in the response that the issuer signed for OCSPSigning and that is valid now.
fn check_signature(ctx: &Context<'_>, decoded: &Decoded, issuer: Option<&Issuer>) -> Signer {
    let basic = &decoded.response;
    let Some(issuer) = issuer else {
        return Signer::Unchecked(
            "the issuer of certificate 0 is not available to certcheck".into(),
        );
    };
    let algorithm = match basic.signature_algorithm.to_der() {
        Ok(der) => der,
        Err(e) => return Signer::Failed(format!("its signature algorithm is unreadable ({e})")),
    };
    let Some(signature) = basic.signature.as_bytes() else {
        return Signer::Failed("its signature is not a whole number of octets".into());
    };
    match verify(&issuer.spki_der, &algorithm, signature, &decoded.tbs) {
        SigCheck::Valid => return Signer::Verified(issuer.label.clone()),
        SigCheck::Unsupported(name) => {
            return Signer::Unchecked(format!("signature algorithm {name} is not supported"));
        }
        SigCheck::Invalid => {}
    }
    let included = basic.certs.as_deref().unwrap_or_default();
    for (n, cert) in included.iter().enumerate() {
        let Ok(der) = cert.to_der() else {
            continue;
        };
        let Ok(responder) = crate::chain::parse_certificate(&der) else {
            continue;
        };
        if verify(&responder.spki_der, &algorithm, signature, &decoded.tbs) != SigCheck::Valid {
            continue;
        }
        let who = format!(
            "the responder certificate {} (number {n} included in the response)",
            responder.subject
        );
        if !signed_by(&responder, &issuer.subject_raw, &issuer.spki_der) {
            return Signer::Failed(format!(
                "it is signed by {who}, which was not issued by {}, the issuer of certificate 0",
                issuer.label
            ));
        }
        let ocsp_signing = responder.has_ext_key_usage(usage::OCSP_SIGNING);
        if !ocsp_signing {
            return Signer::Failed(format!(
                "it is signed by {who}, which lacks the extendedKeyUsage OCSPSigning that a delegated responder needs"
            ));
        }
        if responder.not_after < ctx.now {
            return Signer::Failed(format!(
                "it is signed by {who}, which expired on {}",
                date(responder.not_after)
            ));
        }
        if responder.not_before > ctx.now {
            return Signer::Failed(format!(
                "it is signed by {who}, which is not valid until {}",
                date(responder.not_before)
            ));
        }
        return Signer::Verified(format!("{who}, a delegated responder of {}", issuer.label));
    }
    let others = match included.len() {
        0 => String::new(),
        1 => " nor with the certificate included in the response".into(),
        n => format!(" nor with any of the {n} certificates included in the response"),
    };
    Signer::Failed(format!(
        "its signature does not verify with the key of {}{others}",
        issuer.label
    ))
}

/// Verifies `signature` over `data` with the key `spki_der`, the algorithm given as a DER
/// AlgorithmIdentifier.
fn verify(spki_der: &[u8], algorithm_der: &[u8], signature: &[u8], data: &[u8]) -> SigCheck {
    let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(spki_der) else {
        return SigCheck::Unsupported("an unparsable key".into());
    };
    let Ok((_, algorithm)) = AlgorithmIdentifier::from_der(algorithm_der) else {
        return SigCheck::Unsupported("an unparsable signature algorithm".into());
    };
    let bits = x509_parser::asn1_rs::BitString::new(0, signature);
    match x509_parser::verify::verify_signature(&spki, &algorithm, &bits, data) {
        Ok(()) => SigCheck::Valid,
        Err(X509Error::SignatureUnsupportedAlgorithm) => {
            SigCheck::Unsupported(crate::chain::oid::oid_name(&algorithm.algorithm))
        }
        Err(_) => SigCheck::Invalid,
    }
}

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
    fn garbage_is_refused_with_a_reason() {
        let why = decode(b"not DER").err().unwrap_or_default();
        assert!(
            why.starts_with("it is not a valid DER OCSPResponse ("),
            "{why}"
        );
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn unsuccessful_status_is_named() {
        let der = OcspResponse::unauthorized().to_der().unwrap_or_default();
        assert_eq!(
            decode(&der).err().as_deref(),
            Some("its responseStatus is unauthorized and it carries no certificate status")
        );
    }

    #[test]
    fn serials_compare_as_integers() {
        assert!(same_serial(&[0x00, 0x8f, 0x01], &[0x8f, 0x01]));
        assert!(!same_serial(&[0x8f, 0x01], &[0x8f, 0x02]));
    }

    #[test]
    fn first_element_is_taken_verbatim() {
        // SEQUENCE { INTEGER 5, BOOLEAN TRUE }
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x01, 0x01, 0xff];
        assert_eq!(first_element(&der).ok(), Some(&der[2..5]));
        assert!(first_element(&[0x02, 0x01, 0x05]).is_err());
    }

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
