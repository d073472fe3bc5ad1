//! The chains rustls will not read (`connect::legacy`), against a real `openssl s_server` on
//! 127.0.0.1: a TLS 1.0-only and a TLS 1.1-only server, a Certificate message over 64 KiB in TLS
//! 1.2, the same from a TLS 1.3-only server (a connection error that says why), a server that
//! stalls in the middle of its Certificate message (ended by `--timeout`), and the second
//! connection over the same route: through a real proxy (tinyproxy) and after SMTP STARTTLS.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use certcheck::demo::pki::{Leaf, Spec};

use crate::support::{Pki, TestEnv, at, clear_proxies, contract, run_json};

/// An `openssl s_server` serving a chain until dropped.
struct SServer {
    child: Child,
    port: u16,
    /// Its stdout, kept open (a closed pipe would end it at its next line).
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der.to_vec()))
}

/// Writes the leaf, its key and the intermediate to `dir` and starts `openssl s_server` with
/// `args` (its protocol and cipher options) on 127.0.0.1, port chosen by the system.
fn s_server(dir: &Path, pki: &Pki, leaf: &Leaf, args: &[&str]) -> SServer {
    let cert = dir.join("leaf.pem");
    let key = dir.join("key.pem");
    let chain = dir.join("chain.pem");
    std::fs::write(&cert, pem("CERTIFICATE", &leaf.der)).expect("write leaf");
    std::fs::write(&key, pem("PRIVATE KEY", &leaf.key_der)).expect("write key");
    std::fs::write(&chain, pki.inter.pem()).expect("write chain");
    let files = [
        OsStr::new("-cert"),
        cert.as_os_str(),
        OsStr::new("-key"),
        key.as_os_str(),
        OsStr::new("-cert_chain"),
        chain.as_os_str(),
    ];
    spawn_s_server(&files, args)
}

/// `openssl s_server` with `files` (its -cert, -key... options) and `args`, on 127.0.0.1.
fn spawn_s_server(files: &[&OsStr], args: &[&str]) -> SServer {
    let mut cmd = Command::new("openssl");
    cmd.arg("s_server")
        .args(["-accept", "127.0.0.1:0", "-naccept", "4"])
        .args(files)
        .args(args)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env_remove("OPENSSL_CONF")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    clear_proxies(&mut cmd);
    let mut child = cmd.spawn().expect("openssl s_server starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // `ACCEPT 127.0.0.1:PORT` once it listens (after other lines on some versions).
    let mut port = None;
    for _ in 0..20 {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("s_server's stdout") == 0 {
            break;
        }
        if let Some(address) = line.trim().strip_prefix("ACCEPT ") {
            port = address.rsplit(':').next().and_then(|p| p.parse().ok());
            break;
        }
    }
    let port = port.expect("s_server says ACCEPT 127.0.0.1:PORT");
    SServer {
        child,
        port,
        _stdout: stdout,
    }
}

/// A leaf for `host` whose subjectAltName carries `extra` more names, to make it large.
fn leaf(pki: &Pki, host: &str, extra: usize) -> Leaf {
    let mut names = vec![host.to_string()];
    names.extend((0..extra).map(|i| format!("n{i:05}.padding.legacy.test")));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    pki.leaf_with(Spec::leaf(&refs, at()))
}

fn check(env: &TestEnv, host: &str, port: u16, code: i32) -> contract::Report {
    let mut cmd = env.cmd();
    cmd.arg("--json")
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--timeout", "10"])
        .arg("--connect-to")
        .arg(format!("127.0.0.1:{port}"))
        .arg(format!("{host}:{port}"));
    run_json(&mut cmd, code)
}

fn words<'a>(report: &'a contract::Report, client: &str) -> &'a str {
    report.results[0]
        .client(client)
        .error
        .as_deref()
        .unwrap_or("(accepted)")
}

