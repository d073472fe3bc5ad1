//! Client impact: each rule in which Python requests, urllib, curl, OpenSSL, Node.js and Java
//! differ, pinned with a generated chain on a loopback server, and the store each client uses.

use std::path::PathBuf;

use certcheck::demo::pki::Spec;
use certcheck::demo::server::TlsServer;

use crate::support::{
    self, FIXTURES_AT, Pki, TestEnv, at, check_fixture, check_under_expired_root, fixture,
    fixture_der, run_json, serve, target,
};

const OPENSSL_CLIENTS: [&str; 4] = ["python-requests", "python-urllib", "openssl", "node"];

fn accepted(result: &support::contract::TargetResult) -> Vec<&str> {
    result
        .clients
        .iter()
        .filter(|c| c.accepted)
        .map(|c| c.client.as_str())
        .collect()
}

#[test]
fn every_result_predicts_every_client() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["all.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("all.test", &server), &server), 0);
    let result = &report.results[0];
    let names: Vec<&str> = result.clients.iter().map(|c| c.client.as_str()).collect();
    assert_eq!(
        names,
        [
            "python-requests",
            "python-urllib",
            "curl",
            "openssl",
            "node",
            "java",
            "go",
            "rustls",
            "gnutls",
            "wget",
            "chrome",
            "firefox",
            "safari",
            "android",
            "windows"
        ]
    );
    // An Android app ignores a --ca-file (a user CA, API 24+): its AOSP store refuses the chain.
    let android = result.client("android");
    assert!(!android.accepted && !android.decides, "{android:?}");
    for client in result.clients.iter().filter(|c| c.client != "android") {
        assert!(client.accepted, "{client:?}");
        assert_eq!(client.error, None);
        assert!(
            client.store.starts_with("custom: --ca-file, as if given"),
            "{}",
            client.store
        );
    }
    assert!(
        result
            .client("python-requests")
            .store
            .contains("verify=PATH")
    );
    assert!(result.client("curl").store.contains("--cacert PATH"));
    // Each prediction names the client version it stands for.
    assert_eq!(result.client("java").assumes, "OpenJDK 17 (JSSE, PKIX)");
    assert!(result.clients.iter().all(|c| !c.assumes.is_empty()));
}

#[test]
fn common_name_only_requests_rejects_the_others_accept() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&[], at());
    spec.common_name = "legacy.test".into();
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("legacy.test", &server), &server), 1);
    let result = &report.results[0];
    assert_eq!(
        result.client("python-requests").error.as_deref(),
        Some(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'legacy.test'."
        )
    );
    assert_eq!(
        accepted(result),
        [
            "python-urllib",
            "curl",
            "openssl",
            "node",
            "java",
            "gnutls",
            "wget"
        ]
    );
}

#[test]
fn intermediate_as_anchor_needs_partial_chain() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["partial.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let inter_only = env.dir.path().join("inter.pem");
    std::fs::write(&inter_only, pki.inter.pem()).expect("write");
    let mut cmd = env.check_with_ca(&target("partial.test", &server), &server, &inter_only);
    // rustls-webpki accepts an intermediate anchor, so the custom store trusts it; OpenSSL
    // without PARTIAL_CHAIN does not, and those clients decide too: exit 1.
    let report = run_json(&mut cmd, 1);
    assert!(report.results[0].store("custom").trusted);
    let result = &report.results[0];
    assert_eq!(
        accepted(result),
        [
            "curl", "java", "go", "rustls", "gnutls", "wget", "chrome", "firefox", "safari",
            "windows"
        ]
    );
    assert_eq!(
        result.client("python-requests").error.as_deref(),
        Some(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get issuer certificate"
        )
    );
    assert_eq!(
        result.client("openssl").error.as_deref(),
        Some("verify error:num=2:unable to get issuer certificate")
    );
    assert_eq!(
        result.client("node").error.as_deref(),
        Some("UNABLE_TO_GET_ISSUER_CERT: unable to get issuer certificate")
    );
}

#[test]
fn expired_root_in_the_store_java_accepts() {
    let (report, _) = check_under_expired_root("oldroot.test");
    let result = &report.results[0];
    // rustls-webpki does not check an anchor's dates either.
    assert_eq!(accepted(result), ["java", "rustls"]);
    assert_eq!(
        result.client("curl").error.as_deref(),
        Some("(60) SSL certificate problem: certificate has expired")
    );
    assert_eq!(
        result.client("python-urllib").error.as_deref(),
        Some(
            "<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired>"
        )
    );
    assert_eq!(
        result.client("node").error.as_deref(),
        Some("CERT_HAS_EXPIRED: certificate has expired")
    );
}

