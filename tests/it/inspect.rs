//! `certcheck inspect`: every input format, --untrusted, --host, --each, --key and every bad file.

use std::path::{Path, PathBuf};

use certcheck::demo::pki::{Leaf, Spec};

use crate::support::{self, Pki, TestEnv, at, days, run_json};

fn pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

/// A PKCS#7 SignedData holding only certificates, as `openssl crl2pkcs7 -nocrl` makes.
pub(crate) fn pkcs7(ders: &[Vec<u8>]) -> Vec<u8> {
    use yasna::models::ObjectIdentifier;
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_oid(&ObjectIdentifier::from_slice(&[1, 2, 840, 113549, 1, 7, 2]));
            w.next().write_tagged(yasna::Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next().write_u8(1);
                    w.next().write_set(|_| {});
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&ObjectIdentifier::from_slice(&[
                            1, 2, 840, 113549, 1, 7, 1,
                        ]));
                    });
                    w.next().write_tagged_implicit(yasna::Tag::context(0), |w| {
                        w.write_set(|w| {
                            for der in ders {
                                w.next().write_der(der);
                            }
                        })
                    });
                    w.next().write_set(|_| {});
                })
            });
        })
    })
}

struct Setup {
    pki: Pki,
    env: TestEnv,
    leaf: Leaf,
}

fn setup() -> Setup {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = pki.leaf(&["file.test", "192.0.2.7"]);
    Setup { pki, env, leaf }
}

impl Setup {
    fn fullchain(&self) -> String {
        format!("{}{}", pem(&self.leaf.der), pem(&self.pki.inter.der()))
    }

    fn inspect(&self) -> assert_cmd::Command {
        let mut cmd = self.env.cmd();
        cmd.args(["inspect", "--json", "--ca-file"])
            .arg(&self.env.root_file);
        cmd
    }
}

#[test]
fn pem_fullchain_with_text_crlf_and_bom() {
    let s = setup();
    let text = format!(
        "\u{feff}Bag Attributes\r\nsubject=/CN=file.test\r\n{}",
        s.fullchain().replace('\n', "\r\n")
    );
    let path = write(s.env.dir.path(), "fullchain.pem", text);
    let report = run_json(s.inspect().arg("--host").arg("file.test").arg(&path), 0);
    let result = &report.results[0];
    assert_eq!(result.source, "file");
    assert_eq!(result.target, path.display().to_string());
    assert_eq!(result.host.as_deref(), Some("file.test"));
    assert_eq!(result.port, None);
    assert_eq!(result.chain.len(), 2);
    assert!(result.store("custom").trusted);
    assert!(result.tls.is_none());
}

#[test]
fn der_pkcs7_pem_and_der_and_stdin() {
    let s = setup();
    let dir = s.env.dir.path();
    let der = write(dir, "leaf.der", &s.leaf.der);
    let p7 = pkcs7(&[s.pki.inter.der(), s.leaf.der.clone()]);
    let p7b = write(dir, "chain.p7b", &p7);
    let p7c = write(
        dir,
        "chain.p7c",
        pem::encode(&pem::Pem::new("PKCS7", p7.clone())),
    );
    // DER leaf alone: the intermediate is missing.
    let report = run_json(s.inspect().arg(&der), 1);
    assert_eq!(report.results[0].chain.len(), 1);
    report.results[0].finding("unknown-issuer");
    // PKCS#7, DER and PEM: the leaf is put first whatever the SET order.
    for path in [&p7b, &p7c] {
        let report = run_json(s.inspect().arg(path), 0);
        let result = &report.results[0];
        assert_eq!(result.chain.len(), 2, "{}", path.display());
        assert_eq!(result.chain[0].subject, "CN=file.test");
    }
    // Standard input.
    let report = run_json(s.inspect().arg("-").write_stdin(s.fullchain()), 0);
    assert_eq!(report.results[0].target, "-");
    assert_eq!(report.results[0].chain.len(), 2);
}

#[test]
fn untrusted_pool_completes_the_path_but_the_file_is_still_incomplete() {
    let s = setup();
    let dir = s.env.dir.path();
    let leaf = write(dir, "cert.pem", pem(&s.leaf.der));
    let inter = write(dir, "inter.pem", pem(&s.pki.inter.der()));
    // As `openssl verify -untrusted`: the pool may build the path, so the store trusts it, and
    // the missing intermediate is a warning for clients that do not hold it. The clients are
    // given what a server sending this file gives them, the leaf alone: they fail, exit 1.
    let report = run_json(s.inspect().arg("--untrusted").arg(&inter).arg(&leaf), 1);
    assert!(report.results[0].store("custom").trusted);
    assert!(report.results[0].clients.iter().all(|c| !c.accepted));
    let finding = report.results[0].finding("incomplete-chain");
    assert_eq!(finding.severity, "warning");
    assert_eq!(finding.certificate, Some(0));
    assert!(
        finding.message.starts_with(
            "the presented chain stops at certificate 0 (CN=file.test): its issuer CN=Test Intermediate CA was not presented; the --untrusted certificates CN=Test Intermediate CA complete the path to CN=Test Root CA"
        ),
        "{}",
        finding.message
    );
}

