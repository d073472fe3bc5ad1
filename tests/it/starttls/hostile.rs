//! STARTTLS servers that misbehave, written here because no real server does so on purpose:
//! one that stalls after its greeting, one that refuses STARTTLS, one that speaks another
//! protocol (an SSH banner). Each is a responder on 127.0.0.1 that sends a greeting and answers
//! each request certcheck sends with the next scripted answer, then holds the connection open;
//! certcheck must end within `--timeout` (plus a margin that only catches hangs) with the right
//! code and the server's words.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use crate::support::{Pki, TestEnv, contract};

/// Added to `--timeout` to catch a process that does not end. Not a timing assertion.
const HANG_MARGIN: Duration = Duration::from_secs(20);

/// Serves one connection: sends `greeting`, answers each request with the next of `answers`,
/// then reads until certcheck closes.
fn responder(greeting: Vec<u8>, answers: Vec<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(60)));
        let _ = socket.write_all(&greeting);
        let mut buffer = [0u8; 4096];
        for answer in answers {
            match socket.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let _ = socket.write_all(&answer);
                }
            }
        }
        while matches!(socket.read(&mut buffer), Ok(n) if n > 0) {}
    });
    address
}

/// Runs certcheck with `--starttls protocol` against `address`, within the hang guard, and
/// returns the connection error.
fn check(protocol: &str, address: SocketAddr, timeout_secs: u64) -> contract::ConnectionError {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &address.to_string()])
        .args(["--timeout", &timeout_secs.to_string()])
        .args([
            "--starttls",
            protocol,
            &format!("server.test:{}", address.port()),
        ]);
    let limit = Duration::from_secs(timeout_secs) + HANG_MARGIN;
    cmd.timeout(limit);
    let started = Instant::now();
    let output = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(started.elapsed() < limit, "certcheck did not end: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    let report: contract::Report = serde_json::from_str(&stdout).expect("JSON");
    let mut results = report.results;
    results
        .pop()
        .and_then(|r| r.connection_error)
        .expect("a connection error")
}

/// A MySQL protocol-10 greeting offering `capabilities` (lower two bytes).
fn mysql_greeting(capabilities: u16) -> Vec<u8> {
    let mut payload = vec![10];
    payload.extend_from_slice(b"8.0.40-responder\0");
    payload.extend_from_slice(&[7, 0, 0, 0]);
    payload.extend_from_slice(b"12345678\0");
    payload.extend_from_slice(&capabilities.to_le_bytes());
    payload.extend_from_slice(&[45, 2, 0, 0xff, 0x81, 21]);
    payload.extend_from_slice(&[0; 10]);
    payload.extend_from_slice(b"123456789012\0mysql_native_password\0");
    let mut packet = vec![payload.len() as u8, 0, 0, 0];
    packet.extend(payload);
    packet
}

const XMPP_HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='server.test' id='1' version='1.0'>";