#[test]
fn sha1_leaf_under_a_custom_store_java_accepts() {
    let report = check_fixture(&["sha1-leaf.pem"], "sha1-leaf.key", "sha1.test", 1);
    let result = &report.results[0];
    assert_eq!(accepted(result), ["java"]);
    assert_eq!(
        result.client("python-requests").error.as_deref(),
        Some(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: CA signature digest algorithm too weak"
        )
    );
    assert_eq!(
        result.client("node").error.as_deref(),
        Some("UNSPECIFIED: CA signature digest algorithm too weak")
    );
}

#[test]
fn rsa_1024_leaf_node_and_java_accept() {
    // ring cannot sign a handshake with a 1024-bit RSA key, so this rule is pinned on the file
    // (same pipeline as a live target, minus the network).
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd_at(FIXTURES_AT);
    cmd.args(["inspect", "--json", "--host", "rsa1024.test", "--ca-file"])
        .arg(fixture("root.pem"))
        .arg(fixture("rsa1024-leaf.pem"));
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    assert_eq!(
        accepted(result),
        // Apple refuses RSA under 2048 bits; Android ignores the --ca-file (a user CA).
        [
            "node", "java", "go", "gnutls", "wget", "chrome", "firefox", "windows"
        ]
    );
    assert_eq!(
        result.client("python-urllib").error.as_deref(),
        Some(
            "<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: EE certificate key too weak>"
        )
    );
    assert_eq!(
        result.client("openssl").error.as_deref(),
        Some("verify error:num=66:EE certificate key too weak")
    );
}

#[test]
fn bad_signature_under_an_rsa_issuer_is_curl_exit_35() {
    let mut leaf = fixture_der("rsa-issued-leaf.pem");
    let last = leaf.len() - 1;
    leaf[last] ^= 0x01;
    let server = TlsServer::start(vec![leaf], fixture_der("rsa-issued-leaf.key")).expect("server");
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd_at(FIXTURES_AT);
    cmd.args(["--json", "--ca-file"])
        .arg(fixture("root.pem"))
        .args(["--connect-to", &server.addr.to_string()])
        .arg(target("rsaissued.test", &server));
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    result.finding("bad-signature");
    let curl = result.client("curl").error.clone().expect("curl fails");
    assert!(
        curl.starts_with("(35) ") && curl.contains("rsa routines::invalid padding"),
        "{curl}"
    );
    assert_eq!(
        result.client("openssl").error.as_deref(),
        Some("verify error:num=7:certificate signature failure")
    );
}

#[test]
fn node_says_unspecified_where_openssl_names_the_problem() {
    let pki = Pki::new();
    let mut spec = Spec::ca("Good Only CA", at());
    spec.permitted_dns = vec!["good.test".into()];
    let ca = pki.root.intermediate(&spec).expect("ca");
    let leaf = ca.leaf(&Spec::leaf(&["evil.test"], at())).expect("leaf");
    let server = serve(vec![leaf.der.clone(), ca.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(&mut env.check(&target("evil.test", &server), &server), 1);
    let result = &report.results[0];
    assert_eq!(
        result.client("node").error.as_deref(),
        Some("UNSPECIFIED: permitted subtree violation")
    );
    assert_eq!(
        result.client("openssl").error.as_deref(),
        Some("verify error:num=47:permitted subtree violation")
    );
    assert!(
        result
            .client("java")
            .error
            .as_deref()
            .is_some_and(|e| e.ends_with("name constraints check failed"))
    );

    let mut spec = Spec::leaf(&["critical.test"], at());
    let mut ext =
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
    ext.set_criticality(true);
    spec.extensions.push(ext);
    let leaf = pki.leaf_with(spec);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let report = run_json(
        &mut env.check(&target("critical.test", &server), &server),
        1,
    );
    let result = &report.results[0];
    assert_eq!(
        result.client("node").error.as_deref(),
        Some("UNSPECIFIED: unhandled critical extension")
    );
    assert_eq!(
        result.client("curl").error.as_deref(),
        Some("(60) SSL certificate problem: unhandled critical extension")
    );
}

#[test]
fn each_client_uses_its_own_store_from_the_environment() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["env.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let run = |vars: &[(&str, &PathBuf)], code: i32| {
        let mut cmd = env.cmd();
        for (name, value) in vars {
            cmd.env(name, value);
        }
        cmd.args(["--json", "--connect-to", &server.addr.to_string()])
            .arg(target("env.test", &server));
        run_json(&mut cmd, code)
    };
    // The system store (SSL_CERT_FILE) is an unrelated root; nothing else is set.
    let report = run(&[], 1);
    let result = &report.results[0];
    assert!(accepted(result).is_empty(), "{:#?}", result.clients);
    assert!(
        result
            .client("python-requests")
            .store
            .starts_with("bundled: certifi's Mozilla set")
    );
    assert!(
        result
            .client("python-urllib")
            .store
            .starts_with("system: SSL_CERT_FILE")
    );
    assert!(
        result
            .client("node")
            .store
            .starts_with("bundled: Node's own Mozilla set")
    );

    // requests and Node follow their own variables.
    let report = run(
        &[
            ("REQUESTS_CA_BUNDLE", &env.root_file),
            ("NODE_EXTRA_CA_CERTS", &env.root_file),
        ],
        1,
    );
    let result = &report.results[0];
    assert_eq!(accepted(result), ["python-requests", "node"]);
    assert_eq!(
        result.client("python-requests").store,
        format!("REQUESTS_CA_BUNDLE={}", env.root_file.display())
    );
    // curl follows CURL_CA_BUNDLE, and requests falls back to it.
    let report = run(&[("CURL_CA_BUNDLE", &env.root_file)], 1);
    assert_eq!(accepted(&report.results[0]), ["python-requests", "curl"]);

    // The system store trusts it (a private CA installed system-wide), certifi does not:
    // requests fails and is pointed at REQUESTS_CA_BUNDLE or truststore, never verify=False.
    // requests decides too: exit 1.
    let report = run(&[("SSL_CERT_FILE", &env.root_file)], 1);
    let requests = report.results[0].client("python-requests");
    assert!(!requests.accepted);
    let hint = requests.hint.as_deref().expect("a client-side hint");
    assert!(
        hint.contains("REQUESTS_CA_BUNDLE") && hint.contains("truststore"),
        "{hint}"
    );
    assert!(
        report.results[0]
            .client("node")
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("NODE_EXTRA_CA_CERTS"))
    );
    for client in OPENSSL_CLIENTS {
        let _ = report.results[0].client(client);
    }
}

