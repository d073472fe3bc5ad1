//! `--check-revocation`: the OCSP response or CRL of every presented certificate, fetched as a
//! client that checks revocation would, between capture and evaluation, for `run/live.rs` and
//! `inspect --fetch`.
//!
//! Each presented certificate that is not self-signed and whose issuer is known (the next
//! certificate of the chain, an `--untrusted` or fetched AIA certificate, or an anchor of a
//! store, by name and signature) is asked about once: by OCSP when it names an http AIA OCSP URL
//! (an RFC 6960 `OCSPRequest` with a SHA-1 CertID, sent by `POST` as
//! `application/ocsp-request`), else by its first http CRL distribution point (`GET`), as
//! browsers and most tools prefer OCSP. All of a target's requests run at once, each bounded like
//! an AIA fetch and all of them by `--timeout`; every fetch is a record, and what came back is
//! judged by `diagnose` (`revoked`, `ocsp-stale`, `ocsp-mismatch`, `crl-stale`, `crl-unusable`).

use ring::digest;
use x509_cert::der::Encode;
use x509_cert::der::asn1::{Null, ObjectIdentifier, OctetString};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{CertId, OcspRequest, Request, TbsRequest, Version};
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};

use super::aia::FetchRoute;
use crate::chain::{CertInfo, Chain};
use crate::connect::fetch::{FetchPurpose, FetchRecord, FetchRequest, fetch};
use crate::diagnose::paths::signed_by;
use crate::diagnose::{StatusKind, StatusResponse};
use crate::evaluate::{Fetched, Pool};
use crate::trust::TrustStore;

/// The most revocation fetches for one target.
pub const MAX_STATUS_FETCHES: usize = 8;

/// SHA-1, the hash of the CertID every responder answers for (RFC 5019 §2.1.1).
const SHA1_OID: &str = "1.3.14.3.2.26";

/// The first http URL of `urls`.
fn http_url(urls: &[String]) -> Option<&str> {
    urls.iter()
        .find(|u| {
            u.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        })
        .map(String::as_str)
}

/// The SubjectPublicKeyInfo of a certificate that issued `cert`: presented, `--untrusted`,
/// fetched (AIA) or an anchor.
fn issuer_key(
    chain: &Chain,
    pools: &[&Pool],
    stores: &[TrustStore],
    cert: &CertInfo,
) -> Option<Vec<u8>> {
    let presented = chain
        .certs
        .iter()
        .filter_map(|c| c.info())
        .map(|c| (&c.subject_raw, &c.spki_der));
    let pooled = pools
        .iter()
        .flat_map(|p| p.infos.iter())
        .map(|c| (&c.subject_raw, &c.spki_der));
    let anchors = stores
        .iter()
        .flat_map(|s| s.anchors_named(&cert.issuer_raw))
        .map(|a| (&a.subject_raw, &a.spki_der));
    presented
        .chain(pooled)
        .chain(anchors)
        .find(|(subject, spki)| signed_by(cert, subject, spki))
        .map(|(_, spki)| spki.clone())
}

/// The DER `OCSPRequest` for `cert` issued by the key `issuer_spki`.
fn ocsp_request(cert: &CertInfo, issuer_spki: &[u8]) -> Option<Vec<u8>> {
    let serial = X509Certificate::from_der(&cert.der)
        .ok()?
        .1
        .tbs_certificate
        .raw_serial()
        .to_vec();
    let (_, spki) = SubjectPublicKeyInfo::from_der(issuer_spki).ok()?;
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    let cert_id = CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new(SHA1_OID).ok()?,
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(digest::digest(sha1, &cert.issuer_raw).as_ref()).ok()?,
        issuer_key_hash: OctetString::new(
            digest::digest(sha1, &spki.subject_public_key.data).as_ref(),
        )
        .ok()?,
        serial_number: SerialNumber::new(&serial).ok()?,
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .ok()
}

/// Fetches the OCSP response or CRL of every presented certificate (see the module's
/// documentation) and adds the records and bodies to `fetched`.
pub async fn fetch_statuses(
    chain: &Chain,
    pool: &Pool,
    stores: &[TrustStore],
    route: &FetchRoute,
    fetched: &mut Fetched,
) {
    let mut wanted: Vec<(usize, StatusKind, FetchRequest)> = Vec::new();
    for (index, cert) in chain.parsed() {
        if cert.self_signed || wanted.len() == MAX_STATUS_FETCHES {
            continue;
        }
        let key = issuer_key(chain, &[pool, &fetched.pool], stores, cert);
        let ocsp =
            http_url(&cert.ocsp_urls).zip(key.as_deref().and_then(|k| ocsp_request(cert, k)));
        let (url, kind, purpose, post) = match (ocsp, http_url(&cert.crl_urls)) {
            (Some((url, body)), _) => (
                url,
                StatusKind::Ocsp,
                FetchPurpose::Ocsp,
                Some(("application/ocsp-request", body)),
            ),
            (None, Some(url)) => (url, StatusKind::Crl, FetchPurpose::Crl, None),
            (None, None) => continue,
        };
        wanted.push((
            index,
            kind,
            FetchRequest {
                url: url.to_string(),
                purpose,
                timeout: route.timeout.min(route.budget),
                proxy: route.proxy.clone(),
                family: route.family,
                post,
            },
        ));
    }
    let all = futures_util::future::join_all(wanted.iter().map(|(_, _, r)| fetch(r))).await;
    for ((index, kind, _), done) in wanted.into_iter().zip(all) {
        let record: FetchRecord = done.record;
        if let Some(body) = done.body {
            fetched.statuses.push(StatusResponse {
                index,
                url: record.url.clone(),
                kind,
                body,
            });
        }
        fetched.records.push(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_taken() {
        let urls = vec!["ldap://x/".to_string(), "HTTP://ocsp.test/".to_string()];
        assert_eq!(http_url(&urls), Some("HTTP://ocsp.test/"));
        assert_eq!(http_url(&urls[..1]), None);
    }
}