#[test]
fn a_server_that_stalls_after_its_greeting_is_a_timeout_naming_the_step() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "smtp",
            b"220 server.test ESMTP\r\n".to_vec(),
            "waiting for the answer to EHLO",
        ),
        (
            "imap",
            b"* OK ready\r\n".to_vec(),
            "waiting for the answer to CAPABILITY",
        ),
        (
            "pop3",
            b"+OK ready\r\n".to_vec(),
            "waiting for the answer to CAPA",
        ),
        (
            "ftp",
            b"220 ready\r\n".to_vec(),
            "waiting for the answer to AUTH TLS",
        ),
        (
            "postgres",
            Vec::new(),
            "waiting for the answer to the SSLRequest",
        ),
        (
            "ldap",
            Vec::new(),
            "waiting for the answer to the StartTLS extended request",
        ),
        (
            "xmpp",
            XMPP_HEADER.as_bytes().to_vec(),
            "waiting for the XMPP stream features",
        ),
        // After the greeting MySQL's client starts TLS at once: the stall is in the handshake.
        (
            "mysql",
            mysql_greeting(0xFFFF),
            "waiting for the TLS handshake",
        ),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(protocol, greeting, step)| {
            std::thread::spawn(move || {
                let address = responder(greeting, Vec::new());
                let error = check(protocol, address, 2);
                assert_eq!(error.code, "timeout", "{protocol}: {error:?}");
                assert!(
                    error
                        .message
                        .starts_with("no complete answer within 2 s while ")
                        && error.message.contains(step),
                    "{protocol}: {}",
                    error.message
                );
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("case passes");
    }
}

/// A protocol, the responder's greeting and answers, and the words certcheck must end with.
struct Refusal(&'static str, Vec<u8>, Vec<Vec<u8>>, &'static str);

#[test]
fn a_server_that_refuses_starttls_is_a_starttls_error_quoting_it() {
    let ldap_refusal = {
        let text = b"unsupported extended operation";
        let mut inner = vec![0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, text.len() as u8];
        inner.extend_from_slice(text);
        let mut message = vec![0x02, 0x01, 0x01, 0x78, inner.len() as u8];
        message.extend(inner);
        let mut framed = vec![0x30, message.len() as u8];
        framed.extend(message);
        framed
    };
    let postgres_error = {
        let fields = b"SFATAL\0C0A000\0Munsupported frontend protocol 1234.5679\0\0";
        let mut answer = vec![b'E'];
        answer.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
        answer.extend_from_slice(fields);
        answer
    };
    let mysql_refusal = {
        let mut payload = vec![0xFF];
        payload.extend_from_slice(&1130u16.to_le_bytes());
        payload
            .extend_from_slice(b"Host '127.0.0.1' is not allowed to connect to this MySQL server");
        let mut packet = vec![payload.len() as u8, 0, 0, 0];
        packet.extend(payload);
        packet
    };
    let cases = vec![
        Refusal(
            "smtp",
            b"220 server.test ESMTP\r\n".to_vec(),
            vec![
                b"250-server.test\r\n250 STARTTLS\r\n".to_vec(),
                b"454 4.7.0 TLS not available due to local problem\r\n".to_vec(),
            ],
            "did not start TLS over SMTP: it answered STARTTLS with '454 4.7.0 TLS not available due to local problem'",
        ),
        Refusal(
            "imap",
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n".to_vec(),
            vec![b"S1 NO [UNAVAILABLE] TLS is not configured\r\n".to_vec()],
            "did not start TLS over IMAP: it answered STARTTLS with 'S1 NO [UNAVAILABLE] TLS is not configured'",
        ),
        Refusal(
            "pop3",
            b"+OK ready\r\n".to_vec(),
            vec![b"+OK\r\nUSER\r\n.\r\n".to_vec()],
            "did not start TLS over POP3: it does not offer STLS (its capabilities: 'USER')",
        ),
        Refusal(
            "ftp",
            b"220 ready\r\n".to_vec(),
            vec![b"500 AUTH not understood\r\n".to_vec()],
            "did not start TLS over FTP: it answered AUTH TLS with '500 AUTH not understood' instead of 234",
        ),
        Refusal(
            "ldap",
            Vec::new(),
            vec![ldap_refusal],
            "did not start TLS over LDAP: it refused StartTLS: resultCode 2 (protocolError), 'unsupported extended operation'",
        ),
        Refusal(
            "postgres",
            Vec::new(),
            vec![postgres_error],
            "did not start TLS over PostgreSQL: it answered the SSLRequest with an error: 'FATAL 0A000 unsupported frontend protocol 1234.5679'",
        ),
        Refusal(
            "mysql",
            mysql_refusal,
            Vec::new(),
            "did not start TLS over MySQL: it refused the connection: 'ERROR 1130: Host '127.0.0.1' is not allowed to connect to this MySQL server'",
        ),
        Refusal(
            "xmpp",
            Vec::new(),
            vec![
                format!("{XMPP_HEADER}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>").into_bytes(),
                b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>".to_vec(),
            ],
            "did not start TLS over XMPP: it answered <starttls/> with <failure/> instead of <proceed/>",
        ),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|Refusal(protocol, greeting, answers, words)| {
            std::thread::spawn(move || {
                let address = responder(greeting, answers);
                let error = check(protocol, address, 5);
                assert_eq!(error.code, "starttls", "{protocol}: {error:?}");
                assert!(
                    error.message.ends_with(words),
                    "{protocol}: {}",
                    error.message
                );
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("case passes");
    }
}

#[test]
fn a_server_that_speaks_another_protocol_is_a_starttls_error_quoting_it() {
    let handles: Vec<_> = [
        ("smtp", "SMTP"),
        ("imap", "IMAP"),
        ("pop3", "POP3"),
        ("ftp", "FTP"),
        ("ldap", "LDAP"),
        ("postgres", "PostgreSQL"),
        ("mysql", "MySQL"),
        ("xmpp", "XMPP"),
    ]
    .into_iter()
    .map(|(protocol, label)| {
        std::thread::spawn(move || {
            let address = responder(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec(), Vec::new());
            let error = check(protocol, address, 5);
            assert_eq!(error.code, "starttls", "{protocol}: {error:?}");
            assert!(
                error.message.contains(&format!(
                    "did not start TLS over {label}: it does not speak {label}: it sent 'SSH-2.0-OpenSSH_9.2p1 Debian-2' instead of "
                )),
                "{protocol}: {}",
                error.message
            );
        })
    })
    .collect();
    for handle in handles {
        handle.join().expect("case passes");
    }
}

#[test]
fn a_tls_server_behind_a_starttls_port_is_told_apart() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["server.test"]);
    let server = crate::support::serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    // The TLS server waits for a ClientHello: an IMAP client waiting for a greeting times out,
    // naming the greeting; a MySQL greeting read from it would be a TLS record.
    let error = check("imap", server.addr, 2);
    assert_eq!(error.code, "timeout");
    assert!(
        error.message.contains("waiting for the IMAP greeting"),
        "{}",
        error.message
    );
}
