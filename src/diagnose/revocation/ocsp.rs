//! Decoding a stapled OCSP response and checking it: the SingleResponse for the leaf (CertID
//! hashed as the responder hashed it) and the response's signature, by the leaf's issuer or a
//! delegated responder the issuer signed for OCSPSigning.

use ring::digest;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_ocsp::{BasicOcspResponse, CertId, OcspResponse, OcspResponseStatus, SingleResponse};
use x509_parser::prelude::{
    AlgorithmIdentifier, FromDer, SubjectPublicKeyInfo, X509Certificate, X509Error,
};

use super::super::Context;
use super::super::paths::signed_by;
use super::super::text::{date, label};
use crate::chain::signature::SigCheck;
use crate::chain::{CertInfo, hex, usage};

pub(super) struct Decoded {
    /// The basic response.
    pub(super) response: BasicOcspResponse,
    tbs: Vec<u8>,
}

/// Decodes an `OCSPResponse` down to its basic response, or says why it cannot be used.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, String> {
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
pub(super) fn first_element(bytes: &[u8]) -> x509_cert::der::Result<&[u8]> {
    let mut reader = SliceReader::new(bytes)?;
    let header = x509_cert::der::Header::decode(&mut reader)?;
    header.tag.assert_eq(x509_cert::der::Tag::Sequence)?;
    reader.tlv_bytes()
}

/// RFC 6960 names of the response statuses.
pub(super) fn response_status(status: OcspResponseStatus) -> &'static str {
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
pub(super) struct Issuer {
    /// For sentences: `certificate 1 (CN=...)`, `the trust anchor CN=... in store system`.
    pub(super) label: String,
    pub(super) subject_raw: Vec<u8>,
    pub(super) spki_der: Vec<u8>,
}

/// Every certificate known here that issued `leaf` (any certificate of the chain) (by name and signature): presented,
/// `--untrusted`, or an anchor of a store. Distinct keys only.
pub(super) fn issuers(ctx: &Context<'_>, leaf: &CertInfo) -> Vec<Issuer> {
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
pub(super) fn hash_algorithm(cert_id: &CertId) -> Option<&'static digest::Algorithm> {
    match cert_id.hash_algorithm.oid.to_string().as_str() {
        "1.3.14.3.2.26" => Some(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        "2.16.840.1.101.3.4.2.1" => Some(&digest::SHA256),
        "2.16.840.1.101.3.4.2.2" => Some(&digest::SHA384),
        "2.16.840.1.101.3.4.2.3" => Some(&digest::SHA512),
        _ => None,
    }
}

/// The subjectPublicKey bits of a SubjectPublicKeyInfo (what a CertID's issuerKeyHash hashes).
pub(super) fn key_bits(spki_der: &[u8]) -> Option<Vec<u8>> {
    SubjectPublicKeyInfo::from_der(spki_der)
        .ok()
        .map(|(_, spki)| spki.subject_public_key.data.to_vec())
}

/// Serial numbers compare as integers: leading zero octets do not count.
pub(super) fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let strip = |s: &[u8]| -> Vec<u8> { s.iter().copied().skip_while(|b| *b == 0).collect() };
    strip(a) == strip(b)
}

/// The SingleResponse for the leaf, with the issuer its CertID names (when the issuer is known),
/// or why none is.
pub(super) fn find_single<'r, 'i>(
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
pub(super) enum Signer {
    /// The signature verifies with this certificate's key, which may sign for the leaf.
    Verified(String),
    /// The signature does not verify, or its signer may not sign for the leaf.
    Failed(String),
    /// Nothing is known (the issuer is not available, or the algorithm is not supported).
    Unchecked(String),
}

/// Checks the response's signature: by the leaf's issuer, or by a responder certificate included
/// in the response that the issuer signed for OCSPSigning and that is valid now.
pub(super) fn check_signature(
    ctx: &Context<'_>,
    decoded: &Decoded,
    issuer: Option<&Issuer>,
    index: usize,
) -> Signer {
    let basic = &decoded.response;
    let Some(issuer) = issuer else {
        return Signer::Unchecked(format!(
            "the issuer of certificate {index} is not available to certcheck"
        ));
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
                "it is signed by {who}, which was not issued by {}, the issuer of certificate {index}",
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
pub(super) fn verify(
    spki_der: &[u8],
    algorithm_der: &[u8],
    signature: &[u8],
    data: &[u8],
) -> SigCheck {
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

#[cfg(test)]
mod tests {
    use x509_cert::der::Encode;

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
}
