//! `revoked`, `ocsp-stale` and `ocsp-mismatch` from an OCSP response stapled by a server on
//! loopback.
//!
//! The responses are built honestly: the RFC 6960 structures of the `x509-ocsp` crate, the CertID
//! hashed with SHA-1 over the issuer's real name and key, and the tbsResponseData DER signed with
//! the intermediate's own key (`Authority::sign`) or a delegated responder's key (ring), exactly as
//! a CA's responder would.

use certcheck::demo::pki::{Authority, Leaf, Spec};
use certcheck::demo::server::TlsServer;
use ring::digest;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::der::asn1::{BitString, GeneralizedTime, Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspResponse, ResponderId,
    ResponseData, RevokedInfo, SingleResponse, Version,
};

use crate::support::{self, Pki, TestEnv, at, days, run_json, target};

const SHA1: &str = "1.3.14.3.2.26";

fn time(t: OffsetDateTime) -> OcspGeneralizedTime {
    let secs = u64::try_from(t.unix_timestamp()).expect("after 1970");
    OcspGeneralizedTime(
        GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))
            .expect("a GeneralizedTime"),
    )
}

fn parse(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("a certificate")
}

/// The SHA-1 CertID of `leaf` issued by `issuer`, as RFC 6960 section 4.1.1 defines it.
pub(crate) fn cert_id(issuer: &Authority, leaf: &Leaf) -> CertId {
    let issuer = parse(&issuer.der());
    let leaf = parse(&leaf.der);
    let name = issuer.tbs_certificate.subject.to_der().expect("name DER");
    let key = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(SHA1),
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(digest::digest(sha1, &name).as_ref()).expect("octets"),
        issuer_key_hash: OctetString::new(digest::digest(sha1, key).as_ref()).expect("octets"),
        serial_number: leaf.tbs_certificate.serial_number,
    }
}

/// One status for `cert_id`, valid from `this_update` to `next_update`.
pub(crate) fn single(
    cert_id: CertId,
    status: CertStatus,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> SingleResponse {
    SingleResponse {
        cert_id,
        cert_status: status,
        this_update: time(this_update),
        next_update: Some(time(next_update)),
        single_extensions: None,
    }
}

pub(crate) fn revoked(at: OffsetDateTime, reason: Option<CrlReason>) -> CertStatus {
    CertStatus::Revoked(RevokedInfo {
        revocation_time: time(at),
        revocation_reason: reason,
    })
}

/// A successful OCSPResponse whose BasicOCSPResponse is signed by `sign` (ecdsa-with-SHA256),
/// naming `responder` and carrying `certs`.
pub(crate) fn response(
    responder: &[u8],
    status: SingleResponse,
    certs: Option<Vec<Certificate>>,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let tbs = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByName(parse(responder).tbs_certificate.subject),
        produced_at: time(days(-1)),
        responses: vec![status],
        response_extensions: None,
    };
    let signature = sign(&tbs.to_der().expect("tbsResponseData DER"));
    let basic = BasicOcspResponse {
        tbs_response_data: tbs,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(Authority::SIGNATURE_ALGORITHM_OID),
            parameters: None,
        },
        signature: BitString::from_bytes(&signature).expect("bits"),
        certs,
    };
    OcspResponse::successful(basic)
        .expect("response bytes")
        .to_der()
        .expect("OCSPResponse DER")
}

/// A response signed by the intermediate, the leaf's issuer.
pub(crate) fn by_issuer(pki: &Pki, status: SingleResponse) -> Vec<u8> {
    response(&pki.inter.der(), status, None, |tbs| {
        pki.inter.sign(tbs).expect("signs")
    })
}

/// Serves the leaf and the intermediate, stapling `ocsp`.
fn serve_stapled(pki: &Pki, leaf: &Leaf, ocsp: Vec<u8>) -> TlsServer {
    TlsServer::start_with_ocsp(
        vec![leaf.der.clone(), pki.inter.der()],
        leaf.key_der.clone(),
        ocsp,
    )
    .expect("server starts")
}

