//! Fleets: targets files, mixed outcomes, the summary, --fail-days, --jsonl and result order.

use std::net::TcpListener;

use certcheck::demo::pki::Spec;
use predicates::prelude::*;

use crate::support::{self, AT, Pki, TestEnv, at, days, run_json, serve};

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn targets_file_with_comments_and_per_line_options() {
    let pki = Pki::new();
    let a = pki.leaf(&["a.test"]);
    let b = pki.leaf(&["b.test"]);
    let server_a = serve(vec![a.der.clone(), pki.inter.der()], &a);
    let server_b = serve(vec![b.der.clone(), pki.inter.der()], &b);
    let env = TestEnv::new(&pki);
    let file = env.dir.path().join("targets.txt");
    std::fs::write(
        &file,
        format!(
            "# production\n\na.test:{} --connect-to {}   # first\n\n{} --sni=b.test\n",
            server_a.addr.port(),
            server_a.addr,
            server_b.addr
        ),
    )
    .expect("write");
    let mut cmd = env.cmd();
    cmd.args(["--json", "--ca-file"])
        .arg(&env.root_file)
        .arg("--targets-file")
        .arg(&file);
    let report = run_json(&mut cmd, 0);
    assert_eq!(report.results.len(), 2);
    assert_eq!(report.results[0].server_name.as_deref(), Some("a.test"));
    assert_eq!(report.results[1].server_name.as_deref(), Some("b.test"));
    assert!(report.results.iter().all(|r| r.status == "ok"));
}

#[test]
fn targets_from_standard_input() {
    let pki = Pki::new();
    let a = pki.leaf(&["a.test"]);
    let server = serve(vec![a.der.clone(), pki.inter.der()], &a);
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--targets-file", "-", "--ca-file"])
        .arg(&env.root_file)
        .write_stdin(format!("{} --sni a.test\n", server.addr));
    let report = run_json(&mut cmd, 0);
    assert_eq!(report.results.len(), 1);
}

#[test]
fn a_bad_line_is_a_usage_error_naming_the_line() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let file = env.dir.path().join("targets.txt");
    std::fs::write(&file, "ok.test\n# fine\nbad.test:99999\n").expect("write");
    env.cmd()
        .arg("--targets-file")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "line 3: invalid target 'bad.test:99999'",
        ));
    std::fs::write(&file, "ok.test --frobnicate\n").expect("write");
    env.cmd()
        .arg("--targets-file")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "line 1: unexpected '--frobnicate'",
        ));
}

