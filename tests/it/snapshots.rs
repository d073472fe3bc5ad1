//! Snapshots of the human output for representative chains, through the real pipeline (in
//! process, fixed `--at`, no colour, fixed width). Generated keys make serials, fingerprints and
//! key identifiers change every run, so they are masked.

use certcheck::chain::parse_chain;
use certcheck::config::Settings;
use certcheck::demo::pki::Spec;
use certcheck::evaluate::{Evidence, Stores, evaluate};
use certcheck::render::{Style, human};
use certcheck::report::{Origin, Report, Source};
use certcheck::target::Host;
use certcheck::trust::{StoreKind, TrustStore};

use crate::support::{AT, Pki, at, days};

fn settings() -> Settings {
    Settings {
        now: at(),
        warn_days: 30,
        fail_days: None,
        timeout: std::time::Duration::from_secs(10),
        concurrency: 1,
        deciding: certcheck::clients::Selection::ALL,
        client_identity: None,
        fetch: false,
        check_revocation: false,
    }
}

fn render(pki: &Pki, chain: Vec<Vec<u8>>, name: &str) -> String {
    let stores = vec![TrustStore::from_ders(
        StoreKind::Custom,
        "root.pem".into(),
        vec![(pki.root.der(), "root.pem".into())],
    )];
    let chain = parse_chain(&chain);
    let host = Host::Dns(name.into());
    let origin = Origin {
        target: format!("{name}:443"),
        host: None,
        port: None,
        server_name: Some(host.to_string()),
        address: None,
        connect_to: None,
        route: None,
        route_reason: None,
        source: Source::Tls,
        tls: None,
        starttls: None,
    };
    let evidence = Evidence::new(origin, &chain).with_name(Some(&host));
    let result = evaluate(
        &evidence,
        &Stores::without_clients(stores),
        &settings().policy(),
    );
    let report = Report {
        version: "test".into(),
        checked_at: AT.into(),
        results: vec![result],
    };
    let mut out = Vec::new();
    human::write(&report, Style::plain(110), &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

fn settings_for_insta() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"(?:[0-9A-F]{2}:){19}[0-9A-F]{2}", "[KEY-ID]");
    settings.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
    settings
}

#[test]
fn expired_leaf() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["expired.test"], at()).valid(days(-100), days(-58)));
    let out = render(&pki, vec![leaf.der, pki.inter.der()], "expired.test");
    settings_for_insta().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn missing_intermediate_with_wrong_name() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(
        Spec::leaf(&["www.shop.test", "shop.test"], at()).ca_issuers("http://ca.test/inter.crt"),
    );
    let out = render(&pki, vec![leaf.der], "api.shop.test");
    settings_for_insta().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn valid_chain_sent_with_its_root() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["ok.test"]);
    let out = render(
        &pki,
        vec![leaf.der, pki.inter.der(), pki.root.der()],
        "ok.test",
    );
    settings_for_insta().bind(|| insta::assert_snapshot!(out));
}
