//! The command line: one test per exit code of the contract, bad input of every kind, the JSON
//! contract and the human output.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use certcheck::demo::pki::Spec;
use predicates::prelude::*;

use crate::support::{self, Pki, TestEnv, at, days, run_json, serve, target};

#[test]
fn exit_0_when_trusted() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["ok.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("ok.test:{}", server.addr.port()), &server),
        0,
    );
    let result = &report.results[0];
    assert_eq!(result.status, "ok");
    assert_eq!(result.source, "tls");
    assert_eq!(result.host.as_deref(), Some("ok.test"));
    assert_eq!(result.port, Some(server.addr.port()));
    assert_eq!(result.server_name.as_deref(), Some("ok.test"));
    assert_eq!(
        result.address.as_deref(),
        Some(server.addr.to_string().as_str())
    );
    let tls = result.tls.as_ref().expect("tls info");
    assert_eq!(tls.version, "TLSv1.3");
    assert!(
        tls.cipher_suite.starts_with("TLS13_"),
        "{}",
        tls.cipher_suite
    );
    assert!(!tls.ocsp_stapled);
    assert_eq!(result.chain.len(), 2);
    assert_eq!(result.chain[0].dns_names, vec!["ok.test"]);
    assert_eq!(result.chain[0].key.algorithm, "EC");
    assert_eq!(result.chain[0].key.bits, 256);
    assert_eq!(result.chain[0].signature_algorithm, "ecdsa-with-SHA256");
    assert!(result.chain[1].is_ca);
    assert_eq!(result.chain[0].sha256.len(), 64);
    let custom = result.store("custom");
    assert!(custom.trusted);
    assert_eq!(custom.anchor.as_deref(), Some("CN=Test Root CA"));
    assert_eq!(report.checked_at, support::AT);
}

#[test]
fn exit_1_when_untrusted_under_the_primary_store() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["old.test"], at()).valid(days(-100), days(-1)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    env.check(&format!("old.test:{}", server.addr.port()), &server)
        .assert()
        .code(1);
}

#[test]
fn system_store_is_primary_without_ca_file() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["sys.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    // The system store (SSL_CERT_FILE) is an unrelated root: untrusted, exit 1.
    let mut cmd = env.cmd();
    cmd.args(["--json", "--connect-to", &server.addr.to_string()])
        .arg(format!("sys.test:{}", server.addr.port()));
    let report = run_json(&mut cmd, 1);
    assert_eq!(
        report.results[0].store("system").source,
        format!("SSL_CERT_FILE={}", env.system_file.display())
    );
    // With SSL_CERT_FILE pointing at the test root, the system store trusts it, so the clients
    // that read it work; those with a Mozilla set of their own (requests, Node, rustls) or a
    // compiled-in bundle (curl, GnuTLS: the conformance case system-store-root) do not, and they
    // decide too: exit 1.
    let mut cmd = env.cmd();
    cmd.env("SSL_CERT_FILE", &env.root_file)
        .args(["--json", "--connect-to", &server.addr.to_string()])
        .arg(format!("sys.test:{}", server.addr.port()));
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    assert!(result.store("system").trusted);
    assert!(!result.store("bundled").trusted);
    result.finding("trust-store-disagreement");
    // (Java reads the system CA set only where a cacerts is installed, so it is left out.)
    for (client, works) in [
        ("python-urllib", true),
        ("openssl", true),
        ("go", true),
        ("curl", false),
        ("gnutls", false),
        ("python-requests", false),
        ("node", false),
        ("rustls", false),
    ] {
        assert_eq!(result.client(client).accepted, works, "{client}");
    }
    assert!(
        result
            .verdict
            .starts_with("works in python-urllib, openssl, go"),
        "{}",
        result.verdict
    );
    // Only the clients that use the system store decide: exit 0.
    let mut cmd = env.cmd();
    cmd.env("SSL_CERT_FILE", &env.root_file)
        .args(["--json", "--connect-to", &server.addr.to_string()])
        .args([
            "--client",
            "python-urllib",
            "--client",
            "openssl",
            "--client",
            "go",
        ])
        .arg(format!("sys.test:{}", server.addr.port()));
    let report = run_json(&mut cmd, 0);
    assert_eq!(report.results[0].status, "ok");
    assert!(!report.results[0].client("python-requests").decides);
}