#[test]
fn mixed_fleet_keeps_input_order_and_worst_exit_code() {
    let pki = Pki::new();
    let good = pki.leaf(&["fleet.test"]);
    let old = pki.leaf_with(Spec::leaf(&["fleet.test"], at()).valid(days(-30), days(-1)));
    let good_server = serve(vec![good.der.clone(), pki.inter.der()], &good);
    let old_server = serve(vec![old.der.clone(), pki.inter.der()], &old);
    let closed = closed_port();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--sni", "fleet.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(good_server.addr.to_string())
        .arg(format!("127.0.0.1:{closed}"))
        .arg(old_server.addr.to_string());
    let report = run_json(&mut cmd, 1);
    let statuses: Vec<&str> = report.results.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["ok", "error", "error"]);
    assert_eq!(
        report.results[1]
            .connection_error
            .as_ref()
            .map(|e| e.code.as_str()),
        Some("refused")
    );
    report.results[2].finding("expired");
    assert_eq!(report.results[2].days_remaining, Some(-1));

    // The human report of a fleet: one first line per target in input order, then the summary
    // worst first and the counts; an unreachable target is "could not be checked", not an error.
    let output = env
        .cmd()
        .args(["--sni", "fleet.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(good_server.addr.to_string())
        .arg(format!("127.0.0.1:{closed}"))
        .arg(old_server.addr.to_string())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "{} (as of {AT}): works in all 12 clients",
            good_server.addr
        )),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "127.0.0.1:{closed} (as of {AT}): could not check (refused)"
        )),
        "{stdout}"
    );
    assert!(
        lines[2].contains("FAILS in all 12 clients: certificate 0 (CN=fleet.test) expired"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 targets: 1 ok, 0 with warnings, 1 with errors, 1 could not be checked."),
        "{stdout}"
    );
    assert!(stdout.contains("expired within the last day"), "{stdout}");
    assert!(stdout.contains("Most severe finding"), "{stdout}");
    assert!(stdout.contains("not checked"), "{stdout}");
    // No target's tables are printed without --verbose: 3 first lines, the summary, the counts.
    assert!(!stdout.contains("Store it uses"), "{stdout}");
    assert!(lines.len() < 30, "{} lines:\n{stdout}", lines.len());
    let verbose = env
        .cmd()
        .args(["--verbose", "--sni", "fleet.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(good_server.addr.to_string())
        .arg(old_server.addr.to_string())
        .output()
        .expect("runs");
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    assert!(
        verbose.contains(&format!("{} OK (", good_server.addr)),
        "{verbose}"
    );
    assert!(verbose.contains("Store it uses"), "{verbose}");
    // --quiet: the first lines only.
    let quiet = env
        .cmd()
        .args(["--quiet", "--sni", "fleet.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(good_server.addr.to_string())
        .arg(old_server.addr.to_string())
        .output()
        .expect("runs");
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&quiet.stdout).lines().count(), 2);
}

#[test]
fn rows_that_differ_only_in_sni_or_connect_to_are_told_apart() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["a.test", "b.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let list = env.dir.path().join("targets.txt");
    let addr = server.addr.to_string();
    let port = server.addr.port();
    std::fs::write(
        &list,
        format!("a.test:{port} --sni a.test --connect-to {addr}\na.test:{port} --sni b.test --connect-to {addr}\na.test:{port} --sni a.test --connect-to 127.0.0.2:{port}\n"),
    )
    .expect("write");
    let output = env
        .cmd()
        .arg("--ca-file")
        .arg(&env.root_file)
        .arg("--targets-file")
        .arg(&list)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for label in [
        format!("a.test:{port} (SNI a.test) via {addr}"),
        format!("a.test:{port} (SNI b.test) via {addr}"),
        format!("a.test:{port} (SNI a.test) via 127.0.0.2:{port}"),
    ] {
        assert_eq!(
            stdout.matches(&label).count(),
            2,
            "{label} in the first lines and the summary:\n{stdout}"
        );
    }
}

#[test]
fn fail_days_turns_a_near_expiry_into_an_error() {
    let pki = Pki::new();
    let leaf = pki.leaf_with(Spec::leaf(&["gate.test"], at()).valid(days(-30), days(10)));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let target = format!("gate.test:{}", server.addr.port());
    // 10 days left: a warning with --warn-days 30 ...
    run_json(&mut env.check(&target, &server), 4);
    // ... and an error with --fail-days 14.
    let report = run_json(env.check(&target, &server).args(["--fail-days", "14"]), 1);
    let finding = report.results[0].finding("expiring-soon");
    assert_eq!(finding.severity, "error");
    assert!(
        finding.message.contains("(within --fail-days 14)"),
        "{}",
        finding.message
    );
    // Not yet within --fail-days 7: back to the warning.
    run_json(env.check(&target, &server).args(["--fail-days", "7"]), 4);
    // "Will this still pass on that date?": five days later it is within --fail-days 7.
    let mut cmd = env.cmd_at("2030-01-06T00:00:00Z");
    cmd.args(["--json", "--fail-days", "7", "--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(&target);
    let report = run_json(&mut cmd, 1);
    assert_eq!(report.results[0].finding("expiring-soon").severity, "error");
}

#[test]
fn jsonl_streams_one_result_per_line() {
    let pki = Pki::new();
    let good = pki.leaf(&["line.test"]);
    let server = serve(vec![good.der.clone(), pki.inter.der()], &good);
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .args(["--jsonl", "--sni", "line.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(server.addr.to_string())
        .arg(format!("127.0.0.1:{}", closed_port()))
        .arg(server.addr.to_string())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in lines {
        support::schema::check_text(support::schema::Kind::Line, line);
        let mut value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        // Each line stands alone: the run's version and instant, then the result's fields.
        let fields = value.as_object_mut().expect("an object");
        assert_eq!(fields.remove("checked_at"), Some(support::AT.into()));
        assert!(fields.remove("version").is_some_and(|v| v.is_string()));
        let result: support::contract::TargetResult =
            serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(result.status == "ok" || result.status == "error");
    }
}

#[test]
fn a_silent_endpoint_does_not_hold_the_others() {
    let pki = Pki::new();
    let good = pki.leaf(&["quick.test"]);
    let server = serve(vec![good.der.clone(), pki.inter.der()], &good);
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_addr = silent.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args([
        "--json",
        "--timeout",
        "2",
        "--concurrency",
        "2",
        "--sni",
        "quick.test",
        "--ca-file",
    ])
    .arg(&env.root_file)
    .arg(silent_addr.to_string());
    for _ in 0..6 {
        cmd.arg(server.addr.to_string());
    }
    let report = run_json(&mut cmd, 3);
    assert_eq!(report.results.len(), 7);
    assert_eq!(
        report.results[0]
            .connection_error
            .as_ref()
            .map(|e| e.code.as_str()),
        Some("timeout")
    );
    assert_eq!(
        report.results.iter().filter(|r| r.status == "ok").count(),
        6
    );
}

/// The targets `--jsonl` output names, one per line.
fn jsonl_targets(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            value["target"].as_str().expect("target").to_string()
        })
        .collect()
}

#[test]
fn shards_cover_a_fleet_once_whatever_the_line_order() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["fleet.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let port = server.addr.port();
    let names: Vec<String> = (0..30).map(|i| format!("h{i}.fleet.test:{port}")).collect();
    let lines: Vec<String> = names
        .iter()
        .map(|name| format!("{name} --sni fleet.test --connect-to 127.0.0.1"))
        .collect();
    let forward = env.dir.path().join("forward.txt");
    let backward = env.dir.path().join("backward.txt");
    std::fs::write(&forward, lines.join("\n")).expect("write");
    let mut reversed = lines.clone();
    reversed.reverse();
    std::fs::write(&backward, reversed.join("\n")).expect("write");
    let shard = |file: &std::path::Path, k: u64| -> Vec<String> {
        let output = env
            .cmd()
            .args(["--jsonl", "--ca-file"])
            .arg(&env.root_file)
            .arg("--targets-file")
            .arg(file)
            .args(["--shard", &format!("{k}/3")])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0));
        let mut targets = jsonl_targets(&output.stdout);
        targets.sort();
        targets
    };
    let mut all = Vec::new();
    for k in 0..3 {
        let part = shard(&forward, k);
        assert_eq!(part, shard(&backward, k), "shard {k} depends on line order");
        // The documented hash: SHA-256 of `HOST:PORT --sni NAME --connect-to ADDR`, its first
        // 8 bytes big-endian, modulo N.
        for target in &part {
            let key = format!("{target} --sni fleet.test --connect-to 127.0.0.1");
            let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
            let first = u64::from_be_bytes(digest.as_ref()[..8].try_into().expect("8 bytes"));
            assert_eq!(first % 3, k, "{key}");
        }
        all.extend(part);
    }
    all.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(all, expected, "every target once, in exactly one shard");
    env.cmd()
        .args(["a.test", "--shard", "3/3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'3/3' is not a shard: expected K/N with 0 <= K < N",
        ));
}

#[test]
fn format_prometheus_writes_every_target_and_passes_promtool() {
    let pki = Pki::new();
    let good = pki.leaf(&["fleet.test"]);
    let old = pki.leaf_with(Spec::leaf(&["fleet.test"], at()).valid(days(-30), days(-1)));
    let good_server = serve(vec![good.der.clone(), pki.inter.der()], &good);
    let old_server = serve(vec![old.der.clone(), pki.inter.der()], &old);
    let closed = closed_port();
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .args(["--format", "prometheus", "--sni", "fleet.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(good_server.addr.to_string())
        .arg(format!("127.0.0.1:{closed}"))
        .arg(old_server.addr.to_string())
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the worst exit code still wins"
    );
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let good = good_server.addr;
    let old = old_server.addr;
    for line in [
        format!("certcheck_check_success{{target=\"{good}\"}} 1"),
        format!("certcheck_check_success{{target=\"127.0.0.1:{closed}\"}} 0"),
        format!("certcheck_check_success{{target=\"{old}\"}} 1"),
        format!("certcheck_days_left{{target=\"{good}\"}} 45"),
        format!("certcheck_days_left{{target=\"{old}\"}} -1"),
        format!(
            "certcheck_not_after_seconds{{target=\"{old}\"}} {}",
            days(-1).unix_timestamp()
        ),
        format!("certcheck_client_accepts{{target=\"{good}\",client=\"java\"}} 1"),
        format!("certcheck_client_accepts{{target=\"{old}\",client=\"java\"}} 0"),
        format!("certcheck_findings{{target=\"{old}\",severity=\"error\"}} 1"),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    assert_eq!(
        text.matches("# TYPE ").count(),
        5,
        "one group per metric:\n{text}"
    );
    assert_eq!(
        crate::serve::promtool(&text),
        (3, crate::serve::DAYS_LINT.to_string())
    );
    env.base()
        .args(["--format", "prometheus", "stores"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--format prometheus applies to checks of targets",
        ));
    env.cmd()
        .args(["--format", "json", "--jsonl", "a.test"])
        .assert()
        .code(2);
}

#[test]
fn a_bad_line_on_standard_input_ends_the_stream_with_a_usage_error() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["fleet.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .args(["--format", "jsonl", "--targets-file", "-", "--ca-file"])
        .arg(&env.root_file)
        .write_stdin(format!(
            "{} --sni fleet.test\nbad.test:99999\n{} --sni fleet.test\n",
            server.addr, server.addr
        ))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(jsonl_targets(&output.stdout), [server.addr.to_string()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--targets-file - line 2: invalid target 'bad.test:99999'"),
        "{stderr}"
    );
}
