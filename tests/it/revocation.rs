//! `--check-revocation`: a TLS server on loopback sends a leaf that names an OCSP URL or a CRL
//! distribution point on a small HTTP responder on loopback (the CA's responder: the peer, not
//! the thing under test), which counts its connections, records each request and answers each
//! path with a real OCSP response (built and signed as in `ocsp.rs`) or a real CRL (rcgen, signed
//! with the intermediate's key).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use certcheck::demo::pki::{Authority, RevokedEntry, Spec};
use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{CertStatus, OcspRequest};

use crate::ocsp::{by_issuer, cert_id, revoked, single};
use crate::support::contract::TargetResult;
use crate::support::{Pki, TestEnv, at, days, run_json, serve};

/// Each path's answer: its `Content-Type` and body.
type Answers = HashMap<String, (&'static str, Vec<u8>)>;

/// One request the responder saw: method, Content-Type, body.
type Seen = (String, Option<String>, Vec<u8>);

/// An HTTP/1.1 responder on 127.0.0.1 that counts its connections and records its requests.
struct Responder {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    answers: Arc<Mutex<Answers>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Responder {
    fn start() -> Responder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let connections = Arc::new(AtomicUsize::new(0));
        let answers: Arc<Mutex<Answers>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (count, table, log) = (connections.clone(), answers.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (table, log) = (table.clone(), log.clone());
                std::thread::spawn(move || answer(stream, &table, &log));
            }
        });
        Responder {
            addr,
            connections,
            answers,
            seen,
        }
    }

    /// `http://127.0.0.1:PORT{path}`, answered with 200, `kind` and `body`.
    fn serve(&self, path: &str, kind: &'static str, body: Vec<u8>) -> String {
        self.answers
            .lock()
            .expect("answers")
            .insert(path.to_string(), (kind, body));
        format!("http://{}{path}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

fn answer(mut stream: TcpStream, table: &Mutex<Answers>, log: &Mutex<Vec<Seen>>) {
    let Some(head) = crate::support::request_head(&mut stream) else {
        return;
    };
    let text = String::from_utf8_lossy(&head).to_string();
    let mut lines = text.lines();
    let line = lines.next().unwrap_or("").to_string();
    let mut length = 0;
    let mut kind = None;
    for header in lines {
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "content-type" => kind = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).is_err() {
        return;
    }
    let method = line.split(' ').next().unwrap_or("").to_string();
    let path = line.split(' ').nth(1).unwrap_or("").to_string();
    log.lock().expect("log").push((method, kind, body));
    let found = table.lock().ok().and_then(|t| t.get(&path).cloned());
    let _ = match found {
        None => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
        Some((kind, body)) => stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|()| stream.write_all(&body)),
    };
}

/// Serves `leaf` (for `name`) and the intermediate, and checks it with `extra` flags.
fn check(pki: &Pki, name: &str, spec: Spec, extra: &[&str], code: i32) -> TargetResult {
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(pki);
    let mut cmd = env.check(&format!("{name}:{}", server.addr.port()), &server);
    cmd.args(extra);
    run_json(&mut cmd, code).results.remove(0)
}

/// The serial of a DER certificate, as its INTEGER content.
fn serial(der: &[u8]) -> Vec<u8> {
    Certificate::from_der(der)
        .expect("a certificate")
        .tbs_certificate
        .serial_number
        .as_bytes()
        .to_vec()
}

fn revocation_codes(result: &TargetResult) -> Vec<&str> {
    result
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| {
            [
                "revoked",
                "ocsp-stale",
                "ocsp-mismatch",
                "crl-stale",
                "crl-unusable",
            ]
            .contains(c)
        })
        .collect()
}

/// The leaf is made first (its serial goes into the OCSP response), then served.
fn check_leaf(
    pki: &Pki,
    leaf: &certcheck::demo::pki::Leaf,
    name: &str,
    extra: &[&str],
    code: i32,
) -> TargetResult {
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], leaf);
    let env = TestEnv::new(pki);
    let mut cmd = env.check(&format!("{name}:{}", server.addr.port()), &server);
    cmd.args(extra);
    run_json(&mut cmd, code).results.remove(0)
}