fn ocsp_codes(result: &support::contract::TargetResult) -> Vec<&str> {
    result
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| ["revoked", "ocsp-stale", "ocsp-mismatch"].contains(c))
        .collect()
}

#[test]
fn revoked_names_the_certificate_time_and_reason() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["revoked.test"]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        revoked(days(-10), Some(CrlReason::KeyCompromise)),
        days(-1),
        days(6),
    );
    let server = serve_stapled(&pki, &leaf, by_issuer(&pki, status));
    let env = TestEnv::new(&pki);
    // GnuTLS, wget, Chromium and Firefox read the staple by default and refuse; the others check it only when
    // told to (curl --cert-status; Java with com.sun.net.ssl.checkRevocation=true, without which
    // `PKIXValidator.addResponses` drops the responses).
    let report = run_json(&mut env.check(&target("revoked.test", &server), &server), 1);
    let result = &report.results[0];
    assert!(result.client("java").accepted);
    assert!(result.client("curl").accepted);
    let gnutls = result.client("gnutls");
    assert!(!gnutls.accepted);
    assert_eq!(
        gnutls.error.as_deref(),
        Some("The certificate is NOT trusted. The certificate chain is revoked.")
    );
    assert_eq!(
        result.client("chrome").error.as_deref(),
        Some("net::ERR_CERT_REVOKED")
    );
    assert_eq!(
        result.client("firefox").error.as_deref(),
        Some("SEC_ERROR_REVOKED_CERTIFICATE")
    );
    let wget = result.client("wget");
    assert!(
        wget.error
            .as_deref()
            .is_some_and(|e| e.ends_with("has been revoked.")),
        "{wget:?}"
    );
    assert!(result.tls.as_ref().expect("tls").ocsp_stapled);
    assert_eq!(ocsp_codes(result), ["revoked"], "{:#?}", result.findings);
    let finding = result.finding("revoked");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "error");
    assert_eq!(
        finding.message,
        "certificate 0 (CN=revoked.test) was revoked on 2029-12-22T00:00:00Z (reason: keyCompromise), according to the OCSP response the server staples (produced 2029-12-31T00:00:00Z, signed by certificate 1 (CN=Test Intermediate CA))"
    );
    assert!(finding.hint.contains("stapling cache"), "{}", finding.hint);
    assert!(!result.store("custom").trusted);
    assert_eq!(result.store("custom").error.as_deref(), Some("revoked"));
}

#[test]
fn revoked_without_a_reason_says_so() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["noreason.test"]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        revoked(days(-3), None),
        days(-1),
        days(6),
    );
    let server = serve_stapled(&pki, &leaf, by_issuer(&pki, status));
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&target("noreason.test", &server), &server),
        1,
    );
    let finding = report.results[0].finding("revoked");
    assert!(
        finding.message.starts_with(
            "certificate 0 (CN=noreason.test) was revoked on 2029-12-29T00:00:00Z (no reason given)"
        ),
        "{}",
        finding.message
    );
}

#[test]
fn good_status_gives_no_finding() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["good.test"]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        CertStatus::good(),
        days(-1),
        days(6),
    );
    let server = serve_stapled(&pki, &leaf, by_issuer(&pki, status));
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("good.test", &server), &server), 0);
    let result = &report.results[0];
    assert!(result.tls.as_ref().expect("tls").ocsp_stapled);
    assert!(ocsp_codes(result).is_empty(), "{:#?}", result.findings);
    assert!(result.store("custom").trusted);
}

#[test]
fn no_staple_reports_not_stapled_and_nothing_else() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["plain.test"]);
    let server = support::serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("plain.test", &server), &server), 0);
    let result = &report.results[0];
    assert!(!result.tls.as_ref().expect("tls").ocsp_stapled);
    assert!(ocsp_codes(result).is_empty(), "{:#?}", result.findings);
}

