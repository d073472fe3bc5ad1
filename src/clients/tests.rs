//! The prediction engine on generated chains: which clients accept, and in what words they fail.

use super::*;
use crate::config::ClientEnv;
use crate::demo::pki::Spec;
use crate::diagnose::testkit::{Case, NOW, Pki, sct_extension, store};
use crate::target::Host;
use crate::trust::TrustStore;
use crate::trust::store::load_bundled;

/// Each client's prediction for `case`, with the stores `choices` name (as `--ca-file`).
fn predictions(case: &Case) -> Vec<Prediction> {
    let custom: Vec<usize> = (0..case.stores.len()).collect();
    let (choices, _) = choose_stores(&ClientEnv::default(), 0, 0, &custom);
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    predict(&choices, (&ctx, &diagnosis), None)
}

fn verdicts(predictions: &[Prediction]) -> Vec<(Client, bool)> {
    predictions.iter().map(|p| (p.client, p.accepted)).collect()
}

fn error_of(predictions: &[Prediction], client: Client) -> String {
    let p = predictions
        .iter()
        .find(|p| p.client == client)
        .expect("every client");
    p.error.clone().unwrap_or_default()
}

#[test]
fn a_valid_chain_is_accepted_by_every_client() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["ok.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("ok.test");
    let got = predictions(&case);
    // An Android app ignores a CA given as a user CA (API 24+): it alone refuses.
    assert!(
        got.iter()
            .filter(|p| p.client != Client::Android)
            .all(|p| p.accepted && p.error.is_none() && p.hint.is_none())
    );
    assert_eq!(error_of(&got, Client::Android), platform::ANDROID_UNTRUSTED);
    assert!(
        got[0]
            .store
            .starts_with("custom: --ca-file, as if given requests.get")
    );
}

#[test]
fn only_requests_refuses_a_common_name_only_leaf() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&[], NOW);
    spec.common_name = "cn.test".into();
    let leaf = pki.leaf_with(spec);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("cn.test");
    let got = predictions(&case);
    let refusing: Vec<Client> = got
        .iter()
        .filter(|p| !p.accepted)
        .map(|p| p.client)
        .collect();
    assert_eq!(
        refusing,
        [
            Client::PythonRequests,
            Client::Go,
            Client::Rustls,
            Client::Chrome,
            Client::Firefox,
            Client::Safari,
            Client::Android,
            Client::Windows
        ]
    );
    assert_eq!(error_of(&got, Client::Firefox), "SSL_ERROR_BAD_CERT_DOMAIN");
    assert_eq!(
        error_of(&got, Client::Safari),
        platform::apple_untrusted("cn.test")
    );
    assert_eq!(
        error_of(&got, Client::Windows),
        "The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch"
    );
    assert_eq!(
        error_of(&got, Client::PythonRequests),
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'cn.test'."
    );
}

#[test]
fn an_intermediate_as_the_only_anchor_passes_only_where_partial_chains_do() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["p.test"]);
    let anchor = store(StoreKind::Custom, "inter.pem", &[pki.inter.der()]);
    let case = Case::new(std::slice::from_ref(&leaf.der), vec![anchor]).name("p.test");
    let got = predictions(&case);
    assert_eq!(
        verdicts(&got),
        [
            (Client::PythonRequests, false),
            (Client::PythonUrllib, false),
            (Client::Curl, true),
            (Client::Openssl, false),
            (Client::Node, false),
            (Client::Java, true),
            (Client::Go, true),
            (Client::Rustls, true),
            (Client::Gnutls, true),
            (Client::Wget, true),
            (Client::Chrome, true),
            (Client::Firefox, true),
            (Client::Safari, true),
            (Client::Android, false),
            (Client::Windows, true),
        ]
    );
    assert_eq!(
        error_of(&got, Client::Openssl),
        "verify error:num=2:unable to get issuer certificate"
    );
    assert_eq!(
        error_of(&got, Client::Node),
        "UNABLE_TO_GET_ISSUER_CERT: unable to get issuer certificate"
    );
}

#[test]
fn each_dialect_words_a_name_mismatch_its_own_way() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["www.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("api.test");
    let got = predictions(&case);
    assert!(got.iter().all(|p| !p.accepted));
    assert_eq!(
        error_of(&got, Client::PythonUrllib),
        "<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'api.test'.>"
    );
    assert_eq!(
        error_of(&got, Client::Curl),
        "(60) SSL: no alternative certificate subject name matches target host name 'api.test'"
    );
    assert_eq!(
        error_of(&got, Client::Node),
        "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: api.test. is not in the cert's altnames: DNS:www.test"
    );
    assert_eq!(
        error_of(&got, Client::Java),
        "No subject alternative DNS name matching api.test found."
    );
}

#[test]
fn an_expired_leaf_fails_everywhere_in_each_clients_words() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["old.test"], NOW).valid(
        NOW - time::Duration::days(90),
        NOW - time::Duration::days(1),
    ));
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("old.test");
    let got = predictions(&case);
    assert!(got.iter().all(|p| !p.accepted));
    assert_eq!(
        error_of(&got, Client::Curl),
        "(60) SSL certificate problem: certificate has expired"
    );
    assert_eq!(
        error_of(&got, Client::Node),
        "CERT_HAS_EXPIRED: certificate has expired"
    );
    assert_eq!(
        error_of(&got, Client::Java),
        "NotAfter: Mon Dec 31 00:00:00 UTC 2029"
    );
}