#[test]
fn host_checks_dns_names_and_ip_addresses() {
    let s = setup();
    let path = write(s.env.dir.path(), "fullchain.pem", s.fullchain());
    run_json(s.inspect().args(["--host", "192.0.2.7"]).arg(&path), 0);
    let report = run_json(s.inspect().args(["--host", "other.test"]).arg(&path), 1);
    let finding = report.results[0].finding("hostname-mismatch");
    assert!(
        finding
            .message
            .contains("it covers DNS names file.test and IP addresses 192.0.2.7"),
        "{}",
        finding.message
    );
    let report = run_json(s.inspect().args(["--host", "192.0.2.8"]).arg(&path), 1);
    report.results[0].finding("hostname-mismatch");
}

#[test]
fn each_evaluates_every_certificate_alone() {
    let s = setup();
    let soon = s
        .pki
        .leaf_with(Spec::leaf(&["soon.test"], at()).valid(days(-20), days(5)));
    let old = s
        .pki
        .leaf_with(Spec::leaf(&["old.test"], at()).valid(days(-40), days(-2)));
    let bundle = format!(
        "{}{}{}{}",
        pem(&s.pki.root.der()),
        pem(&soon.der),
        pem(&old.der),
        pem(&s.leaf.der)
    );
    let path = write(s.env.dir.path(), "bundle.pem", bundle);
    let mut cmd = s.env.cmd();
    cmd.args(["inspect", "--each", "--json"]).arg(&path);
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    assert!(result.trust.is_empty(), "no path building");
    assert_eq!(result.chain.len(), 4);
    assert!(result.chain[0].self_signed && result.chain[0].is_ca);
    let soon_finding = result.finding("expiring-soon");
    assert_eq!(soon_finding.certificate, Some(1));
    assert!(
        soon_finding.message.contains("in 5 days"),
        "{}",
        soon_finding.message
    );
    assert_eq!(result.finding("expired").certificate, Some(2));
    assert!(result.with_code("unknown-issuer").is_empty());

    // Only warnings: exit 4.
    let path = write(
        s.env.dir.path(),
        "warn.pem",
        format!("{}{}", pem(&s.pki.root.der()), pem(&soon.der)),
    );
    let mut cmd = s.env.cmd();
    cmd.args(["inspect", "--each", "--json"]).arg(&path);
    run_json(&mut cmd, 4);
}