#[test]
fn a_revoked_leaf_by_ocsp_is_an_error_that_no_client_notices() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/ocsp", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["ocsp.test"], at()).ocsp(&url));
    let status = single(
        cert_id(&pki.inter, &leaf),
        revoked(days(-10), Some(CrlReason::KeyCompromise)),
        days(-1),
        days(6),
    );
    responder.serve(
        "/ocsp",
        "application/ocsp-response",
        by_issuer(&pki, status),
    );
    let result = check_leaf(&pki, &leaf, "ocsp.test", &["--check-revocation"], 1);
    assert_eq!(
        revocation_codes(&result),
        ["revoked"],
        "{:#?}",
        result.findings
    );
    let finding = result.finding("revoked");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "error");
    let message = format!(
        "certificate 0 (CN=ocsp.test) was revoked on 2029-12-22T00:00:00Z (reason: keyCompromise), according to the OCSP response from {url} (produced 2029-12-31T00:00:00Z, signed by certificate 1 (CN=Test Intermediate CA))"
    );
    assert_eq!(finding.message, message);
    assert_eq!(result.status, "error");
    assert_eq!(
        result.verdict,
        format!(
            "REVOKED: {message}; all 12 clients will still connect (none of them checks revocation)"
        )
    );
    // No client fetches OCSP: each still connects, and says why.
    let curl = result.client("curl");
    assert!(curl.accepted);
    assert_eq!(
        curl.hint.as_deref(),
        Some(
            "curl checks only a stapled OCSP response, and only with --cert-status: it does not notice that the certificate is revoked and connects."
        )
    );
    let python = result.client("python-requests");
    assert!(python.accepted);
    assert!(
        python
            .hint
            .as_deref()
            .is_some_and(|h| h.starts_with("python-requests fetches no OCSP response or CRL")),
        "{python:?}"
    );
    assert!(result.client("gnutls").accepted);
    // The fetch: one POST of an RFC 6960 request for the leaf's serial.
    assert_eq!(result.fetched.len(), 1, "{:#?}", result.fetched);
    let fetch = &result.fetched[0];
    assert_eq!(fetch.url, url);
    assert_eq!(fetch.purpose, "ocsp");
    assert_eq!(fetch.outcome, "ok");
    assert_eq!(fetch.status, Some(200));
    assert_eq!(
        fetch.content_type.as_deref(),
        Some("application/ocsp-response")
    );
    let seen = responder.seen();
    assert_eq!(seen.len(), 1);
    let (method, kind, body) = &seen[0];
    assert_eq!(method, "POST");
    assert_eq!(kind.as_deref(), Some("application/ocsp-request"));
    let request = OcspRequest::from_der(body).expect("an OCSPRequest");
    let asked = &request.tbs_request.request_list[0].req_cert;
    assert_eq!(asked, &cert_id(&pki.inter, &leaf));
}

#[test]
fn a_good_ocsp_status_is_no_finding() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/good", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["good.test"], at()).ocsp(&url));
    // Dated a minute after certcheck's now, as a responder whose clock runs a little ahead
    // dates a fresh response: within the 5 minutes of skew allowed, so not ocsp-stale.
    let status = single(
        cert_id(&pki.inter, &leaf),
        CertStatus::Good(x509_cert::der::asn1::Null),
        at() + time::Duration::minutes(1),
        days(6),
    );
    responder.serve(
        "/good",
        "application/ocsp-response",
        by_issuer(&pki, status),
    );
    let result = check_leaf(&pki, &leaf, "good.test", &["--check-revocation"], 0);
    assert!(
        revocation_codes(&result).is_empty(),
        "{:#?}",
        result.findings
    );
    assert_eq!(result.status, "ok");
    assert_eq!(result.fetched.len(), 1);
    assert_eq!(result.fetched[0].purpose, "ocsp");
    assert_eq!(result.fetched[0].outcome, "ok");
    assert!(result.client("curl").hint.is_none());
}