#[test]
fn a_tls_1_0_only_server_is_read_and_every_client_but_gnutls_refuses_the_protocol() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let host = "tls10.legacy.test";
    let leaf = leaf(&pki, host, 0);
    let server = s_server(
        env.dir.path(),
        &pki,
        &leaf,
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let report = check(&env, host, server.port, 1);
    let result = &report.results[0];
    assert!(result.connection_error.is_none(), "{result:?}");
    let tls = result.tls.as_ref().expect("tls");
    assert_eq!(tls.version, "TLSv1.0");
    assert!(!tls.handshake_completed);
    assert_eq!(tls.cipher_suite, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
    assert_eq!(result.chain.len(), 2, "leaf and intermediate captured");
    assert_eq!(
        words(&report, "python-requests"),
        "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version"
    );
    assert_eq!(
        words(&report, "curl"),
        "(35) OpenSSL/3.0.19: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported"
    );
    assert_eq!(
        words(&report, "java"),
        "Received fatal alert: protocol_version"
    );
    assert_eq!(
        words(&report, "go"),
        "remote error: tls: protocol version not supported"
    );
    assert!(
        result.client("gnutls").accepted,
        "GnuTLS 3.7 speaks TLS 1.0"
    );
    assert!(
        result.verdict.starts_with(
            "works in gnutls, wget; FAILS in python-requests, python-urllib, curl, openssl, node, java, go, rustls, chrome, firefox: only TLS 1.0: Python, Node, Java, Go, rustls, Chrome and Firefox refuse the protocol"
        ),
        "{}",
        result.verdict
    );
}

#[test]
fn through_a_proxy_the_second_connection_takes_the_same_tunnel_and_the_first_line_says_why() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let host = "tls10-proxied.legacy.test";
    let leaf = leaf(&pki, host, 0);
    let server = s_server(
        env.dir.path(),
        &pki,
        &leaf,
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let proxy = crate::proxy::Tinyproxy::start(None);
    let mut cmd = env.cmd();
    cmd.arg("--json")
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--timeout", "10", "--proxy", &proxy.url(), "--connect-to"])
        .arg(format!("127.0.0.1:{}", server.port))
        .arg(format!("{host}:{}", server.port));
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    assert_eq!(result.route.as_deref(), Some(proxy.url().as_str()));
    let tls = result.tls.as_ref().expect("tls");
    assert_eq!(tls.version, "TLSv1.0");
    assert!(!tls.handshake_completed);
    assert_eq!(result.chain.len(), 2);

    // The human report's first line says what the clients do first.
    let mut cmd = env.cmd();
    cmd.arg("--ca-file")
        .arg(&env.root_file)
        .args(["--timeout", "10", "--proxy", &proxy.url(), "--connect-to"])
        .arg(format!("127.0.0.1:{}", server.port))
        .arg(format!("{host}:{}", server.port));
    let output = cmd.output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.contains("FAILS in python-requests")
            && first.contains(": only TLS 1.0: Python, Node, Java, Go, rustls, Chrome and Firefox refuse the protocol before looking at the certificate"),
        "{text}"
    );
    assert!(
        text.contains("TLSv1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
            && text.contains("handshake not completed"),
        "{text}"
    );
}

#[test]
fn a_tls_1_1_only_server_with_rsa_key_exchange_is_verified_by_curl_and_s_client() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let host = "tls11.legacy.test";
    // TLS_RSA_WITH_* needs an RSA key, which rcgen's test PKI does not make: openssl does.
    let dir = env.dir.path();
    let (cert, key) = (dir.join("rsa.pem"), dir.join("rsa-key.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7300",
        ])
        .arg("-subj")
        .arg(format!("/CN={host}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{host}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .env_remove("OPENSSL_CONF")
        .stderr(Stdio::null())
        .status()
        .expect("openssl req runs");
    assert!(status.success());
    let files = [
        OsStr::new("-cert"),
        cert.as_os_str(),
        OsStr::new("-key"),
        key.as_os_str(),
    ];
    let server = spawn_s_server(&files, &["-tls1_1", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    let mut cmd = env.cmd();
    cmd.arg("--json")
        .arg("--ca-file")
        .arg(&cert)
        .args(["--timeout", "10", "--connect-to"])
        .arg(format!("127.0.0.1:{}", server.port))
        .arg(format!("{host}:{}", server.port));
    let output = cmd.output().expect("runs");
    let report: contract::Report = serde_json::from_slice(&output.stdout).expect("JSON report");
    let result = &report.results[0];
    let tls = result.tls.as_ref().expect("tls");
    assert_eq!(tls.version, "TLSv1.1");
    assert_eq!(tls.cipher_suite, "TLS_RSA_WITH_AES_128_CBC_SHA");
    for client in ["curl", "openssl"] {
        assert!(
            !words(&report, client).contains("legacy sigalg"),
            "{client} verifies the chain after an unsigned key exchange: {}",
            words(&report, client)
        );
    }
    assert_eq!(
        words(&report, "node"),
        "EPROTO: tlsv1 alert protocol version"
    );
}

#[test]
fn a_certificate_message_over_64_kib_in_tls_1_2_is_read_and_only_rustls_and_java_refuse_it() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let host = "big.legacy.test";
    // About 80 KB: over rustls's 64 KiB, under OpenSSL's 100 KiB.
    let leaf = leaf(&pki, host, 2600);
    let server = s_server(env.dir.path(), &pki, &leaf, &["-tls1_2"]);
    let report = check(&env, host, server.port, 1);
    let result = &report.results[0];
    assert!(result.connection_error.is_none(), "{result:?}");
    let tls = result.tls.as_ref().expect("tls");
    assert_eq!(tls.version, "TLSv1.2");
    assert!(!tls.handshake_completed);
    let ders = leaf.der.len() + pki.inter.der().len();
    let bytes = tls.certificate_message_bytes.expect("size");
    assert_eq!(bytes as usize, 3 + 3 + 3 + ders, "the TLS 1.2 form");
    assert!(bytes > 65_535 && bytes < 102_400, "{bytes}");
    assert_eq!(
        words(&report, "java"),
        format!(
            "The size of the handshake message ({bytes}) exceeds the maximum allowed size (32768)"
        )
    );
    assert_eq!(
        words(&report, "rustls"),
        "received corrupt message of type HandshakePayloadTooLarge"
    );
    for client in ["python-requests", "curl", "openssl", "node", "go", "gnutls"] {
        assert!(
            result.client(client).accepted,
            "{client}: {:?}",
            result.client(client)
        );
    }
}

#[test]
fn a_tls_1_3_only_server_with_a_certificate_message_over_64_kib_is_a_connection_error_that_says_why()
 {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let host = "big13.legacy.test";
    let leaf = leaf(&pki, host, 2600);
    let server = s_server(env.dir.path(), &pki, &leaf, &["-tls1_3"]);
    let report = check(&env, host, server.port, 3);
    let error = report.results[0]
        .connection_error
        .as_ref()
        .expect("connection error");
    assert_eq!(error.code, "tls-alert");
    assert!(
        error
            .message
            .contains("larger than the 64 KiB rustls accepts")
            && error
                .message
                .contains("it speaks only TLS 1.3, where the Certificate message is encrypted"),
        "{}",
        error.message
    );
}

#[test]
fn a_server_that_stalls_in_its_certificate_message_is_ended_by_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // A TLS 1.2 ServerHello, then a Certificate message that announces 200,000 bytes and sends
    // 100: rustls refuses the size, certcheck's own ClientHello waits for the rest.
    let mut flight = vec![2, 0, 0, 38, 3, 3];
    flight.extend_from_slice(&[7; 32]);
    flight.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
    flight.extend_from_slice(&[11, 0x03, 0x0d, 0x40]);
    flight.extend_from_slice(&[0; 100]);
    let mut record = vec![22, 3, 3];
    record.extend_from_slice(&(flight.len() as u16).to_be_bytes());
    record.extend_from_slice(&flight);
    let stall = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(2).flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut hello = [0u8; 1024];
            let _ = stream.read(&mut hello);
            let _ = stream.write_all(&record);
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(6));
        drop(held);
    });
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let started = Instant::now();
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", "2", "--connect-to"])
        .arg(format!("127.0.0.1:{port}"))
        .arg(format!("stall.legacy.test:{port}"));
    let report = run_json(&mut cmd, 3);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let error = report.results[0]
        .connection_error
        .as_ref()
        .expect("connection error");
    assert_eq!(error.code, "tls-alert", "rustls's refusal stays the code");
    assert!(
        error.message.contains("larger than the 64 KiB rustls accepts")
            && error.message.contains(
                "certcheck's own TLS 1.2 ClientHello did not get the chain either: no complete answer within 2 s while reading the Certificate message from"
            )
            && error.message.contains(
                "over a second connection with certcheck's own TLS 1.2 ClientHello (151 bytes received)"
            ),
        "{}",
        error.message
    );
    let _ = stall.join();
}

