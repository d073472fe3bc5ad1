//! `--platform-stores`: the embedded platform stores as comparison stores, on real roots from
//! `data/trust-stores/` (inspect) and on a generated chain served on loopback (they never decide).

use std::path::PathBuf;

use crate::support::{self, Pki, TestEnv, run_json};

/// SwissSign Silver CA - G2: trusted by Apple and OpenJDK 17, blocked by Windows, in neither
/// Android's nor Mozilla's list.
const SWISSSIGN_SILVER_G2: &str =
    "be6c4da2bbb9ba59b6f3939768374246c3c005993fa98f020d1dedbed48a81d5";

fn real_root(sha256: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/trust-stores/certificates")
        .join(format!("{sha256}.pem"))
}

#[test]
fn a_real_root_is_held_by_the_platforms_that_trust_it_and_blocked_by_windows() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let report = run_json(
        env.cmd()
            .args(["inspect", "--json", "--platform-stores"])
            .arg(real_root(SWISSSIGN_SILVER_G2)),
        1,
    );
    let result = &report.results[0];
    let stores: Vec<&str> = result.trust.iter().map(|t| t.store.as_str()).collect();
    assert_eq!(
        stores,
        [
            "system",
            "bundled",
            "apple",
            "android",
            "windows",
            "mozilla",
            "java-openjdk"
        ]
    );
    assert_eq!(
        result.store("windows").error.as_deref(),
        Some("blocked-certificate")
    );
    assert_eq!(
        result.store("java-openjdk").source,
        "OpenJDK jdk-17.0.2 as of 2022-01-23 (embedded, 38 blocked)"
    );
    let self_signed = result.finding("self-signed");
    assert_eq!(
        self_signed.message,
        "certificate 0 (C=CH, O=SwissSign AG, CN=SwissSign Silver CA - G2) is self-signed (its issuer is itself and its signature verifies with its own key) and is not in stores system, bundled, android, windows and mozilla; it is held by apple, java-openjdk"
    );
    let blocked = result.finding("blocked-certificate");
    assert_eq!(blocked.certificate, Some(0));
    assert_eq!(
        blocked.stores.as_deref(),
        Some(&["windows".to_string()][..])
    );
    assert_eq!(
        blocked.message,
        format!(
            "certificate 0 (C=CH, O=SwissSign AG, CN=SwissSign Silver CA - G2, SHA-256 {SWISSSIGN_SILVER_G2}) is on the blocked list of store windows (Microsoft Windows as of 2026-07-19 (embedded, 218 blocked)), so it refuses the leaf itself"
        )
    );
    // Only the stores asked for, in report order.
    let report = run_json(
        env.cmd()
            .args(["inspect", "--json", "--platform-stores=windows,apple"])
            .arg(real_root(SWISSSIGN_SILVER_G2)),
        1,
    );
    let stores: Vec<&str> = report.results[0]
        .trust
        .iter()
        .map(|t| t.store.as_str())
        .collect();
    assert_eq!(stores, ["system", "bundled", "apple", "windows"]);
}

#[test]
fn platform_stores_compare_but_never_decide_a_live_check() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = pki.leaf(&["platform.test"]);
    let server = support::serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let target = support::target("platform.test", &server);
    let report = run_json(env.check(&target, &server).arg("--platform-stores"), 0);
    let result = &report.results[0];
    assert_eq!(result.status, "ok");
    assert!(result.store("custom").trusted);
    for kind in ["apple", "android", "windows", "mozilla", "java-openjdk"] {
        let entry = result.store(kind);
        assert!(!entry.trusted, "{kind}");
        assert_eq!(entry.error.as_deref(), Some("unknown-issuer"), "{kind}");
    }
    let disagreement = result.finding("trust-store-disagreement");
    assert!(
        disagreement.message.starts_with("trusted under custom ("),
        "{}",
        disagreement.message
    );
    assert!(result.with_code("interception-suspected").is_empty());
}

#[test]
fn stores_lists_every_platform_store_with_its_date_and_bad_names_are_refused() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env
        .base()
        .args(["stores", "--json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let platform: Vec<(String, String, u64, u64)> = doc["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .filter(|s| s.get("snapshot").is_some())
        .map(|s| {
            let snap = &s["snapshot"];
            (
                s["store"].as_str().unwrap_or_default().to_string(),
                snap["fetched"].as_str().unwrap_or_default().to_string(),
                snap["trusted"].as_u64().unwrap_or_default(),
                snap["blocked"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("apple", "2025-12-28", 156, 0),
        ("android", "2026-06-21", 145, 0),
        ("windows", "2026-07-19", 331, 218),
        ("mozilla", "2026-07-19", 121, 0),
        ("java-openjdk", "2022-01-23", 89, 38),
    ];
    let expected: Vec<(String, String, u64, u64)> = expected
        .iter()
        .map(|(s, d, t, b)| (s.to_string(), d.to_string(), *t, *b))
        .collect();
    assert_eq!(platform, expected);
    let output = env
        .cmd()
        .args(["inspect", "--platform-stores=windoze"])
        .arg(real_root(SWISSSIGN_SILVER_G2))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("windoze"), "{stderr}");
    assert!(stderr.contains("java-openjdk"), "{stderr}");
}
