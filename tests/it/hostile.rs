//! Hostile servers and files: each test starts a server on 127.0.0.1 that misbehaves in one way
//! and checks that certcheck ends with a clear `connection_error` (or a correct diagnosis where
//! certificates were seen), within `--timeout` plus a generous margin, without a panic.
//!
//! The margin only catches hangs; nothing here asserts how fast anything is.
//!
//! At the end, what certcheck never does: send anything but the TLS handshake (no HTTP request,
//! no application data), and print a private key.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certcheck::demo::pki::{Authority, Leaf, Spec};
use certcheck::demo::server::TlsServer;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::{Pki, TestEnv, at, contract, serve};

/// Added to `--timeout` to catch a process that does not end. Not a timing assertion.
const HANG_MARGIN: Duration = Duration::from_secs(20);

/// A finished run of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    report: contract::Report,
}

impl Run {
    fn result(&self) -> &contract::TargetResult {
        &self.report.results[0]
    }

    /// The connection error, failing with the whole result when there is none.
    fn error(&self) -> &contract::ConnectionError {
        self.result().connection_error.as_ref().unwrap_or_else(|| {
            panic!(
                "no connection_error in:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `cmd` (which must include `--json` and `--timeout timeout_secs`), checks it ended within
/// the hang guard, exited with a code and did not panic, and parses the report.
fn run_cmd(mut cmd: assert_cmd::Command, timeout_secs: u64) -> Run {
    let limit = Duration::from_secs(timeout_secs) + HANG_MARGIN;
    cmd.timeout(limit);
    let started = Instant::now();
    let output = cmd.output().expect("the binary runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "certcheck panicked:\n{stderr}"
    );
    assert!(
        elapsed < limit && output.status.code().is_some(),
        "certcheck did not end within --timeout {timeout_secs} plus {HANG_MARGIN:?} (killed: {:?}); stderr:\n{stderr}",
        output.status
    );
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}):\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    Run {
        code: output.status.code(),
        stdout,
        stderr,
        report,
    }
}

/// `certcheck --json --timeout SECS` with the test environment (system store = unrelated root).
fn certcheck(env: &TestEnv, timeout_secs: u64) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", &timeout_secs.to_string()]);
    cmd
}

/// Runs certcheck against `addr` (by address, no name) and expects exit 3 with `code`.
fn expect_connection_error(addr: SocketAddr, timeout_secs: u64, code: &str) -> Run {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = certcheck(&env, timeout_secs);
    cmd.arg(addr.to_string());
    let run = run_cmd(cmd, timeout_secs);
    assert_eq!(run.code, Some(3), "exit code; stdout:\n{}", run.stdout);
    let error = run.error();
    eprintln!("{addr}: {} | {}", error.code, error.message);
    assert_eq!(error.code, code, "{error:?}");
    assert!(
        error.message.contains(&addr.to_string()),
        "the message names the address: {error:?}"
    );
    assert!(run.result().chain.is_empty());
    assert_eq!(run.result().status, "error");
    run
}

/// A raw TCP server on 127.0.0.1: every connection goes to `handle` in a thread of its own.
fn raw_server<F>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                handle(stream)
            });
        }
    });
    addr
}

/// One TLS record: content type, record version, body.
type Record = (u8, u16, Vec<u8>);

fn read_record(stream: &mut impl Read) -> io::Result<Record> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header)?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0; len];
    stream.read_exact(&mut body)?;
    Ok((header[0], u16::from_be_bytes([header[1], header[2]]), body))
}

fn record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&u16::try_from(body.len()).expect("short").to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Every record in a byte stream (a trailing partial record is returned as the remainder).
fn split_records(mut bytes: &[u8]) -> (Vec<Record>, Vec<u8>) {
    let mut records = Vec::new();
    while bytes.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        if bytes.len() < 5 + len {
            break;
        }
        records.push((
            bytes[0],
            u16::from_be_bytes([bytes[1], bytes[2]]),
            bytes[5..5 + len].to_vec(),
        ));
        bytes = &bytes[5 + len..];
    }
    (records, bytes.to_vec())
}