#[test]
fn a_private_root_trusted_by_the_system_store_gets_each_clients_fix() {
    // The system store holds the private root, the Mozilla set does not: requests (certifi)
    // and Node (its own Mozilla set) fail and are told how to use the system's CA file.
    let pki = Pki::new();
    let leaf = pki.leaf(&["corp.test"]);
    let system = store(StoreKind::System, "system", &[pki.root.der()]);
    let case = Case::new(&pki.chain(&leaf), vec![system, load_bundled()]).name("corp.test");
    let (choices, _) = choose_stores(&ClientEnv::default(), 0, 1, &[]);
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    let got = predict(&choices, (&ctx, &diagnosis), None);
    assert_eq!(
        verdicts(&got),
        [
            (Client::PythonRequests, false),
            (Client::PythonUrllib, true),
            (Client::Curl, true),
            (Client::Openssl, true),
            (Client::Node, false),
            (Client::Java, false),
            (Client::Go, true),
            (Client::Rustls, false),
            (Client::Gnutls, true),
            (Client::Wget, true),
            (Client::Chrome, false),
            (Client::Firefox, false),
            (Client::Safari, false),
            (Client::Android, false),
            (Client::Windows, false),
        ]
    );
    // Firefox reads only its built-in roots and its profile, never the system store.
    let firefox = got
        .iter()
        .find(|p| p.client == Client::Firefox)
        .expect("firefox");
    assert_eq!(
        firefox.hint.as_deref(),
        Some(profile(Client::Firefox).trust_hint)
    );
    assert_eq!(firefox.error.as_deref(), Some("SEC_ERROR_UNKNOWN_ISSUER"));
    assert_eq!(
        got[0].hint.as_deref(),
        Some(profile(Client::PythonRequests).trust_hint)
    );
    assert!(
        got[4]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("NODE_EXTRA_CA_CERTS"))
    );
    assert_eq!(got[1].hint, None);
}

#[test]
fn a_store_a_client_cannot_load_is_a_failure_not_an_accept() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["x.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("x.test");
    let choice = ClientStore {
        client: Client::Curl,
        choice: StoreChoice::Extra(0),
        reason: "CURL_CA_BUNDLE=/missing.pem".into(),
        blocked: Vec::new(),
    };
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    let got = predict(&[choice], (&ctx, &diagnosis), None);
    assert!(!got[0].accepted);
    assert_eq!(
        got[0].error.as_deref(),
        Some("(60) SSL certificate problem: unspecified certificate verification error")
    );
}

// The rules the conformance suite cannot reach on this machine: chains under the clients' own
// default stores (a public CA, Java's cacerts), several errors at once for Node, and each
// model's texts for names it cannot serve.

/// Each client's prediction under its default store: `system` at 0, `bundled` at 1, and a Java
/// `cacerts` found, whose anchors are `java` (its own CAs).
fn with_system(case: &Case, java: TrustStore) -> Vec<Prediction> {
    let env = ClientEnv {
        java_cacerts: Some("/etc/ssl/certs/java/cacerts".into()),
        ..ClientEnv::default()
    };
    let (choices, extra) = choose_stores(&env, 0, 1, &[]);
    assert_eq!(
        extra,
        [
            ExtraStore::JavaKeystore("/etc/ssl/certs/java/cacerts".into()),
            ExtraStore::ChromeRootStore,
            ExtraStore::Platform(StoreKind::Apple),
            ExtraStore::Platform(StoreKind::Android),
            ExtraStore::Platform(StoreKind::Windows),
        ]
    );
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    let java_case = Case::new(
        &case
            .chain
            .certs
            .iter()
            .map(|c| c.der().to_vec())
            .collect::<Vec<_>>(),
        vec![java],
    )
    .at(case.deadlines.now);
    let java_ctx = java_case.ctx();
    predict(&choices, (&ctx, &diagnosis), Some(&java_ctx))
}

#[test]
fn node_reports_the_last_error_and_the_others_the_first() {
    // Expired and for another name: OpenSSL checks the name (62) before the dates (10); Python
    // and s_client stop at the name, Node goes on and reports the expiry, curl (which checks the
    // name itself, afterwards) the expiry too.
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["www.test"], NOW).valid(
        NOW - time::Duration::days(90),
        NOW - time::Duration::days(1),
    ));
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("api.test");
    let got = predictions(&case);
    assert_eq!(
        error_of(&got, Client::Openssl),
        "verify error:num=62:hostname mismatch"
    );
    assert_eq!(
        error_of(&got, Client::Node),
        "CERT_HAS_EXPIRED: certificate has expired"
    );
    assert_eq!(
        error_of(&got, Client::Curl),
        "(60) SSL certificate problem: certificate has expired"
    );
    assert!(error_of(&got, Client::Go).contains("certificate has expired or is not yet valid"));
    assert_eq!(
        error_of(&got, Client::Gnutls),
        "The certificate is NOT trusted. The certificate chain uses expired certificate. The name in the certificate does not match the expected."
    );
    // wget stops at the untrusted chain and never compares the name.
    assert!(!error_of(&got, Client::Wget).contains("owner"));
}

#[test]
fn go_and_node_name_an_ip_host_by_its_ip_addresses() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let mut case = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
    case.name = Some(Host::Ip("127.0.0.1".parse().unwrap()));
    let case = case.at(NOW);
    let got = predictions(&case);
    assert_eq!(
        error_of(&got, Client::Go),
        "tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
    );
    assert_eq!(
        error_of(&got, Client::Node),
        "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: "
    );
    assert_eq!(
        error_of(&got, Client::PythonRequests),
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'."
    );
}