#[test]
fn exit_2_for_a_malformed_target_names_it() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    env.cmd()
        .arg("host:notaport")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid target 'host:notaport'"));
    env.cmd()
        .arg("gopher://host")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unsupported scheme"));
    env.cmd()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no target given"));
    env.cmd()
        .args(["--timeout", "0", "example.test"])
        .assert()
        .code(2);
    assert_cmd::Command::cargo_bin("certcheck")
        .expect("binary")
        .args(["--at", "yesterday", "example.test"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RFC 3339"));
}

#[test]
fn exit_3_for_a_closed_port() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut cmd = env.cmd();
    cmd.args(["--json", &format!("127.0.0.1:{port}")]);
    let report = run_json(&mut cmd, 3);
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "refused");
    assert!(
        error.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        error.message
    );
    assert!(report.results[0].chain.is_empty());
}

#[test]
fn exit_3_for_an_unresolvable_name() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", "5", "no-such-host.invalid"]);
    let report = run_json(&mut cmd, 3);
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert!(error.code == "dns" || error.code == "timeout", "{error:?}");
    assert!(
        error.message.contains("no-such-host.invalid"),
        "{}",
        error.message
    );
}

#[test]
fn exit_3_for_a_plain_http_server() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", &addr.to_string()]);
    let report = run_json(&mut cmd, 3);
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "not-tls", "{error:?}");
    assert!(
        error.message.contains("does not speak TLS"),
        "{}",
        error.message
    );
}

#[test]
fn exit_3_within_the_timeout_for_a_silent_server() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", "1", &addr.to_string()]);
    let started = Instant::now();
    let report = run_json(&mut cmd, 3);
    // Generous bound: the point is that it ends, not how fast.
    assert!(started.elapsed() < Duration::from_secs(30));
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "timeout");
    assert!(error.message.contains("within 1 s"), "{}", error.message);
    assert!(error.message.contains("TLS handshake"), "{}", error.message);
}

#[test]
fn exit_3_for_an_unreadable_ca_file() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["ca.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let missing = env.dir.path().join("missing.pem");
    let mut cmd = env.check_with_ca(&target("ca.test", &server), &server, &missing);
    let report = run_json(&mut cmd, 3);
    let result = &report.results[0];
    let error = result.connection_error.as_ref().expect("error");
    assert_eq!(error.code, "file");
    assert!(error.message.contains("missing.pem"), "{}", error.message);
    assert!(error.message.contains("no such file"), "{}", error.message);
    let custom = result.store("custom");
    assert!(!custom.trusted);
    assert_eq!(custom.error, None);
    assert_eq!(custom.load_errors.len(), 1);
    // The chain was still captured and is shown.
    assert_eq!(result.chain.len(), 2);
}

#[test]
fn ca_file_with_a_bad_entry_reports_its_position_and_uses_the_rest() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["mixed.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let bundle = env.dir.path().join("mixed.pem");
    let text = format!(
        "garbage before\n-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n{}",
        pki.root.pem()
    );
    std::fs::write(&bundle, text).expect("write");
    let mut cmd = env.check_with_ca(&target("mixed.test", &server), &server, &bundle);
    let report = run_json(&mut cmd, 0);
    let custom = report.results[0].store("custom");
    assert!(custom.trusted);
    assert_eq!(custom.load_errors.len(), 1, "{:?}", custom.load_errors);
    assert!(
        custom.load_errors[0].contains("PEM block 1 (line 2)"),
        "{:?}",
        custom.load_errors
    );
}

#[test]
fn exit_4_for_warnings_only() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["warn.test"], at()).valid(days(-10), days(20)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    env.check(&format!("warn.test:{}", server.addr.port()), &server)
        .assert()
        .code(4);
    // Below the threshold it is not a warning.
    env.check(&format!("warn.test:{}", server.addr.port()), &server)
        .args(["--warn-days", "7"])
        .assert()
        .code(0);
}

#[test]
fn worst_exit_code_wins_across_targets() {
    let pki = Pki::new();
    let good = pki.leaf(&["good.test"]);
    let good_server = serve(vec![good.der.clone(), pki.inter.der()], &good);
    let env = TestEnv::new(&pki);
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    // good (0) + closed port (3) → 3; results stay in input order.
    let mut cmd = env.cmd();
    cmd.args(["--json", "--ca-file"])
        .arg(&env.root_file)
        .arg(format!("127.0.0.1:{closed}"))
        .arg("--sni")
        .arg("good.test")
        .arg(good_server.addr.to_string());
    let report = run_json(&mut cmd, 3);
    assert_eq!(report.results.len(), 2);
    assert_eq!(report.results[0].target, format!("127.0.0.1:{closed}"));
    assert_eq!(report.results[1].status, "ok");

    // expired (1) + closed (3) → 1.
    let old = pki.leaf_with(Spec::leaf(&["good.test"], at()).valid(days(-50), days(-1)));
    let old_server = serve(vec![old.der.clone(), pki.inter.der()], &old);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--sni", "good.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(format!("127.0.0.1:{closed}"))
        .arg(old_server.addr.to_string());
    let report = run_json(&mut cmd, 1);
    assert_eq!(report.results[1].status, "error");
}