/// A CRL by `signer` for the intermediate's leaves, listing `leaf` when `listed`.
fn crl(signer: &Authority, leaf: &[u8], listed: bool, valid: (i64, i64)) -> Vec<u8> {
    let entries = if listed {
        vec![RevokedEntry {
            serial: serial(leaf),
            at: days(-4),
            reason: Some(rcgen::RevocationReason::KeyCompromise),
        }]
    } else {
        Vec::new()
    };
    signer
        .crl(days(valid.0), days(valid.1), &entries)
        .expect("a CRL")
}

#[test]
fn a_revoked_leaf_by_crl_names_the_crl_and_its_signer() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/inter.crl", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["crl.test"], at()).crl(&url));
    responder.serve(
        "/inter.crl",
        "application/pkix-crl",
        crl(&pki.inter, &leaf.der, true, (-1, 6)),
    );
    let result = check_leaf(&pki, &leaf, "crl.test", &["--check-revocation"], 1);
    assert_eq!(
        revocation_codes(&result),
        ["revoked"],
        "{:#?}",
        result.findings
    );
    let finding = result.finding("revoked");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        format!(
            "certificate 0 (CN=crl.test) was revoked on 2029-12-28T00:00:00Z (reason: keyCompromise), according to the CRL from {url} (thisUpdate 2029-12-31T00:00:00Z, signed by certificate 1 (CN=Test Intermediate CA))"
        )
    );
    assert_eq!(result.fetched.len(), 1);
    assert_eq!(result.fetched[0].purpose, "crl");
    assert_eq!(result.seen_methods(&responder), ["GET"]);
    // With --client, the clients that decide are named.
    let result = check_leaf(
        &pki,
        &leaf,
        "crl.test",
        &["--check-revocation", "--client", "curl", "--client", "go"],
        1,
    );
    assert_eq!(
        result.verdict,
        format!(
            "REVOKED: {}; curl, go will still connect (none of them checks revocation)",
            result.finding("revoked").message
        )
    );
}

impl TargetResult {
    fn seen_methods(&self, responder: &Responder) -> Vec<String> {
        responder.seen().into_iter().map(|(m, _, _)| m).collect()
    }
}

#[test]
fn a_crl_signed_by_another_key_is_refused_not_believed() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/forged.crl", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["forged.test"], at()).crl(&url));
    // Same name as the intermediate, another key.
    let impostor = Authority::root(&Spec::ca("Test Intermediate CA", at())).expect("impostor");
    responder.serve(
        "/forged.crl",
        "application/pkix-crl",
        crl(&impostor, &leaf.der, true, (-1, 6)),
    );
    let result = check_leaf(&pki, &leaf, "forged.test", &["--check-revocation"], 4);
    assert_eq!(
        revocation_codes(&result),
        ["crl-unusable"],
        "{:#?}",
        result.findings
    );
    let finding = result.finding("crl-unusable");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "warning");
    assert_eq!(
        finding.message,
        format!(
            "the CRL from {url} for certificate 0 (CN=forged.test) (it lists the certificate as revoked on 2029-12-28T00:00:00Z) cannot be trusted: its signature does not verify with the key of certificate 1 (CN=Test Intermediate CA)"
        )
    );
    assert_eq!(result.status, "warning");
}

#[test]
fn a_stale_crl_is_crl_stale() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/old.crl", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["stale.test"], at()).crl(&url));
    responder.serve(
        "/old.crl",
        "application/pkix-crl",
        crl(&pki.inter, &leaf.der, false, (-9, -2)),
    );
    let result = check_leaf(&pki, &leaf, "stale.test", &["--check-revocation"], 4);
    assert_eq!(
        revocation_codes(&result),
        ["crl-stale"],
        "{:#?}",
        result.findings
    );
    let finding = result.finding("crl-stale");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        format!(
            "the CRL from {url} for certificate 0 (CN=stale.test) expired at its nextUpdate 2029-12-30T00:00:00Z, 2 days ago (thisUpdate 2029-12-23T00:00:00Z); a client that checks CRLs cannot use it"
        )
    );
}