#[test]
fn java_refuses_sha1_under_its_own_cas_but_not_under_a_private_root() {
    // Under a --ca-file root Java accepts the SHA-1 leaf; under the store it uses by default (its
    // cacerts) it applies `SHA1 jdkCA & usage TLSServer`. The suite cannot reach this: a chain to
    // a root of the JDK's own cacerts needs that root's key, and Java given a CA file has no JDK
    // CA among its anchors.
    let root = store(
        StoreKind::Custom,
        "root.pem",
        &[crate::diagnose::testkit::fixture("root")],
    );
    let sha1 = crate::diagnose::testkit::fixture("sha1-leaf");
    let under_custom = Case::new(std::slice::from_ref(&sha1), vec![root])
        .at(crate::diagnose::testkit::FIXTURES_NOW);
    let got = predictions(&under_custom);
    assert!(got.iter().any(|p| p.client == Client::Java && p.accepted));
    let system = store(
        StoreKind::System,
        "system",
        &[crate::diagnose::testkit::fixture("root")],
    );
    let under_system =
        Case::new(&[sha1], vec![system, load_bundled()]).at(crate::diagnose::testkit::FIXTURES_NOW);
    let java_cacerts = store(
        StoreKind::System,
        "Java cacerts",
        &[crate::diagnose::testkit::fixture("root")],
    );
    let got = with_system(&under_system, java_cacerts);
    assert_eq!(
        error_of(&got, Client::Java),
        "Usage constraint TLSServer check failed: SHA1 used with certificate: CN=sha1.test"
    );
}

#[test]
fn a_store_holding_nothing_is_each_clients_own_failure() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["x.test"]);
    let empty = store(StoreKind::Custom, "empty.pem", &[]);
    let case = Case::new(&pki.chain(&leaf), vec![empty]).name("x.test");
    let got = predictions(&case);
    assert!(got.iter().all(|p| !p.accepted));
    assert_eq!(error_of(&got, Client::Java), java::NO_ANCHORS);
    assert_eq!(
        error_of(&got, Client::Rustls),
        "invalid peer certificate: UnknownIssuer"
    );
    assert_eq!(
        error_of(&got, Client::Go),
        "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    );
}

#[test]
fn java_refuses_a_blocked_certificate_whatever_the_store() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["blocked.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("blocked.test");
    let custom: Vec<usize> = vec![0];
    let (mut choices, _) = choose_stores(&ClientEnv::default(), 0, 0, &custom);
    let inter = crate::diagnose::testkit::info(&pki.inter.der());
    for choice in choices.iter_mut().filter(|c| c.client == Client::Java) {
        choice.blocked = vec![inter.sha256];
    }
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    let got = predict(&choices, (&ctx, &diagnosis), None);
    assert_eq!(
        error_of(&got, Client::Java),
        "Untrusted certificate: CN=Test Intermediate CA"
    );
    assert!(
        got.iter()
            .filter(|p| p.client != Client::Java && p.client != Client::Android)
            .all(|p| p.accepted)
    );
}

#[test]
fn java_refuses_a_blocked_anchor_before_any_check() {
    // `blocked.certs` lists distrusted public CAs, which the suite cannot give Java: the root of a
    // generated chain is put on the list here. `PKIXCertPathValidator` checks the anchor first:
    // the expired leaf is never looked at.
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["blocked.test"], NOW).valid(
        NOW - time::Duration::days(90),
        NOW - time::Duration::days(1),
    ));
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("blocked.test");
    let (mut choices, _) = choose_stores(&ClientEnv::default(), 0, 0, &[0]);
    let root = crate::diagnose::testkit::info(&pki.root.der());
    for choice in choices.iter_mut().filter(|c| c.client == Client::Java) {
        choice.blocked = vec![root.sha256];
    }
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    let got = predict(&choices, (&ctx, &diagnosis), None);
    assert_eq!(
        error_of(&got, Client::Java),
        "Untrusted certificate: CN=Test Root CA"
    );
}

#[test]
fn java_reads_the_common_name_only_without_dns_names_and_never_for_an_ip() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&[], NOW);
    spec.common_name = "cn.test".into();
    let leaf = pki.leaf_with(spec);
    let java = |case: Case| error_of(&predictions(&case.at(NOW)), Client::Java);
    let named = |name: &str| Case::new(&pki.chain(&leaf), vec![pki.custom()]).name(name);
    assert_eq!(java(named("cn.test")), "");
    assert_eq!(
        java(named("other.test")),
        "No name matching other.test found"
    );
    let mut by_ip = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
    by_ip.name = Some(Host::Ip("127.0.0.1".parse().unwrap()));
    assert_eq!(java(by_ip), "No subject alternative names present");
}

#[test]
fn every_prediction_names_the_client_version_it_assumes() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["ok.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("ok.test");
    for prediction in predictions(&case) {
        assert_eq!(prediction.assumes, profile(prediction.client).assumes);
    }
    let java = predictions(&case)
        .into_iter()
        .find(|p| p.client == Client::Java)
        .expect("java");
    assert_eq!(java.assumes, "OpenJDK 17 (JSSE, PKIX)");
    assert!(assumptions().starts_with("python-requests: requests 2"));
}

