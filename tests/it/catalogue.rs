//! The rest of the finding catalogue, each from a real certificate served over loopback.
//!
//! rcgen (ring) cannot sign with SHA-1 or MD5 nor make RSA-1024 keys, so those chains are committed
//! fixtures made by `fixtures/make_weak.py` (Python `cryptography`, with the legacy signature
//! spliced in) and checked at a fixed `--at` inside their validity.

use certcheck::demo::pki::Spec;

use crate::support::{
    self, Pki, TestEnv, at, check_under_expired_root, days, run_json, serve, target,
};

#[test]
fn bad_signature_names_certificate_and_issuer() {
    let pki = Pki::new();
    let mut leaf = pki.leaf(&["tampered.test"]);
    let last = leaf.der.len() - 1;
    leaf.der[last] ^= 0x01;
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&target("tampered.test", &server), &server),
        1,
    );
    let result = &report.results[0];
    let finding = result.finding("bad-signature");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        "the signature of certificate 0 (CN=tampered.test) (ecdsa-with-SHA256) does not verify with the key of certificate 1 (CN=Test Intermediate CA), its issuer by name"
    );
    // Under the stores without the root the intermediate's issuer is missing too, and said so.
    assert!(
        result
            .with_code("unknown-issuer")
            .iter()
            .all(|f| f.certificate == Some(1)
                && f.stores
                    .as_deref()
                    .is_some_and(|s| !s.contains(&"custom".to_string()))),
        "{:#?}",
        result.findings
    );
    assert!(
        result.with_code("chain-order").is_empty(),
        "{:#?}",
        result.findings
    );
    assert_eq!(
        result.store("custom").error.as_deref(),
        Some("bad-signature")
    );
}

#[test]
fn invalid_purpose_lists_the_ekus_present() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&["client.test"], at());
    spec.eku = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::CodeSigning,
    ];
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("client.test", &server), &server), 1);
    let finding = report.results[0].finding("invalid-purpose");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        "certificate 0 (CN=client.test) has extendedKeyUsage clientAuth, codeSigning, which does not include serverAuth (TLS Web Server Authentication)"
    );
}

#[test]
fn not_a_ca_when_an_end_entity_issues() {
    let pki = Pki::new();
    let mut fake = Spec::ca("Not Really A CA", at());
    fake.ca = None;
    let fake = pki.inter.intermediate(&fake).expect("fake issuer");
    let leaf = fake.leaf(&Spec::leaf(&["fake.test"], at())).expect("leaf");
    let server = serve(vec![leaf.der.clone(), fake.der(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("fake.test", &server), &server), 1);
    let finding = report.results[0].finding("not-a-ca");
    assert_eq!(finding.certificate, Some(1));
    assert_eq!(
        finding.message,
        "certificate 1 (CN=Not Really A CA) issued certificate 0 (CN=fake.test) but has basicConstraints cA=FALSE, so it may not issue certificates"
    );
}

#[test]
fn path_length_names_the_constraint_and_the_excess() {
    let pki = Pki::new();
    let mut a = Spec::ca("Constrained CA", at());
    a.ca = Some(Some(0));
    let a = pki.root.intermediate(&a).expect("a");
    let b = a.intermediate(&Spec::ca("Sub CA", at())).expect("b");
    let leaf = b.leaf(&Spec::leaf(&["deep.test"], at())).expect("leaf");
    let server = serve(vec![leaf.der.clone(), b.der(), a.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("deep.test", &server), &server), 1);
    let finding = report.results[0].finding("path-length-exceeded");
    assert_eq!(finding.certificate, Some(2));
    assert_eq!(
        finding.message,
        "certificate 2 (CN=Constrained CA) allows at most 0 intermediate CAs below it (pathLenConstraint 0), but the path has 1: certificate 1 (CN=Sub CA)"
    );
}

#[test]
fn name_constraint_violation_names_constraint_and_name() {
    let pki = Pki::new();
    let mut spec = Spec::ca("Good Only CA", at());
    spec.permitted_dns = vec!["good.test".into()];
    let ca = pki.root.intermediate(&spec).expect("ca");
    let leaf = ca
        .leaf(&Spec::leaf(&["www.evil.test"], at()))
        .expect("leaf");
    let server = serve(vec![leaf.der.clone(), ca.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&target("www.evil.test", &server), &server),
        1,
    );
    let finding = report.results[0].finding("name-constraint-violation");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        "certificate 0 (CN=www.evil.test): DNS name www.evil.test is outside the permitted subtrees DNS:good.test set by the name constraints of certificate 1 (CN=Good Only CA)"
    );
}