#[test]
fn an_unreachable_responder_is_a_fetch_record_not_an_abort() {
    let pki = Pki::new();
    // A port nothing listens on any more.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port");
    let url = format!("http://{closed}/ocsp");
    let result = check(
        &pki,
        "down.test",
        Spec::leaf(&["down.test"], at()).ocsp(&url),
        &["--check-revocation"],
        0,
    );
    assert!(
        revocation_codes(&result).is_empty(),
        "{:#?}",
        result.findings
    );
    assert_eq!(result.status, "ok");
    assert_eq!(result.fetched.len(), 1, "{:#?}", result.fetched);
    assert_eq!(result.fetched[0].url, url);
    assert_eq!(result.fetched[0].purpose, "ocsp");
    assert_eq!(result.fetched[0].outcome, "connect-failed");
}

#[test]
fn nothing_is_fetched_without_check_revocation_or_with_offline() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/ocsp", responder.addr);
    for extra in [&[][..], &["--check-revocation", "--offline"][..]] {
        let result = check(
            &pki,
            "quiet.test",
            Spec::leaf(&["quiet.test"], at()).ocsp(&url),
            extra,
            0,
        );
        assert!(
            result.fetched.is_empty(),
            "{extra:?}: {:#?}",
            result.fetched
        );
        assert!(revocation_codes(&result).is_empty());
    }
    assert_eq!(responder.connections(), 0);
}

#[test]
fn the_human_report_lists_the_fetch() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/inter.crl", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["human.test"], at()).crl(&url));
    responder.serve(
        "/inter.crl",
        "application/pkix-crl",
        crl(&pki.inter, &leaf.der, true, (-1, 6)),
    );
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.arg("--ca-file")
        .arg(&env.root_file)
        .arg("--connect-to")
        .arg(server.addr.to_string())
        .arg(format!("human.test:{}", server.addr.port()))
        .arg("--check-revocation");
    let output = cmd.output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("fetched (CRL): {url} ok"))),
        "{text}"
    );
    assert!(text.contains("will still connect"), "{text}");
}

#[test]
fn an_intermediate_is_asked_about_too_and_its_issuer_is_the_anchor() {
    let root = Authority::root(&Spec::ca("Test Root CA", at())).expect("root");
    let responder = Responder::start();
    let url = format!("http://{}/root-ocsp", responder.addr);
    let inter = root
        .intermediate(&Spec::ca("Test Intermediate CA", at()).ocsp(&url))
        .expect("intermediate");
    let other_root = Authority::root(&Spec::ca("Unrelated System Root", at())).expect("root");
    let pki = Pki {
        root,
        inter,
        other_root,
    };
    // The intermediate as the "leaf" of the CertID: its serial, the root's name and key.
    let inter_cert = certcheck::demo::pki::Leaf {
        der: pki.inter.der(),
        key_der: Vec::new(),
    };
    let status = single(
        cert_id(&pki.root, &inter_cert),
        revoked(days(-2), Some(CrlReason::CaCompromise)),
        days(-1),
        days(6),
    );
    let signed = crate::ocsp::response(&pki.root.der(), status, None, |tbs| {
        pki.root.sign(tbs).expect("signs")
    });
    responder.serve("/root-ocsp", "application/ocsp-response", signed);
    let result = check(
        &pki,
        "inter.test",
        Spec::leaf(&["inter.test"], at()),
        &["--check-revocation"],
        1,
    );
    let finding = result.finding("revoked");
    assert_eq!(finding.certificate, Some(1));
    assert_eq!(
        finding.message,
        format!(
            "certificate 1 (CN=Test Intermediate CA) was revoked on 2029-12-30T00:00:00Z (reason: cACompromise), according to the OCSP response from {url} (produced 2029-12-31T00:00:00Z, signed by the trust anchor CN=Test Root CA of store custom ({}))",
            result.store("custom").source
        )
    );
    assert_eq!(result.fetched.len(), 1, "{:#?}", result.fetched);
}