#[test]
fn each_keeps_file_order_through_a_large_bundle_with_broken_entries() {
    // Enough certificates to be decoded and parsed on several threads.
    let s = setup();
    let old = s
        .pki
        .leaf_with(Spec::leaf(&["old.test"], at()).valid(days(-40), days(-2)));
    let mut bundle = String::new();
    let mut expected = Vec::new();
    for i in 0..300 {
        if i == 150 {
            bundle
                .push_str("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
            bundle.push_str("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        }
        let (der, subject) = match i % 3 {
            0 => (s.pki.root.der().to_vec(), "root"),
            1 => (s.leaf.der.clone(), "leaf"),
            _ => (old.der.clone(), "old"),
        };
        bundle.push_str(&pem(&der));
        expected.push(subject);
    }
    let path = write(s.env.dir.path(), "large.pem", bundle);
    let mut cmd = s.env.cmd();
    cmd.args(["inspect", "--each", "--json"]).arg(&path);
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    assert_eq!(result.chain.len(), 300);
    for (i, (cert, kind)) in result.chain.iter().zip(&expected).enumerate() {
        assert_eq!(cert.index, i);
        assert_eq!(cert.self_signed, *kind == "root", "certificate {i}");
        let expired = result
            .findings
            .iter()
            .any(|f| f.code == "expired" && f.certificate == Some(i));
        assert_eq!(expired, *kind == "old", "certificate {i}");
        if expired {
            let finding = result
                .findings
                .iter()
                .find(|f| f.code == "expired" && f.certificate == Some(i))
                .map(|f| f.message.clone())
                .unwrap_or_default();
            assert!(
                finding.starts_with(&format!("certificate {i} (CN=")),
                "{finding}"
            );
        }
    }
    // The broken entries are the 151st and 152nd PEM blocks of the file.
    let broken = result.finding("malformed-certificate");
    assert!(
        broken.message.contains("PEM block 151 (line "),
        "{}",
        broken.message
    );
    assert!(broken.message.contains("base64"), "{}", broken.message);
    let key = result.finding("private-key-in-file");
    assert!(
        key.message.contains("PEM block 152 (line "),
        "{}",
        key.message
    );
}

#[test]
fn key_match_and_mismatch_for_ec_ed25519_and_rsa() {
    let s = setup();
    let dir = s.env.dir.path();
    let chain = write(dir, "fullchain.pem", s.fullchain());
    let key_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", s.leaf.key_der.clone()));
    let good = write(dir, "good.key", &key_pem);
    let report = run_json(s.inspect().arg("--key").arg(&good).arg(&chain), 0);
    assert!(report.results[0].with_code("key-mismatch").is_empty());
    // A match is confirmed, not left to silence.
    let confirmed = report.results[0].finding("key-matches");
    assert_eq!(confirmed.certificate, Some(0));
    assert_eq!(confirmed.severity, "info");
    assert_eq!(
        confirmed.message,
        format!(
            "the private key in {} belongs to certificate 0 (CN=file.test): its public key is the certificate's EC 256 key",
            good.display()
        )
    );

    let other = s.pki.leaf(&["other.test"]);
    let bad = write(
        dir,
        "bad.key",
        pem::encode(&pem::Pem::new("PRIVATE KEY", other.key_der.clone())),
    );
    let output = s
        .inspect()
        .arg("--key")
        .arg(&bad)
        .arg(&chain)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("PRIVATE KEY") && !stdout.contains(&key_pem[30..60]));
    let report: support::contract::Report = serde_json::from_str(&stdout).expect("json");
    let finding = report.results[0].finding("key-mismatch");
    assert_eq!(finding.certificate, Some(0));
    assert!(
        finding
            .message
            .contains("(EC) does not belong to certificate 0 (CN=file.test)"),
        "{}",
        finding.message
    );

    // Ed25519.
    let mut spec = Spec::leaf(&["ed.test"], at());
    spec.common_name = "ed.test".into();
    let ed_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
    let ed_cert = rcgen::CertificateParams::new(vec!["ed.test".to_string()])
        .expect("params")
        .self_signed(&ed_key)
        .expect("cert");
    let ed_chain = write(dir, "ed.pem", pem(ed_cert.der()));
    let ed_good = write(dir, "ed.key", ed_key.serialize_pem());
    run_json(s.inspect().arg("--key").arg(&ed_good).arg(&ed_chain), 1).results[0]
        .with_code("key-mismatch")
        .is_empty()
        .then_some(())
        .expect("Ed25519 key matches");
    let report = run_json(s.inspect().arg("--key").arg(&bad).arg(&ed_chain), 1);
    report.results[0].finding("key-mismatch");

    // RSA (PKCS#8), from the committed fixtures.
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/weak");
    let mut cmd = s.env.cmd();
    cmd.args(["inspect", "--json", "--key"])
        .arg(fixtures.join("rsa1024-leaf.key"))
        .arg(fixtures.join("rsa1024-leaf.pem"));
    let report = run_json(&mut cmd, 1);
    assert!(report.results[0].with_code("key-mismatch").is_empty());
    let mut cmd = s.env.cmd();
    cmd.args(["inspect", "--json", "--key"])
        .arg(fixtures.join("rsa1024-leaf.key"))
        .arg(&chain);
    let report = run_json(&mut cmd, 1);
    assert!(
        report.results[0]
            .finding("key-mismatch")
            .message
            .contains("(RSA) does not belong")
    );
}

#[test]
fn private_key_inside_a_certificate_file_is_ignored_with_an_info_finding() {
    let s = setup();
    let text = format!(
        "{}{}",
        s.fullchain(),
        pem::encode(&pem::Pem::new("PRIVATE KEY", s.leaf.key_der.clone()))
    );
    let path = write(s.env.dir.path(), "with-key.pem", &text);
    let output = s.inspect().arg(&path).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: support::contract::Report = serde_json::from_str(&stdout).expect("json");
    let finding = report.results[0].finding("private-key-in-file");
    assert_eq!(finding.severity, "info");
    assert!(
        finding.message.contains("PEM block 3"),
        "{}",
        finding.message
    );
    let body = text
        .lines()
        .find(|l| l.len() > 40 && !l.starts_with("-----"))
        .expect("line");
    assert!(!stdout.contains(body), "key material must never be printed");
}

#[test]
fn bad_files_exit_3_with_a_sentence_naming_the_file() {
    let s = setup();
    let dir = s.env.dir.path();
    let good = write(dir, "good.pem", s.fullchain());
    let mut truncated = s.leaf.der.clone();
    truncated.truncate(truncated.len() / 2);
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(dir, "empty.pem", ""), "is empty"),
        (
            write(
                dir,
                "nocert.pem",
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            ),
            "holds no usable certificate",
        ),
        (write(dir, "truncated.der", &truncated), "is truncated DER"),
        (
            write(dir, "garbage.bin", [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]),
            "neither PEM",
        ),
        (empty_dir(dir), "is a directory without certificate files"),
        (dir.join("missing.pem"), "no such file"),
    ];
    for (path, expected) in &cases {
        let report = run_json(s.inspect().arg(path).arg(&good), 3);
        let error = report.results[0]
            .connection_error
            .as_ref()
            .unwrap_or_else(|| panic!("{} gave no error", path.display()));
        assert_eq!(error.code, "file");
        assert!(
            error.message.starts_with(&path.display().to_string())
                && error.message.contains(expected),
            "{}: {}",
            path.display(),
            error.message
        );
        // The good file is still processed.
        assert_eq!(report.results[1].status, "ok");
    }
}