/// An SMTP front on 127.0.0.1 for up to two connections: greets, offers STARTTLS, agrees, then
/// relays the bytes to the TLS server on `tls_port` (so an `openssl s_server` speaks TLS after
/// an SMTP STARTTLS exchange).
fn smtp_front(tls_port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2).flatten() {
            std::thread::spawn(move || {
                let mut client = stream;
                let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buffer = [0u8; 1024];
                let _ = client.write_all(b"220 legacy.test ESMTP\r\n");
                let _ = client.read(&mut buffer); // EHLO
                let _ = client.write_all(b"250-legacy.test\r\n250 STARTTLS\r\n");
                let _ = client.read(&mut buffer); // STARTTLS
                let _ = client.write_all(b"220 2.0.0 Ready to start TLS\r\n");
                let Ok(mut server) = std::net::TcpStream::connect(("127.0.0.1", tls_port)) else {
                    return;
                };
                let _ = server.set_read_timeout(Some(Duration::from_secs(10)));
                let (Ok(mut client_in), Ok(mut server_out)) =
                    (client.try_clone(), server.try_clone())
                else {
                    return;
                };
                let up = std::thread::spawn(move || std::io::copy(&mut client_in, &mut server_out));
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Both);
                let _ = up.join();
            });
        }
    });
    port
}

#[test]
fn after_smtp_starttls_the_second_connection_says_starttls_again() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let host = "tls11-smtp.legacy.test";
    let leaf = leaf(&pki, host, 0);
    let server = s_server(
        env.dir.path(),
        &pki,
        &leaf,
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let port = smtp_front(server.port);
    let mut cmd = env.cmd();
    cmd.arg("--json")
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--timeout", "10", "--starttls", "smtp", "--connect-to"])
        .arg(format!("127.0.0.1:{port}"))
        .arg(format!("{host}:{port}"));
    let report = run_json(&mut cmd, 1);
    let result = &report.results[0];
    assert!(result.connection_error.is_none(), "{result:?}");
    assert_eq!(
        result.starttls.as_ref().map(|s| s.protocol.as_str()),
        Some("smtp")
    );
    let tls = result.tls.as_ref().expect("tls");
    assert_eq!(tls.version, "TLSv1.1");
    assert!(!tls.handshake_completed);
    assert_eq!(result.chain.len(), 2);
    assert_eq!(
        words(&report, "rustls"),
        "received fatal alert: ProtocolVersion"
    );
}