// Chrome's rules the suite cannot show on loopback: no served chain reaches a root of the Chrome
// Root Store (the 398-day limit and Certificate Transparency apply under those only), and Debian's
// chromium does not enforce CT (Google-branded Chrome does). `known_roots` stands in for "this
// store is the Chrome Root Store", with a generated root in it.

fn chrome_words(case: &Case, known_roots: bool, google_branded: bool) -> Option<String> {
    let ctx = case.ctx();
    chrome::verify(
        ctx.chain,
        &ctx.stores[0],
        &[],
        ctx.name,
        ctx.now,
        known_roots,
        chrome::Settings { google_branded },
        false,
    )
}

#[test]
fn chrome_limits_validity_to_398_days_under_its_own_roots_only() {
    let pki = Pki::new();
    let days = time::Duration::days;
    let leaf = pki.leaf_with(Spec::leaf(&["long.test"], NOW).valid(NOW - days(1), NOW + days(398)));
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("long.test");
    // 399 days in all: over the limit under a Chrome Root Store root, fine under an imported one
    // (the suite's `five-year-leaf` shows the latter on chromium 156).
    assert_eq!(
        chrome_words(&case, true, false).as_deref(),
        Some("net::ERR_CERT_VALIDITY_TOO_LONG")
    );
    assert_eq!(chrome_words(&case, false, false), None);
    let leaf = pki.leaf_with(Spec::leaf(&["long.test"], NOW).valid(NOW - days(1), NOW + days(397)));
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("long.test");
    assert_eq!(chrome_words(&case, true, false), None);
}

#[test]
fn google_branded_chrome_requires_scts_under_its_own_roots() {
    let pki = Pki::new();
    let days = time::Duration::days;
    let leaf_with = |valid: i64, logs: &[u8]| {
        let mut spec = Spec::leaf(&["ct.test"], NOW).valid(NOW - days(1), NOW + days(valid - 1));
        if !logs.is_empty() {
            spec.extensions.push(sct_extension(logs));
        }
        pki.leaf_with(spec)
    };
    let case = |leaf: &crate::demo::pki::Leaf| {
        Case::new(&pki.chain(leaf), vec![pki.custom()]).name("ct.test")
    };
    let ct = Some("net::ERR_CERTIFICATE_TRANSPARENCY_REQUIRED");
    // No SCT: Google-branded Chrome refuses under its own roots, nothing else does.
    let none = case(&leaf_with(90, &[]));
    assert_eq!(chrome_words(&none, true, true).as_deref(), ct);
    assert_eq!(chrome_words(&none, true, false), None);
    assert_eq!(chrome_words(&none, false, true), None);
    // 90 days: SCTs from 2 distinct logs are enough, 2 from one log are not.
    let two = leaf_with(90, &[1, 2]);
    assert_eq!(chrome_words(&case(&two), true, true), None);
    let one_log = leaf_with(90, &[7, 7]);
    assert_eq!(chrome_words(&case(&one_log), true, true).as_deref(), ct);
    // Over 180 days: 3 logs.
    let long = leaf_with(200, &[1, 2]);
    assert_eq!(chrome_words(&case(&long), true, true).as_deref(), ct);
    assert_eq!(
        chrome_words(&case(&leaf_with(200, &[1, 2, 3])), true, true),
        None
    );
    // The parsed SCTs and the policy's account of what is missing.
    let info = crate::diagnose::testkit::info(&long.der);
    assert_eq!(info.sct_count, 2);
    assert_eq!(info.scts[0].log_id, "01".repeat(32));
    assert_eq!(info.scts[0].timestamp, "2030-01-01T00:00:00Z");
    assert_eq!(
        chrome::ct_policy(&info).unwrap_err(),
        "2 embedded SCT(s) from 2 distinct log(s); Chrome's policy asks for 3 for a validity of 200 days (log operators not checked: no CT log list)"
    );
}

#[test]
fn chrome_safari_and_windows_fetch_the_missing_intermediate_and_no_other_client_does() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["aia.test"]);
    let case = Case::new(std::slice::from_ref(&leaf.der), vec![pki.custom()]).name("aia.test");
    let completion = crate::diagnose::Completion {
        certs: vec![(
            "http://127.0.0.1/int.der".into(),
            crate::diagnose::testkit::info(&pki.inter.der()),
        )],
        anchors: vec![Some("CN=Test Root CA".into())],
        failures: Vec::new(),
    };
    let (choices, _) = choose_stores(&ClientEnv::default(), 0, 0, &[0]);
    let diagnosis = case.diagnose();
    let without = predict(&choices, (&case.ctx(), &diagnosis), None);
    assert!(without.iter().all(|p| !p.accepted));
    assert_eq!(
        error_of(&without, Client::Chrome),
        "net::ERR_CERT_AUTHORITY_INVALID"
    );
    let ctx = case.ctx().with_completion(Some(&completion));
    let with = predict(&choices, (&ctx, &diagnosis), None);
    let accepting: Vec<Client> = with
        .iter()
        .filter(|p| p.accepted)
        .map(|p| p.client)
        .collect();
    // Apple's trustd and .NET fetch it too; Android does not (and ignores the --ca-file).
    assert_eq!(accepting, [Client::Chrome, Client::Safari, Client::Windows]);
}

