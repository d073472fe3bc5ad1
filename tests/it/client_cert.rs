//! `--cert`/`--key` against a real OpenSSL server that asks for a client certificate
//! (`openssl s_server -Verify 1`, which requires one, and `-verify 1`, which only asks), in
//! TLS 1.2 and TLS 1.3.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use certcheck::demo::pki::{Authority, Leaf, Spec};
use rcgen::ExtendedKeyUsagePurpose;

use crate::support::{Pki, TestEnv, at, contract};

fn pem_cert(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

fn pem_key(leaf: &Leaf) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", leaf.key_der.clone()))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// An `openssl s_server` on 127.0.0.1 that asks for a client certificate issued by `client_ca`
/// (`require`: `-Verify`, else `-verify`), killed when dropped.
struct OpensslServer {
    child: Child,
    port: u16,
}

// s_server ends a connection when its standard input ends, so the pipe stays open (in `child`)
// until the server is dropped.

impl OpensslServer {
    fn start(dir: &Path, pki: &Pki, client_ca: &Path, tls13: bool, require: bool) -> Self {
        let leaf = pki.leaf(&["mtls.test"]);
        let cert = write(dir, "server-cert.pem", &pem_cert(&leaf.der));
        let chain = write(dir, "server-chain.pem", &pki.inter.pem());
        let key = write(dir, "server-key.pem", &pem_key(&leaf));
        let mut child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", "127.0.0.1:0", "-naccept", "8"])
            .arg("-cert")
            .arg(&cert)
            .arg("-cert_chain")
            .arg(&chain)
            .arg("-key")
            .arg(&key)
            .arg("-CAfile")
            .arg(client_ca)
            .args([if require { "-Verify" } else { "-verify" }, "1"])
            // Without it s_server notes a client certificate it cannot verify and goes on.
            .args(if require {
                &["-verify_return_error"][..]
            } else {
                &[][..]
            })
            .arg(if tls13 { "-tls1_3" } else { "-tls1_2" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("s_server says where it listens")
                .expect("line");
            if let Some(address) = line.strip_prefix("ACCEPT ") {
                break address
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("a port");
            }
        };
        // Keep reading what it prints, so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        OpensslServer { child, port }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client certificate (clientAuth) issued by its own root, with the root's PEM file. The real
/// server checks it at its own clock, so both are valid from 2000 to 2099 (the test reads none).
fn client_identity(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let (from, until) = (
        time::macros::datetime!(2000-01-01 0:00 UTC),
        time::macros::datetime!(2099-12-31 0:00 UTC),
    );
    let root = Authority::root(&Spec::ca(&format!("{name} Client Root"), at()).valid(from, until))
        .expect("root");
    let mut spec = Spec::leaf(&[], at()).valid(from, until);
    spec.common_name = format!("{name} client");
    spec.eku = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = root.leaf(&spec).expect("leaf");
    (
        write(dir, &format!("{name}-cert.pem"), &pem_cert(&leaf.der)),
        write(dir, &format!("{name}-key.pem"), &pem_key(&leaf)),
        write(dir, &format!("{name}-root.pem"), &root.pem()),
    )
}

fn check(env: &TestEnv, port: u16, extra: &[&std::ffi::OsStr]) -> (Option<i32>, contract::Report) {
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", "10", "--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &format!("127.0.0.1:{port}")])
        .args(extra)
        .arg(format!("mtls.test:{port}"))
        .timeout(Duration::from_secs(60));
    let out = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: contract::Report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

#[test]
fn a_server_that_requires_a_client_certificate_is_diagnosed_past_it_with_cert_and_key() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let dir = env.dir.path();
    let (cert, key, client_root) = client_identity(dir, "good");
    let (stranger, stranger_key, _) = client_identity(dir, "stranger");
    for tls13 in [false, true] {
        let version = if tls13 { "TLSv1.3" } else { "TLSv1.2" };
        let server = OpensslServer::start(dir, &pki, &client_root, tls13, true);

        // Without a certificate: refused, and the report says so and how to give one, in TLS
        // 1.3 too, where the refusal comes after the client's side of the handshake.
        let (code, report) = check(&env, server.port, &[]);
        let result = &report.results[0];
        let error = result.connection_error.as_ref().expect("refused");
        assert_eq!(error.code, "tls-alert", "{version}: {error:?}");
        assert!(
            error.message.contains(
                "requires a client certificate: it asked for one, certcheck sent none (give one with --cert FILE --key FILE)"
            ),
            "{version}: {}",
            error.message
        );
        assert_eq!(code, Some(3), "{version}: {}", result.verdict);
        // The chain came first, so it is diagnosed all the same.
        assert_eq!(result.chain.len(), 2, "{version}");
        assert!(result.store("custom").trusted, "{version}");

        // With the right certificate: the handshake completes and nothing is refused.
        let (code, report) = check(
            &env,
            server.port,
            &[
                "--cert".as_ref(),
                cert.as_os_str(),
                "--key".as_ref(),
                key.as_os_str(),
            ],
        );
        let result = &report.results[0];
        assert!(
            result.connection_error.is_none(),
            "{version}: {:?}",
            result.connection_error
        );
        let tls = result.tls.as_ref().expect("tls");
        assert_eq!(tls.version, version);
        assert!(
            tls.client_certificate_requested && tls.client_certificate_sent,
            "{tls:?}"
        );
        assert_eq!(code, Some(0), "{version}: {:?}", result.verdict);

        // A certificate the server does not trust: its refusal is quoted with the alert.
        let (code, report) = check(
            &env,
            server.port,
            &[
                "--cert".as_ref(),
                stranger.as_os_str(),
                "--key".as_ref(),
                stranger_key.as_os_str(),
            ],
        );
        let error = report.results[0]
            .connection_error
            .as_ref()
            .expect("refused");
        assert!(
            error
                .message
                .contains("refused the client certificate given with --cert: it ended the handshake with the TLS alert unknown_ca"),
            "{version}: {}",
            error.message
        );
        assert_eq!(code, Some(3), "{version}");
    }
}

#[test]
fn a_server_that_only_asks_accepts_a_client_without_one_and_certcheck_does_not_wait_long() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let dir = env.dir.path();
    let (_, _, client_root) = client_identity(dir, "any");
    let server = OpensslServer::start(dir, &pki, &client_root, true, false);
    let started = Instant::now();
    let (code, report) = check(&env, server.port, &[]);
    let result = &report.results[0];
    assert!(
        result.connection_error.is_none(),
        "{:?}",
        result.connection_error
    );
    let tls = result.tls.as_ref().expect("tls");
    assert!(
        tls.client_certificate_requested && !tls.client_certificate_sent,
        "{tls:?}"
    );
    assert_eq!(code, Some(0));
    // s_server sends its session tickets once it accepted, so certcheck stops waiting then
    // (the bound is 1 s; this only guards against waiting for the whole --timeout).
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn unusable_cert_and_key_files_are_usage_errors_that_name_them() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let dir = env.dir.path();
    let (cert, _, _) = client_identity(dir, "mine");
    let (_, other_key, _) = client_identity(dir, "theirs");
    let cases: [(Vec<&std::ffi::OsStr>, String); 3] = [
        (
            vec![
                "--cert".as_ref(),
                cert.as_os_str(),
                "--key".as_ref(),
                other_key.as_os_str(),
            ],
            format!(
                "--key {} is not the private key of the certificate in --cert {}",
                other_key.display(),
                cert.display()
            ),
        ),
        (
            vec!["--cert".as_ref(), cert.as_os_str()],
            format!(
                "--cert {}: holds no PRIVATE KEY block; give the key with --key FILE",
                cert.display()
            ),
        ),
        (
            vec!["--cert".as_ref(), "/nonexistent/cert.pem".as_ref()],
            "--cert /nonexistent/cert.pem: no such file".to_string(),
        ),
    ];
    for (args, expected) in cases {
        let out = env
            .cmd()
            .args(&args)
            .arg("127.0.0.1:9")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&expected), "{stderr}");
    }
    // --key alone, and --cert in a mode without connections.
    let out = env
        .cmd()
        .args(["--key", "k.pem", "127.0.0.1:9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--cert"),
        "{out:?}"
    );
    let out = env
        .base()
        .arg("--cert")
        .arg(&cert)
        .args(["inspect"])
        .arg(&env.root_file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--cert/--key only applies to live targets"),
        "{out:?}"
    );
}