#[test]
fn human_output_shows_chain_stores_and_findings_without_colour_in_pipes() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["human.test"], at()).valid(days(-100), days(-3)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(format!("human.test:{}", server.addr.port()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\x1b'), "no ANSI escapes in a pipe");
    for expected in [
        "ERROR",
        "CN=human.test",
        "expired 3 days ago",
        "NOT trusted",
        "expired",
        "Renew the certificate",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn a_closed_stdout_ends_the_output_but_keeps_the_exit_code() {
    // `certcheck --json broken:443 | true` under `pipefail` must still fail the gate.
    let pki = Pki::new();
    let good = pki.leaf(&["pipe.test"]);
    let expired = pki.leaf_with(Spec::leaf(&["pipe.test"], at()).valid(days(-100), days(-3)));
    let env = TestEnv::new(&pki);
    let bin = assert_cmd::cargo::cargo_bin("certcheck");
    for (leaf, code) in [(&good, 0), (&expired, 1)] {
        let server = serve(vec![leaf.der.clone(), pki.inter.der()], leaf);
        for format in [None, Some("--json"), Some("--jsonl")] {
            let mut command = std::process::Command::new(&bin);
            for proxy in support::PROXY_VARIABLES {
                command.env_remove(proxy);
            }
            let mut child = command
                .env("SSL_CERT_FILE", &env.system_file)
                .env_remove("SSL_CERT_DIR")
                .args(["--at", support::AT, "--ca-file"])
                .arg(&env.root_file)
                .args(["--connect-to", &server.addr.to_string()])
                .arg(format!("pipe.test:{}", server.addr.port()))
                .args(format)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            // Close the read end at once, like `| true`.
            drop(child.stdout.take());
            let output = child.wait_with_output().expect("wait");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(code), "{format:?}: {stderr}");
            assert_eq!(stderr, "", "{format:?}: nothing on stderr");
        }
    }
}

#[test]
fn help_lists_every_flag() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let assert = env.cmd().arg("--help").assert().code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for flag in [
        "--json",
        "--ca-file",
        "--sni",
        "--connect-to",
        "--warn-days",
        "--at",
        "--timeout",
        "--concurrency",
        "Exit codes",
    ] {
        assert!(out.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn ipv6_and_url_targets_are_accepted() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["v6.test"]);
    let Ok(server) = certcheck::demo::server::TlsServer::start_on(
        "[::1]:0".parse().expect("addr"),
        vec![leaf.der.clone(), pki.inter.der()],
        leaf.key_der.clone(),
    ) else {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    };
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--sni", "v6.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(format!("https://[::1]:{}/some/path", server.addr.port()));
    let report = run_json(&mut cmd, 0);
    let result = &report.results[0];
    assert_eq!(result.host.as_deref(), Some("::1"));
    assert_eq!(result.server_name.as_deref(), Some("v6.test"));
}

#[test]
fn piped_tables_are_80_columns_unless_columns_says_otherwise_and_color_is_a_flag() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["width.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let run = |columns: Option<&str>, extra: &[&str]| {
        let mut cmd = env.cmd();
        match columns {
            Some(c) => cmd.env("COLUMNS", c),
            None => cmd.env_remove("COLUMNS"),
        };
        cmd.arg("--ca-file")
            .arg(&env.root_file)
            .args(["--connect-to", &server.addr.to_string()])
            .arg(format!("width.test:{}", server.addr.port()))
            .args(extra);
        String::from_utf8_lossy(&cmd.output().expect("runs").stdout).into_owned()
    };
    let widest = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with('│') || l.starts_with('┌'))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    };
    assert_eq!(widest(&run(None, &[])), 80);
    assert_eq!(widest(&run(Some("100"), &[])), 100);
    assert_eq!(widest(&run(Some("junk"), &[])), 80);
    assert!(!run(None, &[]).contains('\x1b'));
    assert!(run(None, &["--color", "always"]).contains('\x1b'));
    let mut no_color = env.cmd();
    no_color
        .env("NO_COLOR", "1")
        .args(["--color", "never", "--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(format!("width.test:{}", server.addr.port()));
    assert!(!String::from_utf8_lossy(&no_color.output().unwrap().stdout).contains('\x1b'));
}

#[test]
fn subcommands_refuse_flags_that_mean_nothing_to_them() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    for (args, says) in [
        (
            &["--at", "2027-01-01", "stores"][..],
            "--at means nothing to `certcheck stores`",
        ),
        (
            &["stores", "--warn-days", "3"][..],
            "unexpected argument '--warn-days'",
        ),
        (&["stores", "--jsonl"][..], "unexpected argument '--jsonl'"),
        (
            &["--jsonl", "stores"][..],
            "--jsonl means nothing to `certcheck stores`",
        ),
        (
            &["--fail-days", "3", "demo"][..],
            "--fail-days means nothing to `certcheck demo`",
        ),
        (
            &["demo", "--ca-file", "x.pem"][..],
            "unexpected argument '--ca-file'",
        ),
        (
            &["--sni", "x.test", "inspect", "a.pem"][..],
            "--sni only applies to live targets",
        ),
        (
            &["stores", "--offline"][..],
            "--offline means nothing to `certcheck stores`",
        ),
        (
            &["--check-revocation", "explain"][..],
            "--check-revocation means nothing to `certcheck explain`",
        ),
    ] {
        env.base()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
    // Flags before the subcommand still count where they mean something.
    env.base()
        .args(["--json", "--at", "2030-01-01", "inspect"])
        .arg(&env.root_file)
        .assert()
        .stdout(predicates::str::contains(
            "\"checked_at\": \"2030-01-01T00:00:00Z\"",
        ));
}

#[test]
fn demo_streams_json_lines_and_quiet_prints_one_line_per_case() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let out = env.base().args(["demo", "--jsonl"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 6);
    assert!(lines.iter().all(|l| l["target"].is_string()));
    let quiet = env.base().args(["demo", "--quiet"]).output().expect("runs");
    let text = String::from_utf8_lossy(&quiet.stdout);
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains(": works in all 12 clients")),
        "{text}"
    );
    assert!(!text.contains("Store it uses"), "{text}");
}