#[test]
fn the_chrome_root_store_is_embedded_and_chrome_uses_it_by_default() {
    let crs = crate::trust::store::load_chrome_root_store();
    assert_eq!(crs.anchors.len(), 133);
    assert!(crs.errors.is_empty(), "{:?}", crs.errors);
    assert_eq!(
        crs.source,
        "Chrome Root Store (version 12, 133 roots, as embedded)"
    );
    let (choices, extra) = choose_stores(&ClientEnv::default(), 0, 1, &[]);
    let chrome = choices
        .iter()
        .find(|c| c.client == Client::Chrome)
        .expect("chrome");
    assert_eq!(extra[0], ExtraStore::ChromeRootStore);
    assert_eq!(chrome.choice, StoreChoice::Extra(0));
    // A private chain is refused under it, as Chromium refuses a root nobody imported.
    let pki = Pki::new();
    let leaf = pki.leaf(&["corp.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![crs]).name("corp.test");
    assert_eq!(
        chrome_words(&case, true, true).as_deref(),
        Some("net::ERR_CERT_AUTHORITY_INVALID")
    );
}

#[test]
fn chrome_checks_the_dates_of_an_imported_anchor_not_of_its_own_roots() {
    // An expired root imported into NSS is DATE_INVALID (the suite's `expired-root` on chromium
    // 156); a Chrome Root Store root's expiry is not enforced (client-rules.md 2.6, [inf]).
    let old = NOW - time::Duration::days(400);
    let root = crate::demo::pki::Authority::root(
        &Spec::ca("Old Root", old).valid(old, NOW - time::Duration::days(1)),
    )
    .expect("root");
    let inter = root
        .intermediate(&Spec::ca("Int", NOW))
        .expect("intermediate");
    let leaf = inter.leaf(&Spec::leaf(&["old.test"], NOW)).expect("leaf");
    let anchors = store(StoreKind::Custom, "old.pem", &[root.der()]);
    let case = Case::new(&[leaf.der.clone(), inter.der()], vec![anchors]).name("old.test");
    assert_eq!(
        chrome_words(&case, false, false).as_deref(),
        Some("net::ERR_CERT_DATE_INVALID")
    );
    assert_eq!(chrome_words(&case, true, false), None);
}

/// A leaf spec with SCTs from two logs, as a certificate under a public root has (Firefox and
/// Chrome require them there).
fn with_scts(names: &[&str]) -> Spec {
    let mut spec = Spec::leaf(names, NOW);
    spec.extensions.push(sct_extension(&[1, 2]));
    spec
}

#[test]
fn firefox_requires_certificate_transparency_under_built_in_roots_only() {
    // CertVerifier.cpp `VerifyCertificateTransparencyPolicy` (Firefox 135+ desktop): built-in
    // roots only, after the path and before the name. No served chain reaches a real built-in
    // root, so a generated root in a `Bundled` store stands in for one.
    let pki = Pki::new();
    let bare = pki.leaf(&["ct.test"]);
    let built_in = || store(StoreKind::Bundled, "built-in", &[pki.root.der()]);
    assert_eq!(
        firefox_says(&pki.chain(&bare), &[built_in()], "ct.test", NOW).as_deref(),
        Some("MOZILLA_PKIX_ERROR_INSUFFICIENT_CERTIFICATE_TRANSPARENCY")
    );
    // It wins over a name mismatch, which is checked after the path.
    assert_eq!(
        firefox_says(&pki.chain(&bare), &[built_in()], "other.test", NOW).as_deref(),
        Some("MOZILLA_PKIX_ERROR_INSUFFICIENT_CERTIFICATE_TRANSPARENCY")
    );
    assert_eq!(
        firefox_says(&pki.chain(&bare), &[pki.custom()], "ct.test", NOW),
        None
    );
    let logged = pki.leaf_with(with_scts(&["ct.test"]));
    assert_eq!(
        firefox_says(&pki.chain(&logged), &[built_in()], "ct.test", NOW),
        None
    );
}

/// Firefox under its built-in roots: `stores` of kind `Bundled` stand in for them, since no
/// chain to a real built-in root can be served on loopback (the suite's roots are all private).
fn firefox_says(
    chain: &[Vec<u8>],
    stores: &[TrustStore],
    name: &str,
    now: time::OffsetDateTime,
) -> Option<String> {
    let case = Case::new(chain, Vec::new()).name(name);
    let stores: Vec<&TrustStore> = stores.iter().collect();
    firefox::verify(&case.chain, &stores, case.name.as_ref(), now)
}

#[test]
fn firefox_refuses_rsa_1024_only_under_a_built_in_root() {
    // CertVerifier.cpp: the RSA-1024 fallback pass is refused for built-in roots; the suite's
    // rsa1024-leaf case measures the private-root half (accepted).
    use crate::diagnose::testkit::{FIXTURES_NOW, fixture};
    let chain = [fixture("rsa1024-leaf")];
    let built_in = store(StoreKind::Bundled, "built-in", &[fixture("root")]);
    let private = store(StoreKind::Custom, "root.pem", &[fixture("root")]);
    assert_eq!(
        firefox_says(&chain, &[built_in], "rsa1024.test", FIXTURES_NOW).as_deref(),
        Some("MOZILLA_PKIX_ERROR_INADEQUATE_KEY_SIZE")
    );
    assert_eq!(
        firefox_says(&chain, &[private], "rsa1024.test", FIXTURES_NOW),
        None
    );
}

#[test]
fn firefox_may_fill_a_missing_public_intermediate_from_its_preloaded_list() {
    // NSSCertDBTrustDomain::FindIssuer takes preloaded CCADB intermediates (public PKI only) and
    // never AIA: certcheck cannot know offline whether the missing one is disclosed, so under
    // the built-in roots it says so; under an imported private root the refusal is certain
    // (the suite's missing-intermediate case).
    let pki = Pki::new();
    let leaf = pki.leaf_with(with_scts(&["alone.test"]));
    let alone = std::slice::from_ref(&leaf.der);
    let built_in = store(StoreKind::Bundled, "built-in", &[pki.root.der()]);
    assert_eq!(
        firefox_says(alone, &[built_in], "alone.test", NOW),
        Some(format!(
            "SEC_ERROR_UNKNOWN_ISSUER{}",
            firefox::PRELOADED_NOTE
        ))
    );
    assert_eq!(
        firefox_says(alone, &[pki.custom()], "alone.test", NOW).as_deref(),
        Some("SEC_ERROR_UNKNOWN_ISSUER")
    );
    // With the intermediate sent, the built-in root verifies it.
    let built_in = store(StoreKind::Bundled, "built-in", &[pki.root.der()]);
    assert_eq!(
        firefox_says(&pki.chain(&leaf), &[built_in], "alone.test", NOW),
        None
    );
}

#[test]
fn firefox_refuses_an_intermediate_with_an_unknown_critical_extension() {
    // pkixbuild.cpp `PathBuildingStep::Check`: the candidate issuer's `BackCert::Init` fails on
    // an unknown critical extension, and it is the only candidate (source only: the suite's
    // case puts the extension on the leaf).
    let pki = Pki::new();
    let mut spec = Spec::ca("Critical Intermediate CA", NOW);
    let mut ext =
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
    ext.set_criticality(true);
    spec.extensions.push(ext);
    let inter = pki.root.intermediate(&spec).expect("intermediate");
    let leaf = inter.leaf(&Spec::leaf(&["crit.test"], NOW)).expect("leaf");
    let chain = [leaf.der.clone(), inter.der()];
    assert_eq!(
        firefox_says(&chain, &[pki.custom()], "crit.test", NOW).as_deref(),
        Some("SEC_ERROR_UNKNOWN_CRITICAL_EXTENSION")
    );
}

#[test]
fn firefox_keeps_its_built_in_roots_beside_a_ca_file() {
    // A CA imported into Firefox's cert DB adds to its built-in roots (certutil -A): a chain to
    // a built-in root still verifies, while the clients given `verify=PATH` use the file alone.
    let public = Pki::new();
    let private = Pki::new();
    let leaf = public.leaf_with(with_scts(&["public.test"]));
    let built_in = store(StoreKind::Bundled, "built-in", &[public.root.der()]);
    let case =
        Case::new(&public.chain(&leaf), vec![private.custom(), built_in]).name("public.test");
    let (choices, _) = choose_stores(&ClientEnv::default(), 1, 1, &[0]);
    let ctx = case.ctx();
    let diagnosis = case.diagnose();
    let got = predict(&choices, (&ctx, &diagnosis), None);
    let firefox = got
        .iter()
        .find(|p| p.client == Client::Firefox)
        .expect("firefox");
    assert!(firefox.accepted, "{firefox:?}");
    assert!(
        firefox
            .store
            .ends_with(", beside its built-in roots (bundled)")
    );
    let curl = got.iter().find(|p| p.client == Client::Curl).expect("curl");
    assert!(!curl.accepted);
}

// The platforms predicted from documented rules (`platform`): no runner for them here, so each
// rule is shown on generated chains under a stand-in of the platform's store.

/// What `os` says of `case` under its first store at `now`, with `fetched` from AIA.
fn platform_says(
    os: platform::Os,
    case: &Case,
    fetched: &[&crate::chain::CertInfo],
    now: time::OffsetDateTime,
) -> Option<String> {
    platform::verify(
        os,
        &case.chain,
        &case.stores[0],
        fetched,
        case.name.as_ref(),
        now,
    )
}

/// A root and an intermediate valid from 2019-01-01 for twenty years (Apple's cut-off dates).
fn pki_since_2019() -> Pki {
    use crate::demo::pki::Authority;
    let from = time::macros::datetime!(2019-01-01 0:00 UTC);
    let spec = |cn: &str| Spec::ca(cn, from).valid(from, from + time::Duration::days(7300));
    let root = Authority::root(&spec("Test Root CA")).expect("root");
    let inter = root
        .intermediate(&spec("Test Intermediate CA"))
        .expect("intermediate");
    Pki { root, inter }
}

/// A leaf of `pki` for `name`, valid from `not_before` for `days` days.
fn leaf_for_days(pki: &Pki, name: &str, not_before: time::OffsetDateTime, days: i64) -> Vec<u8> {
    let spec = Spec::leaf(&[name], NOW).valid(not_before, not_before + time::Duration::days(days));
    pki.leaf_with(spec).der
}

#[test]
fn apple_limits_validity_to_398_days_under_its_own_roots_from_2020_09_01() {
    use time::macros::datetime;
    let pki = pki_since_2019();
    let apple = store(StoreKind::Apple, "apple-fixture", &[pki.root.der()]);
    let issued = datetime!(2020-09-02 0:00 UTC);
    let at = issued + time::Duration::days(30);
    // 398 days plus the inclusive second counts as 399 Apple days: refused under Apple's root.
    let long = leaf_for_days(&pki, "long.test", issued, 398);
    let info = crate::diagnose::testkit::info(&long);
    assert_eq!(platform::validity_days(&info), 399);
    let chain = [long.clone(), pki.inter.der()];
    let case = Case::new(&chain, vec![apple.clone()]).name("long.test");
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], at),
        Some(platform::apple_untrusted("long.test"))
    );
    let parsed = Case::new(&chain, Vec::new());
    assert_eq!(
        platform::apple_policy(&parsed.chain, &info, true).as_deref(),
        Some("valid for 399 days (398 at most under Apple's roots from 2020-09-01)")
    );
    // Under a root the user added, the 398-day rule does not apply (only 825 days does).
    let case = Case::new(&chain, vec![pki.custom()]).name("long.test");
    assert_eq!(platform_says(platform::Os::Apple, &case, &[], at), None);
    // Issued the day before the cut-off, 398 days is still fine under Apple's root (its CT
    // counts are met by three embedded SCTs).
    let mut spec = Spec::leaf(&["old.test"], NOW).valid(
        datetime!(2020-08-31 0:00 UTC),
        datetime!(2021-08-31 0:00 UTC) + time::Duration::days(32),
    );
    spec.extensions.push(sct_extension(&[1, 2, 3]));
    let before = pki.leaf_with(spec).der;
    let case = Case::new(&[before, pki.inter.der()], vec![apple]).name("old.test");
    assert_eq!(platform_says(platform::Os::Apple, &case, &[], at), None);
}