#[test]
fn interception_is_suspected_for_a_public_name_behind_a_private_root() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["www.example.com"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    // A proxy's root installed system-wide: the system store trusts, Mozilla's does not.
    cmd.env("SSL_CERT_FILE", &env.root_file)
        .args(["--json", "--connect-to", &server.addr.to_string()])
        .arg(target("www.example.com", &server));
    // The clients with a Mozilla set of their own fail: exit 1.
    let report = run_json(&mut cmd, 1);
    let finding = report.results[0].finding("interception-suspected");
    assert_eq!(finding.severity, "info");
    assert_eq!(
        finding.message,
        "www.example.com looks like a public name, but its chain ends at CN=Test Root CA, which is in system and not in Mozilla's current set (the bundled store): clients that use certifi or webpki-roots (Python requests, rustls) fail where those that use system work. Either it is a root that Mozilla has removed but this store still ships, or a private CA or a TLS-inspecting proxy is in the way (if nobody here installed it, suspect interception)"
    );
    // A private name is not suspicious.
    let leaf = pki.leaf(&["intranet.corp"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let mut cmd = env.cmd();
    cmd.env("SSL_CERT_FILE", &env.root_file)
        .args(["--json", "--connect-to", &server.addr.to_string()])
        .arg(target("intranet.corp", &server));
    let report = run_json(&mut cmd, 1);
    assert!(
        report.results[0]
            .with_code("interception-suspected")
            .is_empty()
    );
}

#[test]
fn stores_subcommand_says_where_each_store_comes_from() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let bad = env.dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let output = env
        .base()
        .env("REQUESTS_CA_BUNDLE", &env.root_file)
        .args(["stores", "--json", "--ca-file"])
        .arg(&env.root_file)
        .arg("--ca-file")
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let stores = report["stores"].as_array().expect("stores");
    assert_eq!(stores[0]["store"], "system");
    assert_eq!(stores[0]["from_environment"], true);
    assert_eq!(stores[0]["files"][0], env.system_file.display().to_string());
    assert_eq!(stores[0]["certificates"], 1);
    assert_eq!(stores[1]["store"], "bundled");
    assert!(stores[1]["certificates"].as_u64().is_some_and(|n| n > 100));
    assert_eq!(stores[2]["certificates"], 1);
    assert_eq!(stores[3]["certificates"], 0);
    assert!(
        stores[3]["failed"][0]
            .as_str()
            .is_some_and(|f| f.contains("bad.pem") && f.contains("PEM block 1")),
        "{}",
        stores[3]
    );
    // With --ca-file every client uses it; the assumptions are stated.
    let clients = report["clients"].as_array().expect("clients");
    assert_eq!(clients.len(), 15);
    assert!(
        report["assumptions"]
            .as_str()
            .is_some_and(|a| a.contains("Node 20") && a.contains("java: OpenJDK 17")),
        "{}",
        report["assumptions"]
    );
    assert_eq!(clients[5]["client"], "java");
    assert_eq!(clients[5]["assumes"], "OpenJDK 17 (JSSE, PKIX)");

    // Without --ca-file, the environment decides, and says so.
    let output = env
        .base()
        .env("REQUESTS_CA_BUNDLE", &env.root_file)
        .args(["stores", "--json"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        report["clients"][0]["store"],
        format!("REQUESTS_CA_BUNDLE={}", env.root_file.display())
    );
}
