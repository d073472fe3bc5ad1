//! One test per finding code of the core issue: a real server on 127.0.0.1 presents a generated
//! chain, certcheck diagnoses it at a fixed `--at`, and the test asserts the code, the certificate
//! index and the exact values in the message.

use certcheck::demo::pki::{Leaf, Spec};

use crate::support::{Pki, TestEnv, at, days, rfc3339, run_json, serve};

#[test]
fn expired_leaf_names_date_and_age() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["expired.test"], at()).valid(days(-148), days(-58)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("expired.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    let finding = result.finding("expired");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "error");
    assert_eq!(
        finding.message,
        format!(
            "certificate 0 (CN=expired.test) expired on {}, 58 days ago",
            rfc3339(days(-58))
        )
    );
    assert!(!finding.hint.is_empty());
    assert_eq!(result.chain[0].days_remaining, -58);
    assert_eq!(result.status, "error");
    assert_eq!(result.store("custom").error.as_deref(), Some("expired"));
}

#[test]
fn expired_intermediate_is_reported_on_its_index() {
    let pki = Pki::new();
    let inter = pki
        .root
        .intermediate(&Spec::ca("Old Intermediate", at()).valid(days(-400), days(-10)))
        .expect("intermediate");
    let leaf = inter.leaf(&Spec::leaf(&["old.test"], at())).expect("leaf");
    let server = serve(vec![leaf.der.clone(), inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("old.test:{}", server.addr.port()), &server),
        1,
    );
    let finding = report.results[0].finding("expired");
    assert_eq!(finding.certificate, Some(1));
    assert_eq!(
        finding.message,
        format!(
            "certificate 1 (CN=Old Intermediate) expired on {}, 10 days ago",
            rfc3339(days(-10))
        )
    );
}

#[test]
fn not_yet_valid_leaf() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["future.test"], at()).valid(days(3), days(93)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("future.test:{}", server.addr.port()), &server),
        1,
    );
    let finding = report.results[0].finding("not-yet-valid");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        format!(
            "certificate 0 (CN=future.test) is not valid until {}, in 3 days",
            rfc3339(days(3))
        )
    );
}

#[test]
fn hostname_mismatch_lists_every_name() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["www.test", "test", "10.0.0.1"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("api.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    let finding = result.finding("hostname-mismatch");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        "certificate 0 (CN=www.test) is not valid for api.test: it covers DNS names www.test, test and IP addresses 10.0.0.1"
    );
    assert!(finding.hint.contains("DNS:api.test"), "{}", finding.hint);
    assert_eq!(finding.stores, None);
    // The path itself is fine: the custom store reached its anchor but the name fails.
    assert_eq!(
        result.store("custom").anchor.as_deref(),
        Some("CN=Test Root CA")
    );
    assert!(!result.store("custom").trusted);
}

#[test]
fn hostname_mismatch_explains_wildcard_depth() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["*.example.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("a.b.example.test:{}", server.addr.port()), &server),
        1,
    );
    let finding = report.results[0].finding("hostname-mismatch");
    assert!(
        finding.message.contains(
            "the wildcard *.example.test covers exactly one label, so it does not match a.b.example.test"
        ),
        "{}",
        finding.message
    );
}

#[test]
fn self_signed_leaf() {
    let pki = Pki::new();
    let leaf = Leaf::self_signed(&Spec::leaf(&["self.test"], at())).expect("leaf");
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("self.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    let finding = result.finding("self-signed");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.stores, None, "holds under every store");
    assert!(
        finding
            .message
            .starts_with("certificate 0 (CN=self.test) is self-signed"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("is not in any configured store"),
        "{}",
        finding.message
    );
    assert!(result.chain[0].self_signed);
    assert!(result.with_code("unknown-issuer").is_empty());
}

#[test]
fn untrusted_root_names_the_root_and_who_holds_it() {
    let pki = Pki::new();
    let private_inter = pki
        .other_root
        .intermediate(&Spec::ca("Private Intermediate", at()))
        .expect("intermediate");
    let leaf = private_inter
        .leaf(&Spec::leaf(&["private.test"], at()))
        .expect("leaf");
    let server = serve(
        vec![leaf.der.clone(), private_inter.der(), pki.other_root.der()],
        &leaf,
    );
    let env = TestEnv::new(&pki);
    // The system store (SSL_CERT_FILE) holds the "other" root; the custom store does not.
    let report = run_json(
        &mut env.check(&format!("private.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    let finding = result.finding("untrusted-root");
    assert_eq!(finding.certificate, Some(2));
    assert_eq!(
        finding.stores.as_deref(),
        Some(&["bundled".to_string(), "custom".to_string()][..])
    );
    assert!(
        finding.message.starts_with(
            "the chain ends in the self-signed root certificate 2 (CN=Unrelated System Root)"
        ),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("it is held by system"),
        "{}",
        finding.message
    );
    assert!(result.store("system").trusted);
    assert!(!result.store("custom").trusted);
}

#[test]
fn unknown_issuer_names_the_missing_issuer_and_key_id() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["lonely.test"]);
    // Only the leaf is sent and it has no AIA: nothing says where the issuer is.
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("lonely.test:{}", server.addr.port()), &server),
        1,
    );
    let finding = report.results[0].finding("unknown-issuer");
    assert_eq!(finding.certificate, Some(0));
    assert!(
        finding.message.starts_with(
            "the issuer of certificate 0 (CN=lonely.test), CN=Test Intermediate CA (key identifier "
        ),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .contains("was not sent by the server and is not in any configured store"),
        "{}",
        finding.message
    );
}

#[test]
fn incomplete_chain_names_the_aia_url() {
    let pki = Pki::new();
    let leaf =
        pki.leaf_with(Spec::leaf(&["partial.test"], at()).ca_issuers("http://ca.test/inter.crt"));
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    // ca.test is not on loopback: nothing is fetched.
    let report = run_json(
        env.check(&format!("partial.test:{}", server.addr.port()), &server)
            .arg("--offline"),
        1,
    );
    let finding = report.results[0].finding("incomplete-chain");
    assert_eq!(finding.certificate, Some(0));
    assert!(
        finding.message.contains("CN=Test Intermediate CA"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("http://ca.test/inter.crt"),
        "{}",
        finding.message
    );
    assert!(finding.hint.contains("fullchain.pem"), "{}", finding.hint);
}

#[test]
fn expiring_soon_is_a_warning_with_days_left() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["soon.test"], at()).valid(days(-80), days(10)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("soon.test:{}", server.addr.port()), &server),
        4,
    );
    let result = &report.results[0];
    assert_eq!(result.status, "warning");
    let finding = result.finding("expiring-soon");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(finding.severity, "warning");
    assert_eq!(
        finding.message,
        format!(
            "certificate 0 (CN=soon.test) expires on {}, in 10 days (within --warn-days 30); it is the earliest expiry on the path",
            rfc3339(days(10))
        )
    );
    assert_eq!(
        result.store("custom").expires_at.as_deref(),
        Some(rfc3339(days(10)).as_str())
    );
}