#[test]
fn a_50_megabyte_file_is_refused_without_reading_it() {
    let s = setup();
    let path = s.env.dir.path().join("huge.pem");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(50 * 1024 * 1024).expect("sparse file");
    let report = run_json(s.inspect().arg(&path), 3);
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert!(
        error.message.contains("52428800 bytes"),
        "{}",
        error.message
    );
}

#[test]
fn a_broken_block_in_a_bundle_is_named_and_the_rest_used() {
    let s = setup();
    let text = format!(
        "{}-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n",
        s.fullchain()
    );
    let path = write(s.env.dir.path(), "broken.pem", text);
    let report = run_json(s.inspect().arg(&path), 1);
    let finding = report.results[0].finding("malformed-certificate");
    assert!(
        finding.message.contains("PEM block 3 (line"),
        "{}",
        finding.message
    );
    assert_eq!(report.results[0].chain.len(), 2);
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // `certcheck inspect --each --json big.pem | head -1`: the closed pipe is not an error, and the
    // exit code is still the report's (1: every certificate has expired by then), so a CI gate
    // under `pipefail` fails. Each format writes far more than a pipe holds.
    use std::io::Read;
    let s = setup();
    let bundle = pem(&s.leaf.der).repeat(400);
    let path = write(s.env.dir.path(), "big.pem", bundle);
    for format in ["--json", "--jsonl", "--verbose"] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("certcheck"))
            .args(["--at", "2099-01-01T00:00:00Z", "inspect", "--each", format])
            .arg(&path)
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn certcheck");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().expect("certcheck ends");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "{format}: nothing on stderr"
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {:?}", out.status);
    }
}

#[test]
fn one_certificate_has_one_day_count_in_tables_findings_and_json() {
    // Expired 974.5 days before --at: the table, the finding and `days_remaining` all say 975
    // (whole days rounded down, as the JSON does), in `inspect` and in `inspect --each`.
    let s = setup();
    let not_after = at() - time::Duration::hours(974 * 24 + 12);
    let leaf = s
        .pki
        .leaf_with(Spec::leaf(&["old.test"], at()).valid(days(-2000), not_after));
    let path = write(s.env.dir.path(), "old.pem", pem(&leaf.der));
    for each in [false, true] {
        let mut cmd = s.env.cmd();
        cmd.arg("inspect").args(each.then_some("--each")).arg(&path);
        let out = cmd.output().expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("expired 975 days ago"), "{text}");
        assert!(text.contains(", 975 days ago"), "{text}");
        assert!(!text.contains("974"), "{text}");
        let mut json = s.env.cmd();
        json.args(["inspect", "--json"])
            .args(each.then_some("--each"))
            .arg(&path);
        let report = support::run_json(&mut json, 1);
        assert_eq!(report.results[0].chain[0].days_remaining, -975);
    }
}

/// An empty directory inside `dir`.
fn empty_dir(dir: &std::path::Path) -> std::path::PathBuf {
    let empty = dir.join("empty.d");
    std::fs::create_dir_all(&empty).expect("mkdir");
    empty
}

#[test]
fn verbose_adds_every_field_and_a_file_is_not_called_a_server() {
    let s = setup();
    let leaf_only = write(s.env.dir.path(), "leaf.pem", pem(&s.leaf.der));
    let mut cmd = s.env.cmd();
    cmd.args(["inspect", "-v", "--ca-file"])
        .arg(&s.env.root_file)
        .arg(&leaf_only);
    let out = cmd.output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Serial Number:"), "{text}");
    assert!(text.contains("SHA-256:"), "{text}");
    assert!(text.contains("is not in the file"), "{text}");
    assert!(!text.contains("sent by the server"), "{text}");
    let report = run_json(s.inspect().arg(&leaf_only), 1);
    let finding = report.results[0].finding("unknown-issuer");
    assert!(
        finding.message.starts_with(
            "the issuer of certificate 0 (CN=file.test), CN=Test Intermediate CA (key identifier"
        ) && finding
            .message
            .contains("), is not in the file and is not in "),
        "{}",
        finding.message
    );
}