#[test]
fn chain_order_says_where_each_certificate_belongs() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["order.test"]);
    let server = serve(
        vec![leaf.der.clone(), pki.root.der(), pki.inter.der()],
        &leaf,
    );
    let env = TestEnv::new(&pki);
    // Out of order is a warning: clients that reorder still trust it.
    let report = run_json(&mut env.check(&target("order.test", &server), &server), 4);
    let result = &report.results[0];
    let messages: Vec<&str> = result
        .with_code("chain-order")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        messages.contains(
            &"certificate 2 (CN=Test Intermediate CA) issued certificate 0 and belongs at index 1, right after it; the server sends it at index 2"
        ),
        "{messages:#?}"
    );
    assert!(
        messages.contains(
            &"certificate 1 (CN=Test Root CA) issued certificate 2 and belongs at index 2, right after it; the server sends it at index 1"
        ),
        "{messages:#?}"
    );
}

#[test]
fn chain_order_flags_duplicates_and_unrelated_certificates() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["dup.test"]);
    let server = serve(
        vec![
            leaf.der.clone(),
            pki.inter.der(),
            pki.inter.der(),
            pki.other_root.der(),
        ],
        &leaf,
    );
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("dup.test", &server), &server), 4);
    let result = &report.results[0];
    let findings = result.with_code("chain-order");
    assert!(
        findings.iter().any(|f| f.certificate == Some(2)
            && f.message == "certificate 2 is a duplicate of certificate 1"),
        "{findings:#?}"
    );
    assert!(
        findings.iter().any(|f| f.certificate == Some(3)
            && f.message.starts_with(
                "certificate 3 (CN=Unrelated System Root) is not part of the chain from the leaf"
            )),
        "{findings:#?}"
    );
}

#[test]
fn unneeded_root_is_info_only() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["root.test"]);
    let server = serve(
        vec![leaf.der.clone(), pki.inter.der(), pki.root.der()],
        &leaf,
    );
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("root.test", &server), &server), 0);
    let finding = report.results[0].finding("unneeded-root");
    assert_eq!(finding.certificate, Some(2));
    assert_eq!(finding.severity, "info");
    assert!(
        finding
            .message
            .starts_with("the server sends the self-signed root certificate 2 (CN=Test Root CA)")
    );
}

#[test]
fn long_validity_follows_the_issuance_date() {
    let pki = Pki::new();
    // Issued after 2029-03-15: at most 47 days.
    let leaf = pki.leaf_with(Spec::leaf(&["long.test"], at()).valid(days(-10), days(80)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("long.test", &server), &server), 4);
    let finding = report.results[0].finding("long-validity");
    assert_eq!(finding.certificate, Some(0));
    assert!(
        finding.message.contains("is valid for 90 days")
            && finding.message.contains("at most 47 days"),
        "{}",
        finding.message
    );
}