#[test]
fn expired_staple_is_stale() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["stale.test"]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        CertStatus::good(),
        days(-14),
        days(-7),
    );
    let server = serve_stapled(&pki, &leaf, by_issuer(&pki, status));
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("stale.test", &server), &server), 4);
    let result = &report.results[0];
    assert_eq!(ocsp_codes(result), ["ocsp-stale"], "{:#?}", result.findings);
    let finding = result.finding("ocsp-stale");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "warning");
    assert!(
        finding.message.starts_with(
            "the OCSP response the server staples for certificate 0 (CN=stale.test) expired at its nextUpdate 2029-12-25T00:00:00Z, 7 days ago (thisUpdate 2029-12-18T00:00:00Z)"
        ),
        "{}",
        finding.message
    );
}

#[test]
fn staple_from_the_future_is_stale() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["future.test"]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        CertStatus::good(),
        days(2),
        days(9),
    );
    let server = serve_stapled(&pki, &leaf, by_issuer(&pki, status));
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("future.test", &server), &server), 4);
    let finding = report.results[0].finding("ocsp-stale");
    assert!(
        finding
            .message
            .contains("is not valid until its thisUpdate 2030-01-03T00:00:00Z, in 2 days"),
        "{}",
        finding.message
    );
}

#[test]
fn staple_for_another_certificate_is_a_mismatch() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["served.test"]);
    let other = pki.leaf(&["other.test"]);
    let other_serial = parse(&other.der).tbs_certificate.serial_number;
    let status = single(
        cert_id(&pki.inter, &other),
        revoked(days(-10), Some(CrlReason::Superseded)),
        days(-1),
        days(6),
    );
    let server = serve_stapled(&pki, &leaf, by_issuer(&pki, status));
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("served.test", &server), &server), 4);
    let result = &report.results[0];
    assert_eq!(
        ocsp_codes(result),
        ["ocsp-mismatch"],
        "{:#?}",
        result.findings
    );
    let finding = result.finding("ocsp-mismatch");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "warning");
    let leaf_serial = &result.chain[0].serial;
    let other_hex: String = other_serial
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        finding.message.starts_with(
            "the stapled OCSP response does not cover certificate 0 (CN=served.test) (serial "
        ),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .ends_with(&format!("it answers for serial {other_hex}")),
        "{} (leaf serial {leaf_serial})",
        finding.message
    );
}

#[test]
fn staple_signed_by_another_key_is_a_mismatch() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["forged.test"]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        revoked(days(-10), Some(CrlReason::KeyCompromise)),
        days(-1),
        days(6),
    );
    // Names the intermediate as responder, but signed by an unrelated CA's key.
    let ocsp = response(&pki.inter.der(), status, None, |tbs| {
        pki.other_root.sign(tbs).expect("signs")
    });
    let server = serve_stapled(&pki, &leaf, ocsp);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("forged.test", &server), &server), 4);
    let result = &report.results[0];
    assert_eq!(
        ocsp_codes(result),
        ["ocsp-mismatch"],
        "{:#?}",
        result.findings
    );
    assert_eq!(
        result.finding("ocsp-mismatch").message,
        "the stapled OCSP response for certificate 0 (CN=forged.test) (status revoked on 2029-12-22T00:00:00Z, reason: keyCompromise) cannot be trusted: its signature does not verify with the key of certificate 1 (CN=Test Intermediate CA)"
    );
}

/// A delegated responder: a certificate issued by the intermediate with `eku`, and its key as a
/// ring signer.
fn responder(
    pki: &Pki,
    eku: Vec<rcgen::ExtendedKeyUsagePurpose>,
) -> (Leaf, ring::signature::EcdsaKeyPair) {
    let mut spec = Spec::leaf(&[], at());
    spec.common_name = "Test OCSP Responder".into();
    spec.eku = eku;
    let cert = pki.leaf_with(spec);
    let key = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &cert.key_der,
        &ring::rand::SystemRandom::new(),
    )
    .expect("responder key");
    (cert, key)
}