/// Reads and discards until the peer closes, so that closing our end sends FIN, not RST.
fn drain(stream: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

/// A small deterministic PRNG (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// What a proxy does with the server's bytes on their way to the client.
#[derive(Clone, Copy)]
enum Relay {
    /// Passes them on unchanged.
    Verbatim,
    /// Passes on the first record (the ServerHello), then sends random bytes instead.
    HelloThenRandom,
    /// Passes them on one byte at a time, each after this pause.
    Trickle(Duration),
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`; records every byte the client sends.
fn proxy(upstream: SocketAddr, relay: Relay) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let sent = Arc::new(Mutex::new(Vec::new()));
    let recorded = sent.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            let recorded = recorded.clone();
            let (mut client_read, mut server_write) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = client_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    recorded.lock().expect("lock").extend_from_slice(&buf[..n]);
                    if server_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = server_write.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || relay_to_client(server, client, relay));
        }
    });
    (addr, sent)
}

fn relay_to_client(mut server: TcpStream, mut client: TcpStream, relay: Relay) {
    let _ = server.set_read_timeout(Some(Duration::from_secs(60)));
    match relay {
        Relay::Verbatim => {
            let _ = io::copy(&mut server, &mut client);
            let _ = client.shutdown(Shutdown::Write);
        }
        Relay::HelloThenRandom => {
            if let Ok((kind, version, body)) = read_record(&mut server) {
                let _ = client.write_all(&record(kind, version, &body));
            }
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
            let noise: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
            let _ = client.write_all(&noise);
            drain(&mut client);
        }
        Relay::Trickle(pause) => {
            let mut buf = [0u8; 4096];
            while let Ok(n) = server.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for byte in &buf[..n] {
                    std::thread::sleep(pause);
                    if client.write_all(&[*byte]).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// What a test TLS server saw on one connection.
#[derive(Debug)]
struct ServerSaw {
    /// The handshake completed on the server's side.
    handshake_done: bool,
    /// Decrypted application data the client sent.
    application_data: Vec<u8>,
    /// How reading ended.
    ended: String,
}

/// A blocking rustls server on `bind`: handshakes each connection, then reads whatever
/// application data the client sends until it closes, and reports it.
fn rustls_server(
    bind: &str,
    config: Arc<rustls::ServerConfig>,
) -> io::Result<(SocketAddr, mpsc::Receiver<ServerSaw>)> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                let conn = rustls::ServerConnection::new(config).expect("server connection");
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut data = Vec::new();
                let ended = match tls.read_to_end(&mut data) {
                    Ok(_) => "closed".to_string(),
                    Err(err) => err.to_string(),
                };
                // Send any pending alert, then read until the client closes, so that closing
                // here never resets the connection before the client has read the alert.
                while tls.conn.wants_write() {
                    if tls.conn.write_tls(&mut tls.sock).is_err() {
                        break;
                    }
                }
                let _ = tls.sock.shutdown(Shutdown::Write);
                drain(&mut tls.sock);
                let _ = tx.send(ServerSaw {
                    handshake_done: !tls.conn.is_handshaking(),
                    application_data: data,
                    ended,
                });
            });
        }
    });
    Ok((addr, rx))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(
    versions: &[&'static rustls::SupportedProtocolVersion],
    chain: &[Vec<u8>],
    key: &Leaf,
    client_auth_root: Option<&Authority>,
) -> Arc<rustls::ServerConfig> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .expect("versions");
    let builder = match client_auth_root {
        Some(root) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from(root.der()))
                .expect("client root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                roots.into(),
                provider(),
            )
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let certs = chain.iter().cloned().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key_der.clone()));
    Arc::new(builder.with_single_cert(certs, key).expect("server cert"))
}

/// `certcheck --json --timeout SECS --ca-file root --connect-to ADDR NAME:PORT`.
fn check_name(env: &TestEnv, timeout_secs: u64, name: &str, addr: SocketAddr) -> Run {
    let mut cmd = certcheck(env, timeout_secs);
    cmd.arg("--ca-file")
        .arg(&env.root_file)
        .args(["--connect-to", &addr.to_string()])
        .arg(format!("{name}:{}", addr.port()));
    let run = run_cmd(cmd, timeout_secs);
    let result = run.result();
    eprintln!(
        "{name} via {addr}: exit {:?}, error {:?}, findings {:?}",
        run.code,
        result.connection_error,
        result
            .findings
            .iter()
            .map(|f| format!("{} {:?}: {}", f.code, f.certificate, f.message))
            .collect::<Vec<_>>()
    );
    run
}

// ----------------------------------------------------------------------------------------------
// Servers that never produce a handshake.
// ----------------------------------------------------------------------------------------------

#[test]
fn server_that_accepts_and_never_speaks() {
    let addr = raw_server(|mut stream| drain(&mut stream));
    let run = expect_connection_error(addr, 2, "timeout");
    let message = &run.error().message;
    assert!(message.contains("within 2 s"), "{message}");
    assert!(message.contains("TLS handshake"), "{message}");
    assert!(
        message.contains("nothing received from the server"),
        "{message}"
    );
}

#[test]
fn server_that_answers_with_plain_http() {
    let addr = raw_server(|mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
        );
        let _ = stream.shutdown(Shutdown::Write);
        drain(&mut stream);
    });
    let run = expect_connection_error(addr, 5, "not-tls");
    let message = &run.error().message;
    assert!(message.contains("does not speak TLS"), "{message}");
    assert!(message.contains("'HTTP/1.1 400 Bad Request'"), "{message}");
}

#[test]
fn server_that_greets_first_with_a_text_banner() {
    // SMTP, FTP and SSH servers speak first.
    let addr = raw_server(|mut stream| {
        let _ = stream.write_all(b"220 mail.example.test ESMTP ready\r\n");
        drain(&mut stream);
    });
    let run = expect_connection_error(addr, 5, "not-tls");
    let message = &run.error().message;
    assert!(message.contains("does not speak TLS"), "{message}");
    assert!(message.contains("220 mail.example.test ESMTP"), "{message}");
}

#[test]
fn server_that_sends_a_tls_alert_at_once() {
    for (alert, name) in [(40u8, "handshake_failure"), (80, "internal_error")] {
        // Before even reading the ClientHello.
        let addr = raw_server(move |mut stream| {
            let _ = stream.write_all(&record(21, 0x0303, &[2, alert]));
            drain(&mut stream);
        });
        let run = expect_connection_error(addr, 5, "tls-alert");
        let message = &run.error().message;
        assert!(message.contains(name), "{message}");
    }
}

#[test]
fn server_that_closes_right_after_accepting() {
    let addr = raw_server(drop);
    let run = expect_connection_error(addr, 5, "io");
    let message = &run.error().message;
    assert!(
        message.contains("closed the connection during the TLS handshake")
            || message.contains("reset the connection during the TLS handshake"),
        "{message}"
    );
    assert!(
        message.contains("nothing received from the server"),
        "{message}"
    );
}

#[test]
fn server_that_closes_in_the_middle_of_the_handshake() {
    let addr = raw_server(|mut stream| {
        let Ok((22, _, hello)) = read_record(&mut stream) else {
            return;
        };
        assert_eq!(hello.first(), Some(&1), "a ClientHello");
        // A ServerHello record announcing 80 bytes, of which 10 arrive.
        let mut partial = vec![22, 3, 3, 0, 80];
        partial.extend_from_slice(&[2, 0, 0, 76, 3, 3, 0xaa, 0xbb, 0xcc, 0xdd]);
        let _ = stream.write_all(&partial);
        let _ = stream.shutdown(Shutdown::Write);
        drain(&mut stream);
    });
    let run = expect_connection_error(addr, 5, "io");
    let message = &run.error().message;
    assert!(
        message.contains("closed the connection during the TLS handshake"),
        "{message}"
    );
    assert!(
        message.contains("15 bytes received from the server"),
        "{message}"
    );
}

#[test]
fn server_that_sends_random_bytes_after_its_hello() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["noise.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let (addr, _) = proxy(server.addr, Relay::HelloThenRandom);
    let run = expect_connection_error(addr, 5, "not-tls");
    let message = &run.error().message;
    // Not "does not speak TLS": it did, then stopped.
    assert!(
        message.contains("broke off the TLS handshake with data that is not TLS"),
        "{message}"
    );
}

#[test]
fn server_that_trickles_one_byte_at_a_time_is_bounded_by_the_whole_timeout() {
    // A valid handshake, one byte per 200 ms: each read succeeds quickly, but the whole exchange
    // would take minutes. --timeout bounds the exchange, not each read.
    let pki = Pki::new();
    let leaf = pki.leaf(&["slow.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let (addr, _) = proxy(server.addr, Relay::Trickle(Duration::from_millis(200)));
    let run = expect_connection_error(addr, 2, "timeout");
    let message = &run.error().message;
    assert!(message.contains("within 2 s"), "{message}");
    assert!(
        message.contains("bytes received from the server"),
        "{message}"
    );
}

// ----------------------------------------------------------------------------------------------
// Servers that present odd chains.
// ----------------------------------------------------------------------------------------------

/// A CA or leaf with short names (small certificates), for building long chains.
fn params(common_name: &str, ca: bool, names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.not_before = at() - time::Duration::days(1);
    params.not_after = at() + time::Duration::days(40);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    } else {
        params.is_ca = IsCa::ExplicitNoCa;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    }
    params
}

#[test]
fn server_that_sends_200_certificates() {
    // Ed25519 and one-letter names keep 200 certificates within the 64 KiB a TLS client accepts
    // in one handshake message, so certcheck sees them all and analyses the first MAX_CHAIN_CERTS.
    let (root, root_der, chain, leaf) = own_long_chain(200, "long.test", &rcgen::PKCS_ED25519);
    let size: usize = chain.iter().map(Vec::len).sum();
    assert!(
        size < 60_000,
        "the chain must fit a TLS message: {size} bytes"
    );
    let server = TlsServer::start(chain, leaf.key_der.clone()).expect("server");
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    std::fs::write(
        &env.root_file,
        pem::encode(&pem::Pem::new("CERTIFICATE", root_der)),
    )
    .expect("write root");
    drop(root);
    let run = check_name(&env, 10, "long.test", server.addr);
    let result = run.result();
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        result.connection_error.is_none(),
        "{:?}",
        result.connection_error
    );
    assert_eq!(result.chain.len(), certcheck::chain::MAX_CHAIN_CERTS);
    let truncated = result
        .with_code("chain-order")
        .into_iter()
        .find(|f| f.message.contains("ignored"))
        .unwrap_or_else(|| panic!("no truncation finding in {:#?}", result.findings));
    assert!(
        truncated.message.contains(&format!(
            "the server sent 200 certificates; certcheck analyses the first {} and ignored {}",
            certcheck::chain::MAX_CHAIN_CERTS,
            200 - certcheck::chain::MAX_CHAIN_CERTS
        )),
        "{}",
        truncated.message
    );
    assert!(truncated.certificate.is_none());
    // The root is 199 intermediates away: no store can trust this within what is analysed.
    assert!(!result.store("custom").trusted);
    // Certificate 31's issuer is certificate 32: sent, but beyond what certcheck analyses.
    for finding in &result.findings {
        assert!(
            !finding.message.contains("was not sent by the server"),
            "an issuer beyond MAX_CHAIN_CERTS is reported as not sent: {}",
            finding.message
        );
    }
}

#[test]
fn server_whose_200_certificates_exceed_a_tls_message() {
    // P-256 certificates: 200 of them are more than 64 KiB, which rustls refuses to read.
    let (_root, _root_der, chain, leaf) =
        own_long_chain(200, "huge.test", &rcgen::PKCS_ECDSA_P256_SHA256);
    let size: usize = chain.iter().map(Vec::len).sum();
    assert!(size > 65_535, "{size} bytes");
    let server = TlsServer::start(chain, leaf.key_der.clone()).expect("server");
    // rustls will not read it; certcheck's own TLS 1.2 ClientHello does (connect::legacy), and
    // the clients are predicted by their own limits (tests/it/legacy.rs has more).
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let run = check_name(&env, 10, "huge.test", server.addr);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let result = run.result();
    assert!(result.connection_error.is_none(), "{}", run.stdout);
    assert_eq!(
        result.chain.len(),
        32,
        "the first MAX_CHAIN_CERTS are analysed"
    );
    let tls = result.tls.as_ref().expect("tls");
    assert!(!tls.handshake_completed);
    // The TLS 1.3 form (the server speaks TLS 1.3): 4 bytes, then 5 more per certificate.
    assert_eq!(
        tls.certificate_message_bytes,
        Some((4 + size + 5 * 200) as u64)
    );
    let rustls = result.client("rustls");
    assert_eq!(
        rustls.error.as_deref(),
        Some("received corrupt message of type HandshakePayloadTooLarge")
    );
}

/// A root of its own and a chain of `len` certificates: a leaf for `name`, then `len - 1`
/// intermediates, each issued by the next, the last issued by the root. Returns the root's key
/// and DER, the chain (leaf first) and the leaf with its key.
fn own_long_chain(
    len: usize,
    name: &str,
    algorithm: &'static rcgen::SignatureAlgorithm,
) -> (KeyPair, Vec<u8>, Vec<Vec<u8>>, Leaf) {
    let root_key = KeyPair::generate_for(algorithm).expect("key");
    let root_params = params("R", true, &[]);
    let root_der = root_params
        .self_signed(&root_key)
        .expect("root")
        .der()
        .to_vec();
    let root_issuer = Issuer::from_params(&root_params, &root_key);
    let keys: Vec<KeyPair> = (0..len)
        .map(|_| KeyPair::generate_for(algorithm).expect("key"))
        .collect();
    let all_params: Vec<CertificateParams> = (0..len)
        .map(|i| {
            if i == 0 {
                params(name, false, &[name])
            } else {
                params(&format!("I{i}"), true, &[])
            }
        })
        .collect();
    let chain: Vec<Vec<u8>> = (0..len)
        .map(|i| {
            let cert = if i + 1 == len {
                all_params[i].signed_by(&keys[i], &root_issuer)
            } else {
                all_params[i].signed_by(
                    &keys[i],
                    &Issuer::from_params(&all_params[i + 1], &keys[i + 1]),
                )
            };
            cert.expect("sign").der().to_vec()
        })
        .collect();
    let leaf = Leaf {
        der: chain[0].clone(),
        key_der: keys[0].serialize_der(),
    };
    (root_key, root_der, chain, leaf)
}

/// A leaf for `name` with a non-critical private extension of `size` bytes.
fn leaf_with_huge_extension(pki: &Pki, name: &str, size: usize) -> Leaf {
    let mut content = vec![0x04, 0x83];
    content.extend_from_slice(&u32::try_from(size).expect("size").to_be_bytes()[1..]);
    content.resize(5 + size, 0x5a);
    let mut spec = Spec::leaf(&[name], at());
    spec.extensions.push(CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 55555, 1],
        content,
    ));
    pki.leaf_with(spec)
}

#[test]
fn server_that_sends_a_one_megabyte_certificate() {
    let pki = Pki::new();
    let leaf = leaf_with_huge_extension(&pki, "big.test", 1024 * 1024);
    assert!(leaf.der.len() > 1024 * 1024);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let run = expect_connection_error(server.addr, 10, "tls-alert");
    let message = &run.error().message;
    assert!(message.contains("larger than the 64 KiB"), "{message}");
}

#[test]
fn a_one_megabyte_certificate_in_a_file_is_diagnosed() {
    // The same certificate from a file (below MAX_FILE_BYTES) is read and diagnosed: certcheck
    // parses it, and reports that the verifier refuses it.
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = leaf_with_huge_extension(&pki, "big.test", 1024 * 1024);
    let path = env.dir.path().join("big.pem");
    let text = [leaf.der.clone(), pki.inter.der()]
        .into_iter()
        .map(|der| pem::encode(&pem::Pem::new("CERTIFICATE", der)))
        .collect::<String>();
    std::fs::write(&path, text).expect("write");
    let mut cmd = env.cmd();
    cmd.args(["inspect", "--json", "--host", "big.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(&path);
    let run = run_cmd(cmd, 0);
    let result = run.result();
    assert_eq!(result.chain.len(), 2);
    assert_eq!(result.chain[0].parse_error, None, "certcheck parses it");
    // rustls-webpki reads certificates of at most 64 KiB, so no rustls client accepts it, and
    // the report says so.
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(!result.store("custom").trusted);
    assert!(
        result
            .findings
            .iter()
            .any(|f| f.severity == "error" && f.message.contains("64 KiB")),
        "{:#?}",
        result.findings
    );
}

#[test]
fn server_whose_chain_loops() {
    // A is issued by B and B by A: two CA certificates with swapped names, each signed with the
    // other's key. The leaf is issued by A. Neither is a trust anchor.
    let key_a = KeyPair::generate().expect("key");
    let key_b = KeyPair::generate().expect("key");
    let params_a = params("Loop A", true, &[]);
    let params_b = params("Loop B", true, &[]);
    let cert_a = params_a
        .signed_by(&key_a, &Issuer::from_params(&params_b, &key_b))
        .expect("A");
    let cert_b = params_b
        .signed_by(&key_b, &Issuer::from_params(&params_a, &key_a))
        .expect("B");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf_cert = params("loop.test", false, &["loop.test"])
        .signed_by(&leaf_key, &Issuer::from_params(&params_a, &key_a))
        .expect("leaf");
    let leaf = Leaf {
        der: leaf_cert.der().to_vec(),
        key_der: leaf_key.serialize_der(),
    };
    let chain = vec![
        leaf.der.clone(),
        cert_a.der().to_vec(),
        cert_b.der().to_vec(),
    ];
    for served in [
        chain.clone(),
        [chain.clone(), chain.clone(), chain].concat(),
    ] {
        let server = serve(served.clone(), &leaf);
        let pki = Pki::new();
        let env = TestEnv::new(&pki);
        let run = check_name(&env, 10, "loop.test", server.addr);
        assert_eq!(run.code, Some(1), "{}", run.stdout);
        let result = run.result();
        assert!(result.connection_error.is_none());
        assert_eq!(result.chain.len(), served.len());
        let custom = result.store("custom");
        assert!(!custom.trusted);
        let error = custom.error.as_deref().expect("an error code");
        assert!(
            ["unknown-issuer", "untrusted-root"].contains(&error),
            "{error}: {:#?}",
            result.findings
        );
        result.finding(error);
        // The issuer of every certificate was sent: the diagnosis must not say otherwise (it
        // must say the chain loops back on itself).
        for finding in &result.findings {
            assert!(
                !finding.message.contains("was not sent by the server"),
                "a looping chain is reported as a missing issuer: {}",
                finding.message
            );
        }
    }
}

#[test]
fn server_that_sends_the_same_certificate_five_times() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["dup.test"]);
    let inter = pki.inter.der();
    let env = TestEnv::new(&pki);
    let leaf_five = vec![
        leaf.der.clone(),
        leaf.der.clone(),
        leaf.der.clone(),
        leaf.der.clone(),
        leaf.der.clone(),
        inter.clone(),
    ];
    let inter_five = vec![
        leaf.der.clone(),
        inter.clone(),
        inter.clone(),
        inter.clone(),
        inter.clone(),
        inter,
    ];
    for served in [leaf_five, inter_five] {
        let server = serve(served, &leaf);
        let run = check_name(&env, 10, "dup.test", server.addr);
        let result = run.result();
        // webpki ignores the duplicates, so the chain is trusted; the duplicates are warnings.
        assert!(result.store("custom").trusted, "{:#?}", result.findings);
        assert_eq!(run.code, Some(4), "{}", run.stdout);
        assert_eq!(result.status, "warning");
        let duplicates = result
            .with_code("chain-order")
            .into_iter()
            .filter(|f| f.message.contains("is a duplicate of certificate"))
            .count();
        assert_eq!(duplicates, 4, "{:#?}", result.findings);
    }
}

/// A fake server that reads the ClientHello and answers with `answer`.
fn answering_server(answer: Vec<u8>) -> SocketAddr {
    raw_server(move |mut stream| {
        let Ok((22, _, hello)) = read_record(&mut stream) else {
            return;
        };
        assert_eq!(hello.first(), Some(&1), "a ClientHello");
        let _ = stream.write_all(&answer);
        drain(&mut stream);
    })
}

/// A ServerHello record choosing `version` and TLS_RSA_WITH_AES_128_CBC_SHA, as an old server sends.
fn old_server_hello(version: u16) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session id
    body.extend_from_slice(&[0x00, 0x2f]); // cipher suite
    body.push(0); // compression
    let mut handshake = vec![2, 0, 0, u8::try_from(body.len()).expect("short")];
    handshake.extend_from_slice(&body);
    record(22, version, &handshake)
}

#[test]
fn server_that_only_speaks_tls_1_0_or_1_1() {
    for (version, name) in [
        (0x0301u16, "TLS 1.0"),
        (0x0302, "TLS 1.1"),
        (0x0300, "SSL 3.0"),
    ] {
        let addr = answering_server(old_server_hello(version));
        let run = expect_connection_error(addr, 5, "tls-alert");
        let message = &run.error().message;
        assert!(
            message.contains("only speaks an obsolete protocol version"),
            "{message}"
        );
        assert!(message.contains(&format!("it chose {name}")), "{message}");
    }
    // Servers that refuse TLS 1.2 and 1.3 outright answer with the protocol_version alert.
    let addr = answering_server(record(21, 0x0301, &[2, 70]));
    let run = expect_connection_error(addr, 5, "tls-alert");
    let message = &run.error().message;
    assert!(
        message.contains("only speaks an obsolete protocol version"),
        "{message}"
    );
}

#[test]
fn server_that_requires_a_client_certificate() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = pki.leaf(&["mtls.test"]);
    let chain = vec![leaf.der.clone(), pki.inter.der()];
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = server_config(&[version], &chain, &leaf, Some(&pki.root));
        let (addr, saw) = rustls_server("127.0.0.1:0", config).expect("server");
        let run = check_name(&env, 10, "mtls.test", addr);
        let result = run.result();
        // The chain was presented before the server asked for a certificate: it is diagnosed.
        assert_eq!(result.chain.len(), 2, "{version:?}: {}", run.stdout);
        assert!(
            result.store("custom").trusted,
            "{version:?}: {}",
            run.stdout
        );
        let saw = saw
            .recv_timeout(Duration::from_secs(30))
            .expect("the server saw the connection");
        assert!(saw.application_data.is_empty(), "{version:?}: {saw:?}");
        if version.version == rustls::ProtocolVersion::TLSv1_2 {
            // TLS 1.2: the server aborts before its Finished, so the handshake fails visibly.
            let error = run.error();
            assert_eq!(error.code, "tls-alert", "{error:?}");
            assert!(
                error.message.contains("requires a client certificate"),
                "{error:?}"
            );
            assert!(error.message.contains("diagnosed below"), "{error:?}");
            assert_eq!(run.code, Some(3), "{}", run.stdout);
        } else {
            // TLS 1.3: the client's side of the handshake is complete before the server
            // checks the (empty) client certificate; certcheck waits for its verdict, the
            // alert certificate_required.
            assert_eq!(
                result.tls.as_ref().map(|t| t.version.as_str()),
                Some("TLSv1.3"),
                "{}",
                run.stdout
            );
            let error = run.error();
            assert!(
                error.message.contains(
                    "requires a client certificate: it asked for one, certcheck sent none (give one with --cert FILE --key FILE), and it ended the handshake with the TLS alert certificate_required"
                ),
                "{error:?}"
            );
            assert_eq!(run.code, Some(3), "{}", run.stdout);
            // The request is reported, so a user knows a client without a certificate fails.
            assert_eq!(
                result.tls.as_ref().map(|t| t.client_certificate_requested),
                Some(true),
                "{}",
                run.stdout
            );
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Addresses and names.
// ----------------------------------------------------------------------------------------------

#[test]
fn listener_on_ipv6_loopback() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["v6.test"]);
    let Ok(server) = TlsServer::start_on(
        "[::1]:0".parse().expect("addr"),
        vec![leaf.der.clone(), pki.inter.der()],
        leaf.key_der.clone(),
    ) else {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    };
    let env = TestEnv::new(&pki);
    // By name with --connect-to [::1]:PORT.
    let run = check_name(&env, 10, "v6.test", server.addr);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(
        run.result().address.as_deref(),
        Some(format!("[::1]:{}", server.addr.port()).as_str())
    );
    // By address with --sni.
    let mut cmd = certcheck(&env, 10);
    cmd.args(["--sni", "v6.test", "--ca-file"])
        .arg(&env.root_file)
        .arg(format!("[::1]:{}", server.addr.port()));
    let run = run_cmd(cmd, 10);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    // A silent IPv6 listener times out like an IPv4 one.
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        return;
    };
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            drain(&mut stream);
        }
    });
    expect_connection_error(addr, 2, "timeout");
}

#[test]
fn internationalised_host_name() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = pki.leaf(&["xn--bcher-kva.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let run = check_name(&env, 10, "bücher.test", server.addr);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let result = run.result();
    assert_eq!(result.host.as_deref(), Some("xn--bcher-kva.test"));
    assert_eq!(result.server_name.as_deref(), Some("xn--bcher-kva.test"));
    assert_eq!(result.target, format!("bücher.test:{}", server.addr.port()));

    // A certificate for another name: the mismatch shows both forms of the name asked for.
    let other = pki.leaf(&["buecher.test"]);
    let server = serve(vec![other.der.clone(), pki.inter.der()], &other);
    let run = check_name(&env, 10, "BÜCHER.test", server.addr);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let finding = run.result().finding("hostname-mismatch");
    assert!(
        finding.message.contains("xn--bcher-kva.test (bücher.test)"),
        "{}",
        finding.message
    );
}

#[test]
fn name_that_does_not_resolve() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    for (name, shown) in [
        ("no-such-host.invalid", "no-such-host.invalid"),
        ("nirgendwö.invalid", "xn--"),
    ] {
        let mut cmd = certcheck(&env, 5);
        cmd.arg(name);
        let run = run_cmd(cmd, 5);
        assert_eq!(run.code, Some(3), "{}", run.stdout);
        let error = run.error();
        assert!(error.code == "dns" || error.code == "timeout", "{error:?}");
        assert!(error.message.contains(shown), "{error:?}");
    }
}

// ----------------------------------------------------------------------------------------------
// What certcheck never does.
// ----------------------------------------------------------------------------------------------

#[test]
fn sends_nothing_but_the_tls_handshake() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = pki.leaf(&["quiet.test"]);
    let chain = vec![leaf.der.clone(), pki.inter.der()];
    for (version, name) in [
        (&rustls::version::TLS12, "TLSv1.2"),
        (&rustls::version::TLS13, "TLSv1.3"),
    ] {
        let config = server_config(&[version], &chain, &leaf, None);
        let (upstream, saw) = rustls_server("127.0.0.1:0", config).expect("server");
        let (addr, sent) = proxy(upstream, Relay::Verbatim);
        let run = check_name(&env, 10, "quiet.test", addr);
        assert_eq!(run.code, Some(0), "{}", run.stdout);
        assert_eq!(
            run.result().tls.as_ref().map(|t| t.version.as_str()),
            Some(name)
        );
        // The server decrypted everything the client sent after the handshake: nothing.
        let saw = saw
            .recv_timeout(Duration::from_secs(30))
            .expect("the server saw the connection");
        assert!(
            saw.handshake_done,
            "{name}: reading ended with {}",
            saw.ended
        );
        assert!(
            saw.application_data.is_empty(),
            "{name}: certcheck sent application data: {:?}",
            String::from_utf8_lossy(&saw.application_data)
        );
        // On the wire (the server read to the end, so the proxy has recorded everything).
        let bytes = sent.lock().expect("lock").clone();
        let (records, rest) = split_records(&bytes);
        assert!(rest.is_empty(), "{name}: a partial record: {rest:?}");
        let (first_type, _, first_body) = records.first().expect("a record");
        assert_eq!(
            (*first_type, first_body.first()),
            (22, Some(&1)),
            "{name}: the first record is a ClientHello"
        );
        let types: Vec<u8> = records.iter().map(|r| r.0).collect();
        if version.version == rustls::ProtocolVersion::TLSv1_2 {
            // TLS 1.2 keeps the real content type on encrypted records: handshake (22),
            // change_cipher_spec (20) and alert (21) only, never application data (23).
            assert!(
                types.iter().all(|t| [20, 21, 22].contains(t)),
                "{name}: record types {types:?}"
            );
        } else {
            // TLS 1.3 sends every encrypted record as type 23: the client's Finished, and at
            // most a close_notify alert. Their content was checked above by the server.
            assert!(
                types.iter().all(|t| [20, 21, 22, 23].contains(t)),
                "{name}: record types {types:?}"
            );
            let encrypted = types.iter().filter(|t| **t == 23).count();
            assert!(
                (1..=2).contains(&encrypted),
                "{name}: {encrypted} encrypted records: {types:?}"
            );
        }
        let text = String::from_utf8_lossy(&bytes);
        for request in ["HTTP/", "GET ", "HEAD "] {
            assert!(!text.contains(request), "{name}: {request:?} on the wire");
        }
    }
}

#[test]
fn never_prints_the_private_key() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let leaf = pki.leaf(&["key.test"]);
    let other = pki.leaf(&["key.test"]);
    let dir = env.dir.path();
    let pem_cert = |der: &[u8]| pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()));
    let chain = dir.join("chain.pem");
    std::fs::write(
        &chain,
        format!("{}{}", pem_cert(&leaf.der), pem_cert(&pki.inter.der())),
    )
    .expect("write");
    let key_pem = |key: &Leaf| pem::encode(&pem::Pem::new("PRIVATE KEY", key.key_der.clone()));
    let right = dir.join("right.key");
    std::fs::write(&right, key_pem(&leaf)).expect("write");
    let wrong = dir.join("wrong.key");
    std::fs::write(&wrong, key_pem(&other)).expect("write");
    // A bundle with the key inside, as some servers' combined files are.
    let combined = dir.join("combined.pem");
    std::fs::write(
        &combined,
        format!(
            "{}{}{}",
            key_pem(&leaf),
            pem_cert(&leaf.der),
            pem_cert(&pki.inter.der())
        ),
    )
    .expect("write");

    // A key whose body is not a key: the error must not quote it either.
    let corrupt = dir.join("corrupt.key");
    let mut body = leaf.key_der.clone();
    body.truncate(body.len() / 2);
    std::fs::write(
        &corrupt,
        pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            [b"not a key".to_vec(), body].concat(),
        )),
    )
    .expect("write");

    let cases = [
        (Some(&right), &chain, 0),
        (Some(&wrong), &chain, 1),
        (Some(&wrong), &combined, 1),
        (Some(&corrupt), &chain, 3),
        (None, &combined, 0),
        // The key given where a certificate is expected.
        (None, &right, 3),
    ];
    for (key, file, code) in cases {
        for json in [true, false] {
            let mut cmd = env.cmd();
            cmd.args(["inspect", "--host", "key.test", "--ca-file"])
                .arg(&env.root_file);
            if json {
                cmd.arg("--json");
            }
            if let Some(key) = key {
                cmd.arg("--key").arg(key);
            }
            cmd.arg(file);
            let output = cmd.output().expect("runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(code),
                "{key:?} {file:?}: {stdout}{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            let secret_files = [
                key.map(|k| k.as_path()),
                Some(file.as_path()).filter(|f| *f != chain.as_path()),
            ];
            for secret in secret_files.into_iter().flatten() {
                let text = std::fs::read_to_string(secret).expect("read");
                // Every line of the key, BEGIN and END lines included.
                let mut key_lines: Vec<&str> = text
                    .split("-----END PRIVATE KEY-----")
                    .next()
                    .expect("key part")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                key_lines.push("-----END PRIVATE KEY-----");
                for line in key_lines {
                    assert!(
                        !stdout.contains(line) && !stderr.contains(line),
                        "a line of {} was printed: {line}\n{stdout}{stderr}",
                        secret.display()
                    );
                }
            }
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Hostile arguments and dates.
// ----------------------------------------------------------------------------------------------

#[test]
fn extreme_day_counts_and_dates_do_not_panic() {
    // A leaf valid until the last second X.509 can express (RFC 5280's "no well-defined
    // expiration date"), checked with day counts and instants at the edges of the calendar.
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let end_of_time = time::macros::datetime!(9999-12-31 23:59:59 UTC);
    let leaf = pki.leaf_with(Spec::leaf(&["edge.test"], at()).valid(at(), end_of_time));
    let file = env.dir.path().join("edge.pem");
    std::fs::write(
        &file,
        [leaf.der.clone(), pki.inter.der()]
            .into_iter()
            .map(|der| pem::encode(&pem::Pem::new("CERTIFICATE", der)))
            .collect::<String>(),
    )
    .expect("write");
    let cases: [&[&str]; 4] = [
        &["--warn-days", "4000000000"],
        &["--fail-days", "4000000000"],
        &["--at", "9999-12-30T00:00:00Z"],
        &["--at", "0001-01-01T00:00:00Z", "--warn-days", "4000000000"],
    ];
    let mut failures = Vec::new();
    for args in cases {
        let mut cmd = assert_cmd::Command::cargo_bin("certcheck").expect("binary");
        cmd.env("SSL_CERT_FILE", &env.system_file)
            .env_remove("SSL_CERT_DIR")
            .args(args)
            .args(["inspect", "--json", "--ca-file"])
            .arg(&env.root_file)
            .arg(&file)
            .timeout(HANG_MARGIN);
        let output = cmd.output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("panicked") || !matches!(output.status.code(), Some(0..=4)) {
            let first = stderr.lines().take(2).collect::<Vec<_>>().join(" / ");
            failures.push(format!("{args:?}: {:?}: {first}", output.status));
        }
    }
    assert!(
        failures.is_empty(),
        "certcheck panicked:\n{}",
        failures.join("\n")
    );
}