#[test]
fn trust_store_disagreement_names_stores_and_anchor() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["agree.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("agree.test:{}", server.addr.port()), &server),
        0,
    );
    let result = &report.results[0];
    assert_eq!(result.status, "ok");
    let finding = result.finding("trust-store-disagreement");
    assert_eq!(finding.severity, "info");
    assert_eq!(finding.certificate, None);
    let custom = format!("custom ({})", env.root_file.display());
    assert!(
        finding.message.starts_with(&format!(
            "trusted under {custom}; not under system, bundled"
        )),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("the anchor CN=Test Root CA is in"),
        "{}",
        finding.message
    );
}

#[test]
fn several_problems_are_reported_together() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(
        Spec::leaf(&["www.multi.test"], at())
            .valid(days(-100), days(-5))
            .ca_issuers("http://ca.test/inter.crt"),
    );
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        env.check(&format!("api.multi.test:{}", server.addr.port()), &server)
            .arg("--offline"),
        1,
    );
    let result = &report.results[0];
    for code in ["expired", "hostname-mismatch", "incomplete-chain"] {
        assert_eq!(result.finding(code).certificate, Some(0), "{code}");
    }
}

#[test]
fn unparsable_certificate_is_reported_by_index_not_dropped() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["garbled.test"]);
    let garbage = vec![0x30, 0x03, 0x02, 0x01, 0x05];
    let server = serve(vec![leaf.der.clone(), garbage], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("garbled.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    assert_eq!(result.chain.len(), 2);
    assert!(result.chain[1].parse_error.is_some());
    let finding = result.finding("malformed-certificate");
    assert_eq!(finding.certificate, Some(1));
    assert!(
        finding.message.starts_with("certificate 1 (SHA-256 "),
        "{}",
        finding.message
    );
}

#[test]
fn leaf_that_webpki_refuses_is_still_captured_and_diagnosed() {
    // An unknown critical extension makes webpki refuse to parse the leaf, which rustls' own
    // handshake-signature helper needs; the capture falls back to the raw key.
    let pki = Pki::new();
    let mut spec = Spec::leaf(&["critical.test"], at());
    let mut ext =
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
    ext.set_criticality(true);
    spec.extensions.push(ext);
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("critical.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    assert!(
        result.connection_error.is_none(),
        "{:?}",
        result.connection_error
    );
    assert!(result.tls.is_some(), "the handshake completed");
    let finding = result.finding("unsupported-critical-extension");
    assert!(
        finding.message.contains("1.3.6.1.4.1.55555.1"),
        "{}",
        finding.message
    );
    assert_eq!(finding.certificate, Some(0));
}

#[test]
fn hostname_mismatch_explains_common_name_only_certificates() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&[], at());
    spec.common_name = "legacy.test".into();
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("legacy.test:{}", server.addr.port()), &server),
        1,
    );
    let finding = report.results[0].finding("hostname-mismatch");
    assert!(
        finding.message.contains(
            "it has no subjectAltName names, only the Common Name legacy.test, which would match, and modern clients"
        ),
        "{}",
        finding.message
    );
}

#[test]
fn hostname_mismatch_explains_an_address_only_in_the_common_name() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&[], at());
    spec.common_name = "127.0.0.1".into();
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--ca-file"])
        .arg(&env.root_file)
        .arg(server.addr.to_string());
    let report = run_json(&mut cmd, 1);
    let finding = report.results[0].finding("hostname-mismatch");
    assert!(
        finding.message.contains(
            "127.0.0.1 appears only in the Common Name, but clients require an IP address entry (IP:127.0.0.1) in subjectAltName"
        ),
        "{}",
        finding.message
    );
    assert!(finding.hint.contains("IP:127.0.0.1"), "{}", finding.hint);
}

#[test]
fn internationalised_names_are_shown_in_both_forms() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["www.xn--bcher-kva.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("bücher.test:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    assert_eq!(result.server_name.as_deref(), Some("xn--bcher-kva.test"));
    let finding = result.finding("hostname-mismatch");
    assert!(
        finding.message.starts_with(
            "certificate 0 (CN=www.xn--bcher-kva.test) is not valid for xn--bcher-kva.test (bücher.test): it covers DNS names www.xn--bcher-kva.test (www.bücher.test)"
        ),
        "{}",
        finding.message
    );
}