fn by_responder(
    responder: &Leaf,
    key: &ring::signature::EcdsaKeyPair,
    status: SingleResponse,
) -> Vec<u8> {
    response(
        &responder.der,
        status,
        Some(vec![parse(&responder.der)]),
        |tbs| {
            key.sign(&ring::rand::SystemRandom::new(), tbs)
                .expect("signs")
                .as_ref()
                .to_vec()
        },
    )
}

#[test]
fn delegated_responder_signature_is_accepted() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["delegated.test"]);
    let (cert, key) = responder(&pki, vec![rcgen::ExtendedKeyUsagePurpose::OcspSigning]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        revoked(days(-10), Some(CrlReason::CessationOfOperation)),
        days(-1),
        days(6),
    );
    let server = serve_stapled(&pki, &leaf, by_responder(&cert, &key, status));
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&target("delegated.test", &server), &server),
        1,
    );
    let result = &report.results[0];
    assert_eq!(ocsp_codes(result), ["revoked"], "{:#?}", result.findings);
    assert_eq!(
        result.finding("revoked").message,
        "certificate 0 (CN=delegated.test) was revoked on 2029-12-22T00:00:00Z (reason: cessationOfOperation), according to the OCSP response the server staples (produced 2029-12-31T00:00:00Z, signed by the responder certificate CN=Test OCSP Responder (number 0 included in the response), a delegated responder of certificate 1 (CN=Test Intermediate CA))"
    );
}

#[test]
fn responder_without_ocsp_signing_is_a_mismatch() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["noeku.test"]);
    let (cert, key) = responder(&pki, vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth]);
    let status = single(
        cert_id(&pki.inter, &leaf),
        CertStatus::good(),
        days(-1),
        days(6),
    );
    let server = serve_stapled(&pki, &leaf, by_responder(&cert, &key, status));
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("noeku.test", &server), &server), 4);
    let result = &report.results[0];
    assert_eq!(
        ocsp_codes(result),
        ["ocsp-mismatch"],
        "{:#?}",
        result.findings
    );
    assert!(
        result
            .finding("ocsp-mismatch")
            .message
            .ends_with("cannot be trusted: it is signed by the responder certificate CN=Test OCSP Responder (number 0 included in the response), which lacks the extendedKeyUsage OCSPSigning that a delegated responder needs"),
        "{}",
        result.finding("ocsp-mismatch").message
    );
}

#[test]
fn garbage_staple_is_a_mismatch_not_a_crash() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["garbage.test"]);
    let server = serve_stapled(&pki, &leaf, b"\x30\x03\x0a\x01".to_vec());
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("garbage.test", &server), &server), 4);
    let result = &report.results[0];
    assert!(result.tls.as_ref().expect("tls").ocsp_stapled);
    assert_eq!(
        ocsp_codes(result),
        ["ocsp-mismatch"],
        "{:#?}",
        result.findings
    );
    let finding = result.finding("ocsp-mismatch");
    assert_eq!(finding.certificate, Some(0));
    assert!(
        finding.message.starts_with(
            "the server staples an OCSP response for certificate 0 (CN=garbage.test) that cannot be used: it is not a valid DER OCSPResponse ("
        ),
        "{}",
        finding.message
    );
}

#[test]
fn try_later_staple_is_a_mismatch() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["trylater.test"]);
    let ocsp = OcspResponse::try_later().to_der().expect("DER");
    let server = serve_stapled(&pki, &leaf, ocsp);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&target("trylater.test", &server), &server),
        4,
    );
    assert!(
        report.results[0]
            .finding("ocsp-mismatch")
            .message
            .ends_with("cannot be used: its responseStatus is tryLater and it carries no certificate status"),
        "{:#?}",
        report.results[0].findings
    );
}
