//! The prelude against scripted peers on loopback: each reads what certcheck sends and answers
//! as a server would, so the exchange, the refusals and the quoted words are checked without a
//! real server (the integration tests run the real ones).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::target::Host;

fn request(address: SocketAddr, starttls: Option<Starttls>) -> ConnectRequest {
    let host = Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    ConnectRequest {
        connect_host: host.clone(),
        connect_port: address.port(),
        server_name: host,
        starttls,
        proxy: None,
        family: None,
        client_cert: None,
        timeout: Duration::from_secs(5),
    }
}

/// Runs the prelude for `protocol` against a peer that answers each line certcheck sends with
/// the next entry of `answers` (after sending `greeting`), and returns the outcome and the
/// lines certcheck sent.
async fn against(
    protocol: Starttls,
    greeting: &'static str,
    answers: Vec<&'static str>,
) -> (Result<TcpStream, ConnectError>, Vec<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut socket = BufReader::new(socket);
        socket
            .get_mut()
            .write_all(greeting.as_bytes())
            .await
            .unwrap();
        let mut sent = Vec::new();
        for answer in answers {
            let mut line = String::new();
            if socket.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            sent.push(line.trim_end().to_string());
            socket.get_mut().write_all(answer.as_bytes()).await.unwrap();
        }
        sent
    });
    let stream = TcpStream::connect(address).await.unwrap();
    let phase = Mutex::new(String::new());
    let outcome = prelude(stream, address, &request(address, Some(protocol)), &phase).await;
    let sent = peer.await.unwrap();
    (outcome, sent)
}

#[tokio::test]
async fn hands_the_stream_back_without_a_byte_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stream = TcpStream::connect(address).await.unwrap();
    let phase = Mutex::new(String::new());
    let stream = prelude(stream, address, &request(address, None), &phase)
        .await
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap(), address);
    let (mut accepted, _) = listener.accept().await.unwrap();
    drop(stream);
    let mut sent = Vec::new();
    accepted.read_to_end(&mut sent).await.unwrap();
    assert!(sent.is_empty());
}

#[tokio::test]
async fn smtp_greeting_ehlo_starttls() {
    let (outcome, sent) = against(
        Starttls::Smtp,
        "220-mail.test ESMTP\r\n220 ready\r\n",
        vec![
            "250-mail.test\r\n250-PIPELINING\r\n250-starttls\r\n250 8BITMIME\r\n",
            "220 2.0.0 Ready to start TLS\r\n",
        ],
    )
    .await;
    outcome.unwrap();
    assert_eq!(sent, ["EHLO certcheck.invalid", "STARTTLS"]);
}

#[tokio::test]
async fn smtp_without_starttls_quotes_the_extensions() {
    let (outcome, _) = against(
        Starttls::Smtp,
        "220 mail.test ESMTP\r\n",
        vec!["250-mail.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"],
    )
    .await;
    let err = outcome.unwrap_err();
    assert_eq!(err.code(), "starttls");
    assert!(
        err.to_string()
            .ends_with("did not start TLS over SMTP: it does not offer STARTTLS in its answer to EHLO (it lists 'PIPELINING SIZE')"),
        "{err}"
    );
}

#[tokio::test]
async fn a_refusal_and_another_protocol_are_quoted() {
    let (outcome, _) = against(
        Starttls::Imap,
        "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
        vec!["S1 NO [UNAVAILABLE] TLS is not configured\r\n"],
    )
    .await;
    let err = outcome.unwrap_err().to_string();
    assert!(
        err.ends_with("it answered STARTTLS with 'S1 NO [UNAVAILABLE] TLS is not configured'"),
        "{err}"
    );
    let (outcome, _) = against(Starttls::Pop3, "SSH-2.0-OpenSSH_9.2\r\n", vec![]).await;
    let err = outcome.unwrap_err().to_string();
    assert!(
        err.ends_with(
            "it does not speak POP3: it sent 'SSH-2.0-OpenSSH_9.2' instead of the POP3 greeting"
        ),
        "{err}"
    );
    let (outcome, _) = against(Starttls::Ftp, "\u{16}\u{3}\u{1}\u{0}\u{4}\n", vec![]).await;
    let err = outcome.unwrap_err().to_string();
    assert!(
        err.contains("this port speaks TLS from the first byte"),
        "{err}"
    );
}

#[tokio::test]
async fn bytes_after_the_go_ahead_are_refused() {
    let (outcome, _) = against(
        Starttls::Ftp,
        "220 ftp.test\r\n",
        vec!["234 AUTH TLS OK\r\n150 injected\r\n"],
    )
    .await;
    let err = outcome.unwrap_err().to_string();
    assert!(
        err.contains("it sent '150 injected' after agreeing to start TLS"),
        "{err}"
    );
}

#[tokio::test]
async fn pop3_capa_then_stls() {
    let (outcome, sent) = against(
        Starttls::Pop3,
        "+OK Dovecot ready.\r\n",
        vec![
            "+OK\r\nCAPA\r\nTOP\r\nSTLS\r\n.\r\n",
            "+OK Begin TLS negotiation now.\r\n",
        ],
    )
    .await;
    outcome.unwrap();
    assert_eq!(sent, ["CAPA", "STLS"]);
}

#[test]
fn quotes_text_and_bytes() {
    assert_eq!(quote_text("a\tb"), "'a\\tb'");
    assert_eq!(quote_bytes(b"220 ok\r\n"), "'220 ok'");
    assert_eq!(quote_bytes(&[0x4e]), "'N'");
    assert_eq!(quote_bytes(&[0, 1, 2]), "3 bytes (00 01 02)");
}