#[test]
fn apple_limits_validity_to_825_days_from_2019_07_01_under_every_root() {
    use time::macros::datetime;
    let pki = pki_since_2019();
    let issued = datetime!(2019-07-02 0:00 UTC);
    let at = issued + time::Duration::days(30);
    let long = leaf_for_days(&pki, "long.test", issued, 825);
    let case = Case::new(&[long.clone(), pki.inter.der()], vec![pki.custom()]).name("long.test");
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], at),
        Some(platform::apple_untrusted("long.test"))
    );
    let info = crate::diagnose::testkit::info(&long);
    assert_eq!(
        platform::apple_policy(&case.chain, &info, false).as_deref(),
        Some("valid for 826 days (825 at most from 2019-07-01)")
    );
    let fine = leaf_for_days(&pki, "ok.test", issued, 824);
    let case = Case::new(&[fine, pki.inter.der()], vec![pki.custom()]).name("ok.test");
    assert_eq!(platform_says(platform::Os::Apple, &case, &[], at), None);
    // Issued before 2019-07-01: no limit.
    let older = leaf_for_days(&pki, "old.test", datetime!(2019-06-30 0:00 UTC), 1000);
    let case = Case::new(&[older, pki.inter.der()], vec![pki.custom()]).name("old.test");
    assert_eq!(platform_says(platform::Os::Apple, &case, &[], at), None);
}