#[test]
fn long_validity_uses_the_limit_of_the_day_of_issue_before_2020() {
    // Issued 2019-01-01: 825 days were allowed then, not 398; 900 days were not.
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let issued = time::macros::datetime!(2019-01-01 00:00 UTC);
    let check = |valid_days: i64| {
        let leaf = pki.leaf_with(
            Spec::leaf(&["old.test"], at())
                .valid(issued, issued + time::Duration::days(valid_days)),
        );
        let path = env.dir.path().join(format!("leaf-{valid_days}.pem"));
        std::fs::write(
            &path,
            pem::encode(&pem::Pem::new("CERTIFICATE", leaf.der.clone())),
        )
        .expect("write");
        let mut cmd = env.cmd_at("2019-06-01T00:00:00Z");
        cmd.args(["inspect", "--json"]).arg(&path);
        let out = cmd.output().expect("runs");
        serde_json::from_slice::<crate::support::contract::Report>(&out.stdout).expect("json")
    };
    assert!(check(800).results[0].with_code("long-validity").is_empty());
    let report = check(900);
    let finding = report.results[0].finding("long-validity");
    assert_eq!(finding.certificate, Some(0));
    assert_eq!(
        finding.message,
        "certificate 0 (CN=old.test) is valid for 900 days (2019-01-01T00:00:00Z to 2021-06-19T00:00:00Z); for certificates issued from 2018-03-01 on, the CA/Browser Forum allows at most 825 days"
    );
}

#[test]
fn expired_anchor_in_the_store_makes_the_store_untrusted() {
    let (report, ca) = check_under_expired_root("anchor.test");
    let result = &report.results[0];
    let finding = result.finding("expired");
    assert_eq!(finding.certificate, None);
    assert_eq!(finding.stores.as_deref(), Some(&["custom".to_string()][..]));
    assert!(
        finding.message.starts_with(&format!(
            "the trust anchor CN=Expired Root in store custom ({}) expired on",
            ca.display()
        )),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("rustls and Java do not"),
        "{}",
        finding.message
    );
    let custom = result.store("custom");
    assert!(!custom.trusted);
    assert_eq!(custom.anchor.as_deref(), Some("CN=Expired Root"));
}

mod weak {
    //! Committed fixtures from `fixtures/make_weak.py`, valid around 2026-01-15.

    use super::support::check_fixture;

    fn check(chain: &[&str], key: &str, name: &str) -> super::support::contract::Report {
        check_fixture(chain, key, name, 1)
    }

    #[test]
    fn sha1_signature_is_weak() {
        let report = check(&["sha1-leaf.pem"], "sha1-leaf.key", "sha1.test");
        let finding = report.results[0].finding("weak-signature-algorithm");
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(
            finding.message,
            "certificate 0 (CN=sha1.test) is signed with SHA-1 with RSA (sha1WithRSAEncryption), which current clients reject (OpenSSL: ca md too weak)"
        );
        // Under the custom store the path is complete; only the other stores lack the root.
        assert!(
            report.results[0]
                .with_code("unknown-issuer")
                .iter()
                .all(|f| f
                    .stores
                    .as_deref()
                    .is_some_and(|s| !s.contains(&"custom".to_string()))),
            "{:#?}",
            report.results[0].findings
        );
    }

    #[test]
    fn md5_signature_is_weak() {
        let report = check(&["md5-leaf.pem"], "md5-leaf.key", "md5.test");
        let finding = report.results[0].finding("weak-signature-algorithm");
        assert!(
            finding
                .message
                .contains("MD5 with RSA (md5WithRSAEncryption)"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn rsa_1024_ca_key_is_weak() {
        let report = check(
            &["leaf-under-rsa1024.pem", "ca-rsa1024.pem"],
            "leaf-under-rsa1024.key",
            "weakca.test",
        );
        let result = &report.results[0];
        let finding = result.finding("weak-key");
        assert_eq!(finding.certificate, Some(1));
        assert!(
            finding
                .message
                .starts_with("certificate 1 (CN=Weak 1024-bit CA) has an RSA key of 1024 bits"),
            "{}",
            finding.message
        );
        assert!(
            result.with_code("unknown-issuer").iter().all(|f| f
                .stores
                .as_deref()
                .is_some_and(|s| !s.contains(&"custom".to_string()))),
            "{:#?}",
            result.findings
        );
    }
}