#[test]
fn inspect_checks_revocation_only_with_fetch() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/inter.crl", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["file.test"], at()).crl(&url));
    responder.serve(
        "/inter.crl",
        "application/pkix-crl",
        crl(&pki.inter, &leaf.der, true, (-1, 6)),
    );
    let env = TestEnv::new(&pki);
    let file = env.dir.path().join("chain.pem");
    let pem = [leaf.der.clone(), pki.inter.der()]
        .into_iter()
        .map(|der| pem::encode(&pem::Pem::new("CERTIFICATE", der)))
        .collect::<String>();
    std::fs::write(&file, pem).expect("write");
    let inspect = |extra: &[&str], code: i32| {
        let mut cmd = env.cmd();
        cmd.args(["inspect", "--json", "--host", "file.test", "--ca-file"])
            .arg(&env.root_file)
            .arg(&file)
            .args(extra);
        run_json(&mut cmd, code).results.remove(0)
    };
    assert!(inspect(&["--check-revocation"], 0).fetched.is_empty());
    assert_eq!(responder.connections(), 0);
    let result = inspect(&["--fetch", "--check-revocation"], 1);
    assert_eq!(result.fetched.len(), 1);
    assert_eq!(result.fetched[0].purpose, "crl");
    assert_eq!(result.finding("revoked").certificate, Some(0));
    assert_eq!(responder.connections(), 1);
}

#[test]
fn the_ocsp_request_takes_the_targets_proxy() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = format!("http://{}/ocsp", responder.addr);
    let leaf = pki.leaf_with(Spec::leaf(&["proxied.test"], at()).ocsp(&url));
    let status = single(
        cert_id(&pki.inter, &leaf),
        revoked(days(-10), None),
        days(-1),
        days(6),
    );
    responder.serve(
        "/ocsp",
        "application/ocsp-response",
        by_issuer(&pki, status),
    );
    let proxy = crate::proxy::Tinyproxy::start(None);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let mut cmd = env.check(&format!("proxied.test:{}", server.addr.port()), &server);
    cmd.args(["--check-revocation", "--proxy", &proxy.url()]);
    let result = run_json(&mut cmd, 1).results.remove(0);
    let fetch = &result.fetched[0];
    assert_eq!(fetch.outcome, "ok", "{fetch:#?}");
    assert!(
        fetch
            .detail
            .ends_with(&format!(" through the proxy {}", proxy.url())),
        "{}",
        fetch.detail
    );
    assert_eq!(result.finding("revoked").certificate, Some(0));
    // The request reached the responder through the proxy, as a POST with its body.
    let seen = responder.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "POST");
    assert!(OcspRequest::from_der(&seen[0].2).is_ok());
}

#[test]
fn an_answer_that_is_no_ocsp_response_is_ocsp_mismatch_naming_the_url() {
    let pki = Pki::new();
    let responder = Responder::start();
    let url = responder.serve("/junk", "text/html", b"<html>maintenance</html>".to_vec());
    let result = check(
        &pki,
        "junk.test",
        Spec::leaf(&["junk.test"], at()).ocsp(&url),
        &["--check-revocation"],
        4,
    );
    assert_eq!(revocation_codes(&result), ["ocsp-mismatch"]);
    let finding = result.finding("ocsp-mismatch");
    assert_eq!(finding.certificate, Some(0));
    let prefix = format!(
        "the OCSP response from {url} for certificate 0 (CN=junk.test) cannot be used: it is not a valid DER OCSPResponse ("
    );
    assert!(finding.message.starts_with(&prefix), "{}", finding.message);
    let fetch = &result.fetched[0];
    assert_eq!(fetch.outcome, "ok");
    assert!(
        fetch.detail.ends_with(
            "served as text/html, which is not an OCSP response type (application/ocsp-response, application/octet-stream); read by its content"
        ),
        "{}",
        fetch.detail
    );
}