#[test]
fn apple_requires_the_server_auth_eku_and_refuses_rsa_below_2048() {
    let pki = Pki::new();
    let mut spec = Spec::leaf(&["noeku.test"], NOW);
    spec.eku.clear();
    let leaf = pki.leaf_with(spec);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("noeku.test");
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], NOW),
        Some(platform::apple_untrusted("noeku.test"))
    );
    let info = crate::diagnose::testkit::info(&leaf.der);
    assert_eq!(info.ext_key_usage, None);
    assert_eq!(
        platform::apple_policy(&case.chain, &info, false).as_deref(),
        Some("no extendedKeyUsage serverAuth (required from 2019-07-01)")
    );
    // Chrome and Windows take a leaf without EKU.
    assert_eq!(chrome_words(&case, false, false), None);
    assert_eq!(platform_says(platform::Os::Windows, &case, &[], NOW), None);
    // RSA-1024: Apple refuses it whatever the root (Chrome accepts it).
    use crate::diagnose::testkit::{FIXTURES_NOW, fixture};
    let chain = [fixture("rsa1024-leaf")];
    let case = Case::new(
        &chain,
        vec![store(StoreKind::Custom, "root.pem", &[fixture("root")])],
    )
    .name("rsa1024.test");
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], FIXTURES_NOW),
        Some(platform::apple_untrusted("rsa1024.test"))
    );
    let leaf = crate::diagnose::testkit::info(&chain[0]);
    let words = platform::apple_policy(&case.chain, &leaf, false).unwrap_or_default();
    assert!(
        words.starts_with("RSA key of 1024 bits on ") && words.ends_with(" (Apple asks for 2048)"),
        "{words}"
    );
}

