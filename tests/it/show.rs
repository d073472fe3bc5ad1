//! `certcheck show`, `--showcerts`, `--save-chain`, PKCS#12 and standard input for `inspect`,
//! `explain`, `completions` and `man`: against real servers on loopback, files made by the real
//! `openssl pkcs12`, and the real bash and man.

use std::path::Path;
use std::process::Command as Process;

use crate::support::{Pki, TestEnv, run_json, serve, target};

/// A process with the machine's OpenSSL and proxy variables cleared.
fn process(program: &str) -> Process {
    let mut cmd = Process::new(program);
    for name in [
        "OPENSSL_CONF",
        "OPENSSL_MODULES",
        "OPENSSL_ENGINES",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CERTCHECK_P12_PASSWORD",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

/// Runs `program` and fails the test, loudly, when it is missing or fails.
fn run(cmd: &mut Process) -> std::process::Output {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} cannot run ({e}); .ci/run installs it"));
    assert!(
        output.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn show_a_live_target_gives_every_field_of_every_certificate() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["show.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["show", "--json", "--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(target("show.test", &server));
    let report = run_json(&mut cmd, 0);
    let chain = &report.results[0].chain;
    assert_eq!(chain.len(), 2);
    let leaf_details = chain[0].details.as_ref().expect("details");
    assert_eq!(leaf_details["subject_alt_names"][0], "DNS:show.test");
    assert_eq!(leaf_details["fingerprints"]["sha256"], chain[0].sha256);
    assert_eq!(
        leaf_details["fingerprints"]["sha1"].as_str().map(str::len),
        Some(40)
    );
    assert_eq!(leaf_details["basic_constraints"]["ca"], false);
    let inter = chain[1].details.as_ref().expect("details");
    assert_eq!(inter["basic_constraints"]["ca"], true);
    assert_eq!(leaf_details["authority_key_id"], inter["subject_key_id"]);
    assert!(inter["extensions"].as_array().is_some_and(|e| {
        e.iter()
            .any(|x| x["name"] == "basicConstraints" && x["critical"] == true)
    }));
    let pem = chain[0].pem.as_deref().expect("pem");
    assert_eq!(pem::parse(pem).expect("PEM").contents(), &leaf.der[..]);

    let output = env
        .cmd()
        .arg("show")
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(target("show.test", &server))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for expected in [
        "Certificate 0 of 2:",
        "Certificate 1 of 2:",
        "    Subject: CN=show.test",
        "        subjectAltName:",
        "            DNS:show.test",
        "        basicConstraints: critical",
        "            CA:TRUE",
        "        SHA-1:   ",
        "Not After : ",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
}

#[test]
fn show_reads_files_and_refuses_what_is_neither_file_nor_target() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .arg("show")
        .arg(&env.root_file)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Subject: CN=Test Root CA"), "{text}");
    let output = env
        .cmd()
        .args(["show", "no such/file.pem"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("show no such/file.pem: no such file, and not a target either"),
        "{stderr}"
    );
}

#[test]
fn showcerts_and_save_chain_give_the_presented_chain_as_pem() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["pem.test"]);
    let presented = vec![leaf.der.clone(), pki.inter.der()];
    let server = serve(presented.clone(), &leaf);
    let env = TestEnv::new(&pki);
    let live = |extra: &[&str]| {
        let mut cmd = env.cmd();
        cmd.arg("--ca-file")
            .arg(&env.root_file)
            .args(["--connect-to", &server.addr.to_string()])
            .args(extra)
            .arg(target("pem.test", &server));
        cmd.output().expect("runs")
    };
    let output = live(&["--showcerts"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(" 0 s:CN=pem.test"), "{text}");
    assert!(text.contains("   i:CN=Test Intermediate CA"), "{text}");
    let blocks: Vec<Vec<u8>> = pem::parse_many(text.as_bytes())
        .expect("PEM")
        .into_iter()
        .map(|p| p.into_contents())
        .collect();
    assert_eq!(blocks, presented);

    let saved = env.dir.path().join("chain.pem");
    let output = live(&["--save-chain", saved.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(0));
    let written: Vec<Vec<u8>> = pem::parse_many(std::fs::read(&saved).expect("saved"))
        .expect("PEM")
        .into_iter()
        .map(|p| p.into_contents())
        .collect();
    assert_eq!(written, presented);
    // The saved chain reads back through inspect as the same chain.
    let mut cmd = env.cmd();
    cmd.args(["inspect", "--json", "--host", "pem.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(&saved);
    assert_eq!(run_json(&mut cmd, 0).results[0].chain.len(), 2);

    let output = live(&["--save-chain", "/nonexistent-dir/chain.pem"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--save-chain /nonexistent-dir/chain.pem: cannot be written"),
        "{stderr}"
    );
    assert!(!Path::new("/nonexistent-dir").exists());

    let output = env
        .cmd()
        .args(["--save-chain", "x.pem", "a.test", "b.test"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--save-chain writes one chain"));
}

/// Writes the leaf, its key and the intermediate, and exports them with the real `openssl
/// pkcs12 -export` (`legacy`: RC2/3DES as `-legacy`, else OpenSSL 3's AES-256/PBKDF2).
fn pkcs12(env: &TestEnv, pki: &Pki, legacy: bool, password: &str) -> std::path::PathBuf {
    let leaf = pki.leaf(&["p12.test"]);
    let dir = env.dir.path();
    let cert = dir.join("leaf.pem");
    std::fs::write(
        &cert,
        pem::encode(&pem::Pem::new("CERTIFICATE", leaf.der.clone())),
    )
    .expect("write");
    let key = dir.join("leaf.key");
    std::fs::write(
        &key,
        pem::encode(&pem::Pem::new("PRIVATE KEY", leaf.key_der.clone())),
    )
    .expect("write");
    let inter = dir.join("inter.pem");
    std::fs::write(&inter, pki.inter.pem()).expect("write");
    let out = dir.join(if legacy { "legacy.p12" } else { "modern.p12" });
    let mut cmd = process("openssl");
    cmd.args(["pkcs12", "-export", "-in"])
        .arg(&cert)
        .arg("-inkey")
        .arg(&key)
        .arg("-certfile")
        .arg(&inter)
        .arg("-out")
        .arg(&out)
        .args(["-passout", &format!("pass:{password}")]);
    if legacy {
        cmd.arg("-legacy");
    }
    run(&mut cmd);
    out
}

#[test]
fn inspect_reads_pkcs12_of_both_kinds_and_never_prints_the_key() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    for legacy in [false, true] {
        let file = pkcs12(&env, &pki, legacy, "s3cret");
        let inspect = || {
            let mut cmd = env.cmd();
            cmd.args(["inspect", "--json", "--host", "p12.test", "--ca-file"])
                .arg(&env.root_file)
                .arg(&file);
            cmd
        };
        let report = run_json(inspect().args(["--password", "s3cret"]), 0);
        let chain = &report.results[0].chain;
        assert_eq!(chain.len(), 2, "legacy={legacy}");
        assert_eq!(chain[0].subject, "CN=p12.test");
        assert_eq!(chain[1].subject, "CN=Test Intermediate CA");
        let output = inspect()
            .env("CERTCHECK_P12_PASSWORD", "s3cret")
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        assert!(!stdout.contains("PRIVATE KEY"));

        let report = run_json(&mut inspect(), 3);
        let error = report.results[0].connection_error.as_ref().expect("error");
        assert_eq!(error.code, "file");
        assert_eq!(
            error.message,
            format!(
                "{}: is a PKCS#12 file protected by a password; give it with --password PASSWORD or in the CERTCHECK_P12_PASSWORD environment variable",
                file.display()
            )
        );
        let report = run_json(inspect().args(["--password", "wrong"]), 3);
        let error = report.results[0].connection_error.as_ref().expect("error");
        assert!(
            error.message.contains("the password given does not open"),
            "{}",
            error.message
        );
    }
}

#[test]
fn empty_standard_input_says_so() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let report = run_json(
        env.cmd().args(["inspect", "--json", "-"]).write_stdin(""),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(
        error.message,
        "-: standard input is empty (pipe a certificate file into it, or give a file name)"
    );
}

#[test]
fn explain_tells_what_a_code_means_and_lists_the_codes_otherwise() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env
        .base()
        .args(["explain", "incomplete-chain"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "incomplete-chain (error)",
        "What it means",
        "unable to verify the first certificate",
        "Java: PKIX path building failed",
        "Go: x509: certificate signed by unknown authority",
        "What to do",
        "fullchain.pem",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
    let output = env
        .base()
        .args(["explain", "expird"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'expird' is not a finding code; the codes are: expired, not-yet-valid,"),
        "{stderr}"
    );
    let output = env.base().arg("explain").output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        text.lines()
            .any(|l| l.starts_with("interception-suspected")),
        "{text}"
    );
}

#[test]
fn completions_parse_in_bash_and_name_every_subcommand() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = env
            .base()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for word in ["inspect", "show", "explain", "save-chain"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            let path = env.dir.path().join("certcheck.bash");
            std::fs::write(&path, script.as_bytes()).expect("write");
            run(process("bash").arg("-n").arg(&path));
            // Sourced, it registers the completion function for certcheck.
            let out = run(process("bash").arg("-c").arg(format!(
                "source {} && complete -p certcheck",
                path.display()
            )));
            assert!(String::from_utf8_lossy(&out.stdout).contains("certcheck"));
        }
    }
    let output = env
        .base()
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_man_page_renders_with_man() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env.base().arg("man").output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let page = env.dir.path().join("certcheck.1");
    std::fs::write(&page, &output.stdout).expect("write");
    let rendered = run(process("man")
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "")
        .env_remove("MANPAGER")
        .env_remove("PAGER")
        .args(["-P", "cat", "-l"])
        .arg(&page));
    let text = String::from_utf8_lossy(&rendered.stdout);
    for expected in [
        "certcheck",
        "SYNOPSIS",
        "CERTCHECK SHOW",
        "CERTCHECK EXPLAIN",
        "--showcerts",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
    let warnings = String::from_utf8_lossy(&rendered.stderr);
    assert!(warnings.trim().is_empty(), "man warns: {warnings}");
}

#[test]
fn inspect_and_show_read_a_directory_of_certificates_hash_named_or_not() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let dir = env.dir.path().join("certs");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("root.pem"), pki.root.pem()).expect("write");
    std::fs::write(dir.join("inter.pem"), pki.inter.pem()).expect("write");
    // A bundle repeating both, a file that is no certificate and a hidden file.
    std::fs::write(dir.join("bundle.crt"), pki.root.pem() + &pki.inter.pem()).expect("write");
    std::fs::write(dir.join("notes.txt"), "not a certificate\n").expect("write");
    std::fs::write(dir.join(".hidden"), "ignored\n").expect("write");
    // The real OpenSSL names the hash links (`<subject hash>.0 -> root.pem`), as in /etc/ssl/certs.
    run(process("openssl").arg("rehash").arg(&dir));
    let links = std::fs::read_dir(&dir)
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".0"))
        })
        .count();
    assert!(links >= 2, "openssl rehash made {links} links");

    let mut cmd = env.cmd();
    cmd.args(["inspect", "--json"]).arg(&dir);
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    // Each certificate once, whichever files repeat it, evaluated one by one.
    let mut subjects: Vec<&str> = result.chain.iter().map(|c| c.subject.as_str()).collect();
    subjects.sort();
    assert_eq!(subjects, ["CN=Test Intermediate CA", "CN=Test Root CA"]);
    assert!(result.trust.is_empty(), "evaluated as with --each");
    let notes = result.finding("malformed-certificate");
    assert_eq!(
        notes.message,
        format!(
            "{}/notes.txt: is neither PEM (no '-----BEGIN' line) nor DER (does not start with a SEQUENCE)",
            dir.display()
        )
    );
    assert!(
        !result
            .findings
            .iter()
            .any(|f| f.message.contains(".hidden")),
        "hidden files are skipped"
    );

    let output = env.cmd().arg("show").arg(&dir).output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Certificate 1 of 2:"), "{text}");
    assert!(text.contains("Subject: CN=Test Root CA"), "{text}");

    let output = env
        .cmd()
        .args(["inspect", "--host", "a.test"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("is a directory, whose certificates are evaluated one by one")
    );
}

/// An RFC 6962 SCT list with one SCT from log `log_id` at `millis`, as the extnValue of the
/// embedded-SCT extension (an OCTET STRING around the TLS-encoded list), in hex.
fn sct_extension(log_id: [u8; 32], millis: u64) -> String {
    let mut sct = vec![0u8]; // v1
    sct.extend(log_id);
    sct.extend(millis.to_be_bytes());
    sct.extend([0, 0]); // no extensions
    sct.extend([4, 3]); // SHA-256, ECDSA
    sct.extend([0, 2, 0xab, 0xcd]); // a two-byte signature
    let mut list = (sct.len() as u16 + 2).to_be_bytes().to_vec();
    list.extend((sct.len() as u16).to_be_bytes());
    list.extend(&sct);
    let mut der = vec![0x04, list.len() as u8];
    der.extend(list);
    der.iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn show_json_carries_policies_scts_constraints_and_critical_flags_of_a_real_openssl_certificate() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let dir = env.dir.path();
    let cert = dir.join("rich.pem");
    let key = dir.join("rich.key");
    let sct = sct_extension([0x11; 32], 1_767_225_600_000);
    run(process("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "30", "-subj", "/CN=Rich CA/O=certcheck tests"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE,pathlen:1"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"])
        .args(["-addext", "extendedKeyUsage=serverAuth,clientAuth"])
        .args(["-addext", "nameConstraints=critical,permitted;DNS:example.test,excluded;IP:10.0.0.0/255.0.0.0"])
        .args(["-addext", "certificatePolicies=2.23.140.1.2.1,1.3.6.1.4.1.99999.1"])
        .args(["-addext", "crlDistributionPoints=URI:http://crl.example.test/ca.crl"])
        .args(["-addext", "authorityInfoAccess=OCSP;URI:http://ocsp.example.test,caIssuers;URI:http://ca.example.test/ca.crt"])
        .args(["-addext", &format!("1.3.6.1.4.1.11129.2.4.2=DER:{sct}")]));
    let mut cmd = env.cmd();
    cmd.args(["show", "--json"]).arg(&cert);
    let report = run_json(&mut cmd, 1);
    let d = report.results[0].chain[0].details.clone().expect("details");
    assert_eq!(d["subject"], "CN=Rich CA, O=certcheck tests");
    assert_eq!(d["public_key"]["curve"], "P-256");
    assert_eq!(
        d["basic_constraints"],
        serde_json::json!({"ca": true, "path_len": 1, "critical": true})
    );
    assert_eq!(
        d["key_usage"],
        serde_json::json!(["digitalSignature", "keyCertSign", "cRLSign"])
    );
    assert_eq!(
        d["extended_key_usage"],
        serde_json::json!(["serverAuth", "clientAuth"])
    );
    assert_eq!(
        d["name_constraints"],
        serde_json::json!({"permitted": ["DNS:example.test"], "excluded": ["IP:10.0.0.0/8"], "critical": true})
    );
    assert_eq!(d["policies"][0]["oid"], "2.23.140.1.2.1");
    assert_eq!(
        d["policies"][0]["name"],
        "CA/Browser Forum Domain Validated"
    );
    assert_eq!(d["policies"][1]["oid"], "1.3.6.1.4.1.99999.1");
    assert_eq!(
        d["crl_distribution_points"],
        serde_json::json!(["URI:http://crl.example.test/ca.crl"])
    );
    assert_eq!(
        d["ocsp_urls"],
        serde_json::json!(["http://ocsp.example.test"])
    );
    assert_eq!(
        d["ca_issuer_urls"],
        serde_json::json!(["http://ca.example.test/ca.crt"])
    );
    assert_eq!(
        d["scts"],
        serde_json::json!([{"version": 1, "log_id": "11".repeat(32), "timestamp": "2026-01-01T00:00:00Z"}])
    );
    let critical: Vec<&str> = d["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .filter(|e| e["critical"] == true)
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        critical,
        ["basicConstraints", "keyUsage", "nameConstraints"]
    );
    // The SHA-1 fingerprint is OpenSSL's own.
    let openssl = run(process("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
        .arg(&cert));
    let theirs = String::from_utf8_lossy(&openssl.stdout)
        .trim()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(d["fingerprints"]["sha1"], theirs);

    let output = env.cmd().arg("show").arg(&cert).output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "            CA:TRUE, pathlen:1",
        "        nameConstraints: critical",
        "            Permitted: DNS:example.test",
        "            Excluded: IP:10.0.0.0/8",
        "            Policy: 2.23.140.1.2.1 (CA/Browser Forum Domain Validated)",
        "            OCSP - URI:http://ocsp.example.test",
        "at 2026-01-01T00:00:00Z",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
}
