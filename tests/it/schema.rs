//! `schema/certcheck.schema.json`: generated from the report types (schemars) and committed; this
//! module fails when the two differ, and validates real output of every kind against it with the
//! jsonschema crate (every `run_json` of the other modules is validated too, in `support`).
//!
//! After changing a report type: `CERTCHECK_BLESS_SCHEMA=1 cargo test --test it schema::` rewrites
//! the committed file; review the diff and commit it with the change.

use crate::support::schema::{self, Kind};
use crate::support::{FIXTURES_AT, Pki, TestEnv, fixture, run_json, serve, target};

#[test]
fn the_committed_schema_is_the_generated_one() {
    let generated = certcheck::report::schema::json_schema();
    let path = schema::path();
    if std::env::var_os("CERTCHECK_BLESS_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write the schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/certcheck.schema.json is not what the report types generate; run \
         `CERTCHECK_BLESS_SCHEMA=1 cargo test --test it schema::` and commit the result"
    );
}

/// Every demo case (valid, expired, wrong name, self-signed, untrusted root, missing
/// intermediate...) as one `--json` document, and live results as `--jsonl` lines.
#[test]
fn demo_and_live_output_matches_the_schema_as_json_and_jsonl() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let json = env.base().args(["demo", "--json"]).output().expect("runs");
    let text = String::from_utf8_lossy(&json.stdout);
    schema::check_text(Kind::Report, &text);
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert!(
        value["results"].as_array().is_some_and(|r| r.len() >= 6),
        "{text}"
    );

    let leaf = pki.leaf(&["line.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let lines = env
        .cmd()
        .args(["--jsonl", "--showcerts", "--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(target("line.test", &server))
        .arg(target("other.test", &server))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&lines.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for line in stdout.lines() {
        schema::check_text(Kind::Line, line);
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(value["checked_at"], "2030-01-01T00:00:00Z");
        assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
        assert!(value["chain"][0]["pem"].is_string(), "{line}");
    }
}

#[test]
fn stores_output_matches_the_schema() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env
        .base()
        .args(["stores", "--json", "--ca-file"])
        .arg(&env.root_file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    schema::check_text(Kind::Stores, &String::from_utf8_lossy(&output.stdout));
}

/// Every committed fixture, alone and with `--each`, and `show` with every detail.
#[test]
fn every_fixture_matches_the_schema_under_inspect_and_show() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/weak");
    let mut pems: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .collect();
    pems.sort();
    assert!(pems.len() >= 6, "{pems:?}");
    for args in [&["inspect"][..], &["inspect", "--each"], &["show"]] {
        let mut cmd = env.cmd_at(FIXTURES_AT);
        cmd.args(args).arg("--json").args(&pems);
        let output = cmd.output().expect("runs");
        schema::check_text(Kind::Report, &String::from_utf8_lossy(&output.stdout));
    }
    // `show`'s chain entries carry the details and the PEM the schema describes.
    let mut cmd = env.cmd_at(FIXTURES_AT);
    cmd.args(["show", "--json", "--ca-file"])
        .arg(fixture("root.pem"))
        .arg(fixture("sha1-leaf.pem"));
    let report = run_json(&mut cmd, 1);
    assert!(report.results[0].chain[0].details.is_some());
}

#[test]
fn a_malformed_document_is_refused_by_the_schema() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env.base().args(["demo", "--json"]).output().expect("runs");
    let mut value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    value["results"][0]["status"] = "fine".into();
    value["results"][0]["surprise"] = true.into();
    let validator_says = std::panic::catch_unwind(|| schema::check(Kind::Report, &value));
    assert!(
        validator_says.is_err(),
        "a bad status and an unknown field must fail"
    );
}