#[test]
fn apple_counts_scts_by_issuance_date_under_its_own_roots() {
    use time::macros::datetime;
    let pki = pki_since_2019();
    let apple = store(StoreKind::Apple, "apple-fixture", &[pki.root.der()]);
    let issued = datetime!(2029-06-01 0:00 UTC);
    let at = issued + time::Duration::days(30);
    // 200 days from 2021-04-21 on: 3 SCTs from distinct logs; two are not enough.
    let mut spec = Spec::leaf(&["ct.test"], NOW).valid(issued, issued + time::Duration::days(200));
    spec.extensions.push(sct_extension(&[1, 2]));
    let two = pki.leaf_with(spec.clone());
    let info = crate::diagnose::testkit::info(&two.der);
    assert_eq!(platform::apple_scts_needed(&info), 3);
    let case = Case::new(&pki.chain(&two), vec![apple.clone()]).name("ct.test");
    assert_eq!(
        platform::apple_policy(&case.chain, &info, true).as_deref(),
        Some("2 embedded SCT(s) from distinct logs, 3 needed")
    );
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], at),
        Some(platform::apple_untrusted("ct.test"))
    );
    // Not under a root the user added.
    assert_eq!(platform::apple_policy(&case.chain, &info, false), None);
    spec.extensions = vec![sct_extension(&[1, 2, 3])];
    let three = pki.leaf_with(spec);
    let case = Case::new(&pki.chain(&three), vec![apple]).name("ct.test");
    assert_eq!(platform_says(platform::Os::Apple, &case, &[], at), None);
    // 180 days or less: 2.
    let short = leaf_for_days(&pki, "s.test", issued, 179);
    assert_eq!(
        platform::apple_scts_needed(&crate::diagnose::testkit::info(&short)),
        2
    );
}

#[test]
fn apple_words_dates_with_their_own_codes() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["date.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("date.test");
    let year = time::Duration::days(365);
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], NOW + year).as_deref(),
        Some("NSURLErrorServerCertificateHasBadDate (-1201)")
    );
    assert_eq!(
        platform_says(platform::Os::Apple, &case, &[], NOW - year).as_deref(),
        Some("NSURLErrorServerCertificateNotYetValid (-1204)")
    );
    assert_eq!(
        platform_says(platform::Os::Windows, &case, &[], NOW + year).as_deref(),
        Some(
            "The remote certificate is invalid because of errors in the certificate chain: NotTimeValid"
        )
    );
    assert_eq!(
        platform_says(platform::Os::Android, &case, &[], NOW + year).as_deref(),
        Some(
            "javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: timestamp check failed"
        )
    );
}

#[test]
fn windows_refuses_a_blocked_certificate_and_fetches_a_missing_intermediate() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["win.test"]);
    let mut windows = store(StoreKind::Windows, "windows-fixture", &[pki.root.der()]);
    let case = Case::new(&pki.chain(&leaf), vec![windows.clone()]).name("win.test");
    assert_eq!(platform_says(platform::Os::Windows, &case, &[], NOW), None);
    windows.blocked = vec![crate::chain::Fingerprint::of(&pki.inter.der()).0];
    let case = Case::new(&pki.chain(&leaf), vec![windows.clone()]).name("win.test");
    assert_eq!(
        platform_says(platform::Os::Windows, &case, &[], NOW).as_deref(),
        Some(
            "The remote certificate is invalid because of errors in the certificate chain: ExplicitDistrust"
        )
    );
    // The leaf alone: PartialChain, until the intermediate is fetched over AIA.
    windows.blocked.clear();
    let alone = Case::new(std::slice::from_ref(&leaf.der), vec![windows]).name("win.test");
    assert_eq!(
        platform_says(platform::Os::Windows, &alone, &[], NOW).as_deref(),
        Some(
            "The remote certificate is invalid because of errors in the certificate chain: PartialChain"
        )
    );
    let inter = crate::diagnose::testkit::info(&pki.inter.der());
    assert_eq!(
        platform_says(platform::Os::Windows, &alone, &[&inter], NOW),
        None
    );
    // Android does not fetch it: no trust anchor.
    let android = store(StoreKind::Android, "android-fixture", &[pki.root.der()]);
    let alone = Case::new(std::slice::from_ref(&leaf.der), vec![android]).name("win.test");
    assert_eq!(
        platform_says(platform::Os::Android, &alone, &[&inter], NOW).as_deref(),
        Some(platform::ANDROID_UNTRUSTED)
    );
    // The embedded Windows store carries the disallowed list the profile reads.
    let embedded = crate::trust::platform::load_platform(StoreKind::Windows);
    assert!(!embedded.blocked.is_empty());
    assert!(embedded.anchors.len() > 100);
}

#[test]
fn android_ignores_a_user_ca_and_names_the_host_it_could_not_verify() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["app.test"]);
    let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("app.test");
    let (choices, extra) = choose_stores(&ClientEnv::default(), 0, 0, &[0]);
    let android = choices
        .iter()
        .find(|c| c.client == Client::Android)
        .expect("android");
    // Its store stays the AOSP one: the CA file would be a user CA.
    let StoreChoice::Extra(i) = android.choice else {
        panic!("android keeps its platform store: {:?}", android.choice);
    };
    assert_eq!(extra[i], ExtraStore::Platform(StoreKind::Android));
    let aosp = crate::trust::platform::load_platform(StoreKind::Android);
    let under_aosp = Case::new(&pki.chain(&leaf), vec![aosp]).name("app.test");
    let extra_ctx = under_aosp.ctx();
    let got = predict(
        std::slice::from_ref(android),
        (&case.ctx(), &case.diagnose()),
        Some(&extra_ctx),
    );
    assert_eq!(got[0].error.as_deref(), Some(platform::ANDROID_UNTRUSTED));
    assert!(got[0].trust_problem);
    // Under a store that holds the root (an app's network_security_config), the name decides.
    let other = Case::new(&pki.chain(&leaf), vec![pki.custom()]).name("other.test");
    assert_eq!(
        platform_says(platform::Os::Android, &other, &[], NOW).as_deref(),
        Some("javax.net.ssl.SSLPeerUnverifiedException: Hostname other.test not verified")
    );
    assert_eq!(platform_says(platform::Os::Android, &case, &[], NOW), None);
}