#[test]
fn a_file_or_a_mistyped_subcommand_as_target_gets_did_you_mean_before_any_lookup() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    std::fs::write(env.dir.path().join("good.pem"), pki.root.pem()).expect("write");
    for (args, says) in [
        (
            &["good.pem"][..],
            "did you mean `certcheck inspect good.pem`?",
        ),
        (
            &["inpsect", "good.pem"][..],
            "did you mean `certcheck inspect good.pem`?",
        ),
        (&["stroes"][..], "did you mean `certcheck stores`?"),
        (
            &["./good.pem"][..],
            "did you mean `certcheck inspect ./good.pem`?",
        ),
    ] {
        // No DNS server is reachable from here: a lookup would take seconds and say `dns`.
        env.base()
            .current_dir(env.dir.path())
            .args(args)
            .timeout(std::time::Duration::from_secs(5))
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains(says));
    }
    // A host that merely looks like a word is still a host: `good.pem:443` is looked up.
    env.base()
        .current_dir(env.dir.path())
        .args(["--timeout", "1", "--json", "inspection.test:1"])
        .assert()
        .code(3);
}

#[test]
fn the_progress_bar_keeps_counting_while_a_silent_target_holds_up_the_run() {
    // Seen on a real terminal: tmux runs certcheck and its pane is captured twice, 2 s apart,
    // while a silent server holds the last target. The elapsed time must move.
    assert!(
        std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok(),
        "tmux is needed for this test (apt-get install tmux; .ci/run installs it)"
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let pki = Pki::new();
    let leaf = pki.leaf(&["bar.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let bin = assert_cmd::cargo::cargo_bin("certcheck");
    let session = format!("certcheck-bar-{}", std::process::id());
    let command = format!(
        "env -u SSL_CERT_DIR SSL_CERT_FILE={} {} --timeout 6 --ca-file {} {} {} > /dev/null; sleep 5",
        env.system_file.display(),
        bin.display(),
        env.root_file.display(),
        server.addr,
        silent
    );
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    };
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "10",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let capture = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &session]).stdout).into_owned()
    };
    std::thread::sleep(Duration::from_millis(1500));
    let first = capture();
    std::thread::sleep(Duration::from_millis(2000));
    let second = capture();
    tmux(&["kill-session", "-t", &session]);
    let line = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("targets checked"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(line(&first).contains("1/2 targets checked"), "{first}");
    assert!(line(&second).contains("1/2 targets checked"), "{second}");
    assert_ne!(
        line(&first),
        line(&second),
        "the bar froze:\n{first}\n{second}"
    );
}
